use jiff::civil::Date;

use crate::domain::{
    ClassYear, FullName, Instant, SessionId, SessionNumber, Term, TimeRange, UnitCode, Username, Venue,
};

/// How the session's QR code behaves: a printable code that never changes, or a projected code
/// that changes every few seconds so a photo shared in a group chat soon stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrMode {
    #[default]
    Static,
    Rotating,
}

impl QrMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Rotating => "rotating",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "static" => Some(Self::Static),
            "rotating" => Some(Self::Rotating),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub unit_code: UnitCode,
    pub lecturer: Username,
    pub term: Term,
    pub number: SessionNumber,
    pub date: Date,
    pub times: TimeRange,
    pub venue: Venue,
    pub lecturer_name: FullName,
    pub class_year: ClassYear,
    pub is_active: bool,
    pub qr_mode: QrMode,
    /// Minutes after the start from which a mark counts as late.
    pub late_after_minutes: u32,
    pub created_at: Option<Instant>,
    pub updated_at: Option<Instant>,
}

/// What a lecturer asks for; the store allocates the id and the lecture number.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub unit_code: UnitCode,
    pub lecturer: Username,
    pub term: Term,
    pub date: Date,
    pub times: TimeRange,
    pub venue: Venue,
    pub lecturer_name: FullName,
    pub class_year: ClassYear,
    pub qr_mode: QrMode,
    pub late_after_minutes: u32,
}
