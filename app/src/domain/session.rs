//! Values that describe one lecture session.

use jiff::civil::Time;

use super::Invalid;

/// The year of study a session is for (1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ClassYear(u8);

impl ClassYear {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        input
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|n| Self::try_from(n).ok())
            .ok_or_else(|| Invalid::new("Class year must be a whole number from 1 to 5."))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for ClassYear {
    type Error = Invalid;

    fn try_from(n: i64) -> Result<Self, Invalid> {
        match u8::try_from(n) {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err(Invalid::new("Class year must be a whole number from 1 to 5.")),
        }
    }
}

/// A lecture's number within its unit and term: "Lec 3". At most [`SessionNumber::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SessionNumber(u8);

impl SessionNumber {
    pub const MAX: u8 = 13;

    pub fn all() -> impl Iterator<Item = Self> {
        (1..=Self::MAX).map(Self)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for SessionNumber {
    type Error = Invalid;

    fn try_from(n: i64) -> Result<Self, Invalid> {
        match u8::try_from(n) {
            Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
            _ => Err(Invalid(format!("Session number must be 1 to {}.", Self::MAX))),
        }
    }
}

impl std::fmt::Display for SessionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lec {}", self.0)
    }
}

/// A session's id: a v4 UUID, printed hyphenated in lower case (the form in URLs and QR codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SessionId(uuid::Uuid);

impl SessionId {
    pub fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// Parses the id from a URL; `None` for anything that is not exactly a hyphenated UUID, so
    /// a malformed link answers 404 without touching Firestore.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() != 36 {
            return None;
        }
        uuid::Uuid::try_parse(input).ok().map(Self)
    }

    pub fn as_uuid(&self) -> &uuid::Uuid {
        &self.0
    }

    /// The id of a session whose UUID came in another notation (say, a QR code's short link).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid)
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A lecture's start and end time on its date; the end is after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    start: Time,
    end: Time,
}

impl TimeRange {
    pub fn new(start: Time, end: Time) -> Result<Self, Invalid> {
        if end <= start {
            return Err(Invalid::new("End time must be after the start time."));
        }
        Ok(Self { start, end })
    }

    /// Parses `HH:MM` (what `<input type=time>` sends), also accepting `HH:MM:SS`. Lectures are
    /// scheduled to the minute, so seconds are dropped here, before any comparison: what is
    /// checked is exactly what is stored.
    pub fn parse_time(input: &str, what: &str) -> Result<Time, Invalid> {
        let input = input.trim();
        let invalid = || Invalid(format!("{what} must be a time such as 08:00."));
        if input.is_empty() {
            return Err(Invalid(format!("{what} is required.")));
        }
        if input.len() > 8 {
            return Err(invalid());
        }
        let time: Time = input.parse().map_err(|_| invalid())?;
        time.with().second(0).subsec_nanosecond(0).build().map_err(|_| invalid())
    }

    pub fn start(self) -> Time {
        self.start
    }

    pub fn end(self) -> Time {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_year_is_one_to_five() {
        assert_eq!(ClassYear::parse("3").expect("3").get(), 3);
        for input in ["0", "6", "", "x", "-1", "3.5", "99999999999999999999", "%2F", ".."] {
            assert!(ClassYear::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn session_numbers_stop_at_thirteen() {
        assert_eq!(SessionNumber::all().count(), 13);
        assert_eq!(SessionNumber::try_from(3).expect("3").to_string(), "Lec 3");
        assert!(SessionNumber::try_from(0).is_err());
        assert!(SessionNumber::try_from(14).is_err());
    }

    #[test]
    fn session_ids_must_be_exact_uuids() {
        let id = SessionId::new_random();
        assert_eq!(SessionId::parse(&id.to_string()), Some(id));
        for input in [
            "",
            "..",
            "%2F",
            "not-a-uuid",
            "{00000000-0000-0000-0000-000000000000}",
            "00000000000000000000000000000000",
        ] {
            assert_eq!(SessionId::parse(input), None, "{input:?}");
        }
        assert_eq!(SessionId::parse(&"a".repeat(10 * 1024)), None);
    }

    #[test]
    fn end_must_follow_start() {
        let t = |s| TimeRange::parse_time(s, "Start time").expect(s);
        assert!(TimeRange::new(t("08:00"), t("10:00")).is_ok());
        assert!(TimeRange::new(t("10:00"), t("10:00")).is_err());
        assert!(TimeRange::new(t("10:00"), t("08:00")).is_err());
        assert_eq!(t("08:00:30").to_string(), "08:00:00", "to the minute");
        // Apart by seconds only: the same minute, so not a valid range.
        assert!(TimeRange::new(t("10:00:15"), t("10:00:45")).is_err());
        for input in ["", "25:00", "8", "08:60", "noon", "08:00\u{202E}"] {
            assert!(TimeRange::parse_time(input, "Start time").is_err(), "{input:?}");
        }
    }
}
