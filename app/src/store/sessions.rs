//! Lecture sessions. A session is created in one atomic commit together with two guard
//! documents: its lecture-number slot and its start-time slot within the unit and term. Taking
//! the lowest free slot and moving on when another request won it is race-free and, unlike a
//! read-then-write transaction, does not stall under contention.

use super::codec::{session_doc, session_from_doc};
use super::commit::{Attempts, Step, Writes, increment, server_time};
use super::docs::{SESSION_SLOTS, SESSION_TIMES, SESSIONS, SessionDoc, SessionGuardDoc, ids};
use super::query::{SESSIONS_OF_LECTURER, SESSIONS_OF_UNIT_TERM, unit_term_values};
use super::{Conflict, Store, StoreError, parse_listed};
use crate::domain::{
    ClassYear, FullName, LectureDate, SessionId, SessionNumber, Term, TimeRange, UnitCode, Username, Venue,
};
use crate::model::{NewSession, Opening, QrMode, Session, Window};

#[derive(serde::Serialize)]
struct NoFields {}

/// What a lecturer may change on a session after creating it.
#[derive(Debug, Clone)]
pub struct SessionEdit {
    pub date: LectureDate,
    pub times: TimeRange,
    pub window: Window,
    pub venue: Venue,
    pub lecturer_name: FullName,
    pub class_year: ClassYear,
}

#[derive(serde::Serialize)]
pub(super) struct Deleted {
    pub deleted: bool,
}

