//! One watched session: its listener, what it has heard (the marks, their history, the class
//! list, the session), the events it sent, and its viewers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, mpsc};

use super::AppState;
use crate::domain::{AdmissionKey, SessionId};
use crate::model::{AttendanceRecord, ClassList, MarkChange, Session};
use crate::store::{Heard, StoreError};
use crate::web::sessions::roster::{self, Roster};
use crate::web::view::SessionSummary;

/// How long a listener outlives its last viewer (a page reload should not restart it).
pub const LINGER: Duration = Duration::from_secs(10);
/// How often the watch checks that Firestore answers, and that its viewers are still there.
const TICK: Duration = Duration::from_secs(5);
/// Events kept for a reconnecting viewer or a poll to resume from.
const KEPT: usize = 500;
/// How long a listener may be silent before a ping checks that Firestore still answers.
const QUIET: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);
/// How long the first snapshot may take before the watch gives up starting.
const FIRST_SNAPSHOT: Duration = Duration::from_secs(10);

/// One Server-Sent Event: its id (a cursor), its name, and its JSON data.
#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    pub id: u64,
    pub kind: &'static str,
    pub data: serde_json::Value,
}

struct Known {
    session: Session,
    marks: BTreeMap<AdmissionKey, AttendanceRecord>,
    changes: Vec<MarkChange>,
    list: ClassList,
    live: bool,
    /// When the listener last said anything (app clock).
    last_heard: jiff::Timestamp,
    /// While Firestore is down: the next check, and the growing gap between checks.
    next_check: jiff::Timestamp,
    check_gap: jiff::SignedDuration,
    seq: u64,
    log: VecDeque<Arc<LiveEvent>>,
    availability: String,
}

pub struct Watch {
    id: SessionId,
    state: AppState,
    heard: Mutex<Known>,
    events: broadcast::Sender<Arc<LiveEvent>>,
    viewers: AtomicUsize,
    /// When a viewer last connected, left or polled (the app's clock), for the linger.
    last_seen: Mutex<jiff::Timestamp>,
}

/// Counts a viewer for as long as it is held.
pub struct Viewer(Arc<Watch>);

impl Drop for Viewer {
    fn drop(&mut self) {
        self.0.viewers.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

impl Watch {
    /// Reads the session's history, starts the listener (marks, session, class list) and waits
    /// for its first snapshot.
    pub(super) async fn start(state: AppState, session: Session) -> Result<Arc<Self>, StoreError> {
        let store = state.store().clone();
        let id = session.id;
        let changes = store.changes_of_session(id).await?;
        let (heard_tx, mut heard_rx) = mpsc::unbounded_channel();
        let listener = store.listen_session(&session, heard_tx).await?;
        let mut marks = BTreeMap::new();
        let mut session = session;
        let mut list = ClassList::default();
        // Each target reports its own "current": wait for both.
        let first = async {
            let (mut marks_current, mut session_current, mut list_current) = (false, false, false);
            while let Some(heard) = heard_rx.recv().await {
                match heard {
                    Heard::Mark(record) => {
                        marks.insert(record.admission_number.key(), *record);
                    }
                    Heard::Session(Some(heard)) => session = *heard,
                    Heard::Session(None) => {}
                    Heard::ClassList(heard) => list = *heard,
                    Heard::Current { marks, session, list } => {
                        marks_current |= marks;
                        session_current |= session;
                        list_current |= list;
                        if marks_current && session_current && list_current {
                            return true;
                        }
                    }
                }
            }
            false
        };
        if !matches!(tokio::time::timeout(FIRST_SNAPSHOT, first).await, Ok(true)) {
            listener.stop().await;
            return Err(StoreError::Unavailable("the session listener sent no snapshot".into()));
        }
        let availability = summary(&state, &session).availability;
        let (events, _) = broadcast::channel(256);
        let watch = Arc::new(Self {
            id,
            heard: Mutex::new(Known {
                session,
                marks,
                changes,
                list,
                live: true,
                last_heard: state.clock().now(),
                next_check: state.clock().now(),
                check_gap: jiff::SignedDuration::ZERO,
                seq: 0,
                log: VecDeque::new(),
                availability,
            }),
            events,
            viewers: AtomicUsize::new(0),
            last_seen: Mutex::new(state.clock().now()),
            state,
        });
        tokio::spawn(Self::run(watch.clone(), heard_rx, listener));
        Ok(watch)
    }

    /// Applies what the listener hears, checks Firestore and the viewers every tick, and stops
    /// the listener once nobody watched for [`LINGER`].
    async fn run(
        self: Arc<Self>,
        mut heard: mpsc::UnboundedReceiver<Heard>,
        listener: crate::store::SessionListener,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                message = heard.recv() => match message {
                    Some(message) => self.apply(message).await,
                    None => break,
                },
                _ = tick.tick() => {
                    if self.idle() {
                        break;
                    }
                    self.check().await;
                }
            }
        }
        self.state.live().forget(self.id, Some(&self));
        listener.stop().await;
        tracing::debug!(session = %self.id, "session listener stopped: no viewers");
    }

