//! Valid records built from a few words: the one set of builders behind the tests, the
//! benchmarks and `attendance dev`'s demo data, so each caller states only what matters to it.

use jiff::civil::{Date, Time};

use crate::domain::*;
use crate::model::{
    AttendanceRecord, MarkSource, MarkStatus, NewLecturer, NewMark, NewSession, NewUnit, PasswordHash, QrMode,
};

/// The expected lessons every sample unit has.
pub const EXPECTED_LESSONS: ExpectedLessons = ExpectedLessons::DEFAULT;

/// Semester 1 of 2025/2026.
pub fn term() -> Term {
    Term { year: AcademicYear::parse("2025/2026").expect("a valid year"), semester: Semester::One }
}

/// A lecturer `username` with staff id `staff_id`, an email at `uni.ac.ke`, and `hash`.
pub fn lecturer(username: &str, staff_id: &str, hash: PasswordHash) -> Result<NewLecturer, Invalid> {
    Ok(NewLecturer {
        username: Username::parse(username)?,
        full_name: FullName::parse("Dr. Jane Kamau")?,
        email: Email::parse(&format!("{username}@uni.ac.ke"))?,
        staff_id: StaffId::parse(staff_id)?,
        department: Department::parse("Computing")?,
        phone: None,
        password_hash: hash,
        admin: false,
        must_change_password: false,
    })
}

/// Unit `code`, "Introduction to Programming", owned by `lecturer`.
pub fn unit(code: &str, lecturer: &str) -> Result<NewUnit, Invalid> {
    Ok(NewUnit {
        code: UnitCode::parse(code)?,
        name: UnitName::parse("Introduction to Programming")?,
        description: UnitDescription::parse("")?,
        lecturer: Username::parse(lecturer)?,
        expected_lessons: EXPECTED_LESSONS,
    })
}

/// A lecture of `unit` in `term` on `date` from `start` to `end`, in LT 2, static QR code,
/// late after 15 minutes, the default attendance window.
pub fn session(
    unit: &str,
    lecturer: &str,
    term: Term,
    date: Date,
    start: Time,
    end: Time,
) -> Result<NewSession, Invalid> {
    Ok(NewSession {
        unit_code: UnitCode::parse(unit)?,
        lecturer: Username::parse(lecturer)?,
        term,
        date: LectureDate::try_from(date)?,
        times: TimeRange::new(start, end)?,
        venue: Venue::parse("LT 2")?,
        lecturer_name: FullName::parse("Dr. Jane Kamau")?,
        class_year: ClassYear::parse("2")?,
        qr_mode: QrMode::Static,
        late_after: LateAfter::DEFAULT,
        window: None,
    })
}

/// A student's own on-time scan.
pub fn mark(admission: &str, name: &str) -> Result<NewMark, Invalid> {
    Ok(NewMark {
        admission_number: AdmissionNumber::parse(admission)?,
        student_name: StudentName::parse(name)?,
        status: MarkStatus::Present,
        source: MarkSource::Qr,
        expected_lessons: EXPECTED_LESSONS,
        attempted_at: None,
    })
}

/// `admission`'s mark in a lecture of CS101 (a session of its own), as read back: version 1
/// of a scan, standing; change what a test is about with `..record(..)`.
pub fn record(admission: &str, status: MarkStatus) -> Result<AttendanceRecord, Invalid> {
    Ok(AttendanceRecord {
        session_id: SessionId::new_random(),
        unit_code: UnitCode::parse("CS101")?,
        term: term(),
        admission_number: AdmissionNumber::parse(admission)?,
        student_name: StudentName::parse("A Student")?,
        number: SessionNumber::try_from(1)?,
        marked_at: jiff::Timestamp::UNIX_EPOCH,
        status,
        source: MarkSource::Qr,
        version: 1,
        expected_lessons: None,
        known_name: None,
        removed: false,
        attempted_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn the_samples_are_valid() {
        assert!(unit("CS101", "jkamau").is_ok());
        assert!(mark("SCT211-0001/2023", "Student One").is_ok());
        let lecture =
            session("CS101", "jkamau", term(), date(2025, 9, 1), time(8, 0, 0, 0), time(9, 0, 0, 0));
        assert_eq!(lecture.expect("session").times.end(), time(9, 0, 0, 0));
    }
}
