//! Validated domain values: every input becomes one of these at the edge ("parse, don't
//! validate"), so the store and the pages never see a raw string.

mod accounts;
mod admission;
mod doc_key;
mod rules;
mod session;
mod term;
mod text;
mod unit;

pub use accounts::{Email, Password, Phone, StaffId, Username};
pub use admission::{AdmissionKey, AdmissionNumber};
pub use doc_key::{decode_doc_key, encode_doc_key};
pub use rules::{ExpectedLessons, LateAfter, LectureDate, RiskThreshold};
pub use session::{ClassYear, SessionId, SessionNumber, TimeRange};
pub use term::{AcademicYear, Semester, Term, YearStart};
pub use text::{Department, FullName, Reason, StudentName, UnitDescription, UnitName, Venue};
pub use unit::UnitCode;

/// Why an input was refused, in words a person understands (shown next to the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The project's type for instants; Firestore's own, so no conversion at the store edge.
pub type Instant = jiff::Timestamp;
