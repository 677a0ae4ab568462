//! One watched session: its listener, what it has heard (the marks, their history, the class
//! list, the session), the events it sent, and its viewers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use super::AppState;
use super::diff::{self, AbsentMove, SessionShown};
use super::liveness::Liveness;
use super::log::{EventId, EventLog, LiveEvent};
use crate::domain::{AdmissionKey, SessionId};
use crate::model::{AttendanceRecord, ClassList, MarkChange, Session};
use crate::store::{Heard, StoreError};
use crate::web::AppError;
use crate::web::sessions::roster::{self, Roster};
use crate::web::view::SessionSummary;

/// How long a listener outlives its last viewer (a page reload should not restart it).
pub const LINGER: Duration = Duration::from_secs(10);
/// How often the watch checks that Firestore answers, and that its viewers are still there.
const TICK: Duration = Duration::from_secs(5);
/// Events kept for a reconnecting viewer or a poll to resume from.
const KEPT: usize = 500;
/// How long the first snapshot may take before the watch gives up starting.
const FIRST_SNAPSHOT: Duration = Duration::from_secs(10);

/// What the watch knows: the listener's copy of the session, its marks and class list, the
/// history read for the page, whether the listener is live, and the events sent.
struct Known {
    session: Session,
    marks: BTreeMap<AdmissionKey, AttendanceRecord>,
    changes: Vec<MarkChange>,
    list: ClassList,
    liveness: Liveness,
    log: EventLog,
    /// What the page shows of the session, to tell a change the page shows from one it does not.
    shown: SessionShown,
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
        let now = state.clock().now();
        let tick = jiff::SignedDuration::try_from(TICK).unwrap_or_default();
        let shown = SessionShown::of(&session, now, &state.settings().timezone);
        let (events, _) = broadcast::channel(256);
        let watch = Arc::new(Self {
            id,
            heard: Mutex::new(Known {
                session,
                marks,
                changes,
                list,
                liveness: Liveness::new(now, tick),
                log: EventLog::new(KEPT),
                shown,
            }),
            events,
            viewers: AtomicUsize::new(0),
            last_seen: Mutex::new(now),
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

    pub fn session_id(&self) -> SessionId {
        self.id
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

    /// Whether Firestore answers (the listener itself says nothing while its stream is down;
    /// see `liveness`), and whether the window opened or closed by the clock.
    async fn check(&self) {
        let now = self.state.clock().now();
        if self.lock().liveness.ping_due(now) {
            let answered = self.state.store().ping(Duration::from_secs(3)).await.is_ok();
            let changed = self.lock().liveness.pinged(answered, now);
            if let Some(live) = changed {
                self.send("status", serde_json::json!({ "live": live }));
            }
        }
        self.show_session();
    }

    /// Sends the session's state if what the page shows of it changed (an edit, or the clock
    /// opening or closing its window).
    fn show_session(&self) {
        let (now, tz) = (self.state.clock().now(), &self.state.settings().timezone);
        let summary = {
            let mut known = self.lock();
            let shown = SessionShown::of(&known.session, now, tz);
            if shown == known.shown {
                return;
            }
            known.shown = shown;
            summary(&self.state, &known.session)
        };
        self.send("session", session_data(&summary));
    }

    async fn apply(&self, message: Heard) {
        let now = self.state.clock().now();
        self.lock().liveness.heard(now);
        match message {
            Heard::Current { .. } => {
                if self.lock().liveness.caught_up(now) {
                    self.send("status", serde_json::json!({ "live": true }));
                }
            }
            Heard::Session(None) => self.send("session", serde_json::json!({ "gone": true })),
            Heard::Session(Some(session)) => {
                self.lock().session = *session;
                self.show_session();
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
        let Some(change) = diff::mark(self.lock().marks.get(&key), &record) else { return };
        // A correction's history record was written in the same commit: read what is new.
        for version in change.history.clone() {
            match self.state.store().mark_change(self.id, &record.admission_number, version).await {
                Ok(Some(heard)) => self.lock().changes.push(heard),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "a mark's history could not be read for the live list"),
            }
        }
        let listed = {
            let mut known = self.lock();
            known.marks.insert(key.clone(), record.clone());
            known.list.contains(&record.admission_number)
        };
        let roster = self.roster();
        let row = roster.rows.iter().find(|r| r.key == key.as_str());
        let absent = diff::absent_move(listed, &change).map(|op| match op {
            AbsentMove::Add => {
                let row = roster.absentees.iter().find(|a| a.key == key.as_str());
                serde_json::json!({ "op": "add", "html": row.map(|a| self.fragment(serde_json::json!({ "absent": a }))) })
            }
            AbsentMove::Remove => serde_json::json!({ "op": "remove", "html": null }),
        });
        let data = serde_json::json!({
            "key": key.as_str(),
            "new": change.new,
            "row_html": row.map(|r| self.fragment(serde_json::json!({ "row": r }))).unwrap_or_default(),
            "counts_html": self.fragment(serde_json::json!({ "counts": &roster })),
            "present": roster.present,
            "absent_count": roster.absentees_count,
            "absent": absent,
        });
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
        let event = self.lock().log.push(kind, data);
        // No receiver is fine: a poll will find it in the log.
        let _ = self.events.send(event);
    }

    /// Joins as a viewer: what to send first (the events after `since` when they are all kept,
    /// else a snapshot of everything), and the events to come.
    pub async fn join(
        self: &Arc<Self>,
        since: Option<EventId>,
    ) -> Result<(Viewer, Vec<Arc<LiveEvent>>, broadcast::Receiver<Arc<LiveEvent>>), AppError> {
        self.viewers.fetch_add(1, Ordering::Relaxed);
        let viewer = Viewer(self.clone());
        self.touch();
        let receiver = self.events.subscribe();
        let first = self.since(since)?;
        Ok((viewer, first, receiver))
    }

    /// The events after `since` if they are all this watch's and still kept, else one snapshot.
    pub fn since(&self, since: Option<EventId>) -> Result<Vec<Arc<LiveEvent>>, AppError> {
        self.touch();
        if let Some(missed) = self.lock().log.since(since) {
            return Ok(missed);
        }
        Ok(vec![Arc::new(self.snapshot()?)])
    }

    /// Everything the page shows, as one event carrying the latest id (no read: the listener
    /// keeps it current).
    fn snapshot(&self) -> Result<LiveEvent, AppError> {
        let session = self.lock().session.clone();
        let roster = self.roster();
        let summary = summary(&self.state, &session);
        let page = serde_json::json!({ "roster": &roster, "session": { "id": self.id.to_string() } });
        let rows_html = self.state.templates().render(
            "session_rows",
            &crate::web::templates::Layout::default(),
            &page,
        )?;
        let known = self.lock();
        Ok(LiveEvent {
            id: known.log.latest(),
            kind: "snapshot",
            data: serde_json::json!({
                "rows_html": rows_html,
                "present": roster.present,
                "live": known.liveness.is_live(),
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
