//! Every conversion between a Firestore document (`docs`) and a model record, and back: the
//! one leaf the store's collection modules (and the mirror) share, so none of them imports
//! another.

use jiff::civil::{Date, Time};

use super::docs::{
    AttendanceChangeDoc, AttendanceDoc, AuditDoc, ClassListEntryDoc, LecturerDoc, SessionDoc, StudentDoc,
    UnitDoc,
};
use super::{StoreError, ts};
use crate::domain::{
    AcademicYear, AdmissionNumber, ClassYear, Department, Email, ExpectedLessons, FullName, Invalid,
    LateAfter, LectureDate, Phone, RiskThreshold, Semester, SessionId, SessionNumber, StaffId, StudentName,
    Term, TimeRange, UnitCode, UnitDescription, UnitName, Username, Venue,
};
use crate::model::{
    AttendanceRecord, AuditAction, AuditEntry, ChangeSource, ClassList, Enrolled, Lecturer, MarkChange,
    MarkSource, MarkState, MarkStatus, NewMark, NewSession, Opening, QrMode, Session, Stamps, Student, Unit,
    Window,
};

/// A unit's term as documents spell it: the academic year `2025/2026` and the semester `1`.
fn term(academic_year: &str, semester: u8) -> Result<Term, Invalid> {
    Ok(Term { year: AcademicYear::parse(academic_year)?, semester: Semester::try_from(i64::from(semester))? })
}

/// A mark's document as first written (version 1; the server sets its times).
pub(super) fn new_mark_doc(
    session: &Session,
    mark: &NewMark,
    request_id: &str,
    known_name: Option<String>,
) -> AttendanceDoc {
    AttendanceDoc {
        session_id: session.id.to_string(),
        unit_code: session.unit_code.as_str().to_owned(),
        academic_year: session.term.year.to_string(),
        semester: session.term.semester.number(),
        session_number: session.number.get(),
        admission_number: mark.admission_number.as_str().to_owned(),
        admission_key: mark.admission_number.key().as_str().to_owned(),
        student_name: mark.student_name.as_str().to_owned(),
        status: mark.status.as_str().to_owned(),
        source: mark.source.as_str().to_owned(),
        request_id: request_id.to_owned(),
        version: 1,
        expected_lessons: Some(mark.expected_lessons.get()),
        known_name,
        attempted_at: mark.attempted_at.map(firestore::FirestoreTimestamp),
        deleted: false,
        marked_at: None,
        updated_at: None,
        deleted_at: None,
        update_time: None,
    }
}

pub(super) fn record_from_doc(doc: AttendanceDoc) -> Result<AttendanceRecord, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("attendance", e);
    Ok(AttendanceRecord {
        session_id: SessionId::parse(&doc.session_id).ok_or_else(|| bad(&doc.session_id))?,
        unit_code: UnitCode::parse(&doc.unit_code).map_err(|e| bad(&e))?,
        term: term(&doc.academic_year, doc.semester).map_err(|e| bad(&e))?,
        admission_number: AdmissionNumber::parse(&doc.admission_number).map_err(|e| bad(&e))?,
        student_name: StudentName::parse(&doc.student_name).map_err(|e| bad(&e))?,
        number: SessionNumber::try_from(i64::from(doc.session_number)).map_err(|e| bad(&e))?,
        marked_at: doc.marked_at.map(|t| t.0).ok_or_else(|| bad(&"no marked_at"))?,
        version: doc.version,
        expected_lessons: doc.expected_lessons,
        known_name: doc.known_name,
        removed: doc.deleted,
        attempted_at: doc.attempted_at.map(|t| t.0),
        status: MarkStatus::parse(&doc.status).ok_or_else(|| bad(&doc.status))?,
        source: MarkSource::parse(&doc.source).ok_or_else(|| bad(&doc.source))?,
    })
}

