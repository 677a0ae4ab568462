use crate::domain::{
    AdmissionNumber, Email, ExpectedLessons, Instant, Phone, SessionId, SessionNumber, StudentName, Term,
    UnitCode,
};

/// A student's standing in one lecture. A student's own scan records `Present` or `Late`; a
/// lecturer may set any of the four. Serialised as its stored name (`present`, ...), as the
/// Portal receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkStatus {
    Present,
    Late,
    /// Away with a reason the lecturer accepted (illness, a university event).
    Excused,
    Absent,
}

impl MarkStatus {
    pub const ALL: [Self; 4] = [Self::Present, Self::Late, Self::Excused, Self::Absent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Late => "late",
            Self::Excused => "excused",
            Self::Absent => "absent",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    /// "Present", as a page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Present => "Present",
            Self::Late => "Late",
            Self::Excused => "Excused",
            Self::Absent => "Absent",
        }
    }

    /// The one attendance rule, shared by the student's page, the unit matrix, the counters
    /// and the PostgreSQL view: present, late and excused count as attended (an excused
    /// absence is not held against the student); absent does not.
    pub fn counts_as_attended(self) -> bool {
        !matches!(self, Self::Absent)
    }
}

/// How much a mark adds to the student's count of lectures attended: `None` is no mark, or a
/// removed one.
pub fn attended_weight(status: Option<MarkStatus>) -> i64 {
    i64::from(status.is_some_and(MarkStatus::counts_as_attended))
}

/// Where a mark came from: the student's own scan, or a lecturer adding it by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkSource {
    Qr,
    Lecturer,
}

impl MarkSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qr => "qr",
            Self::Lecturer => "lecturer",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "qr" => Some(Self::Qr),
            "lecturer" => Some(Self::Lecturer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AttendanceRecord {
    pub session_id: SessionId,
    pub unit_code: UnitCode,
    pub term: Term,
    pub admission_number: AdmissionNumber,
    pub student_name: StudentName,
    /// The session's lecture number.
    pub number: SessionNumber,
    pub marked_at: Instant,
    pub status: MarkStatus,
    pub source: MarkSource,
    /// 1 when made, one more for each later change.
    pub version: u32,
    /// The denominator of the percentage shown when the mark was made, if recorded.
    pub expected_lessons: Option<u32>,
    /// The name on record for this admission number, when the typed one differed (a likely
    /// proxy mark).
    pub known_name: Option<String>,
    /// Taken off the list by the lecturer: kept, shown as removed, counted nowhere.
    pub removed: bool,
    /// When the student tried, for a mark that arrived later through a retry (Firestore was
    /// down at the time).
    pub attempted_at: Option<Instant>,
}

impl AttendanceRecord {
    /// The status that counts: none once removed.
    pub fn effective_status(&self) -> Option<MarkStatus> {
        (!self.removed).then_some(self.status)
    }
}

/// A mark to record: who, and how the app classified it.
#[derive(Debug, Clone)]
pub struct NewMark {
    pub admission_number: AdmissionNumber,
    pub student_name: StudentName,
    pub status: MarkStatus,
    pub source: MarkSource,
    /// The unit's expected lessons now: recorded on the mark so the Portal later receives the
    /// same percentage the student is shown.
    pub expected_lessons: ExpectedLessons,
    /// The attempt's time, for a mark sent again after Firestore failed.
    pub attempted_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub enum MarkOutcome {
    /// This request created the record.
    Marked(AttendanceRecord),
    /// The student was already marked; the record is the first mark, unchanged.
    AlreadyMarked(AttendanceRecord),
    /// The lecturer removed this student's mark; marking again does not restore it.
    Removed(AttendanceRecord),
}

/// The outcome of a mark, and how many lectures of the unit and term the student has now
/// attended (the percentage's numerator).
#[derive(Debug, Clone)]
pub struct Marking {
    pub outcome: MarkOutcome,
    pub attended_in_term: u64,
}

impl MarkOutcome {
    pub fn record(&self) -> &AttendanceRecord {
        match self {
            Self::Marked(r) | Self::AlreadyMarked(r) | Self::Removed(r) => r,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Student {
    pub admission_number: AdmissionNumber,
    pub name: StudentName,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub units: Vec<UnitCode>,
    pub created_at: Option<Instant>,
    pub updated_at: Option<Instant>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_late_and_excused_count_absent_and_removed_do_not() {
        assert_eq!(attended_weight(Some(MarkStatus::Present)), 1);
        assert_eq!(attended_weight(Some(MarkStatus::Late)), 1);
        assert_eq!(attended_weight(Some(MarkStatus::Excused)), 1);
        assert_eq!(attended_weight(Some(MarkStatus::Absent)), 0);
        assert_eq!(attended_weight(None), 0);
    }

    #[test]
    fn statuses_read_back_from_their_stored_names() {
        for status in MarkStatus::ALL {
            assert_eq!(MarkStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(MarkStatus::parse("Present"), None);
        assert_eq!(MarkStatus::parse("removed"), None);
    }
}
