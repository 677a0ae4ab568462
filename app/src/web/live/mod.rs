//! The live session page and projector: one Firestore listener per watched session per app
//! instance, started by its first viewer and stopped a little after its last one left, fanned
//! out to every viewer as Server-Sent Events (or, without them, to a poll for the changes since
//! a cursor). No shared state between instances: each runs its own listeners.

mod stream;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

pub use self::stream::{changes, events};
pub use self::watch::{LiveEvent, Watch};
use super::AppState;
use crate::domain::SessionId;
use crate::store::StoreError;

/// The watched sessions of this instance.
#[derive(Default)]
pub struct LiveHub {
    watches: Mutex<HashMap<SessionId, Arc<OnceCell<Arc<Watch>>>>>,
}

impl LiveHub {
    /// The session's watch, started (listener and all) if nobody watches it yet.
    pub async fn watch(&self, state: &AppState, session: SessionId) -> Result<Arc<Watch>, StoreError> {
        let cell = {
            let mut watches = self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            watches.entry(session).or_default().clone()
        };
        let started = cell.get_or_try_init(|| Watch::start(state.clone(), session)).await;
        if started.is_err() {
            self.forget(session, None);
        }
        started.cloned()
    }

    /// Drops the session's watch (when it stopped), unless a newer one took its place.
    pub(super) fn forget(&self, session: SessionId, stopped: Option<&Arc<Watch>>) {
        let mut watches = self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let same = match (watches.get(&session).and_then(|c| c.get()), stopped) {
            (Some(current), Some(stopped)) => Arc::ptr_eq(current, stopped),
            _ => true,
        };
        if same {
            watches.remove(&session);
        }
    }

    /// How many sessions this instance listens to (a metric).
    pub fn watched(&self) -> usize {
        self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// How many viewers (event streams) this instance feeds (a metric).
    pub fn viewers(&self) -> usize {
        let watches = self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        watches.values().filter_map(|c| c.get()).map(|w| w.viewers()).sum()
    }
}
