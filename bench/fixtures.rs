//! The units, lectures and marks the benchmarks load: one place to build them.

use attendance::domain::*;
use attendance::model::{MarkSource, MarkStatus, NewMark, NewSession, NewUnit, QrMode};
use jiff::civil::Date;

pub fn unit(code: &str) -> anyhow::Result<NewUnit> {
    Ok(NewUnit {
        code: UnitCode::parse(code)?,
        name: UnitName::parse("Benchmarking")?,
        description: UnitDescription::parse("")?,
        lecturer: Username::parse("bench")?,
        expected_lessons: 12,
    })
}

/// A lecture of `unit` on `date`, from `hour` for `hours` hours.
pub fn session(unit: &UnitCode, term: Term, date: Date, hour: i8, hours: i8) -> anyhow::Result<NewSession> {
    Ok(NewSession {
        unit_code: unit.clone(),
        lecturer: Username::parse("bench")?,
        term,
        date,
        times: TimeRange::new(jiff::civil::time(hour, 0, 0, 0), jiff::civil::time(hour + hours, 0, 0, 0))?,
        venue: Venue::parse("Main Hall")?,
        lecturer_name: FullName::parse("Dr. Bench")?,
        class_year: ClassYear::parse("1")?,
        qr_mode: QrMode::Static,
        late_after_minutes: 15,
    })
}

/// Student `i`'s mark under `admission`.
pub fn mark(admission: &str, i: usize) -> anyhow::Result<NewMark> {
    Ok(NewMark {
        admission_number: AdmissionNumber::parse(admission)?,
        student_name: StudentName::parse(&format!("Student {i}"))?,
        status: MarkStatus::Present,
        source: MarkSource::Qr,
        expected_lessons: 12,
    })
}
