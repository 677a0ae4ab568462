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
    /// The write contradicts data already there (a full term, a clashing time), or kept losing
    /// races (`Conflict::Contention`).
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// Firestore could not be reached or did not answer in time; the write did not happen, or
    /// its outcome is unknown. Callers must never report success after this.
    #[error("Firestore unavailable: {0}")]
    Unavailable(String),
    /// A write's precondition failed: a document it was based on changed since it was read.
    /// A lost race: reading again and deciding again is the answer.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// Firestore refused the request as malformed. A bug, never worth repeating.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A stored document (or Firestore's answer) is not what the code expects.
    #[error("corrupt: {0}")]
    Corrupt(String),
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
    #[error("All {} lecture numbers of this unit and term are used.", SessionNumber::MAX)]
    TermFull,
    #[error("A session of this unit already starts at this date and time.")]
    TimeClash,
    #[error("Too many changes of this record at once; try again.")]
    Contention,
    #[error("The last administrator keeps the role: make someone else an administrator first.")]
    LastAdministrator,
    #[error(
        "A class list holds at most {} students: split the file by class or programme.",
        crate::model::ClassList::MAX_STUDENTS
    )]
    ListTooLarge,
}

impl StoreError {
    pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt(format!("stored {what} does not parse: {detail}"))
    }

    /// Firestore's answer lacked what the request always returns.
    pub(crate) fn unexpected(what: &str) -> Self {
        Self::Corrupt(format!("Firestore's answer has no {what}"))
    }

    /// Whether a repeat of the same request might succeed (network trouble, contention).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Conflict(Conflict::Contention))
    }

    /// Whether a commit lost a race with another writer: a precondition on what it read failed
    /// (changed, created or deleted meanwhile), or Firestore aborted it for contention.
    pub fn is_lost_race(&self) -> bool {
        matches!(
            self,
            Self::PreconditionFailed(_)
                | Self::AlreadyExists(_)
                | Self::NotFound
                | Self::Conflict(Conflict::Contention)
        )
    }

    pub(crate) fn from_status(status: &Status) -> Self {
        let detail = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            Code::AlreadyExists => Self::AlreadyExists(Taken::DocumentId),
            Code::NotFound => Self::NotFound,
            Code::Aborted => Self::Conflict(Conflict::Contention),
            Code::FailedPrecondition => Self::PreconditionFailed(detail),
            Code::InvalidArgument | Code::OutOfRange => Self::Rejected(detail),
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
                "FailedPrecondition" => Self::PreconditionFailed(e.to_string()),
                "InvalidArgument" | "OutOfRange" => Self::Rejected(e.to_string()),
                _ => Self::Unavailable(e.to_string()),
            },
            FirestoreError::InvalidParametersError(e) => Self::Rejected(e.to_string()),
            FirestoreError::SerializeError(e) => Self::Rejected(e.to_string()),
            FirestoreError::DeserializeError(e) => Self::Corrupt(e.to_string()),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_precondition_is_a_lost_race_and_a_malformed_write_is_not() {
        let from = |code| StoreError::from_status(&Status::new(code, "x"));
        assert!(matches!(from(Code::FailedPrecondition), StoreError::PreconditionFailed(_)));
        assert!(from(Code::FailedPrecondition).is_lost_race());
        assert!(from(Code::Aborted).is_lost_race());
        for code in [Code::InvalidArgument, Code::OutOfRange] {
            assert!(matches!(from(code), StoreError::Rejected(_)));
            assert!(!from(code).is_lost_race() && !from(code).is_transient());
        }
        assert!(matches!(from(Code::DeadlineExceeded), StoreError::Unavailable(_)));
        assert!(!StoreError::corrupt("mark", "bad").is_lost_race());
    }
}
