//! How records read on a page: dates, times, lecture labels, percentages.

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::domain::Instant;
use crate::model::{AttendanceRecord, Session};

/// "Mon 1 Sep 2025".
pub fn date(date: jiff::civil::Date) -> String {
    date.strftime("%a %-d %b %Y").to_string()
}

/// "08:00".
pub fn time(time: jiff::civil::Time) -> String {
    time.strftime("%H:%M").to_string()
}

/// An instant as local wall-clock time, "08:03:12".
pub fn clock(instant: Instant, tz: &TimeZone) -> String {
    instant.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string()
}

/// "S1 Lec 3".
pub fn lecture_label(session: &Session) -> String {
    format!("S{} {}", session.term.semester.number(), session.number)
}

/// `attended / of` as a percentage with two decimals ("8.33"); "0.00" when `of` is zero.
pub fn percentage(attended: u64, of: u64) -> String {
    if of == 0 {
        return "0.00".into();
    }
    format!("{:.2}", attended as f64 * 100.0 / of as f64)
}

/// A session as the lists and the header show it.
#[derive(Debug, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub unit_code: String,
    pub label: String,
    pub number: u8,
    pub term: String,
    pub date: String,
    pub iso_date: String,
    pub start: String,
    pub end: String,
    pub venue: String,
    pub lecturer_name: String,
    pub class_year: u8,
    pub is_active: bool,
    pub rotating: bool,
    pub late_after_minutes: u32,
    pub attendance_count: Option<u64>,
}

impl SessionSummary {
    pub fn new(session: &Session, attendance_count: Option<u64>) -> Self {
        Self {
            id: session.id.to_string(),
            unit_code: session.unit_code.to_string(),
            label: lecture_label(session),
            number: session.number.get(),
            term: session.term.to_string(),
            date: date(session.date),
            iso_date: session.date.to_string(),
            start: time(session.times.start()),
            end: time(session.times.end()),
            venue: session.venue.to_string(),
            lecturer_name: session.lecturer_name.to_string(),
            class_year: session.class_year.get(),
            is_active: session.is_active,
            rotating: session.qr_mode == crate::model::QrMode::Rotating,
            late_after_minutes: session.late_after_minutes,
            attendance_count,
        }
    }
}

/// One row of a session's attendance list (also the live JSON).
#[derive(Debug, Serialize)]
pub struct MarkRow {
    pub name: String,
    pub admission_number: String,
    pub time: String,
    pub status: &'static str,
    /// The name on record when the typed one differs: shown as a flag.
    pub known_name: Option<String>,
}

impl MarkRow {
    pub fn new(record: &AttendanceRecord, tz: &TimeZone) -> Self {
        Self {
            name: record.student_name.to_string(),
            admission_number: record.admission_number.to_string(),
            time: clock(record.marked_at, tz),
            status: record.status.as_str(),
            known_name: record.known_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_two_decimals() {
        assert_eq!(percentage(1, 12), "8.33");
        assert_eq!(percentage(2, 12), "16.67");
        assert_eq!(percentage(3, 12), "25.00");
        assert_eq!(percentage(12, 12), "100.00");
        assert_eq!(percentage(1, 0), "0.00");
    }

    #[test]
    fn dates_read_naturally() {
        assert_eq!(date(jiff::civil::date(2025, 9, 1)), "Mon 1 Sep 2025");
        assert_eq!(time(jiff::civil::time(8, 5, 0, 0)), "08:05");
    }
}
