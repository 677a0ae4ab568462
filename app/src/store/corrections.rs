//! A lecturer's corrections of marks, each with its history record.
//!
//! A correction is ONE commit: the mark (created, or updated only if unchanged since it was
//! read), the student's count of lectures attended moved by the difference the change makes,
//! and an append-only `attendance_changes/{mark}_v{version}` record. A concurrent change makes
//! the commit fail and the correction is read and decided again, so no change is lost or
//! recorded twice.

use super::attendance::new_mark_doc;
use super::commit::{Writes, array_union, increment, server_time};
use super::docs::{
    ATTENDANCE, ATTENDANCE_CHANGES, AttendanceChangeDoc, AttendanceDoc, SESSIONS, STUDENTS, StudentCreate,
    StudentDoc, ids,
};
use super::query::CHANGES_OF_SESSION;
use super::{Conflict, Store, StoreError, parse_listed, ts};
use crate::domain::{
    AcademicYear, AdmissionNumber, Semester, SessionId, StudentName, Term, UnitCode, Username,
};
use crate::model::{
    ChangeSource, Correction, CorrectionRefused, MarkChange, MarkSource, MarkState, MarkStatus, NewMark,
    Session, attended_weight, correct,
};

/// What became of a correction.
#[derive(Debug)]
pub enum Corrected {
    Changed(MarkChange),
    /// The mark already was in the state asked for.
    Unchanged,
    Refused(CorrectionRefused),
}

