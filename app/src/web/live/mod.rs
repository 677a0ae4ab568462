//! The live session page and projector: one Firestore listener per watched session per app
//! instance, started by its first viewer and stopped a little after its last one left, fanned
//! out to every viewer as Server-Sent Events (or, without them, to a poll for the changes since
//! a cursor). No shared state between instances: each runs its own listeners.

mod access;
mod diff;
mod liveness;
mod log;
mod stream;
mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

pub use self::log::{EventId, LiveEvent};
pub use self::stream::{changes, events};
pub use self::watch::Watch;
use super::guard::Auth;
use super::{AppError, AppState, owned};
use crate::domain::SessionId;

/// The watched sessions of this instance.
pub struct LiveHub {
    watches: Mutex<HashMap<SessionId, Arc<OnceCell<Arc<Watch>>>>>,
    /// Set when the instance stops: every event stream ends.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self { watches: Mutex::default(), stopping: tokio::sync::watch::channel(false).0 }
    }
}

impl LiveHub {
    /// Ends every event stream (the instance is stopping).
    pub fn shut_down(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves when the instance stops.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + use<> {
        let mut stopping = self.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    }

    /// The watch of a session `auth`'s lecturer owns (others: 404). A session already watched
    /// here is checked against what its listener knows, at no read; otherwise it is read and its
    /// watch started (listener and all).
    pub async fn watch(&self, state: &AppState, auth: &Auth, id: &str) -> Result<Arc<Watch>, AppError> {
        let session_id = SessionId::parse(id).ok_or(AppError::NotFound)?;
        let running = {
            let watches = self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            watches.get(&session_id).and_then(|c| c.get().cloned())
        };
        if let Some(watch) = running {
            return if watch.lecturer() == auth.username { Ok(watch) } else { Err(AppError::NotFound) };
        }
        let session = owned::session(state, auth, id).await?;
        let cell = {
            let mut watches = self.watches.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            watches.entry(session_id).or_default().clone()
        };
        let started = cell.get_or_try_init(|| Watch::start(state.clone(), session)).await;
        if started.is_err() {
            self.forget(session_id, None);
        }
        Ok(started.cloned()?)
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
