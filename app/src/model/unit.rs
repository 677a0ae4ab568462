use crate::domain::{ExpectedLessons, Instant, RiskThreshold, UnitCode, UnitDescription, UnitName, Username};

#[derive(Debug, Clone)]
pub struct Unit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    /// Lectures a student is expected to attend per term: the percentage's denominator.
    pub expected_lessons: ExpectedLessons,
    pub archived: bool,
    /// Percent of lectures held: a student below it is "at risk".
    pub risk_threshold: RiskThreshold,
    pub created_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    pub expected_lessons: ExpectedLessons,
}
