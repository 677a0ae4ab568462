//! The units, lectures and marks the benchmarks load, from the app's shared sample builders.

use attendance::domain::{Term, UnitCode};
use attendance::model::{NewMark, NewSession, NewUnit};
use attendance::samples;
use jiff::civil::{Date, time};

pub fn unit(code: &str) -> anyhow::Result<NewUnit> {
    Ok(samples::unit(code, "bench")?)
}

/// A lecture of `unit` on `date`, from `hour` for `hours` hours.
pub fn session(unit: &UnitCode, term: Term, date: Date, hour: i8, hours: i8) -> anyhow::Result<NewSession> {
    let (start, end) = (time(hour, 0, 0, 0), time(hour + hours, 0, 0, 0));
    Ok(samples::session(unit.as_str(), "bench", term, date, start, end)?)
}

/// Student `i`'s mark under `admission`.
pub fn mark(admission: &str, i: usize) -> anyhow::Result<NewMark> {
    Ok(samples::mark(admission, &format!("Student {i}"))?)
}
