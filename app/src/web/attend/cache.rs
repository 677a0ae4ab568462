//! A few seconds of memory for sessions: a lecture-hall burst reads each session once per
//! interval instead of once per student. Closing a session reaches every instance within the
//! interval; the instance that closed it forgets it at once.

use jiff::{SignedDuration, Timestamp};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::{ExpectedLessons, SessionId};
use crate::model::Session;
use crate::store::{Store, StoreError};

/// What the student pages need about a session: it and its unit's name and lesson count.
#[derive(Debug)]
pub struct SessionInfo {
    pub session: Session,
    pub unit_name: String,
    pub expected_lessons: ExpectedLessons,
}

/// When an entry was read, and what was found (`None`: no such session).
type Entry = (Timestamp, Option<Arc<SessionInfo>>);

#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<SessionId, Entry>>,
}

pub const FRESH_FOR: SignedDuration = SignedDuration::from_secs(5);
const MAX_ENTRIES: usize = 10_000;

impl SessionCache {
    /// The session (or its absence), at most [`FRESH_FOR`] old at `now` (the app's clock).
    pub async fn get(
        &self,
        store: &Store,
        id: SessionId,
        default_lessons: ExpectedLessons,
        now: Timestamp,
    ) -> Result<Option<Arc<SessionInfo>>, StoreError> {
        if let Some(hit) = self.lookup(id, now) {
            return Ok(hit);
        }
        let info = match store.session(id).await? {
            Some(session) => {
                let unit = store.unit(&session.unit_code).await?;
                Some(Arc::new(SessionInfo {
                    unit_name: unit.as_ref().map(|u| u.name.to_string()).unwrap_or_default(),
                    expected_lessons: unit.map_or(default_lessons, |u| u.expected_lessons),
                    session,
                }))
            }
            None => None,
        };
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (at, _)| fresh(*at, now));
        }
        entries.insert(id, (now, info.clone()));
        Ok(info)
    }

    fn lookup(&self, id: SessionId, now: Timestamp) -> Option<Option<Arc<SessionInfo>>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&id).filter(|(at, _)| fresh(*at, now)).map(|(_, info)| info.clone())
    }

    /// The session as this instance last read it, however old: for when Firestore is down.
    pub fn last_known(&self, id: SessionId) -> Option<Arc<SessionInfo>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&id).and_then(|(_, info)| info.clone())
    }

    pub fn forget(&self, id: SessionId) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
    }
}

/// Read at `at`, still good at `now` (a clock moved back counts as stale).
fn fresh(at: Timestamp, now: Timestamp) -> bool {
    let age = now.duration_since(at);
    age >= SignedDuration::ZERO && age < FRESH_FOR
}