impl Store {
    /// Applies `correction` to one student's mark in `session`, on behalf of lecturer `by`.
    /// `expected_lessons` is recorded on a mark the lecturer creates, as on a scanned one.
    pub async fn correct_mark(
        &self,
        session: &Session,
        correction: &Correction,
        by: &Username,
        expected_lessons: crate::domain::ExpectedLessons,
    ) -> Result<Corrected, StoreError> {
        let key = correction.admission_number.key();
        let id = ids::attendance(session.id, &key);
        for _ in 0..5 {
            let (current, student) = tokio::try_join!(
                self.get_doc::<AttendanceDoc>(ATTENDANCE, &id),
                self.get_doc::<StudentDoc>(STUDENTS, key.as_str()),
            )?;
            let from = match &current {
                None => MarkState::Unmarked,
                Some(doc) if doc.deleted => MarkState::Removed,
                Some(doc) => MarkState::Marked(
                    MarkStatus::parse(&doc.status)
                        .ok_or_else(|| StoreError::corrupt("attendance", &doc.status))?,
                ),
            };
            let to = match correct(from, correction) {
                Err(refused) => return Ok(Corrected::Refused(refused)),
                Ok(None) => return Ok(Corrected::Unchanged),
                Ok(Some(to)) => to,
            };
            let name = match (&correction.student_name, &student) {
                (Some(name), _) => name.clone(),
                (None, Some(student)) => {
                    StudentName::parse(&student.name).map_err(|e| StoreError::corrupt("student", e))?
                }
                (None, None) if let Some(mark) = &current => StudentName::parse(&mark.student_name)
                    .map_err(|e| StoreError::corrupt("attendance", e))?,
                (None, None) => {
                    return Ok(Corrected::Refused(CorrectionRefused::NameRequired(
                        correction.admission_number.clone(),
                    )));
                }
            };
            let delta = attended_weight(to.status()) - attended_weight(from.status());
            let mut writes = Writes::new(self.db().await?);
            let version = match &current {
                None => {
                    let status =
                        to.status().ok_or(StoreError::Invalid("a new mark needs a status".into()))?;
                    let doc = {
                        let mark = NewMark {
                            admission_number: correction.admission_number.clone(),
                            student_name: name.clone(),
                            status,
                            source: MarkSource::Lecturer,
                            expected_lessons,
                            attempted_at: None,
                        };
                        new_mark_doc(session, &mark, &uuid::Uuid::new_v4().to_string(), None)
                    };
                    writes.create(ATTENDANCE, &id, &doc, &["marked_at", "updated_at"])?;
                    1
                }
                Some(doc) => {
                    #[derive(serde::Serialize)]
                    struct Change {
                        status: String,
                        deleted: bool,
                        version: u32,
                    }
                    let version = doc.version + 1;
                    let change = Change {
                        status: to.status().map_or_else(|| doc.status.clone(), |s| s.as_str().to_owned()),
                        deleted: to == MarkState::Removed,
                        version,
                    };
                    let mut stamps = vec![server_time("updated_at")];
                    let mut fields = vec!["status", "deleted", "version"];
                    if to == MarkState::Removed {
                        stamps.push(server_time("deleted_at"));
                    } else if from == MarkState::Removed {
                        // Restored: no removal time is left behind (the field goes).
                        fields.push("deleted_at");
                    }
                    let update_time =
                        doc.update_time.ok_or_else(|| StoreError::Invalid("no update time".into()))?;
                    writes.update_if_unchanged(ATTENDANCE, &id, &change, &fields, update_time.0, stamps)?;
                    version
                }
            };
            let counter = ids::attended_field(&session.unit_code, session.term);
            let transforms = || {
                vec![
                    array_union("units", vec![session.unit_code.as_str().into()]),
                    increment(&counter, delta),
                    server_time("updated_at"),
                ]
            };
            // The student's count moves only when attended-or-not changes; a student is created
            // only for a mark, never for a removal.
            let student_written = match &student {
                Some(_) if delta != 0 => {
                    writes.update(STUDENTS, key.as_str(), &NoFields {}, &[], transforms())?;
                    true
                }
                None if to.status().is_some() => {
                    let create = StudentCreate {
                        admission_number: correction.admission_number.as_str(),
                        name: name.as_str(),
                    };
                    writes.create_with(
                        STUDENTS,
                        key.as_str(),
                        &create,
                        &StudentCreate::FIELDS,
                        transforms(),
                    )?;
                    true
                }
                _ => false,
            };
            let change = AttendanceChangeDoc {
                attendance_id: id.clone(),
                session_id: session.id.to_string(),
                unit_code: session.unit_code.as_str().to_owned(),
                academic_year: session.term.year.to_string(),
                semester: session.term.semester.number(),
                admission_number: correction.admission_number.as_str().to_owned(),
                admission_key: key.as_str().to_owned(),
                version,
                from_status: from.as_str().to_owned(),
                to_status: to.as_str().to_owned(),
                reason: correction.reason.as_ref().map(|r| r.as_str().to_owned()),
                by: by.as_str().to_owned(),
                source: ChangeSource::Lecturer.as_str().to_owned(),
                at: None,
                updated_at: None,
            };
            writes.create(
                ATTENDANCE_CHANGES,
                &ids::attendance_change(&id, version),
                &change,
                &["at", "updated_at"],
            )?;
            // The session's settled count no longer holds: the next reader counts again.
            writes.update(
                SESSIONS,
                &session.id.to_string(),
                &Unsettled::default(),
                &Unsettled::FIELDS,
                Vec::new(),
            )?;
            match writes.commit().await {
                Ok(committed) => {
                    let at = committed.server_time(1 + usize::from(student_written), 0).map(|t| t.0);
                    let at =
                        at.ok_or_else(|| StoreError::Invalid("commit returned no server time".into()))?;
                    return Ok(Corrected::Changed(change_from_doc(AttendanceChangeDoc {
                        at: Some(at.into()),
                        ..change
                    })?));
                }
                // Someone else changed the mark or the student in between: decide again.
                Err(
                    StoreError::AlreadyExists(_)
                    | StoreError::NotFound
                    | StoreError::Invalid(_)
                    | StoreError::Conflict(_),
                ) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(Conflict::Contention))
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

pub(super) fn change_from_doc(doc: AttendanceChangeDoc) -> Result<MarkChange, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("attendance change", e);
    Ok(MarkChange {
        session_id: SessionId::parse(&doc.session_id).ok_or_else(|| bad(&doc.session_id))?,
        unit_code: UnitCode::parse(&doc.unit_code).map_err(|e| bad(&e))?,
        term: Term {
            year: AcademicYear::parse(&doc.academic_year).map_err(|e| bad(&e))?,
            semester: Semester::try_from(i64::from(doc.semester)).map_err(|e| bad(&e))?,
        },
        admission_number: AdmissionNumber::parse(&doc.admission_number).map_err(|e| bad(&e))?,
        version: doc.version,
        from: MarkState::parse(&doc.from_status).ok_or_else(|| bad(&doc.from_status))?,
        to: MarkState::parse(&doc.to_status).ok_or_else(|| bad(&doc.to_status))?,
        reason: doc.reason,
        by: doc.by,
        source: ChangeSource::parse(&doc.source).ok_or_else(|| bad(&doc.source))?,
        at: ts(doc.at).ok_or_else(|| bad(&"no time"))?,
    })
}
