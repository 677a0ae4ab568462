//! The marks a lecturer makes or changes (present, late, excused, absent, removed), each with
//! its history record.
//!
//! A correction is read → decide → plan → commit: the mark and the student are read, the pure
//! `model::decide` says what changes, and ONE commit writes it: the mark (created, or updated
//! only if unchanged since it was read), the student's count of lectures attended moved by the
//! difference the change makes, an append-only `attendance_changes/{mark}_v{version}` record,
//! and the session's settled count cleared. A concurrent change makes the commit fail and the
//! correction is read and decided again, so no change is lost or recorded twice.

use super::codec::change_from_doc;
use super::codec::{new_mark_doc, record_from_doc};
use super::commit::{Attempts, Step, Writes, Written, array_union, increment, server_time};
use super::docs::{
    ATTENDANCE, ATTENDANCE_CHANGES, AttendanceChangeDoc, AttendanceDoc, SESSIONS, STUDENTS, StudentCreate,
    StudentDoc, ids,
};
use super::query::CHANGES_OF_SESSION;
use super::{Store, StoreError, parse_listed};
use crate::domain::{AdmissionNumber, ExpectedLessons, SessionId, StudentName, Username};
use crate::model::{
    ChangeSource, Correction, CorrectionRefused, Decided, Decision, MarkChange, MarkSource, MarkState,
    MarkWrite, NewMark, Session, StudentWrite, decide,
};

/// What became of a correction.
#[derive(Debug)]
pub enum Corrected {
    Changed(MarkChange),
    /// The mark already was in the state asked for.
    Unchanged,
    Refused(CorrectionRefused),
}

/// The writes of one correction, for the commit to fill in.
struct Planned<'a> {
    session: &'a Session,
    correction: &'a Correction,
    by: &'a Username,
    expected_lessons: ExpectedLessons,
    /// The mark's document id.
    id: String,
}

impl Store {
    /// Applies `correction` to one student's mark in `session`, on behalf of lecturer `by`.
    /// `expected_lessons` is recorded on a mark the lecturer creates, as on a scanned one.
    pub async fn correct_mark(
        &self,
        session: &Session,
        correction: &Correction,
        by: &Username,
        expected_lessons: ExpectedLessons,
    ) -> Result<Corrected, StoreError> {
        let key = correction.admission_number.key();
        let planned =
            &Planned { session, correction, by, expected_lessons, id: ids::attendance(session.id, &key) };
        let key = &key;
        self.commit_retrying(Attempts::CONTENDED, |_| async move {
            let (current, student) = tokio::try_join!(
                self.get_doc::<AttendanceDoc>(ATTENDANCE, &planned.id),
                self.get_doc::<StudentDoc>(STUDENTS, key.as_str()),
            )?;
            let record = current.clone().map(record_from_doc).transpose()?;
            let known = student
                .map(|s| StudentName::parse(&s.name))
                .transpose()
                .map_err(|e| StoreError::corrupt("student", e))?;
            let decision = match decide(record.as_ref(), known.as_ref(), correction) {
                Decided::Refused(refused) => return Ok(Step::Done(Corrected::Refused(refused))),
                Decided::Unchanged => return Ok(Step::Done(Corrected::Unchanged)),
                Decided::Change(decision) => decision,
            };
            let mut writes = Writes::new(self.db().await?);
            let (history, change) = planned.write(&mut writes, current.as_ref(), &decision)?;
            Ok(Step::commit(writes, move |committed| {
                let at = committed
                    .server_time(history, "at")
                    .ok_or_else(|| StoreError::unexpected("server time"))?;
                change_from_doc(AttendanceChangeDoc { at: Some(at), ..change }).map(Corrected::Changed)
            }))
        })
        .await
    }
    /// Every change of one student's marks in a unit and term, oldest first.
    pub async fn changes_of_student(
        &self,
        admission: &AdmissionNumber,
        unit: &crate::domain::UnitCode,
        term: crate::domain::Term,
    ) -> Result<Vec<MarkChange>, StoreError> {
        let values = vec![
            admission.key().as_str().into(),
            unit.as_str().into(),
            term.year.to_string().into(),
            term.semester.number().into(),
        ];
        let docs: Vec<AttendanceChangeDoc> =
            super::query::CHANGES_OF_STUDENT_IN_UNIT_TERM.fetch(self, values, None).await?;
        let mut changes = parse_listed(docs, change_from_doc);
        changes.sort_by_key(|c| (c.at, c.version));
        Ok(changes)
    }

    /// One change of a mark: the one that took `session`'s mark of `admission` to `version`.
    pub async fn mark_change(
        &self,
        session: SessionId,
        admission: &AdmissionNumber,
        version: u32,
    ) -> Result<Option<MarkChange>, StoreError> {
        let id = ids::attendance_change(&ids::attendance(session, &admission.key()), version);
        self.get_doc::<AttendanceChangeDoc>(ATTENDANCE_CHANGES, &id).await?.map(change_from_doc).transpose()
    }

    /// Every change of the marks of a session, oldest first.
    pub async fn changes_of_session(&self, session: SessionId) -> Result<Vec<MarkChange>, StoreError> {
        let docs: Vec<AttendanceChangeDoc> =
            CHANGES_OF_SESSION.fetch(self, vec![session.to_string().into()], None).await?;
        let mut changes = parse_listed(docs, change_from_doc);
        changes.sort_by_key(|c| (c.at, c.version));
        Ok(changes)
    }
}

