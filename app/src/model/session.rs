use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};

use super::MarkStatus;
use crate::domain::Invalid;

use crate::domain::{
    ClassYear, FullName, Instant, LateAfter, LectureDate, SessionId, SessionNumber, Term, TimeRange,
    UnitCode, Username, Venue,
};

/// How the session's QR code behaves: a printable code that never changes, or a projected code
/// that changes every few seconds so a photo shared in a group chat soon stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrMode {
    #[default]
    Static,
    Rotating,
}

impl QrMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Rotating => "rotating",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "static" => Some(Self::Static),
            "rotating" => Some(Self::Rotating),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: SessionId,
    pub unit_code: UnitCode,
    pub lecturer: Username,
    pub term: Term,
    pub number: SessionNumber,
    pub date: Date,
    pub times: TimeRange,
    pub venue: Venue,
    pub lecturer_name: FullName,
    pub class_year: ClassYear,
    /// Whether it follows its window, or the lecturer keeps it open or closed it.
    pub opening: Opening,
    /// Kept on record but did not take place: out of "held" and of every percentage.
    pub cancelled: bool,
    pub window: Window,
    pub qr_mode: QrMode,
    /// When after the start a mark counts as late.
    pub late_after: LateAfter,
    /// The attended count, once settled after the session closed.
    pub attended_count: Option<u32>,
    /// When it was last closed by hand, cancelled and restored.
    pub stamps: Stamps,
    /// Firestore's update time when read: a write based on this read names it.
    pub revision: Option<Instant>,
    pub created_at: Option<Instant>,
    pub updated_at: Option<Instant>,
}

/// When the lecturer last changed what a session takes. `closed_at` is the app's clock (a
/// pending mark's attempt time is compared with it); cancelling and restoring are Firestore's
/// server time, as marks are (the Portal's "percentage shown" is judged by them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamps {
    pub closed_at: Option<Instant>,
    pub cancelled_at: Option<Instant>,
    pub restored_at: Option<Instant>,
}

/// How the lecturer set a session's opening. Stored as two flags (`is_active`, `keep_open`),
/// of which this is the three combinations that mean something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Opening {
    /// Open during its attendance window (the default).
    #[default]
    FollowWindow,
    /// Open whatever the window says, until closed ("keep open").
    KeepOpen,
    /// Closed by hand ("close now"): no window reopens it.
    Closed,
}

impl Opening {
    /// From the stored flags: closed by hand wins over kept open.
    pub fn from_flags(is_active: bool, keep_open: bool) -> Self {
        match (is_active, keep_open) {
            (false, _) => Self::Closed,
            (true, true) => Self::KeepOpen,
            (true, false) => Self::FollowWindow,
        }
    }

    /// The stored `is_active` flag.
    pub fn is_active(self) -> bool {
        self != Self::Closed
    }

    /// The stored `keep_open` flag.
    pub fn keep_open(self) -> bool {
        self == Self::KeepOpen
    }

    /// The toggle form's `active` field: `0` close now, `1` keep open, `window` follow it.
    pub fn from_form(value: &str) -> Option<Self> {
        match value {
            "0" => Some(Self::Closed),
            "1" => Some(Self::KeepOpen),
            "window" => Some(Self::FollowWindow),
            _ => None,
        }
    }
}

/// When students may mark, in the app's local time: by default from 15 minutes before the
/// start to the end of the lecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    opens: DateTime,
    closes: DateTime,
}

impl Window {
    pub const OPENS_BEFORE: SignedDuration = SignedDuration::from_mins(15);

    pub fn new(opens: DateTime, closes: DateTime) -> Result<Self, Invalid> {
        if closes <= opens {
            return Err(Invalid::new("The attendance window must close after it opens."));
        }
        Ok(Self { opens, closes })
    }

    /// The default for a lecture on `date` at `times`.
    pub fn default_for(date: Date, times: TimeRange) -> Self {
        let start = date.to_datetime(times.start());
        let opens = start.checked_sub(Self::OPENS_BEFORE).unwrap_or(start);
        Self { opens, closes: date.to_datetime(times.end()) }
    }

    pub fn opens(self) -> DateTime {
        self.opens
    }

    pub fn closes(self) -> DateTime {
        self.closes
    }
}

/// Whether a student may mark now, and if not, why.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability {
    Open,
    /// The window has not opened yet.
    NotYet {
        opens: Zoned,
    },
    /// The window closed at `at`, or (with `None`) the lecturer closed the session.
    Closed {
        at: Option<Zoned>,
    },
    Cancelled,
}

