//! The events a watch has sent, kept for viewers that reconnect (`Last-Event-ID`) or poll
//! (`?since=`). Each id names the watch it came from (a random epoch) and its place in it, so
//! a cursor from another watch (a listener that stopped and started again, another instance
//! behind the balancer) is never taken for one of this watch's: the viewer gets exactly the
//! events it missed, or a fresh snapshot, never a silent gap.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// An event's id: `<epoch>-<sequence>`, the epoch in hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId {
    epoch: u64,
    seq: u64,
}

impl EventId {
    /// Reads a cursor a browser sent back; `None` for anything this app never wrote.
    pub fn parse(text: &str) -> Option<Self> {
        let (epoch, seq) = text.trim().split_once('-')?;
        Some(Self { epoch: u64::from_str_radix(epoch, 16).ok()?, seq: seq.parse().ok()? })
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:x}-{}", self.epoch, self.seq)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One Server-Sent Event: its id (a cursor), its name, and its JSON data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveEvent {
    pub id: EventId,
    pub kind: &'static str,
    pub data: serde_json::Value,
}

/// The latest events of one watch.
pub struct EventLog {
    epoch: u64,
    seq: u64,
    kept: VecDeque<Arc<LiveEvent>>,
    capacity: usize,
}

impl EventLog {
    /// A log keeping the latest `capacity` events, under a fresh random epoch.
    pub fn new(capacity: usize) -> Self {
        let epoch = uuid::Uuid::new_v4().as_u64_pair().0;
        Self { epoch, seq: 0, kept: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Adds the next event.
    pub fn push(&mut self, kind: &'static str, data: serde_json::Value) -> Arc<LiveEvent> {
        self.seq += 1;
        let event = Arc::new(LiveEvent { id: self.latest(), kind, data });
        self.kept.push_back(event.clone());
        if self.kept.len() > self.capacity {
            self.kept.pop_front();
        }
        event
    }

    /// The id a snapshot made now carries: a viewer that saw it resumes after every event so far.
    pub fn latest(&self) -> EventId {
        EventId { epoch: self.epoch, seq: self.seq }
    }

    /// The events after `cursor`, when it is one of this log's and none after it was dropped;
    /// `None` when the viewer needs a snapshot instead (no cursor, another watch's, too old, or
    /// from the future).
    pub fn since(&self, cursor: Option<EventId>) -> Option<Vec<Arc<LiveEvent>>> {
        let cursor = cursor.filter(|c| c.epoch == self.epoch && c.seq <= self.seq)?;
        let oldest_kept = self.kept.front().map_or(self.seq + 1, |e| e.id.seq);
        (cursor.seq + 1 >= oldest_kept)
            .then(|| self.kept.iter().filter(|e| e.id.seq > cursor.seq).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(n: usize, capacity: usize) -> EventLog {
        let mut log = EventLog::new(capacity);
        for i in 0..n {
            log.push("mark", serde_json::json!(i));
        }
        log
    }

    #[test]
    fn ids_round_trip_and_junk_is_no_cursor() {
        let log = log_of(3, 10);
        let id = log.latest();
        assert_eq!(EventId::parse(&id.to_string()), Some(id));
        for junk in ["", "7", "x-1", "1-x", "-", "1-2-3", "ffffffffffffffffff-1"] {
            assert_eq!(EventId::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn a_viewer_resumes_after_the_last_event_it_saw() {
        let log = log_of(5, 10);
        let snapshot_id = EventId { seq: 2, ..log.latest() };
        let missed = log.since(Some(snapshot_id)).expect("all kept");
        assert_eq!(missed.iter().map(|e| e.id.seq).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(log.since(Some(log.latest())).expect("up to date"), Vec::new());
        let from_zero = log.since(Some(EventId { seq: 0, ..log.latest() })).expect("from the start");
        assert_eq!(from_zero.len(), 5);
    }

    #[test]
    fn another_watchs_cursor_or_a_lost_stretch_gets_a_snapshot() {
        let log = log_of(5, 10);
        let restarted = log_of(9, 10);
        assert_eq!(restarted.since(Some(EventId { seq: 3, ..log.latest() })), None, "another epoch");
        assert_eq!(log.since(None), None, "no cursor");
        assert_eq!(log.since(Some(EventId { seq: 6, ..log.latest() })), None, "from the future");
        let overflowed = log_of(20, 10);
        let old = EventId { seq: 5, ..overflowed.latest() };
        assert_eq!(overflowed.since(Some(old)), None, "events 6 to 10 were dropped");
        let edge = EventId { seq: 10, ..overflowed.latest() };
        assert_eq!(overflowed.since(Some(edge)).expect("11 to 20 kept").len(), 10);
    }
}
