//! Marking attendance and reading it back.
//!
//! A mark is ONE atomic commit of two writes: create `attendance/{session}_{student}` (fails if
//! it exists, so a duplicate is impossible rather than checked for) and create the student, or
//! only add the unit and count to an existing one. One read of the student precedes it (is the
//! student new, under which name?); the duplicate path reads the first mark once.

use super::codec::{new_mark_doc, record_from_doc};
use super::commit::{Attempts, Step, Writes, array_union, increment, server_time};
use super::docs::{ATTENDANCE, AttendanceDoc, SESSIONS, STUDENTS, StudentCreate, StudentDoc, ids};
use super::query::{
    ATTENDANCE_OF_SESSION, ATTENDANCE_OF_UNIT_TERM, MARKS_OF_SESSION, MARKS_OF_SESSION_WITH_STATUS,
    MARKS_OF_STUDENT_IN_UNIT_TERM, unit_term_values,
};
use super::{Store, StoreError, parse_listed};
use crate::domain::{AdmissionNumber, SessionId, Term, UnitCode};
use crate::model::{AttendanceRecord, MarkOutcome, MarkStatus, Marking, NewMark, Session, Student};

impl Store {
    /// Records the mark unless the student is already marked in this session.
    ///
    /// One read (the student's document: is the student new, and under which name?) and one
    /// atomic commit: create the attendance document, and create the student or only add the
    /// unit and count to it. A commit that loses a race (the mark exists: another request's,
    /// or ours whose answer was lost; or the student was created or went away meanwhile) costs
    /// one more round: the mark and the student are read again.
    pub async fn mark_attendance(&self, session: &Session, mark: &NewMark) -> Result<Marking, StoreError> {
        let key = mark.admission_number.key();
        let id = ids::attendance(session.id, &key);
        let request_id = uuid::Uuid::new_v4().to_string();
        let known = self.get_doc::<StudentDoc>(STUDENTS, key.as_str()).await?;
        let known_at_first = known.is_some();
        let known_name = known.map(|s| s.name).filter(|name| !mark.student_name.is_same_name(name));
        let doc = new_mark_doc(session, mark, &request_id, known_name);
        let student = StudentCreate {
            admission_number: mark.admission_number.as_str(),
            name: mark.student_name.as_str(),
        };
        let counter = ids::attended_field(&session.unit_code, session.term);
        let (id, key, doc, student, counter, request_id) = (&id, &key, &doc, &student, &counter, &request_id);
        self.commit_retrying(Attempts::CONTENDED, |attempt| async move {
            let student_exists = if attempt == 1 {
                known_at_first
            } else {
                let (first, student) = tokio::try_join!(
                    self.get_doc::<AttendanceDoc>(ATTENDANCE, id),
                    self.get_doc::<StudentDoc>(STUDENTS, key.as_str()),
                )?;
                if let Some(first) = first {
                    return first_mark(session, first, student.as_ref(), request_id).map(Step::Done);
                }
                student.is_some()
            };
            let transforms = vec![
                array_union("units", vec![session.unit_code.as_str().into()]),
                increment(counter, 1),
                server_time("updated_at"),
            ];
            let mut writes = Writes::new(self.db().await?);
            let marked = writes.create(ATTENDANCE, id, doc, &["marked_at", "updated_at"])?;
            if mark.attempted_at.is_some() {
                // A pending mark can land after the session's count was settled: the count
                // goes, to be counted again. (Only these marks arrive that late, and they are
                // few: the session document is not written by every mark of a burst.)
                let unsettled = Unsettled { attended_count: None };
                writes.update(
                    SESSIONS,
                    &session.id.to_string(),
                    &unsettled,
                    &["attended_count"],
                    Vec::new(),
                )?;
            }
            let counted = if student_exists {
                writes.update(STUDENTS, key.as_str(), &NoFields {}, &[], transforms)?
            } else {
                writes.create_with(STUDENTS, key.as_str(), student, &StudentCreate::FIELDS, transforms)?
            };
            let (doc, counter) = (doc.clone(), counter.clone());
            Ok(Step::commit(writes, move |committed| {
                let marked_at = committed
                    .server_time(marked, "marked_at")
                    .ok_or_else(|| StoreError::unexpected("server time"))?;
                let attended = committed.integer(counted, &counter).unwrap_or(1).max(0) as u64;
                let record = record_from_doc(AttendanceDoc { marked_at: Some(marked_at), ..doc })?;
                Ok(Marking { outcome: MarkOutcome::Marked(record), attended_in_term: attended })
            }))
        })
        .await
    }

    /// One student's mark in one session, if any (removed marks included, flagged).
    pub async fn attendance_record(
        &self,
        session: SessionId,
        admission: &AdmissionNumber,
    ) -> Result<Option<(AttendanceRecord, bool)>, StoreError> {
        let doc =
            self.get_doc::<AttendanceDoc>(ATTENDANCE, &ids::attendance(session, &admission.key())).await?;
        doc.map(|d| {
            let deleted = d.deleted;
            record_from_doc(d).map(|r| (r, deleted))
        })
        .transpose()
    }

    /// A session's attendance list, newest mark first.
    pub async fn attendance_of_session(
        &self,
        session: SessionId,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        let values = vec![session.to_string().into(), false.into()];
        let docs: Vec<AttendanceDoc> = ATTENDANCE_OF_SESSION.fetch(self, values, None).await?;
        Ok(parse_listed(docs, record_from_doc))
    }

