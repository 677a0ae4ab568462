//! Builders for valid records, so each test states only what it is about.

use attendance::auth::password::hash_password;
use attendance::domain::*;
use attendance::model::*;
use attendance::store::Store;
use jiff::civil::{Date, date, time};

pub fn username(s: &str) -> Username {
    Username::parse(s).expect("username")
}

pub fn term() -> Term {
    Term { year: AcademicYear::parse("2025/2026").expect("year"), semester: Semester::One }
}

pub fn new_lecturer(user: &str, staff: &str) -> NewLecturer {
    // A cheap fixed hash: these tests are about storage, not hashing.
    static HASH: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
    let hash =
        HASH.get_or_init(|| hash_password(&Password::parse("fixture-password").expect("pw")).expect("hash"));
    NewLecturer {
        username: username(user),
        full_name: FullName::parse("Dr. Jane Kamau").expect("name"),
        email: Email::parse(&format!("{user}@uni.ac.ke")).expect("email"),
        staff_id: StaffId::parse(staff).expect("staff"),
        department: Department::parse("Computing").expect("dept"),
        phone: None,
        password_hash: hash.clone(),
    }
}

pub fn new_unit(code: &str, lecturer: &str) -> NewUnit {
    NewUnit {
        code: UnitCode::parse(code).expect("code"),
        name: UnitName::parse("Introduction to Programming").expect("name"),
        description: UnitDescription::parse("").expect("desc"),
        lecturer: username(lecturer),
        expected_lessons: 12,
    }
}

/// A session of `unit` on `day` at `hour`:00 for an hour.
pub fn new_session(unit: &str, lecturer: &str, day: Date, hour: i8) -> NewSession {
    NewSession {
        unit_code: UnitCode::parse(unit).expect("code"),
        lecturer: username(lecturer),
        term: term(),
        date: day,
        times: TimeRange::new(time(hour, 0, 0, 0), time(hour + 1, 0, 0, 0)).expect("times"),
        venue: Venue::parse("LT 2").expect("venue"),
        lecturer_name: FullName::parse("Dr. Jane Kamau").expect("name"),
        class_year: ClassYear::parse("2").expect("class year"),
        qr_mode: QrMode::Static,
        late_after_minutes: 15,
    }
}

pub fn monday() -> Date {
    date(2025, 9, 1)
}

pub fn mark(admission: &str, name: &str) -> NewMark {
    NewMark {
        admission_number: AdmissionNumber::parse(admission).expect("admission"),
        student_name: StudentName::parse(name).expect("name"),
        status: MarkStatus::Present,
        source: MarkSource::Qr,
        expected_lessons: 12,
    }
}

/// A lecturer with one unit and one open session.
pub async fn session_fixture(store: &Store) -> Session {
    store.create_lecturer(&new_lecturer("jkamau", "STF/001")).await.expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("session")
}
