//! Whether a watch's listener is live. A listener whose stream broke says nothing, so silence
//! is checked with a ping (one read) once it lasts [`QUIET`]; while Firestore is found down the
//! pings back off (one tick, two, four, ... up to a minute) until it answers. Pure: the watch
//! asks what to do and reports what happened, on the app's clock.

use jiff::{SignedDuration, Timestamp};

/// How long a listener may be silent before a ping checks that Firestore still answers.
pub const QUIET: SignedDuration = SignedDuration::from_secs(30);
/// The longest wait between pings while Firestore is down.
const MAX_GAP: SignedDuration = SignedDuration::from_mins(1);

#[derive(Debug, Clone)]
pub struct Liveness {
    live: bool,
    /// When the listener (or a ping) last showed Firestore answering.
    last_heard: Timestamp,
    /// While down: the next ping, and the growing gap between pings.
    next_ping: Timestamp,
    gap: SignedDuration,
    /// The watch's tick: the first gap.
    tick: SignedDuration,
}

impl Liveness {
    /// Live (a watch starts once its listener delivered a first snapshot), ticking every `tick`.
    pub fn new(now: Timestamp, tick: SignedDuration) -> Self {
        Self { live: true, last_heard: now, next_ping: now, gap: SignedDuration::ZERO, tick }
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    /// The listener said something at `now`.
    pub fn heard(&mut self, now: Timestamp) {
        self.last_heard = now;
    }

    /// The listener caught up ("current"): it is live. `true` when that is news.
    pub fn caught_up(&mut self, now: Timestamp) -> bool {
        self.heard(now);
        self.gap = SignedDuration::ZERO;
        !std::mem::replace(&mut self.live, true)
    }

    /// Whether to ping now: live but quiet for [`QUIET`], or down and the back-off is over.
    pub fn ping_due(&self, now: Timestamp) -> bool {
        if self.live { now.duration_since(self.last_heard) >= QUIET } else { self.next_ping <= now }
    }

    /// A ping's answer at `now`; `Some(live)` when the state changed.
    pub fn pinged(&mut self, answered: bool, now: Timestamp) -> Option<bool> {
        if answered {
            self.last_heard = now;
            self.gap = SignedDuration::ZERO;
        } else {
            self.gap = (self.gap * 2).max(self.tick).min(MAX_GAP);
            self.next_ping = now + self.gap;
        }
        (std::mem::replace(&mut self.live, answered) != answered).then_some(answered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: SignedDuration = SignedDuration::from_secs(5);

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).expect("timestamp")
    }

    #[test]
    fn a_quiet_listener_is_pinged_and_a_chatty_one_is_not() {
        let mut live = Liveness::new(at(0), TICK);
        assert!(!live.ping_due(at(29)));
        live.heard(at(20));
        assert!(!live.ping_due(at(49)), "heard from since");
        assert!(live.ping_due(at(50)));
        assert_eq!(live.pinged(true, at(50)), None, "still live: no news");
        assert!(!live.ping_due(at(60)));
    }

    #[test]
    fn while_down_pings_back_off_to_a_minute_and_the_return_is_news() {
        let mut live = Liveness::new(at(0), TICK);
        assert_eq!(live.pinged(false, at(30)), Some(false), "down is news");
        let mut now = 30;
        let mut gaps = Vec::new();
        for _ in 0..6 {
            let next = (now..).find(|s| live.ping_due(at(*s))).expect("a next ping");
            gaps.push(next - now);
            now = next;
            assert_eq!(live.pinged(false, at(now)), None, "still down: no news");
        }
        assert_eq!(gaps, [5, 10, 20, 40, 60, 60]);
        assert_eq!(live.pinged(true, at(now + 60)), Some(true), "back");
        assert!(live.is_live());
    }

    #[test]
    fn catching_up_is_news_only_after_being_down() {
        let mut live = Liveness::new(at(0), TICK);
        assert!(!live.caught_up(at(1)));
        live.pinged(false, at(40));
        assert!(live.caught_up(at(41)), "the listener is back before the next ping");
        assert!(!live.ping_due(at(42)));
    }
}