impl Session {
    /// The session's availability at `now`, with its times read in `tz`.
    pub fn availability(&self, now: Timestamp, tz: &TimeZone) -> Availability {
        if self.cancelled {
            return Availability::Cancelled;
        }
        match self.opening {
            // An attempt made before the lecturer closed it (a pending mark) is judged by the
            // window as it was then.
            Opening::Closed if self.stamps.closed_at.is_none_or(|closed| now >= closed) => {
                return Availability::Closed { at: None };
            }
            Opening::Closed => {}
            Opening::KeepOpen => return Availability::Open,
            Opening::FollowWindow => {}
        }
        let (Ok(opens), Ok(closes)) =
            (self.window.opens.to_zoned(tz.clone()), self.window.closes.to_zoned(tz.clone()))
        else {
            return Availability::Closed { at: None };
        };
        if now < opens.timestamp() {
            Availability::NotYet { opens }
        } else if now >= closes.timestamp() {
            Availability::Closed { at: Some(closes) }
        } else {
            Availability::Open
        }
    }

    pub fn is_open(&self, now: Timestamp, tz: &TimeZone) -> bool {
        self.availability(now, tz) == Availability::Open
    }

    /// What a student's own scan at `now` earns: present, or late once the late threshold after
    /// the start has passed.
    pub fn status_at(&self, now: Timestamp, tz: &TimeZone) -> MarkStatus {
        let start = self.date.to_datetime(self.times.start()).to_zoned(tz.clone());
        let late_from =
            start.map(|s| s.timestamp() + SignedDuration::from_mins(i64::from(self.late_after.minutes())));
        match late_from {
            Ok(late_from) if now > late_from => MarkStatus::Late,
            _ => MarkStatus::Present,
        }
    }

    /// Whether the lecture's start time has passed: a lecture that has started counts as held
    /// (unless cancelled).
    pub fn has_started(&self, now: Timestamp, tz: &TimeZone) -> bool {
        self.date.to_datetime(self.times.start()).to_zoned(tz.clone()).is_ok_and(|s| now >= s.timestamp())
    }

    pub fn is_held(&self, now: Timestamp, tz: &TimeZone) -> bool {
        !self.cancelled && self.has_started(now, tz)
    }

    /// Whether its marks can no longer change but by a lecturer's correction: closed (by hand,
    /// by its window, or cancelled) for longer than a student's submit can take in flight.
    ///
    /// The one place a server time meets the app's clock: a session closed by hand or
    /// cancelled is judged by its `updated_at` (Firestore's time of that change). In production
    /// both are true time; a test that moves the app's clock far ahead only makes a closed
    /// session look settled sooner, never later.
    pub fn is_settled(&self, now: Timestamp, tz: &TimeZone) -> bool {
        const IN_FLIGHT: SignedDuration = SignedDuration::from_mins(2);
        let closed_at = match self.availability(now, tz) {
            Availability::Open | Availability::NotYet { .. } => return false,
            Availability::Cancelled | Availability::Closed { at: None } => self.updated_at,
            Availability::Closed { at: Some(at) } => Some(at.timestamp()),
        };
        closed_at.is_some_and(|at| now >= at + IN_FLIGHT)
    }
}

