//! The numbers a lecturer or a department sets: when a mark becomes late, under which
//! percentage a student is at risk, how many lectures a term expects, which dates a lecture may
//! have. Each type is the only gate for its bounds: a form, the command line, the settings and
//! a stored document all go through it.

use jiff::civil::Date;

use super::Invalid;

/// Minutes after a lecture's start from which a student's own mark is late: 0 to 240.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LateAfter(u32);

impl LateAfter {
    pub const DEFAULT: Self = Self(15);
    pub const MAX_MINUTES: u32 = 240;

    /// A form's value; empty is the default.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "" => Ok(Self::DEFAULT),
            text => text.parse::<u32>().map_err(|_| Self::refusal()).and_then(Self::try_from),
        }
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    fn refusal() -> Invalid {
        Invalid(format!("Late after must be a number of minutes from 0 to {}.", Self::MAX_MINUTES))
    }
}

impl TryFrom<u32> for LateAfter {
    type Error = Invalid;

    fn try_from(minutes: u32) -> Result<Self, Invalid> {
        if minutes <= Self::MAX_MINUTES { Ok(Self(minutes)) } else { Err(Self::refusal()) }
    }
}

/// The percentage of lectures held under which a student is at risk: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RiskThreshold(u8);

impl RiskThreshold {
    pub const DEFAULT: Self = Self(75);

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        input.trim().parse::<u8>().map_err(|_| Self::refusal()).and_then(Self::try_from)
    }

    pub fn percent(self) -> u8 {
        self.0
    }

    /// Whether `attended` of `held` lectures is under the threshold (never before a lecture
    /// was held).
    pub fn at_risk(self, attended: u64, held: u64) -> bool {
        held > 0 && attended * 100 < u64::from(self.0) * held
    }

    fn refusal() -> Invalid {
        Invalid::new("At-risk threshold must be a percentage from 1 to 100.")
    }
}

impl TryFrom<u8> for RiskThreshold {
    type Error = Invalid;

    fn try_from(percent: u8) -> Result<Self, Invalid> {
        if (1..=100).contains(&percent) { Ok(Self(percent)) } else { Err(Self::refusal()) }
    }
}

/// Lectures a student is expected to attend in a term, the percentage's denominator: 1 to
/// the 13 lectures a term can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExpectedLessons(u32);

impl ExpectedLessons {
    pub const DEFAULT: Self = Self(12);

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        input.trim().parse::<u32>().map_err(|_| Self::refusal()).and_then(Self::try_from)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    fn refusal() -> Invalid {
        Invalid(format!(
            "Expected lessons must be a whole number of lectures per term from 1 to {}.",
            super::SessionNumber::MAX
        ))
    }
}

impl TryFrom<u32> for ExpectedLessons {
    type Error = Invalid;

    fn try_from(n: u32) -> Result<Self, Invalid> {
        if (1..=u32::from(super::SessionNumber::MAX)).contains(&n) {
            Ok(Self(n))
        } else {
            Err(Self::refusal())
        }
    }
}

/// A lecture's date: a real calendar date from 2000 to 2100 (a typo such as 0225 or 20255 is
/// refused, not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LectureDate(Date);

impl LectureDate {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let input = input.trim();
        if input.is_empty() {
            return Err(Invalid::new("Date is required."));
        }
        input.parse::<Date>().map_err(|_| Self::refusal()).and_then(Self::try_from)
    }

    pub fn get(self) -> Date {
        self.0
    }

    fn refusal() -> Invalid {
        Invalid::new("Date must be a date such as 2025-09-01.")
    }
}

impl TryFrom<Date> for LectureDate {
    type Error = Invalid;

    fn try_from(date: Date) -> Result<Self, Invalid> {
        if (2000..=2100).contains(&date.year()) { Ok(Self(date)) } else { Err(Self::refusal()) }
    }
}

impl std::fmt::Display for RiskThreshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for LectureDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_after_is_zero_to_four_hours_and_fifteen_by_default() {
        assert_eq!(LateAfter::parse("").expect("default"), LateAfter::DEFAULT);
        assert_eq!(LateAfter::parse(" 0 ").expect("0").minutes(), 0);
        assert_eq!(LateAfter::parse("240").expect("240").minutes(), 240);
        for input in ["241", "-1", "1.5", "x", "99999999999", "%2F"] {
            assert!(LateAfter::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn risk_thresholds_are_percentages_of_lectures_held() {
        let t = RiskThreshold::parse("75").expect("75");
        assert!(!t.at_risk(0, 0), "nothing held yet");
        assert!(!t.at_risk(3, 4), "exactly 75%");
        assert!(t.at_risk(2, 4));
        assert!(!RiskThreshold::parse("50").expect("50").at_risk(2, 4));
        for input in ["0", "101", "", "-5", "7.5", "300"] {
            assert!(RiskThreshold::parse(input).is_err(), "{input:?}");
        }
        assert!(RiskThreshold::try_from(0).is_err(), "a stored 0 does not parse either");
    }

    #[test]
    fn a_term_expects_one_to_thirteen_lectures() {
        assert_eq!(ExpectedLessons::parse("12").expect("12"), ExpectedLessons::DEFAULT);
        assert_eq!(ExpectedLessons::parse("13").expect("13").get(), 13);
        for input in ["0", "14", "", "x", "-1"] {
            assert!(ExpectedLessons::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn lecture_dates_are_real_dates_of_this_century_or_so() {
        assert_eq!(LectureDate::parse(" 2025-09-01 ").expect("date").get(), jiff::civil::date(2025, 9, 1));
        assert_eq!(LectureDate::parse("").map_err(|e| e.0), Err("Date is required.".to_owned()));
        for input in ["1999-12-31", "2101-01-01", "2025-02-30", "01/09/2025", "0225-09-01", "x"] {
            assert!(LectureDate::parse(input).is_err(), "{input:?}");
        }
    }
}
