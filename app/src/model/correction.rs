//! A lecturer's corrections of the record, and the history each change leaves.

use super::MarkStatus;
use crate::domain::{AdmissionNumber, Instant, Reason, SessionId, StudentName, Term, UnitCode};

/// Where one student stands in one session, as the history records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkState {
    /// No mark at all.
    Unmarked,
    /// A mark the lecturer took off the list (kept, counted nowhere).
    Removed,
    Marked(MarkStatus),
}

impl MarkState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unmarked => "none",
            Self::Removed => "removed",
            Self::Marked(status) => status.as_str(),
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "none" => Some(Self::Unmarked),
            "removed" => Some(Self::Removed),
            other => MarkStatus::parse(other).map(Self::Marked),
        }
    }

    /// "Present", "Removed", "No mark".
    pub fn label(self) -> &'static str {
        match self {
            Self::Unmarked => "No mark",
            Self::Removed => "Removed",
            Self::Marked(status) => status.label(),
        }
    }

    pub fn status(self) -> Option<MarkStatus> {
        match self {
            Self::Marked(status) => Some(status),
            _ => None,
        }
    }

    /// The state a record is in, removed or not.
    pub fn of(record: &super::AttendanceRecord) -> Self {
        if record.removed { Self::Removed } else { Self::Marked(record.status) }
    }

    /// Whether only the lecturer can change this: after a removal or an "absent", a student's
    /// own scan is refused with "ask the lecturer" (a scan where a mark exists never changes it).
    pub fn lecturer_decided(self) -> bool {
        matches!(self, Self::Removed | Self::Marked(MarkStatus::Absent))
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSource {
    Student,
    Lecturer,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Lecturer => "lecturer",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "student" => Some(Self::Student),
            "lecturer" => Some(Self::Lecturer),
            _ => None,
        }
    }
}

/// What a lecturer asks for one student in one session.
#[derive(Debug, Clone)]
pub struct Correction {
    pub admission_number: AdmissionNumber,
    /// Needed only when the student is not yet known (no mark, not on record).
    pub student_name: Option<StudentName>,
    /// `Removed` or `Marked(status)`; `Unmarked` is never asked for.
    pub to: MarkState,
    pub reason: Option<Reason>,
}

/// Why a correction cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionRefused {
    #[error("{0} is not marked in this session, so there is nothing to remove.")]
    NothingToRemove(AdmissionNumber),
    #[error("Give a reason for removing a mark: it is kept in the mark's history.")]
    ReasonRequired,
    #[error("{0} is not known yet: type the student's name to mark them.")]
    NameRequired(AdmissionNumber),
    #[error("Choose present, late, excused, absent or removed.")]
    NoTarget,
}

/// The rule: which state a correction leads to from `from`, `None` when nothing changes (so a
/// repeated request is harmless).
pub fn correct(from: MarkState, correction: &Correction) -> Result<Option<MarkState>, CorrectionRefused> {
    match correction.to {
        MarkState::Unmarked => Err(CorrectionRefused::NoTarget),
        _ if correction.to == from => Ok(None),
        MarkState::Removed if from == MarkState::Unmarked => {
            Err(CorrectionRefused::NothingToRemove(correction.admission_number.clone()))
        }
        MarkState::Removed if correction.reason.is_none() => Err(CorrectionRefused::ReasonRequired),
        to => Ok(Some(to)),
    }
}

/// One change of a mark after it was made: an append-only record.
#[derive(Debug, Clone)]
pub struct MarkChange {
    pub session_id: SessionId,
    pub unit_code: UnitCode,
    pub term: Term,
    pub admission_number: AdmissionNumber,
    /// The mark's version after this change (the record's id ends with it).
    pub version: u32,
    pub from: MarkState,
    pub to: MarkState,
    pub reason: Option<String>,
    /// The lecturer's username, or the admission number for a student's own change.
    pub by: String,
    pub source: ChangeSource,
    pub at: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(to: MarkState, reason: Option<&str>) -> Correction {
        Correction {
            admission_number: AdmissionNumber::parse("ADM/1").expect("adm"),
            student_name: None,
            to,
            reason: reason.map(|r| Reason::parse(r).expect("reason")),
        }
    }

    #[test]
    fn the_same_state_again_changes_nothing() {
        let present = MarkState::Marked(MarkStatus::Present);
        assert_eq!(correct(present, &asking(present, None)), Ok(None));
        assert_eq!(correct(MarkState::Removed, &asking(MarkState::Removed, Some("x"))), Ok(None));
    }

    #[test]
    fn a_removal_needs_a_mark_and_a_reason() {
        let present = MarkState::Marked(MarkStatus::Present);
        assert_eq!(
            correct(present, &asking(MarkState::Removed, None)),
            Err(CorrectionRefused::ReasonRequired)
        );
        assert!(matches!(
            correct(MarkState::Unmarked, &asking(MarkState::Removed, Some("proxy"))),
            Err(CorrectionRefused::NothingToRemove(_))
        ));
        assert_eq!(
            correct(present, &asking(MarkState::Removed, Some("proxy"))),
            Ok(Some(MarkState::Removed))
        );
    }

    #[test]
    fn restoring_and_re_marking_are_status_changes() {
        let late = MarkState::Marked(MarkStatus::Late);
        assert_eq!(correct(MarkState::Removed, &asking(late, None)), Ok(Some(late)));
        assert_eq!(correct(MarkState::Unmarked, &asking(late, None)), Ok(Some(late)));
    }

    #[test]
    fn after_a_removal_or_an_absent_only_the_lecturer_decides() {
        assert!(MarkState::Removed.lecturer_decided());
        assert!(MarkState::Marked(MarkStatus::Absent).lecturer_decided());
        assert!(!MarkState::Marked(MarkStatus::Excused).lecturer_decided());
        assert!(!MarkState::Unmarked.lecturer_decided());
    }

    #[test]
    fn states_read_back_from_their_stored_names() {
        for state in [MarkState::Unmarked, MarkState::Removed, MarkState::Marked(MarkStatus::Excused)] {
            assert_eq!(MarkState::parse(state.as_str()), Some(state));
        }
        assert_eq!(MarkState::parse("gone"), None);
    }
}
