//! A cap on marks per client network per session: far above any lecture hall behind one NAT
//! address, far below a script filling in a class list. Kept in memory per app instance
//! (a Firestore counter would be one hot document per hall): with N instances the cap is
//! N times this, still a bound.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::SessionId;

/// Entries older than this are forgotten: a lecture is over by then.
const KEEP_FOR: Duration = Duration::from_secs(6 * 3600);
const MAX_ENTRIES: usize = 100_000;

pub struct MarkBudget {
    per_network: u32,
    used: Mutex<HashMap<(SessionId, String), (Instant, u32)>>,
}

impl MarkBudget {
    pub fn new(per_network: u32) -> Self {
        Self { per_network, used: Mutex::new(HashMap::new()) }
    }

    /// Takes one mark from the network's budget in this session; `false` when it is spent.
    pub fn spend(&self, session: SessionId, network: &str) -> bool {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if used.len() >= MAX_ENTRIES {
            used.retain(|_, (since, _)| since.elapsed() < KEEP_FOR);
        }
        let entry = used.entry((session, network.to_owned())).or_insert((Instant::now(), 0));
        if entry.1 >= self.per_network {
            return false;
        }
        entry.1 += 1;
        true
    }

    pub fn limit(&self) -> u32 {
        self.per_network
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_network_has_its_own_budget_per_session() {
        let budget = MarkBudget::new(2);
        let (a, b) = (SessionId::new_random(), SessionId::new_random());
        assert!(budget.spend(a, "203.0.113.7") && budget.spend(a, "203.0.113.7"));
        assert!(!budget.spend(a, "203.0.113.7"), "the third is refused");
        assert!(budget.spend(a, "198.51.100.1"), "another network");
        assert!(budget.spend(b, "203.0.113.7"), "another session");
    }
}