pub(super) fn change_from_doc(doc: AttendanceChangeDoc) -> Result<MarkChange, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("attendance change", e);
    Ok(MarkChange {
        session_id: SessionId::parse(&doc.session_id).ok_or_else(|| bad(&doc.session_id))?,
        unit_code: UnitCode::parse(&doc.unit_code).map_err(|e| bad(&e))?,
        term: term(&doc.academic_year, doc.semester).map_err(|e| bad(&e))?,
        admission_number: AdmissionNumber::parse(&doc.admission_number).map_err(|e| bad(&e))?,
        version: doc.version,
        from: MarkState::parse(&doc.from_status).ok_or_else(|| bad(&doc.from_status))?,
        to: MarkState::parse(&doc.to_status).ok_or_else(|| bad(&doc.to_status))?,
        reason: doc.reason,
        by: doc.by,
        source: ChangeSource::parse(&doc.source).ok_or_else(|| bad(&doc.source))?,
        at: ts(doc.at).ok_or_else(|| bad(&"no time"))?,
    })
}

pub(super) fn student_from_doc(doc: StudentDoc) -> Result<Student, StoreError> {
    let bad = |e| StoreError::corrupt("student", e);
    Ok(Student {
        admission_number: AdmissionNumber::parse(&doc.admission_number).map_err(bad)?,
        name: StudentName::parse(&doc.name).map_err(bad)?,
        email: doc.email.as_deref().map(Email::parse).transpose().map_err(bad)?,
        phone: doc.phone.as_deref().map(Phone::parse).transpose().map_err(bad)?,
        units: doc.units.iter().map(|u| UnitCode::parse(u)).collect::<Result<_, _>>().map_err(bad)?,
        created_at: doc.created_at.map(|t| t.0),
        updated_at: doc.updated_at.map(|t| t.0),
    })
}

pub(super) fn session_doc(new: &NewSession, id: SessionId, number: SessionNumber) -> SessionDoc {
    let window = new.window.unwrap_or_else(|| Window::default_for(new.date.get(), new.times));
    SessionDoc {
        id: id.to_string(),
        unit_code: new.unit_code.as_str().to_owned(),
        lecturer: new.lecturer.as_str().to_owned(),
        academic_year: new.term.year.to_string(),
        semester: new.term.semester.number(),
        session_number: number.get(),
        date: new.date.get().to_string(),
        start_time: new.times.start().strftime("%H:%M").to_string(),
        end_time: new.times.end().strftime("%H:%M").to_string(),
        venue: new.venue.as_str().to_owned(),
        lecturer_name: new.lecturer_name.as_str().to_owned(),
        class_year: new.class_year.get(),
        is_active: true,
        keep_open: false,
        cancelled: false,
        opens_at: Some(window.opens().to_string()),
        closes_at: Some(window.closes().to_string()),
        attended_count: None,
        closed_at: None,
        cancelled_at: None,
        restored_at: None,
        update_time: None,
        qr_mode: new.qr_mode.as_str().to_owned(),
        late_after_minutes: new.late_after.minutes(),
        deleted: false,
        created_at: None,
        updated_at: None,
        deleted_at: None,
    }
}