    /// Every mark of a session, removed ones included.
    pub async fn marks_of_session(&self, session: SessionId) -> Result<Vec<AttendanceRecord>, StoreError> {
        let values = vec![session.to_string().into()];
        let docs: Vec<AttendanceDoc> = MARKS_OF_SESSION.fetch(self, values, None).await?;
        Ok(parse_listed(docs, record_from_doc))
    }

    /// One student's marks in a unit and term, removed ones included.
    pub async fn marks_of_student(
        &self,
        admission: &AdmissionNumber,
        unit: &UnitCode,
        term: Term,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        let mut values = vec![admission.key().as_str().into()];
        values.extend(unit_term_values(unit, term).into_iter().take(3));
        let docs: Vec<AttendanceDoc> = MARKS_OF_STUDENT_IN_UNIT_TERM.fetch(self, values, None).await?;
        Ok(parse_listed(docs, record_from_doc))
    }

    /// How many attended a session (present, late or excused), counted by the server: two
    /// aggregation queries, billed by the index entries they scan.
    pub async fn attendance_count(&self, session: SessionId) -> Result<u64, StoreError> {
        let id = session.to_string();
        let (marked, absent) = tokio::try_join!(
            ATTENDANCE_OF_SESSION.count(self, vec![id.clone().into(), false.into()]),
            MARKS_OF_SESSION_WITH_STATUS
                .count(self, vec![id.into(), false.into(), MarkStatus::Absent.as_str().into()]),
        )?;
        Ok(marked.saturating_sub(absent))
    }

    /// The attended count of each of `sessions`, at a cost that does not grow with the marks
    /// for sessions that are over: a settled session's count is a field of the session
    /// document already read; a session just over is counted once and its count stored; only
    /// open sessions are counted each time.
    pub async fn attended_counts(
        &self,
        sessions: &[Session],
        now: jiff::Timestamp,
        tz: &jiff::tz::TimeZone,
    ) -> Result<Vec<u64>, StoreError> {
        use futures::{StreamExt, TryStreamExt};
        // A few at a time: the first view after many sessions ended counts each of them once.
        let counts: Vec<_> =
            sessions.iter().map(|session| self.attended_count_of(session, now, tz)).collect();
        futures::stream::iter(counts).buffered(8).try_collect().await
    }

    async fn attended_count_of(
        &self,
        session: &Session,
        now: jiff::Timestamp,
        tz: &jiff::tz::TimeZone,
    ) -> Result<u64, StoreError> {
        if let Some(count) = session.attended_count {
            return Ok(u64::from(count));
        }
        let count = self.attendance_count(session.id).await?;
        if session.is_settled(now, tz) {
            self.settle_count(session, count).await;
        }
        Ok(count)
    }

    /// Stores a session's attended count, unless the session changed since it was read (then
    /// the next reader counts again).
    async fn settle_count(&self, session: &Session, count: u64) {
        #[derive(serde::Serialize)]
        struct Settled {
            attended_count: u32,
        }
        let (Some(revision), Ok(count)) = (session.revision, u32::try_from(count)) else { return };
        let Ok(db) = self.db().await else { return };
        let mut writes = Writes::new(db);
        let staged = writes.update_if_unchanged(
            super::docs::SESSIONS,
            &session.id.to_string(),
            &Settled { attended_count: count },
            &["attended_count"],
            revision,
            Vec::new(),
        );
        if staged.is_ok()
            && let Err(e) = writes.commit().await
        {
            tracing::debug!(error = %e, session = %session.id, "attended count not settled (changed meanwhile)");
        }
    }

    /// How many sessions of a unit and term the student attended, on the one attended rule,
    /// from the student's marks (what the counter on the student document must agree with).
    pub async fn student_attendance_count(
        &self,
        admission: &AdmissionNumber,
        unit: &UnitCode,
        term: Term,
    ) -> Result<u64, StoreError> {
        let marks = self.marks_of_student(admission, unit, term).await?;
        Ok(marks.iter().map(|m| crate::model::attended_weight(m.effective_status())).sum::<i64>().max(0)
            as u64)
    }

    /// Every mark of a unit in a term, in lecture order.
    pub async fn attendance_of_unit_term(
        &self,
        unit: &UnitCode,
        term: Term,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        let values = unit_term_values(unit, term);
        let docs: Vec<AttendanceDoc> = ATTENDANCE_OF_UNIT_TERM.fetch(self, values, None).await?;
        Ok(parse_listed(docs, record_from_doc))
    }

    pub async fn student(&self, admission: &AdmissionNumber) -> Result<Option<Student>, StoreError> {
        self.get_doc::<StudentDoc>(STUDENTS, admission.key().as_str())
            .await?
            .map(super::codec::student_from_doc)
            .transpose()
    }
}

#[derive(serde::Serialize)]
struct NoFields {}

#[derive(serde::Serialize)]
struct Unsettled {
    attended_count: Option<u32>,
}

/// The outcome of a mark whose document exists already: ours (a commit whose answer was lost),
/// another request's (already marked), or removed by the lecturer.
fn first_mark(
    session: &Session,
    first: AttendanceDoc,
    student: Option<&StudentDoc>,
    request_id: &str,
) -> Result<Marking, StoreError> {
    let attended = student
        .and_then(|s| s.attended.get(&ids::unit_term(&session.unit_code, session.term)).copied())
        .unwrap_or(0)
        .max(0) as u64;
    let ours = first.request_id == request_id;
    let deleted = first.deleted;
    let record = record_from_doc(first)?;
    let outcome = match (ours, deleted) {
        (_, true) => MarkOutcome::Removed(record),
        (true, false) => MarkOutcome::Marked(record),
        (false, false) => MarkOutcome::AlreadyMarked(record),
    };
    Ok(Marking { outcome, attended_in_term: attended })
}
