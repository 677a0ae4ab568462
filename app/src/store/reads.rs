//! How many documents the store has read, as Firestore would bill them: a metric, so a page's
//! or a listener's cost is measured rather than guessed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Documents read by one store (shared by its clones).
#[derive(Debug, Clone, Default)]
pub struct ReadCounter(Arc<AtomicU64>);

impl ReadCounter {
    pub fn add(&self, documents: u64) {
        self.0.fetch_add(documents, Ordering::Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}