pub(super) fn session_from_doc(doc: SessionDoc) -> Result<Session, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("session", e);
    let id = SessionId::parse(&doc.id).ok_or_else(|| bad(&doc.id))?;
    let date: Date = doc.date.parse().map_err(|e| bad(&e))?;
    let date = LectureDate::try_from(date).map_err(|e| bad(&e))?.get();
    let start: Time = doc.start_time.parse().map_err(|e| bad(&e))?;
    let end: Time = doc.end_time.parse().map_err(|e| bad(&e))?;
    let times = TimeRange::new(start, end).map_err(|e| bad(&e))?;
    let window = match (&doc.opens_at, &doc.closes_at) {
        (Some(opens), Some(closes)) => {
            Window::new(opens.parse().map_err(|e| bad(&e))?, closes.parse().map_err(|e| bad(&e))?)
                .map_err(|e| bad(&e))?
        }
        _ => Window::default_for(date, times),
    };
    Ok(Session {
        id,
        unit_code: UnitCode::parse(&doc.unit_code).map_err(|e| bad(&e))?,
        lecturer: Username::parse(&doc.lecturer).map_err(|e| bad(&e))?,
        term: term(&doc.academic_year, doc.semester).map_err(|e| bad(&e))?,
        number: SessionNumber::try_from(i64::from(doc.session_number)).map_err(|e| bad(&e))?,
        date,
        times,
        venue: Venue::parse(&doc.venue).map_err(|e| bad(&e))?,
        lecturer_name: FullName::parse(&doc.lecturer_name).map_err(|e| bad(&e))?,
        class_year: ClassYear::try_from(i64::from(doc.class_year)).map_err(|e| bad(&e))?,
        opening: Opening::from_flags(doc.is_active, doc.keep_open),
        cancelled: doc.cancelled,
        window,
        attended_count: doc.attended_count,
        stamps: Stamps {
            closed_at: ts(doc.closed_at),
            cancelled_at: ts(doc.cancelled_at),
            restored_at: ts(doc.restored_at),
        },
        revision: doc.update_time.map(|t| t.0),
        qr_mode: QrMode::parse(&doc.qr_mode).ok_or_else(|| bad(&doc.qr_mode))?,
        late_after: LateAfter::try_from(doc.late_after_minutes).map_err(|e| bad(&e))?,
        created_at: ts(doc.created_at),
        updated_at: ts(doc.updated_at),
    })
}

pub(super) fn unit_from_doc(doc: UnitDoc) -> Result<Unit, StoreError> {
    let bad = |e| StoreError::corrupt("unit", e);
    Ok(Unit {
        code: UnitCode::parse(&doc.code).map_err(bad)?,
        name: UnitName::parse(&doc.name).map_err(bad)?,
        description: UnitDescription::parse(&doc.description).map_err(bad)?,
        lecturer: Username::parse(&doc.lecturer).map_err(bad)?,
        expected_lessons: ExpectedLessons::try_from(doc.expected_lessons).map_err(bad)?,
        archived: doc.archived,
        risk_threshold: RiskThreshold::try_from(doc.risk_threshold).map_err(bad)?,
        created_at: ts(doc.created_at),
    })
}

pub(super) fn lecturer_from_doc(doc: LecturerDoc) -> Result<Lecturer, StoreError> {
    let bad = |e| StoreError::corrupt("lecturer", e);
    Ok(Lecturer {
        username: Username::parse(&doc.username).map_err(bad)?,
        full_name: FullName::parse(&doc.full_name).map_err(bad)?,
        email: Email::parse(&doc.email).map_err(bad)?,
        staff_id: StaffId::parse(&doc.staff_id).map_err(bad)?,
        department: Department::parse(&doc.department).map_err(bad)?,
        phone: doc.phone.as_deref().map(Phone::parse).transpose().map_err(bad)?,
        active: doc.active,
        admin: doc.admin,
        must_change_password: doc.must_change_password,
        access_epoch: doc.access_epoch,
        created_at: ts(doc.created_at),
    })
}

/// Class list entries (of a head saved before chunks, or of its chunks) added to `list`.
pub(super) fn add_list_entries(
    list: &mut ClassList,
    entries: impl IntoIterator<Item = ClassListEntryDoc>,
) -> Result<(), StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("class list", e);
    for entry in entries {
        let student = Enrolled {
            admission_number: AdmissionNumber::parse(&entry.admission_number).map_err(|e| bad(&e))?,
            name: StudentName::parse(&entry.name).map_err(|e| bad(&e))?,
            email: entry.email.as_deref().map(Email::parse).transpose().map_err(|e| bad(&e))?,
        };
        list.students.insert(student.admission_number.key(), student);
    }
    Ok(())
}

pub(super) fn audit_from_doc(doc: AuditDoc) -> Result<AuditEntry, StoreError> {
    let action = AuditAction::parse(&doc.action)
        .ok_or_else(|| StoreError::corrupt("audit entry", format!("unknown action {:?}", doc.action)))?;
    let at = doc.at.ok_or_else(|| StoreError::corrupt("audit entry", "no time"))?.0;
    Ok(AuditEntry { at, actor: doc.actor, action, target: doc.target, detail: doc.detail })
}