/// What a lecturer asks for; the store allocates the id and the lecture number.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub unit_code: UnitCode,
    pub lecturer: Username,
    pub term: Term,
    pub date: LectureDate,
    pub times: TimeRange,
    pub venue: Venue,
    pub lecturer_name: FullName,
    pub class_year: ClassYear,
    pub qr_mode: QrMode,
    pub late_after: LateAfter,
    /// `None`: the default window for the date and times.
    pub window: Option<Window>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AcademicYear, Semester};
    use jiff::civil::{date, time};

    fn lecture() -> Session {
        let times = TimeRange::new(time(10, 0, 0, 0), time(11, 0, 0, 0)).expect("times");
        Session {
            id: SessionId::new_random(),
            unit_code: UnitCode::parse("CS101").expect("code"),
            lecturer: Username::parse("jkamau").expect("user"),
            term: Term { year: AcademicYear::parse("2025/2026").expect("year"), semester: Semester::One },
            number: SessionNumber::try_from(1).expect("number"),
            date: date(2025, 9, 1),
            times,
            venue: Venue::parse("LT 2").expect("venue"),
            lecturer_name: FullName::parse("Dr. Jane Kamau").expect("name"),
            class_year: ClassYear::parse("2").expect("year"),
            opening: Opening::FollowWindow,
            cancelled: false,
            window: Window::default_for(date(2025, 9, 1), times),
            qr_mode: QrMode::Static,
            late_after: LateAfter::DEFAULT,
            attended_count: None,
            stamps: Stamps::default(),
            revision: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn at(clock: &str) -> Timestamp {
        format!("2025-09-01T{clock}:00+03:00[Africa/Nairobi]").parse::<Zoned>().expect("time").timestamp()
    }

    fn nairobi() -> TimeZone {
        TimeZone::get("Africa/Nairobi").expect("zone")
    }

    #[test]
    fn the_default_window_opens_fifteen_minutes_early_and_closes_at_the_end() {
        let session = lecture();
        let tz = nairobi();
        assert!(matches!(session.availability(at("09:44"), &tz), Availability::NotYet { .. }));
        assert_eq!(session.availability(at("09:45"), &tz), Availability::Open);
        assert_eq!(session.availability(at("10:59"), &tz), Availability::Open);
        match session.availability(at("11:00"), &tz) {
            Availability::Closed { at: Some(at) } => assert_eq!(at.strftime("%H:%M").to_string(), "11:00"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_lecturer_overrides_the_window_both_ways() {
        let tz = nairobi();
        let kept = Session { opening: Opening::KeepOpen, ..lecture() };
        assert_eq!(kept.availability(at("13:00"), &tz), Availability::Open);
        let closed = Session { opening: Opening::Closed, ..lecture() };
        assert_eq!(closed.availability(at("10:10"), &tz), Availability::Closed { at: None });
        let cancelled = Session { cancelled: true, opening: Opening::KeepOpen, ..lecture() };
        assert_eq!(cancelled.availability(at("10:10"), &tz), Availability::Cancelled);
    }

    #[test]
    fn an_attempt_made_before_close_now_is_judged_by_the_window_it_was_made_in() {
        let tz = nairobi();
        let stamps = Stamps { closed_at: Some(at("10:55")), ..Stamps::default() };
        let closed = Session { opening: Opening::Closed, stamps, ..lecture() };
        assert_eq!(closed.availability(at("10:30"), &tz), Availability::Open, "tried inside the window");
        assert!(
            matches!(closed.availability(at("09:30"), &tz), Availability::NotYet { .. }),
            "before it opened"
        );
        assert_eq!(closed.availability(at("10:55"), &tz), Availability::Closed { at: None });
        assert_eq!(closed.availability(at("10:56"), &tz), Availability::Closed { at: None });
    }

    #[test]
    fn a_scan_after_the_late_threshold_is_late() {
        let tz = nairobi();
        assert_eq!(lecture().status_at(at("09:50"), &tz), MarkStatus::Present);
        assert_eq!(lecture().status_at(at("10:15"), &tz), MarkStatus::Present);
        assert_eq!(lecture().status_at(at("10:16"), &tz), MarkStatus::Late);
    }

    #[test]
    fn a_lecture_is_held_once_started_unless_cancelled() {
        let tz = nairobi();
        assert!(!lecture().is_held(at("09:59"), &tz));
        assert!(lecture().is_held(at("10:00"), &tz));
        assert!(!Session { cancelled: true, ..lecture() }.is_held(at("12:00"), &tz));
    }

    #[test]
    fn the_stored_flags_read_as_one_opening() {
        for opening in [Opening::FollowWindow, Opening::KeepOpen, Opening::Closed] {
            assert_eq!(Opening::from_flags(opening.is_active(), opening.keep_open()), opening);
        }
        assert_eq!(Opening::from_flags(false, true), Opening::Closed, "closed by hand wins");
        assert_eq!(Opening::from_form("window"), Some(Opening::FollowWindow));
        assert_eq!(Opening::from_form("2"), None);
    }

    #[test]
    fn a_window_must_close_after_it_opens() {
        let opens = date(2025, 9, 1).at(10, 0, 0, 0);
        assert!(Window::new(opens, opens).is_err());
        assert!(Window::new(opens, date(2025, 9, 1).at(9, 0, 0, 0)).is_err());
        assert!(Window::new(opens, date(2025, 9, 1).at(10, 1, 0, 0)).is_ok());
    }
}
