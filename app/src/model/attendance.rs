use crate::domain::{
    AdmissionNumber, Email, Instant, Phone, SessionId, SessionNumber, StudentName, Term, UnitCode,
};

/// Whether a student arrived in time ("present") or after the session's late threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkStatus {
    Present,
    Late,
}

impl MarkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Late => "late",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "present" => Some(Self::Present),
            "late" => Some(Self::Late),
            _ => None,
        }
    }
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
    pub expected_lessons: u32,
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
