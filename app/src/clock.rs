//! The app's notion of "now". Production reads the system clock; tests move a clock of their
//! own to a lecture's start or past its window instead of sleeping until then.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// The system time plus an offset that only tests ever change. Cloning shares the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ns: Arc<AtomicI64>,
    /// Woken whenever the offset changes, so a [`Clock::sleep_until`] sees a moved clock.
    moved: Arc<tokio::sync::Notify>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_nanos(self.offset_ns.load(Ordering::Relaxed));
        Timestamp::now().checked_add(offset).unwrap_or_else(|_| Timestamp::now())
    }

    /// Seconds since the Unix epoch, as the signed tokens carry them.
    pub fn now_secs(&self) -> i64 {
        self.now().as_second()
    }

    /// Makes "now" read `at` (and time goes on from there).
    pub fn set(&self, at: Timestamp) {
        let offset = at.duration_since(Timestamp::now());
        // Nanoseconds, exactly: a rounded offset would read a moment before the time set.
        self.offset_ns.store(offset.as_nanos() as i64, Ordering::Relaxed);
        self.moved.notify_waiters();
    }

    /// Moves "now" forward (or back, with a negative duration).
    pub fn advance(&self, by: SignedDuration) {
        self.offset_ns.fetch_add(by.as_nanos() as i64, Ordering::Relaxed);
        self.moved.notify_waiters();
    }

    /// Waits until "now" reads `at` or later: as time passes, or at once when a test moves the
    /// clock past it.
    pub async fn sleep_until(&self, at: Timestamp) {
        loop {
            // Made before the check: a move between the check and the wait still wakes it.
            let moved = self.moved.notified();
            let left = at.duration_since(self.now());
            let Ok(left) = std::time::Duration::try_from(left) else { return };
            if left.is_zero() {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(left) => {}
                () = moved => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_reads_the_set_time_and_goes_on() {
        let clock = Clock::system();
        let shared = clock.clone();
        let target: Timestamp = "2025-09-01T08:00:00Z".parse().expect("timestamp");
        clock.set(target);
        let read = shared.now();
        assert!(read >= target && read.duration_since(target) < SignedDuration::from_secs(5), "{read}");
        shared.advance(SignedDuration::from_hours(2));
        assert!(clock.now() >= target + SignedDuration::from_hours(2));
    }

    #[tokio::test]
    async fn a_sleep_ends_when_the_clock_is_moved_past_it() {
        let clock = Clock::system();
        let at = clock.now() + SignedDuration::from_hours(1);
        let sleeping = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_until(at).await }
        });
        tokio::task::yield_now().await;
        clock.advance(SignedDuration::from_mins(59));
        tokio::task::yield_now().await;
        assert!(!sleeping.is_finished(), "not yet");
        clock.advance(SignedDuration::from_mins(2));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleeping)
            .await
            .expect("woken")
            .expect("join");
    }

    #[test]
    fn the_system_clock_is_the_system_time() {
        let drift = Clock::system().now().duration_since(Timestamp::now()).abs();
        assert!(drift < SignedDuration::from_secs(1));
    }
}
