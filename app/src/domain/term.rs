//! Academic terms: the academic year (`2025/2026`, which starts in August unless configured
//! otherwise) and the semester (1 or 2). Session numbers and percentages are per unit and term.

use jiff::civil::Date;

use super::Invalid;

/// The first month of the academic year (1–12); August by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearStart(i8);

impl YearStart {
    pub const AUGUST: Self = Self(8);

    pub fn new(month: i8) -> Result<Self, Invalid> {
        if (1..=12).contains(&month) {
            Ok(Self(month))
        } else {
            Err(Invalid::new("The academic year's first month must be 1–12."))
        }
    }
}

impl Default for YearStart {
    fn default() -> Self {
        Self::AUGUST
    }
}

/// An academic year, named by the calendar year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AcademicYear {
    first: i16,
}

impl AcademicYear {
    const RANGE: std::ops::RangeInclusive<i16> = 2000..=2100;

    /// Accepts `2025/2026` (and `2025-2026`, the form used in document ids).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("Academic year must look like 2025/2026.");
        let input = input.trim();
        let (a, b) = input.split_once(['/', '-']).ok_or_else(invalid)?;
        if a.len() != 4 || b.len() != 4 {
            return Err(invalid());
        }
        let first: i16 = a.parse().map_err(|_| invalid())?;
        let second: i16 = b.parse().map_err(|_| invalid())?;
        if second != first + 1 {
            return Err(Invalid::new("Academic year must be two consecutive years, such as 2025/2026."));
        }
        Self::starting(first)
    }

    pub fn starting(first: i16) -> Result<Self, Invalid> {
        if Self::RANGE.contains(&first) {
            Ok(Self { first })
        } else {
            Err(Invalid::new("Academic year must be between 2000/2001 and 2100/2101."))
        }
    }

    /// The academic year a date falls in; refused outside the supported years.
    pub fn containing(date: Date, start: YearStart) -> Result<Self, Invalid> {
        let first = if date.month() >= start.0 { date.year() } else { date.year() - 1 };
        Self::starting(first)
    }

    pub fn first_year(self) -> i16 {
        self.first
    }

    /// `2025-2026`: the form used inside document ids, which may not contain `/`.
    pub fn id_fragment(self) -> String {
        format!("{}-{}", self.first, self.first + 1)
    }
}

impl std::fmt::Display for AcademicYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.first, self.first + 1)
    }
}

impl serde::Serialize for AcademicYear {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "u8")]
pub enum Semester {
    One,
    Two,
}

impl Semester {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        match input.trim() {
            "1" => Ok(Self::One),
            "2" => Ok(Self::Two),
            _ => Err(Invalid::new("Semester must be 1 or 2.")),
        }
    }

    pub fn number(self) -> u8 {
        match self {
            Self::One => 1,
            Self::Two => 2,
        }
    }
}

impl TryFrom<i64> for Semester {
    type Error = Invalid;

    fn try_from(n: i64) -> Result<Self, Invalid> {
        match n {
            1 => Ok(Self::One),
            2 => Ok(Self::Two),
            _ => Err(Invalid::new("Semester must be 1 or 2.")),
        }
    }
}

impl From<Semester> for u8 {
    fn from(s: Semester) -> u8 {
        s.number()
    }
}

impl std::fmt::Display for Semester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

/// One semester of one academic year: the scope of session numbers and percentages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Term {
    pub year: AcademicYear,
    pub semester: Semester,
}

impl Term {
    /// `2025-2026_1`: the form used inside document ids.
    pub fn id_fragment(self) -> String {
        format!("{}_{}", self.year.id_fragment(), self.semester.number())
    }

    /// `2025-2026_S1`: the term's part of a downloaded file's name.
    pub fn file_stem(self) -> String {
        format!("{}_S{}", self.year.id_fragment(), self.semester)
    }
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} semester {}", self.year, self.semester)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn academic_year_parses_both_separators() {
        let y = AcademicYear::parse("2025/2026").expect("ok");
        assert_eq!(y.to_string(), "2025/2026");
        assert_eq!(y.id_fragment(), "2025-2026");
        assert_eq!(AcademicYear::parse(" 2025-2026 ").expect("ok"), y);
    }

    #[test]
    fn academic_year_refuses_nonsense() {
        for input in [
            "",
            "2025",
            "2025/2027",
            "2026/2025",
            "25/26",
            "2025/2026/2027",
            "../..",
            "%2F",
            "٢٠٢٥/٢٠٢٦",
            "1999/2000",
            "2025/2026\u{0000}",
        ] {
            assert!(AcademicYear::parse(input).is_err(), "{input:?}");
        }
        assert!(AcademicYear::parse(&"9".repeat(10 * 1024)).is_err());
    }

    #[test]
    fn academic_year_derives_from_date_with_configurable_start() {
        let aug = YearStart::AUGUST;
        let year = |d, s| AcademicYear::containing(d, s).expect("in range").to_string();
        assert_eq!(year(date(2025, 8, 1), aug), "2025/2026");
        assert_eq!(year(date(2026, 7, 31), aug), "2025/2026");
        assert_eq!(year(date(2026, 1, 15), aug), "2025/2026");
        let sept = YearStart::new(9).expect("month");
        assert_eq!(year(date(2025, 8, 31), sept), "2024/2025");
        let jan = YearStart::new(1).expect("month");
        assert_eq!(year(date(2026, 1, 1), jan), "2026/2027");
        assert!(AcademicYear::containing(date(2000, 3, 1), aug).is_err(), "1999/2000 is out of range");
        assert!(YearStart::new(13).is_err());
        assert!(YearStart::new(0).is_err());
    }

    #[test]
    fn semester_is_one_or_two() {
        assert_eq!(Semester::parse("1").expect("1"), Semester::One);
        assert_eq!(Semester::parse(" 2 ").expect("2"), Semester::Two);
        for input in ["", "0", "3", "one", "1.0", "-1", "１"] {
            assert!(Semester::parse(input).is_err(), "{input:?}");
        }
        assert_eq!(Semester::try_from(2).expect("2"), Semester::Two);
        assert!(Semester::try_from(7).is_err());
    }

    #[test]
    fn term_id_fragment_has_no_slash() {
        let term = Term { year: AcademicYear::parse("2025/2026").expect("ok"), semester: Semester::Two };
        assert_eq!(term.id_fragment(), "2025-2026_2");
    }
}