impl Store {
    /// Creates the session with the lowest free lecture number of its unit and term.
    /// `Conflict(TermFull)` once all numbers are used, `Conflict(TimeClash)` when the unit
    /// already has a session starting at that date and time.
    pub async fn create_session(&self, new: &NewSession) -> Result<Session, StoreError> {
        let slot_ids: Vec<String> =
            SessionNumber::all().map(|n| ids::session_slot(&new.unit_code, new.term, n)).collect();
        let time_id = ids::session_time(&new.unit_code, new.term, new.date.get(), new.times.start());
        let (taken, clash) = tokio::try_join!(
            self.existing_ids(SESSION_SLOTS, &slot_ids),
            self.existing_ids(SESSION_TIMES, std::slice::from_ref(&time_id)),
        )?;
        if !clash.is_empty() {
            return Err(StoreError::Conflict(Conflict::TimeClash));
        }
        for (number, slot_id) in SessionNumber::all().zip(&slot_ids) {
            if taken.contains(slot_id) {
                continue;
            }
            let id = SessionId::new_random();
            let doc = session_doc(new, id, number);
            let guard = SessionGuardDoc { session_id: id.to_string() };
            let mut writes = Writes::new(self.db().await?);
            let session = writes.create(SESSIONS, &doc.id, &doc, &["created_at", "updated_at"])?;
            writes.create(SESSION_SLOTS, slot_id, &guard, &[])?;
            writes.create(SESSION_TIMES, &time_id, &guard, &[])?;
            match writes.commit().await {
                Ok(committed) => {
                    let created = committed.server_time(session, "created_at").map(|t| t.0);
                    let updated = committed.server_time(session, "updated_at").map(|t| t.0);
                    return Ok(Session {
                        created_at: created,
                        updated_at: updated,
                        ..session_from_doc(doc)?
                    });
                }
                // Another request took this number, or this start time, first.
                Err(StoreError::AlreadyExists(_)) => {
                    if !self.existing_ids(SESSION_TIMES, std::slice::from_ref(&time_id)).await?.is_empty() {
                        return Err(StoreError::Conflict(Conflict::TimeClash));
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(Conflict::TermFull))
    }

    /// The session, whoever owns it (callers check ownership). Deleted sessions are not found.
    pub async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        match self.get_doc::<SessionDoc>(SESSIONS, &id.to_string()).await? {
            Some(doc) if !doc.deleted => Ok(Some(session_from_doc(doc)?)),
            _ => Ok(None),
        }
    }

    /// A lecturer's most recent sessions by lecture date and time, newest first.
    pub async fn recent_sessions(&self, lecturer: &Username, limit: u32) -> Result<Vec<Session>, StoreError> {
        let values = vec![lecturer.as_str().into(), false.into()];
        let docs: Vec<SessionDoc> = SESSIONS_OF_LECTURER.fetch(self, values, Some(limit)).await?;
        Ok(parse_listed(docs, session_from_doc))
    }

    /// A unit's sessions in one term, in lecture order.
    pub async fn sessions_of_unit(&self, unit: &UnitCode, term: Term) -> Result<Vec<Session>, StoreError> {
        let values = unit_term_values(unit, term);
        let docs: Vec<SessionDoc> = SESSIONS_OF_UNIT_TERM.fetch(self, values, None).await?;
        Ok(parse_listed(docs, session_from_doc))
    }

    /// How many sessions a lecturer has, counted by the server.
    pub async fn session_total(&self, lecturer: &Username) -> Result<u64, StoreError> {
        SESSIONS_OF_LECTURER.count(self, vec![lecturer.as_str().into(), false.into()]).await
    }

    /// Closes the session by hand (at `now`, the app's clock: a pending mark tried before it
    /// still counts), keeps it open whatever its window says, or lets it follow its window.
    pub async fn set_session_opening(
        &self,
        id: SessionId,
        opening: Opening,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let (is_active, keep_open) = (opening.is_active(), opening.keep_open());
        #[derive(serde::Serialize)]
        struct Change {
            is_active: bool,
            keep_open: bool,
            /// A settled count no longer holds once the session may take marks again.
            attended_count: Option<u32>,
            closed_at: Option<firestore::FirestoreTimestamp>,
        }
        let closed_at = (opening == Opening::Closed).then_some(firestore::FirestoreTimestamp(now));
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            SESSIONS,
            &id.to_string(),
            &Change { is_active, keep_open, attended_count: None, closed_at },
            &["is_active", "keep_open", "attended_count", "closed_at"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await.map(|_| ())
    }

    /// Changes a session's date, times, window, venue, class year and lecturer name; its unit
    /// and lecture number stay. A new start time takes its slot in the same commit, so two
    /// sessions of a unit never start at the same time: `Conflict(TimeClash)` if one does.
    pub async fn edit_session(&self, session: &Session, edit: &SessionEdit) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            date: String,
            start_time: String,
            end_time: String,
            opens_at: String,
            closes_at: String,
            venue: &'a str,
            lecturer_name: &'a str,
            class_year: u8,
            attended_count: Option<u32>,
        }
        let change = Change {
            date: edit.date.get().to_string(),
            start_time: edit.times.start().strftime("%H:%M").to_string(),
            end_time: edit.times.end().strftime("%H:%M").to_string(),
            opens_at: edit.window.opens().to_string(),
            closes_at: edit.window.closes().to_string(),
            venue: edit.venue.as_str(),
            lecturer_name: edit.lecturer_name.as_str(),
            class_year: edit.class_year.get(),
            attended_count: None,
        };
        let fields = [
            "date",
            "start_time",
            "end_time",
            "opens_at",
            "closes_at",
            "venue",
            "lecturer_name",
            "class_year",
            "attended_count",
        ];
        let old_slot =
            ids::session_time(&session.unit_code, session.term, session.date, session.times.start());
        let new_slot =
            ids::session_time(&session.unit_code, session.term, edit.date.get(), edit.times.start());
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            SESSIONS,
            &session.id.to_string(),
            &change,
            &fields,
            vec![server_time("updated_at")],
        )?;
        if old_slot != new_slot {
            let guard = SessionGuardDoc { session_id: session.id.to_string() };
            writes.delete(SESSION_TIMES, &old_slot)?;
            writes.create(SESSION_TIMES, &new_slot, &guard, &[])?;
        }
        match writes.commit().await {
            Err(StoreError::AlreadyExists(_)) => Err(StoreError::Conflict(Conflict::TimeClash)),
            other => other.map(|_| ()),
        }
    }