impl Planned<'_> {
    /// Adds the correction's writes to `writes`: the mark, the student, the history record and
    /// the session's settled count; returns the history record's write and its document (its
    /// time is the commit's).
    fn write(
        &self,
        writes: &mut Writes,
        current: Option<&AttendanceDoc>,
        decision: &Decision,
    ) -> Result<(Written, AttendanceChangeDoc), StoreError> {
        self.write_mark(writes, current, decision)?;
        self.write_student(writes, decision)?;
        let change = self.history(decision);
        let history = writes.create(
            ATTENDANCE_CHANGES,
            &ids::attendance_change(&self.id, decision.version),
            &change,
            &["at", "updated_at"],
        )?;
        // The session's settled count no longer holds: the next reader counts again.
        writes.update(
            SESSIONS,
            &self.session.id.to_string(),
            &Unsettled::default(),
            &Unsettled::FIELDS,
            Vec::new(),
        )?;
        Ok((history, change))
    }

    /// The mark: created by the lecturer, or updated only if unchanged since `current` was read.
    fn write_mark(
        &self,
        writes: &mut Writes,
        current: Option<&AttendanceDoc>,
        decision: &Decision,
    ) -> Result<(), StoreError> {
        match (decision.mark, current) {
            (MarkWrite::Create(status), _) => {
                let mark = NewMark {
                    admission_number: self.correction.admission_number.clone(),
                    student_name: decision.name.clone(),
                    status,
                    source: MarkSource::Lecturer,
                    expected_lessons: self.expected_lessons,
                    attempted_at: None,
                };
                let doc = new_mark_doc(self.session, &mark, &uuid::Uuid::new_v4().to_string(), None);
                writes.create(ATTENDANCE, &self.id, &doc, &["marked_at", "updated_at"])?;
            }
            (MarkWrite::Update, Some(doc)) => {
                #[derive(serde::Serialize)]
                struct Change {
                    status: String,
                    deleted: bool,
                    version: u32,
                }
                let change = Change {
                    status: decision
                        .to
                        .status()
                        .map_or_else(|| doc.status.clone(), |s| s.as_str().to_owned()),
                    deleted: decision.to == MarkState::Removed,
                    version: decision.version,
                };
                let mut stamps = vec![server_time("updated_at")];
                let mut fields = vec!["status", "deleted", "version"];
                if decision.to == MarkState::Removed {
                    stamps.push(server_time("deleted_at"));
                } else if decision.from == MarkState::Removed {
                    // Restored: no removal time is left behind (the field goes).
                    fields.push("deleted_at");
                }
                let read_at = doc.update_time.ok_or_else(|| StoreError::unexpected("update time"))?;
                writes.update_if_unchanged(ATTENDANCE, &self.id, &change, &fields, read_at.0, stamps)?;
            }
            (MarkWrite::Update, None) => return Err(StoreError::unexpected("mark to update")),
        }
        Ok(())
    }

    /// The student: created with a first mark, or their count moved by the decision's delta.
    fn write_student(&self, writes: &mut Writes, decision: &Decision) -> Result<(), StoreError> {
        let session = self.session;
        let key = self.correction.admission_number.key();
        let counter = ids::attended_field(&session.unit_code, session.term);
        let transforms = || {
            vec![
                array_union("units", vec![session.unit_code.as_str().into()]),
                increment(&counter, decision.attended_delta),
                server_time("updated_at"),
            ]
        };
        match decision.student {
            StudentWrite::Unchanged => {}
            StudentWrite::Count => {
                writes.update(STUDENTS, key.as_str(), &NoFields {}, &[], transforms())?;
            }
            StudentWrite::Create => {
                let create = StudentCreate {
                    admission_number: self.correction.admission_number.as_str(),
                    name: decision.name.as_str(),
                };
                writes.create_with(STUDENTS, key.as_str(), &create, &StudentCreate::FIELDS, transforms())?;
            }
        }
        Ok(())
    }

    /// The change's history record, as first written (the commit sets its time).
    fn history(&self, decision: &Decision) -> AttendanceChangeDoc {
        let (session, correction) = (self.session, self.correction);
        AttendanceChangeDoc {
            attendance_id: self.id.clone(),
            session_id: session.id.to_string(),
            unit_code: session.unit_code.as_str().to_owned(),
            academic_year: session.term.year.to_string(),
            semester: session.term.semester.number(),
            admission_number: correction.admission_number.as_str().to_owned(),
            admission_key: correction.admission_number.key().as_str().to_owned(),
            version: decision.version,
            from_status: decision.from.as_str().to_owned(),
            to_status: decision.to.as_str().to_owned(),
            reason: correction.reason.as_ref().map(|r| r.as_str().to_owned()),
            by: self.by.as_str().to_owned(),
            source: ChangeSource::Lecturer.as_str().to_owned(),
            at: None,
            updated_at: None,
        }
    }
}

#[derive(serde::Serialize)]
struct NoFields {}

/// Clears a session's settled attended count.
#[derive(serde::Serialize, Default)]
pub(super) struct Unsettled {
    attended_count: Option<u32>,
}

impl Unsettled {
    pub(super) const FIELDS: [&'static str; 1] = ["attended_count"];
}
