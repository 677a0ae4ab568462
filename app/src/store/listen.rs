//! Listening to a session (Firestore's Listen API): its marks, the session document and its
//! unit's class list for the term, pushed by Firestore as they change. After the first
//! snapshot a listener reads only what changed, where polling re-read every mark every few
//! seconds.
//!
//! The emulator re-sends a listened query's whole result on each change; production sends only
//! the changed documents. A document is counted as read here only when its update time is new
//! to the listener, which is what production bills.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use firestore::{
    FirestoreDb, FirestoreListenEvent, FirestoreListener, FirestoreListenerTarget,
    FirestoreMemListenStateStorage,
};
use tokio::sync::mpsc::UnboundedSender;

use super::docs::{ATTENDANCE, AttendanceDoc, CLASS_LISTS, ClassListDoc, SESSIONS, SessionDoc, ids};
use super::{Store, StoreError};
use crate::model::{AttendanceRecord, ClassList, Session};

const MARKS: u32 = 1;
const SESSION: u32 = 2;
const LIST: u32 = 3;
/// How soon the library listens again after its stream broke.
const RETRY: Duration = Duration::from_secs(1);

/// What a session listener reports.
#[derive(Debug, Clone)]
pub enum Heard {
    /// A mark was made or changed (a removal is a change: the record says `removed`).
    Mark(Box<AttendanceRecord>),
    /// The session itself changed (opened, closed, edited, cancelled), or is gone (`None`).
    Session(Option<Box<Session>>),
    /// The unit's class list for the session's term changed (an import, a one-click add).
    ClassList(Box<ClassList>),
    /// Everything up to now has been delivered for these targets (marks, session), or for both
    /// (`all`).
    Current { marks: bool, session: bool, list: bool },
}

/// A running listener; dropping it without [`SessionListener::stop`] stops it too.
pub struct SessionListener {
    listener: FirestoreListener<FirestoreDb, FirestoreMemListenStateStorage>,
}

impl SessionListener {
    pub async fn stop(mut self) {
        if let Err(e) = self.listener.shutdown().await {
            tracing::debug!(error = %e, "session listener stopped with an error");
        }
    }
}

impl Store {
    /// Starts listening to `session`'s marks and document; what is heard goes to `heard`.
    pub async fn listen_session(
        &self,
        session: &Session,
        heard: UnboundedSender<Heard>,
    ) -> Result<SessionListener, StoreError> {
        let list = ids::unit_term(&session.unit_code, session.term);
        let session = session.id;
        let db = self.db().await?;
        let mut listener = db
            .create_listener_with_params(
                FirestoreMemListenStateStorage::new(),
                firestore::FirestoreListenerParams::new().with_retry_delay(RETRY),
            )
            .await?;
        db.fluent()
            .select()
            .from(ATTENDANCE)
            .filter(|q| q.for_all([q.field("session_id").eq(session.to_string())]))
            .listen()
            .add_target(FirestoreListenerTarget::new(MARKS), &mut listener)?;
        db.fluent()
            .select()
            .by_id_in(SESSIONS)
            .batch_listen([session.to_string()])
            .add_target(FirestoreListenerTarget::new(SESSION), &mut listener)?;
        db.fluent()
            .select()
            .by_id_in(CLASS_LISTS)
            .batch_listen([list.clone()])
            .add_target(FirestoreListenerTarget::new(LIST), &mut listener)?;
        let store = self.clone();
        // Update time last heard per document: a re-sent, unchanged document is not a new read.
        let seen: Arc<Mutex<HashMap<String, Option<i64>>>> = Arc::default();
        listener
            .start(move |event| {
                let (heard, store, seen, list) = (heard.clone(), store.clone(), seen.clone(), list.clone());
                async move {
                    let message = match interpret(event, &store.reads, &seen) {
                        Some(Interpreted::Heard(message)) => Some(message),
                        // A new head: its students are in the chunks it names.
                        Some(Interpreted::ListHead(head)) => match store.list_of_head(&list, *head).await {
                            Ok(Some(students)) => Some(Heard::ClassList(Box::new(students))),
                            // Replaced again meanwhile: the newer head follows.
                            Ok(None) => None,
                            Err(e) => {
                                tracing::error!(error = %e, "a listened class list could not be read");
                                None
                            }
                        },
                        None => None,
                    };
                    if let Some(message) = message {
                        // The viewer side has gone: nothing to do but let the listener stop.
                        let _ = heard.send(message);
                    }
                    Ok(())
                }
            })
            .await?;
        Ok(SessionListener { listener })
    }
}

/// What one event says: something to pass on, or a class list head whose chunks must be read.
enum Interpreted {
    Heard(Heard),
    ListHead(Box<ClassListDoc>),
}

fn interpret(
    event: FirestoreListenEvent,
    reads: &super::ReadCounter,
    seen: &Mutex<HashMap<String, Option<i64>>>,
) -> Option<Interpreted> {
    use firestore::gcloud_sdk::google::firestore::v1::target_change::TargetChangeType;
    match event {
        FirestoreListenEvent::DocumentChange(change) => {
            let doc = change.document?;
            let updated = doc.update_time.as_ref().map(|t| t.seconds * 1_000_000_000 + i64::from(t.nanos));
            let new = seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(doc.name.clone(), updated)
                != Some(updated);
            if !new {
                return None;
            }
            reads.add(1);
            if change.target_ids.contains(&(LIST as i32)) {
                return match FirestoreDb::deserialize_doc_to::<ClassListDoc>(&doc) {
                    Ok(head) => Some(Interpreted::ListHead(Box::new(head))),
                    Err(e) => {
                        tracing::error!(error = %e, "a listened class list does not parse");
                        None
                    }
                };
            }
            if change.target_ids.contains(&(SESSION as i32)) {
                let parsed =
                    FirestoreDb::deserialize_doc_to::<SessionDoc>(&doc)
                        .map_err(|e| StoreError::corrupt("session", e))
                        .and_then(|d| {
                            if d.deleted { Ok(None) } else { super::codec::session_from_doc(d).map(Some) }
                        });
                return match parsed {
                    Ok(session) => Some(Interpreted::Heard(Heard::Session(session.map(Box::new)))),
                    Err(e) => {
                        tracing::error!(error = %e, "a listened session does not parse");
                        None
                    }
                };
            }
            let parsed = FirestoreDb::deserialize_doc_to::<AttendanceDoc>(&doc)
                .map_err(|e| StoreError::corrupt("attendance", e))
                .and_then(super::codec::record_from_doc);
            match parsed {
                Ok(record) => Some(Interpreted::Heard(Heard::Mark(Box::new(record)))),
                Err(e) => {
                    tracing::error!(error = %e, "a listened mark does not parse; left out");
                    None
                }
            }
        }
        FirestoreListenEvent::DocumentDelete(_) | FirestoreListenEvent::DocumentRemove(_) => None,
        FirestoreListenEvent::TargetChange(change) => {
            let current =
                TargetChangeType::try_from(change.target_change_type).ok() == Some(TargetChangeType::Current);
            let all = change.target_ids.is_empty();
            current.then(|| {
                Interpreted::Heard(Heard::Current {
                    marks: all || change.target_ids.contains(&(MARKS as i32)),
                    session: all || change.target_ids.contains(&(SESSION as i32)),
                    list: all || change.target_ids.contains(&(LIST as i32)),
                })
            })
        }
        FirestoreListenEvent::Filter(_) => None,
    }
}
