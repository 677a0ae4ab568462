use crate::domain::{Instant, UnitCode, UnitDescription, UnitName, Username};

#[derive(Debug, Clone)]
pub struct Unit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    /// Lectures a student is expected to attend per term: the percentage's denominator.
    pub expected_lessons: u32,
    pub archived: bool,
    /// Percent of lectures held: a student below it is "at risk".
    pub risk_threshold: u8,
    pub created_at: Option<Instant>,
}

impl Unit {
    pub const DEFAULT_RISK_THRESHOLD: u8 = 75;

    /// Whether `attended` of `held` lectures is under this unit's threshold (never before a
    /// lecture was held).
    pub fn at_risk(&self, attended: u64, held: u64) -> bool {
        held > 0 && attended * 100 < u64::from(self.risk_threshold) * held
    }
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    pub expected_lessons: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_risk_is_under_the_threshold_of_lectures_held() {
        let unit = Unit {
            code: UnitCode::parse("CS101").expect("code"),
            name: UnitName::parse("Intro").expect("name"),
            description: UnitDescription::parse("").expect("desc"),
            lecturer: Username::parse("jkamau").expect("user"),
            expected_lessons: 12,
            archived: false,
            risk_threshold: 75,
            created_at: None,
        };
        assert!(!unit.at_risk(0, 0), "nothing held yet");
        assert!(!unit.at_risk(3, 4), "exactly 75%");
        assert!(unit.at_risk(2, 4));
        assert!(!Unit { risk_threshold: 50, ..unit }.at_risk(2, 4));
    }
}