    /// Cancels a session (kept on record, out of "held" and of every percentage) or restores
    /// it. Its attended marks leave (or rejoin) their students' counts in the same commit, on
    /// the precondition that the session is as read. Repeating it (a double click, a second
    /// tab) changes nothing and answers the same: each try reads the session afresh, and one
    /// already in the asked state is done.
    pub async fn set_session_cancelled(&self, session: &Session, cancelled: bool) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change {
            cancelled: bool,
            attended_count: Option<u32>,
        }
        let id = session.id;
        self.commit_retrying(Attempts::PRECONDITIONS, |_| async move {
            let (session, read_at) = self.session_as_read(id).await?.ok_or(StoreError::NotFound)?;
            if session.cancelled == cancelled {
                return Ok(Step::Done(()));
            }
            let marks = self.marks_of_session(id).await?;
            let counter = ids::attended_field(&session.unit_code, session.term);
            let by = if cancelled { -1 } else { 1 };
            let mut writes = Writes::new(self.db().await?);
            let stamp = if cancelled { "cancelled_at" } else { "restored_at" };
            writes.update_if_unchanged(
                SESSIONS,
                &id.to_string(),
                &Change { cancelled, attended_count: None },
                &["cancelled", "attended_count"],
                read_at,
                vec![server_time(stamp), server_time("updated_at")],
            )?;
            for mark in marks.iter().filter(|m| crate::model::attended_weight(m.effective_status()) > 0) {
                writes.update(
                    super::docs::STUDENTS,
                    mark.admission_number.key().as_str(),
                    &NoFields {},
                    &[],
                    vec![increment(&counter, by), server_time("updated_at")],
                )?;
            }
            Ok(Step::commit(writes, |_| Ok(())))
        })
        .await
    }

    /// Deletes a session that has no marks at all (removed ones included), freeing its lecture
    /// number and start time. `Ok(false)` when it has marks: cancel it instead. A mark can
    /// still land a moment later (sent before the delete, or by a phone whose copy of the
    /// session is a few seconds old): [`Store::restore_if_marked`] undoes the delete then.
    pub async fn delete_unmarked_session(&self, session: &Session) -> Result<bool, StoreError> {
        if !self.marks_of_session(session.id).await?.is_empty() {
            return Ok(false);
        }
        self.soft_delete_session(session).await.map(|()| true)
    }

    /// Brings back a deleted session that has a mark after all, with its lecture number and
    /// start time (unless another session took them meanwhile: then it stays deleted, logged).
    /// `Ok(true)` when it came back.
    pub async fn restore_if_marked(&self, session: &Session) -> Result<bool, StoreError> {
        #[derive(serde::Serialize)]
        struct Restored {
            deleted: bool,
            deleted_at: Option<firestore::FirestoreTimestamp>,
        }
        if self.marks_of_session(session.id).await?.is_empty() {
            return Ok(false);
        }
        let guard = SessionGuardDoc { session_id: session.id.to_string() };
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            SESSIONS,
            &session.id.to_string(),
            &Restored { deleted: false, deleted_at: None },
            &["deleted", "deleted_at"],
            vec![server_time("updated_at")],
        )?;
        writes.create(
            SESSION_SLOTS,
            &ids::session_slot(&session.unit_code, session.term, session.number),
            &guard,
            &[],
        )?;
        writes.create(
            SESSION_TIMES,
            &ids::session_time(&session.unit_code, session.term, session.date, session.times.start()),
            &guard,
            &[],
        )?;
        match writes.commit().await {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists(_)) => {
                tracing::error!(session = %session.id, "a deleted session has a mark but its number or time was taken; left deleted");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// A session with the update time it was read at (for a commit's precondition).
    async fn session_as_read(
        &self,
        id: SessionId,
    ) -> Result<Option<(Session, firestore::FirestoreInstant)>, StoreError> {
        match self.get_doc::<SessionDoc>(SESSIONS, &id.to_string()).await? {
            Some(doc) if !doc.deleted => {
                let read_at =
                    doc.update_time.map(|t| t.0).ok_or_else(|| StoreError::unexpected("update time"))?;
                Ok(Some((session_from_doc(doc)?, read_at)))
            }
            _ => Ok(None),
        }
    }

    /// Switches between a static and a rotating QR code.
    pub async fn set_session_qr_mode(&self, id: SessionId, mode: QrMode) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            qr_mode: &'a str,
        }
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            SESSIONS,
            &id.to_string(),
            &Change { qr_mode: mode.as_str() },
            &["qr_mode"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await.map(|_| ())
    }

    /// Hides the session and frees its lecture number and start time, in one commit.
    pub async fn soft_delete_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            SESSIONS,
            &session.id.to_string(),
            &Deleted { deleted: true },
            &["deleted"],
            vec![server_time("deleted_at"), server_time("updated_at")],
        )?;
        writes.delete(SESSION_SLOTS, &ids::session_slot(&session.unit_code, session.term, session.number))?;
        writes.delete(
            SESSION_TIMES,
            &ids::session_time(&session.unit_code, session.term, session.date, session.times.start()),
        )?;
        writes.commit().await.map(|_| ())
    }
}
