//! A cap on marks per client network per session: far above any lecture hall behind one NAT
//! address, far below a script filling in a class list. Only marks that were created count
//! (a resubmission, an "already marked" or a refusal spends nothing), so hammering the form
//! cannot lock a hall out. Kept in memory per app instance (a Firestore counter would be one
//! hot document per hall): with N instances the cap is N times this, still a bound.
//!
//! Memory is bounded: at most [`MAX_ENTRIES`] (session, network) pairs, forgotten oldest
//! first once they are [`KEEP_FOR`] old or the table is full, each step O(1) under the lock
//! however many networks there are. A forgotten pair starts again from zero: a flood of new
//! networks can weaken the cap for old entries, never refuse a mark.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::SessionId;

/// Entries older than this are forgotten: a lecture is over by then.
const KEEP_FOR: Duration = Duration::from_secs(6 * 3600);
/// About 40 bytes each: 200,000 pairs are under 16 MiB, whatever arrives.
pub const MAX_ENTRIES: usize = 200_000;

pub struct MarkBudget {
    per_network: u32,
    /// Keys are a keyed hash of (session, network): fixed size, and not chosen by a client.
    hasher: RandomState,
    table: Mutex<Table>,
}

struct Table {
    used: HashMap<u64, u32>,
    /// Every key of `used`, once, in the order it arrived.
    arrivals: VecDeque<(Instant, u64)>,
}

impl MarkBudget {
    pub fn new(per_network: u32) -> Self {
        // Room for twice the bound: the map then reuses the slots of forgotten pairs in place
        // instead of growing to the next size when they pile up.
        let table = Table {
            used: HashMap::with_capacity(2 * MAX_ENTRIES),
            arrivals: VecDeque::with_capacity(MAX_ENTRIES),
        };
        Self { per_network, hasher: RandomState::new(), table: Mutex::new(table) }
    }

    fn key(&self, session: SessionId, network: &str) -> u64 {
        self.hasher.hash_one((session, network))
    }

    /// Whether the network may make another mark in this session.
    pub fn has_room(&self, session: SessionId, network: &str) -> bool {
        let key = self.key(session, network);
        let mut table = self.lock();
        table.forget_old(Instant::now());
        table.used.get(&key).is_none_or(|used| *used < self.per_network)
    }

    /// Counts a mark the network created in this session.
    pub fn spend(&self, session: SessionId, network: &str) {
        let key = self.key(session, network);
        let now = Instant::now();
        let mut table = self.lock();
        table.forget_old(now);
        match table.used.get_mut(&key) {
            Some(used) => *used = used.saturating_add(1),
            None => {
                if table.used.len() >= MAX_ENTRIES {
                    table.forget_oldest();
                }
                table.used.insert(key, 1);
                table.arrivals.push_back((now, key));
            }
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_network
    }

    /// How many pairs are remembered (for the benchmark).
    pub fn remembered(&self) -> usize {
        self.lock().used.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Table {
    fn forget_old(&mut self, now: Instant) {
        while let Some((since, _)) = self.arrivals.front()
            && now.duration_since(*since) >= KEEP_FOR
        {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, key)) = self.arrivals.pop_front() {
            self.used.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_network_has_its_own_budget_per_session_and_only_spending_counts() {
        let budget = MarkBudget::new(2);
        let (a, b) = (SessionId::new_random(), SessionId::new_random());
        for _ in 0..10 {
            assert!(budget.has_room(a, "203.0.113.7"), "looking spends nothing");
        }
        budget.spend(a, "203.0.113.7");
        budget.spend(a, "203.0.113.7");
        assert!(!budget.has_room(a, "203.0.113.7"), "the third is refused");
        assert!(budget.has_room(a, "198.51.100.1"), "another network");
        assert!(budget.has_room(b, "203.0.113.7"), "another session");
    }

    #[test]
    fn a_full_table_forgets_its_oldest_pair_and_stays_full() {
        let budget = MarkBudget::new(1);
        let session = SessionId::new_random();
        budget.spend(session, "first");
        assert!(!budget.has_room(session, "first"));
        for i in 0..MAX_ENTRIES {
            budget.spend(session, &format!("n{i}"));
        }
        assert_eq!(budget.remembered(), MAX_ENTRIES);
        assert!(budget.has_room(session, "first"), "the oldest was forgotten");
        assert!(!budget.has_room(session, &format!("n{}", MAX_ENTRIES - 1)), "the newest is kept");
        let table = budget.lock();
        assert_eq!(table.arrivals.len(), table.used.len(), "one arrival per pair");
    }
}
