//! What a heard change means for the page, decided on typed state: a mark that is new, changed
//! or only heard again; a listed student moving between the absent list and the marks; a
//! session whose shown state changed. Pure, so each case is a unit test; the watch renders.

use std::ops::RangeInclusive;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::model::{AttendanceRecord, Availability, MarkSource, Opening, Session, Window};

/// A mark as heard, against what the watch knew of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkChange {
    /// No mark of this student was known: a new row.
    pub new: bool,
    /// The known mark was removed (and this one may not be).
    pub was_removed: bool,
    pub removed: bool,
    /// The versions whose history records to read: those a lecturer's change wrote, after the
    /// version known (a student's own first mark has none).
    pub history: RangeInclusive<u32>,
}

/// `None` when the mark was heard again unchanged (a listener re-delivers documents).
pub fn mark(known: Option<&AttendanceRecord>, heard: &AttendanceRecord) -> Option<MarkChange> {
    if known
        .is_some_and(|k| k.version == heard.version && k.removed == heard.removed && k.status == heard.status)
    {
        return None;
    }
    let after = known.map_or(0, |k| k.version);
    let first = if after == 0 && heard.source == MarkSource::Qr { 2 } else { after + 1 };
    Some(MarkChange {
        new: known.is_none(),
        was_removed: known.is_some_and(|k| k.removed),
        removed: heard.removed,
        history: first..=heard.version,
    })
}

/// How a class-list student's place on the page moves with a mark change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentMove {
    /// Removed: back on the absent list.
    Add,
    /// Marked (first, or restored): off the absent list.
    Remove,
}

pub fn absent_move(listed: bool, change: &MarkChange) -> Option<AbsentMove> {
    match (listed, change.removed) {
        (true, true) => Some(AbsentMove::Add),
        (true, false) if change.new || change.was_removed => Some(AbsentMove::Remove),
        _ => None,
    }
}

/// What the page shows of a session's state: changes to anything else (a QR mode, a venue)
/// are no event.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionShown {
    availability: Availability,
    opening: Opening,
    window: Window,
}

impl SessionShown {
    pub fn of(session: &Session, now: Timestamp, tz: &TimeZone) -> Self {
        Self { availability: session.availability(now, tz), opening: session.opening, window: session.window }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::MarkStatus;

    fn heard(version: u32, status: MarkStatus, removed: bool, source: MarkSource) -> AttendanceRecord {
        AttendanceRecord {
            version,
            removed,
            source,
            ..crate::samples::record("ADM/1", status).expect("record")
        }
    }

    #[test]
    fn a_mark_heard_again_unchanged_is_no_change() {
        let first = heard(1, MarkStatus::Present, false, MarkSource::Qr);
        assert_eq!(mark(Some(&first), &first), None);
    }

    #[test]
    fn a_new_scan_has_no_history_and_a_new_hand_mark_has_its_first() {
        let scan = mark(None, &heard(1, MarkStatus::Present, false, MarkSource::Qr)).expect("new");
        assert!(scan.new && scan.history.is_empty());
        let by_hand = mark(None, &heard(1, MarkStatus::Excused, false, MarkSource::Lecturer)).expect("new");
        assert_eq!(by_hand.history, 1..=1);
        let corrected_twice =
            mark(None, &heard(3, MarkStatus::Late, false, MarkSource::Qr)).expect("new here");
        assert_eq!(corrected_twice.history, 2..=3, "the scan's own v1 has no record");
    }

    #[test]
    fn changes_read_the_history_written_since_the_version_known() {
        let known = heard(2, MarkStatus::Late, false, MarkSource::Qr);
        let removed = mark(Some(&known), &heard(4, MarkStatus::Late, true, MarkSource::Qr)).expect("changed");
        assert_eq!(removed.history, 3..=4);
        assert_eq!(absent_move(true, &removed), Some(AbsentMove::Add));
        assert_eq!(absent_move(false, &removed), None, "not on the list: no absent row");
        let was = heard(4, MarkStatus::Late, true, MarkSource::Qr);
        let restored = mark(Some(&was), &heard(5, MarkStatus::Late, false, MarkSource::Qr)).expect("changed");
        assert_eq!(absent_move(true, &restored), Some(AbsentMove::Remove));
        let status_only =
            mark(Some(&known), &heard(3, MarkStatus::Excused, false, MarkSource::Qr)).expect("changed");
        assert_eq!(absent_move(true, &status_only), None, "still marked");
    }
}