    /// Who owns the session, as its listener last heard.
    pub fn lecturer(&self) -> crate::domain::Username {
        self.lock().session.lecturer.clone()
    }

    pub fn viewers(&self) -> usize {
        self.viewers.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        *self.last_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = self.state.clock().now();
    }

    fn idle(&self) -> bool {
        let last_seen = *self.last_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.viewers.load(Ordering::Relaxed) == 0
            && self.state.clock().now().duration_since(last_seen)
                >= jiff::SignedDuration::try_from(LINGER).unwrap_or_default()
    }

    /// Whether Firestore answers (the listener itself says nothing while its stream is down),
    /// and whether the window opened or closed by the clock.
    async fn check(&self) {
        // Heard from lately, the listener is evidently working; a quiet one is checked with a
        // ping (a read) after QUIET. Once Firestore is found down, the checks back off (one
        // tick, two, four, ... up to a minute) until it answers; meanwhile the library keeps
        // trying to listen again, and viewers see "reconnecting".
        let now = self.state.clock().now();
        let (quiet_for, live, due) = {
            let heard = self.lock();
            (now.duration_since(heard.last_heard), heard.live, heard.next_check <= now)
        };
        if (live && quiet_for < QUIET) || (!live && !due) {
            return self.check_window().await;
        }
        let answers = self.state.store().ping(Duration::from_secs(3)).await.is_ok();
        {
            let mut heard = self.lock();
            if answers {
                heard.last_heard = now;
                heard.check_gap = jiff::SignedDuration::ZERO;
            } else {
                let tick = jiff::SignedDuration::try_from(TICK).unwrap_or_default();
                heard.check_gap = (heard.check_gap * 2).max(tick).min(jiff::SignedDuration::from_mins(1));
                heard.next_check = now + heard.check_gap;
            }
        }
        let changed_live = {
            let mut heard = self.lock();
            let changed = heard.live != answers;
            heard.live = answers;
            changed
        };
        if changed_live {
            self.send("status", serde_json::json!({ "live": answers }));
        }
        self.check_window().await;
    }

    /// Whether the window opened or closed by the clock.
    async fn check_window(&self) {
        let (session, before) = {
            let heard = self.lock();
            (heard.session.clone(), heard.availability.clone())
        };
        let now = summary(&self.state, &session);
        if now.availability != before {
            self.lock().availability = now.availability.clone();
            self.send("session", session_data(&now));
        }
    }

    async fn apply(&self, message: Heard) {
        self.lock().last_heard = self.state.clock().now();
        match message {
            Heard::Current { .. } => {
                if !std::mem::replace(&mut self.lock().live, true) {
                    self.send("status", serde_json::json!({ "live": true }));
                }
            }
            Heard::Session(None) => self.send("session", serde_json::json!({ "gone": true })),
            Heard::Session(Some(session)) => {
                let now = summary(&self.state, &session);
                let before = {
                    let mut heard = self.lock();
                    let before = summary(&self.state, &heard.session);
                    heard.session = *session;
                    heard.availability = now.availability.clone();
                    before
                };
                // An edit the page does not show (say, the QR mode) is no event.
                if session_data(&before) != session_data(&now) {
                    self.send("session", session_data(&now));
                }
            }
            Heard::Mark(record) => self.apply_mark(*record).await,
            Heard::ClassList(list) => {
                self.lock().list = *list;
                // Counts, absentees and flags all change: everyone gets the whole list again.
                match self.snapshot() {
                    Ok(snapshot) => self.send("snapshot", snapshot.data),
                    Err(e) => tracing::error!(error = %e, "the live list did not render"),
                }
            }
        }
    }

