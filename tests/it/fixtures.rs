//! Builders for valid records, so each test states only what it is about.

use attendance::domain::*;
use attendance::model::*;
use attendance::samples;
use attendance::store::Store;
use jiff::civil::{Date, date, time};

pub fn username(s: &str) -> Username {
    Username::parse(s).expect("username")
}

pub fn term() -> Term {
    samples::term()
}

/// The argon2id hash of `fixture-password`, made once with the app's parameters (19 MiB, two
/// passes): these tests are about storage, not hashing, so none waits for a fresh one.
const FIXTURE_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$WXb/YUIWiqQQtQLrTuuXHA$i5FHIORlxiGJ50CYQV2fjBZ9zuI7E85HdYLPyVod4J8";

pub fn new_lecturer(user: &str, staff: &str) -> NewLecturer {
    samples::lecturer(user, staff, PasswordHash::from_phc(FIXTURE_HASH.to_owned())).expect("lecturer")
}

pub fn new_unit(code: &str, lecturer: &str) -> NewUnit {
    samples::unit(code, lecturer).expect("unit")
}

/// A session of `unit` on `day` at `hour`:00 for an hour.
pub fn new_session(unit: &str, lecturer: &str, day: Date, hour: i8) -> NewSession {
    samples::session(unit, lecturer, term(), day, time(hour, 0, 0, 0), time(hour + 1, 0, 0, 0))
        .expect("session")
}

pub fn monday() -> Date {
    date(2025, 9, 1)
}

pub fn mark(admission: &str, name: &str) -> NewMark {
    samples::mark(admission, name).expect("mark")
}

/// A lecturer with one unit and one open session.
pub async fn session_fixture(store: &Store) -> Session {
    store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("session")
}

/// Removes a mark as a lecturer would (with a reason), through the one correction path.
pub async fn remove(
    store: &Store,
    session: &Session,
    admission: &AdmissionNumber,
) -> Result<attendance::store::Corrected, attendance::store::StoreError> {
    let correction = Correction {
        admission_number: admission.clone(),
        student_name: None,
        to: MarkState::Removed,
        reason: Some(Reason::parse("test removal").expect("reason")),
    };
    store.correct_mark(session, &correction, &username("jkamau"), samples::EXPECTED_LESSONS).await
}
