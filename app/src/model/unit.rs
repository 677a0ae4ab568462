use crate::domain::{Instant, UnitCode, UnitDescription, UnitName, Username};

#[derive(Debug, Clone)]
pub struct Unit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    /// Lectures a student is expected to attend per term: the percentage's denominator.
    pub expected_lessons: u32,
    pub created_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: UnitCode,
    pub name: UnitName,
    pub description: UnitDescription,
    pub lecturer: Username,
    pub expected_lessons: u32,
}