    async fn apply_mark(&self, record: AttendanceRecord) {
        let key = record.admission_number.key();
        let (before, same) = {
            let heard = self.lock();
            let known = heard.marks.get(&key);
            let same = known.is_some_and(|r| {
                r.version == record.version && r.removed == record.removed && r.status == record.status
            });
            (known.map_or(0, |r| r.version), same)
        };
        // Heard again, unchanged (the listener re-delivered it): no event.
        if same {
            return;
        }
        // A correction's history record was written in the same commit: read what is new.
        let first_change = if before == 0 { 1 } else { before + 1 };
        for version in first_change..=record.version {
            if version == 1 && record.source == crate::model::MarkSource::Qr {
                continue;
            }
            match self.state.store().mark_change(self.id, &record.admission_number, version).await {
                Ok(Some(change)) => self.lock().changes.push(change),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a mark's history could not be read for the live list"),
            }
        }
        let was_removed = self.lock().marks.insert(key.clone(), record.clone()).is_some_and(|r| r.removed);
        let roster = self.roster();
        let data = {
            let heard = self.lock();
            let row = roster.rows.iter().find(|r| r.key == key.as_str());
            let listed = heard.list.contains(&record.admission_number);
            // A listed student moves between the absent list and the marks.
            let absent = match (listed, record.removed) {
                (true, true) => {
                    roster.absentees.iter().find(|a| a.key == key.as_str()).map(|a| ("add", Some(a)))
                }
                (true, false) if was_removed || before == 0 => Some(("remove", None)),
                _ => None,
            };
            serde_json::json!({
                "key": key.as_str(),
                "new": before == 0,
                "row_html": row.map(|r| self.fragment(serde_json::json!({ "row": r }))).unwrap_or_default(),
                "counts_html": self.fragment(serde_json::json!({ "counts": &roster })),
                "present": roster.present,
                "absent_count": roster.absentees_count,
                "absent": absent.map(|(op, row)| serde_json::json!({
                    "op": op,
                    "html": row.map(|a| self.fragment(serde_json::json!({ "absent": a }))),
                })),
            })
        };
        self.send("mark", data);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.heard.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn roster(&self) -> Roster {
        let heard = self.lock();
        let marks: Vec<AttendanceRecord> = heard.marks.values().cloned().collect();
        roster::build(&marks, &heard.changes, &heard.list, "", &self.state.settings().timezone)
    }

    /// A row, an absent row or the counts, rendered by the page's own partials.
    fn fragment(&self, parts: serde_json::Value) -> String {
        let mut page = parts;
        page["session_id"] = serde_json::Value::String(self.id.to_string());
        let layout = crate::web::templates::Layout::default();
        self.state.templates().render("live_fragment", &layout, &page).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a live fragment did not render");
            String::new()
        })
    }

    fn send(&self, kind: &'static str, data: serde_json::Value) {
        let event = {
            let mut heard = self.lock();
            heard.seq += 1;
            let event = Arc::new(LiveEvent { id: heard.seq, kind, data });
            heard.log.push_back(event.clone());
            if heard.log.len() > KEPT {
                heard.log.pop_front();
            }
            event
        };
        // No receiver is fine: a poll will find it in the log.
        let _ = self.events.send(event);
    }

    /// Joins as a viewer: what to send first (the events after `since` when they are all kept,
    /// else a snapshot of everything), and the events to come.
    pub async fn join(
        self: &Arc<Self>,
        since: Option<u64>,
    ) -> Result<(Viewer, Vec<Arc<LiveEvent>>, broadcast::Receiver<Arc<LiveEvent>>), crate::web::AppError>
    {
        self.viewers.fetch_add(1, Ordering::Relaxed);
        let viewer = Viewer(self.clone());
        self.touch();
        let receiver = self.events.subscribe();
        let first = self.since(since).await?;
        Ok((viewer, first, receiver))
    }

    /// The events after `since` if they are all still kept, else one snapshot.
    pub async fn since(&self, since: Option<u64>) -> Result<Vec<Arc<LiveEvent>>, crate::web::AppError> {
        self.touch();
        {
            let heard = self.lock();
            if let Some(since) = since {
                let oldest = heard.log.front().map_or(heard.seq + 1, |e| e.id);
                if since == heard.seq || since + 1 >= oldest && since <= heard.seq {
                    return Ok(heard.log.iter().filter(|e| e.id > since).cloned().collect());
                }
            }
        }
        Ok(vec![Arc::new(self.snapshot()?)])
    }

    /// Everything the page shows, as one event (no read: the listener keeps it current).
    fn snapshot(&self) -> Result<LiveEvent, crate::web::AppError> {
        let session = self.lock().session.clone();
        let roster = self.roster();
        let summary = summary(&self.state, &session);
        let page = serde_json::json!({ "roster": &roster, "session": { "id": self.id.to_string() } });
        let rows_html = self.state.templates().render(
            "session_rows",
            &crate::web::templates::Layout::default(),
            &page,
        )?;
        let heard = self.lock();
        Ok(LiveEvent {
            id: heard.seq,
            kind: "snapshot",
            data: serde_json::json!({
                "rows_html": rows_html,
                "present": roster.present,
                "live": heard.live,
                "session": session_data(&summary),
            }),
        })
    }
}

fn summary(state: &AppState, session: &Session) -> SessionSummary {
    SessionSummary::new(session, None, state.clock().now(), &state.settings().timezone)
}

fn session_data(summary: &SessionSummary) -> serde_json::Value {
    serde_json::json!({
        "availability": summary.availability,
        "state": summary.state,
        "is_open": summary.is_active,
    })
}
