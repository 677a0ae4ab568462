//! How records read on a page: dates, times, lecture labels, percentages.

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::domain::Instant;
use crate::model::{Availability, Opening, Session};

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
    /// Taking marks right now.
    pub is_active: bool,
    /// "Open until 11:00", "Opens 09:45", "Closed", "Cancelled".
    pub availability: String,
    /// `open`, `waiting`, `closed` or `cancelled`: the badge's style.
    pub state: &'static str,
    /// Closed by hand, kept open by hand, or following its window: which buttons to offer.
    pub closed_by_hand: bool,
    pub kept_open: bool,
    pub cancelled: bool,
    pub window_opens: String,
    pub window_closes: String,
    pub rotating: bool,
    pub late_after_minutes: u32,
    pub attendance_count: Option<u64>,
}

impl SessionSummary {
    /// `session` as seen at `now` in `tz`.
    pub fn new(
        session: &Session,
        attendance_count: Option<u64>,
        now: jiff::Timestamp,
        tz: &TimeZone,
    ) -> Self {
        let availability = session.availability(now, tz);
        let short = |at: &jiff::Zoned| {
            if at.date() == now.to_zoned(tz.clone()).date() {
                at.strftime("%H:%M").to_string()
            } else {
                at.strftime("%-d %b %H:%M").to_string()
            }
        };
        let closes = session.window.closes().to_zoned(tz.clone()).ok();
        let (state, label) = match &availability {
            Availability::Open if session.opening == Opening::KeepOpen => {
                ("open", "Open until closed".to_owned())
            }
            Availability::Open => {
                ("open", format!("Open until {}", closes.as_ref().map(short).unwrap_or_default()))
            }
            Availability::NotYet { opens } => ("waiting", format!("Opens {}", short(opens))),
            Availability::Closed { at: Some(at) } => ("closed", format!("Closed at {}", short(at))),
            Availability::Closed { at: None } => ("closed", "Closed".to_owned()),
            Availability::Cancelled => ("cancelled", "Cancelled".to_owned()),
        };
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
            is_active: availability == Availability::Open,
            availability: label,
            state,
            closed_by_hand: session.opening == Opening::Closed,
            kept_open: session.opening == Opening::KeepOpen,
            cancelled: session.cancelled,
            window_opens: session.window.opens().to_zoned(tz.clone()).map(|z| short(&z)).unwrap_or_default(),
            window_closes: closes.as_ref().map(short).unwrap_or_default(),
            rotating: session.qr_mode == crate::model::QrMode::Rotating,
            late_after_minutes: session.late_after.minutes(),
            attendance_count,
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

/// A link to a page's other terms.
#[derive(Debug, Serialize)]
pub struct TermLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}
