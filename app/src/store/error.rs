//! The store's one error type. The web layer maps each variant to a status code; the wrapped
//! text is for logs only, never for pages.

use firestore::errors::FirestoreError;
use firestore::gcloud_sdk::tonic::{Code, Status};

use crate::domain::SessionNumber;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A document with this unique key exists already.
    #[error("{0} is already taken")]
    AlreadyExists(Taken),
    #[error("not found")]
    NotFound,
    /// The write contradicts data already there (a full term, a clashing time).
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// Firestore could not be reached or did not answer in time; the write did not happen, or
    /// its outcome is unknown. Callers must never report success after this.
    #[error("Firestore unavailable: {0}")]
    Unavailable(String),
    /// Firestore refused the request as malformed, or a stored document did not parse.
    #[error("invalid: {0}")]
    Invalid(String),
}

/// Which unique key an `AlreadyExists` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Taken {
    #[error("username")]
    Username,
    #[error("staff id")]
    StaffId,
    #[error("unit code")]
    UnitCode,
    #[error("document id")]
    DocumentId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("all {} lecture numbers of this unit and term are used", SessionNumber::MAX)]
    TermFull,
    #[error("a session of this unit already starts at this date and time")]
    TimeClash,
    #[error("too many concurrent writes; try again")]
    Contention,
    #[error("the last administrator keeps the role")]
    LastAdministrator,
}

impl StoreError {
    pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Self {
        Self::Invalid(format!("stored {what} does not parse: {detail}"))
    }

    /// Whether a repeat of the same request might succeed (network trouble, contention).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Conflict(Conflict::Contention))
    }

    pub(crate) fn from_status(status: &Status) -> Self {
        let detail = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            Code::AlreadyExists => Self::AlreadyExists(Taken::DocumentId),
            Code::NotFound => Self::NotFound,
            Code::Aborted => Self::Conflict(Conflict::Contention),
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => Self::Invalid(detail),
            _ => Self::Unavailable(detail),
        }
    }
}

impl From<FirestoreError> for StoreError {
    fn from(err: FirestoreError) -> Self {
        match err {
            FirestoreError::DataConflictError(_) => Self::AlreadyExists(Taken::DocumentId),
            FirestoreError::DataNotFoundError(_) => Self::NotFound,
            FirestoreError::DatabaseError(e) => match e.public.code.as_str() {
                "Aborted" => Self::Conflict(Conflict::Contention),
                "InvalidArgument" | "FailedPrecondition" | "OutOfRange" => Self::Invalid(e.to_string()),
                _ => Self::Unavailable(e.to_string()),
            },
            FirestoreError::InvalidParametersError(e) => Self::Invalid(e.to_string()),
            FirestoreError::SerializeError(e) | FirestoreError::DeserializeError(e) => {
                Self::Invalid(e.to_string())
            }
            other => Self::Unavailable(other.to_string()),
        }
    }
}
