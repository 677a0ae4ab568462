//! The per-network marking cap's memory and speed at a million distinct networks (every phone
//! on mobile IPv6 is its own /64, and an attacker with a /44 has a million): its table fills
//! to its bound and then forgets its oldest pairs, so past the bound memory stays flat and
//! each mark costs what it cost while the table filled.
//!
//! Baseline, in the same run: filling the empty table up to its bound. Goals: memory after a
//! million networks ≤ 1.1× memory at the bound; time per mark past the bound ≤ 2× time per
//! mark while filling.

use std::time::Instant;

use attendance::domain::SessionId;
use attendance::web::attend::budget::{MAX_ENTRIES, MarkBudget};

use crate::goals::Goals;

#[derive(clap::Args)]
pub struct Args {
    /// Distinct networks to mark from.
    #[arg(long, default_value_t = 1_000_000)]
    pub networks: usize,
}

/// This process's resident memory, in KiB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// One mark from each network in `range`: the room check and the spend, as a mark does.
fn mark_from(budget: &MarkBudget, session: SessionId, range: std::ops::Range<usize>) -> f64 {
    let started = Instant::now();
    let count = range.len();
    for i in range {
        let network = format!("2001:db8:{:x}:{:x}::/64", i >> 16, i & 0xffff);
        if budget.has_room(session, &network) {
            budget.spend(session, &network);
        }
    }
    started.elapsed().as_secs_f64() * 1e9 / count as f64
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.networks > 2 * MAX_ENTRIES, "use more than {} networks", 2 * MAX_ENTRIES);
    let budget = MarkBudget::new(1500);
    let session = SessionId::new_random();
    let before = rss_kb();
    let filling = mark_from(&budget, session, 0..MAX_ENTRIES);
    let at_bound = rss_kb().saturating_sub(before).max(1);
    let past = mark_from(&budget, session, MAX_ENTRIES..args.networks);
    let after = rss_kb().saturating_sub(before).max(1);
    println!(
        "marking cap, {} networks: {} pairs remembered (bound {MAX_ENTRIES}); memory {at_bound} KiB at the bound, \
         {after} KiB after all; {filling:.0} ns per mark filling, {past:.0} ns past the bound",
        args.networks,
        budget.remembered()
    );
    let mut goals = Goals::default();
    goals.at_most("pairs remembered / bound", budget.remembered() as f64 / MAX_ENTRIES as f64, 1.0);
    goals.at_most("memory after all / at the bound", after as f64 / at_bound as f64, 1.1);
    goals.at_most("time per mark past the bound / filling", past / filling, 2.0);
    goals.finish()
}
