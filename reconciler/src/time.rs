//! The one place where Firestore's time values become PostgreSQL's, and back. Every conversion
//! is fallible: a value PostgreSQL cannot hold rejects its document instead of defaulting.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

#[derive(Debug, thiserror::Error)]
#[error("{0} cannot be stored in PostgreSQL")]
pub struct OutOfRange(String);

/// An instant at PostgreSQL's precision (microseconds; Firestore keeps no more).
pub fn instant(t: jiff::Timestamp) -> Result<DateTime<Utc>, OutOfRange> {
    let micros = t.as_microsecond();
    DateTime::from_timestamp_micros(micros).ok_or_else(|| OutOfRange(t.to_string()))
}

pub fn optional(t: Option<jiff::Timestamp>) -> Result<Option<DateTime<Utc>>, OutOfRange> {
    t.map(instant).transpose()
}

/// A PostgreSQL instant as Firestore's (for queries such as "changed since").
pub fn to_firestore(t: DateTime<Utc>) -> Result<jiff::Timestamp, OutOfRange> {
    jiff::Timestamp::from_microsecond(t.timestamp_micros()).map_err(|_| OutOfRange(t.to_rfc3339()))
}

pub fn date(d: jiff::civil::Date) -> Result<NaiveDate, OutOfRange> {
    NaiveDate::from_ymd_opt(
        i32::from(d.year()),
        u32::from(d.month().unsigned_abs()),
        u32::from(d.day().unsigned_abs()),
    )
    .ok_or_else(|| OutOfRange(d.to_string()))
}

pub fn time(t: jiff::civil::Time) -> Result<NaiveTime, OutOfRange> {
    NaiveTime::from_hms_opt(
        u32::from(t.hour().unsigned_abs()),
        u32::from(t.minute().unsigned_abs()),
        u32::from(t.second().unsigned_abs()),
    )
    .ok_or_else(|| OutOfRange(t.to_string()))
}

/// A local civil date and time (a session's attendance window), without a zone.
pub fn datetime(dt: jiff::civil::DateTime) -> Result<NaiveDateTime, OutOfRange> {
    Ok(NaiveDateTime::new(date(dt.date())?, time(dt.time())?))
}

/// A delay as PostgreSQL stores it: whole milliseconds (an `interval` refuses nanoseconds).
pub fn delay_ms(delay: std::time::Duration) -> i64 {
    i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_keep_microseconds_and_drop_nanoseconds() {
        let t = jiff::Timestamp::new(1_756_713_600, 123_456_789).expect("ts");
        let pg = instant(t).expect("in range");
        assert_eq!(pg.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(
            to_firestore(pg).expect("back"),
            jiff::Timestamp::new(1_756_713_600, 123_456_000).expect("ts")
        );
    }

    #[test]
    fn civil_values_convert_exactly() {
        let d = jiff::civil::date(2025, 9, 1);
        assert_eq!(date(d).expect("date").to_string(), "2025-09-01");
        assert_eq!(time(jiff::civil::time(8, 5, 0, 0)).expect("time").to_string(), "08:05:00");
        let opens = jiff::civil::date(2025, 9, 1).at(7, 45, 0, 0);
        assert_eq!(datetime(opens).expect("datetime").to_string(), "2025-09-01 07:45:00");
    }

    #[test]
    fn a_jittered_delay_becomes_whole_milliseconds() {
        assert_eq!(delay_ms(std::time::Duration::new(61, 999_999_999)), 61_999);
    }
}
