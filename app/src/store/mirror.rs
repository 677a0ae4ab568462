//! Reading documents for the reconciler's mirror, parsed into the app's domain model.
//!
//! A document that does not parse is not an error of the read: it comes back as a
//! [`Changed`] whose `model` is `Err(reason)`, so one bad document never stops the stream, and
//! the reconciler can record it and move on. A failed *read* is an error item of the stream.

use firestore::{FirestoreDb, FirestoreDocument, FirestoreQueryFilter, FirestoreTimestamp};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::codec::student_from_doc;
use super::docs::{
    ATTENDANCE, ATTENDANCE_CHANGES, AttendanceChangeDoc, AttendanceDoc, LECTURERS, LecturerDoc, SESSIONS,
    STUDENTS, SessionDoc, StudentDoc, UNITS, UPDATED_AT, UnitDoc, ids,
};
use super::{Store, StoreError};
use crate::domain::Instant;
use crate::model::{AttendanceRecord, AuditEntry, Lecturer, MarkChange, Session, Student, Unit};

/// One mirrored document: its id, its change times, and its content as the domain model.
#[derive(Debug, Clone)]
pub struct Changed<M> {
    pub id: String,
    /// The server-set `updated_at`; `None` only on documents written outside the app.
    pub updated_at: Option<Instant>,
    /// Set when the document was soft-deleted.
    pub deleted_at: Option<Instant>,
    /// The content, or why it does not parse into the domain types.
    pub model: Result<M, String>,
}

/// A Firestore document type the reconciler mirrors, and the domain model it parses into.
pub trait MirroredDoc: DeserializeOwned + Send + 'static {
    type Model: Send + 'static;
    const COLLECTION: &'static str;
    /// Parses the document stored under `id`; the id must agree with the content.
    fn parse(self, id: &str) -> Result<Self::Model, StoreError>;
}

impl MirroredDoc for LecturerDoc {
    type Model = Lecturer;
    const COLLECTION: &'static str = LECTURERS;
    fn parse(self, id: &str) -> Result<Lecturer, StoreError> {
        let lecturer = super::codec::lecturer_from_doc(self)?;
        same_id(id, &lecturer.username.key(), "lecturer")?;
        Ok(lecturer)
    }
}

impl MirroredDoc for UnitDoc {
    type Model = Unit;
    const COLLECTION: &'static str = UNITS;
    fn parse(self, id: &str) -> Result<Unit, StoreError> {
        let unit = super::codec::unit_from_doc(self)?;
        same_id(id, unit.code.as_str(), "unit")?;
        Ok(unit)
    }
}

impl MirroredDoc for SessionDoc {
    type Model = Session;
    const COLLECTION: &'static str = SESSIONS;
    fn parse(self, id: &str) -> Result<Session, StoreError> {
        let session = super::codec::session_from_doc(self)?;
        same_id(id, &session.id.to_string(), "session")?;
        Ok(session)
    }
}

impl MirroredDoc for StudentDoc {
    type Model = Student;
    const COLLECTION: &'static str = STUDENTS;
    fn parse(self, id: &str) -> Result<Student, StoreError> {
        let student = student_from_doc(self)?;
        same_id(id, student.admission_number.key().as_str(), "student")?;
        Ok(student)
    }
}

impl MirroredDoc for AttendanceDoc {
    type Model = AttendanceRecord;
    const COLLECTION: &'static str = ATTENDANCE;
    fn parse(self, id: &str) -> Result<AttendanceRecord, StoreError> {
        let record = super::codec::record_from_doc(self)?;
        same_id(id, &ids::attendance(record.session_id, &record.admission_number.key()), "attendance")?;
        Ok(record)
    }
}

impl MirroredDoc for AttendanceChangeDoc {
    type Model = MarkChange;
    const COLLECTION: &'static str = ATTENDANCE_CHANGES;
    fn parse(self, id: &str) -> Result<MarkChange, StoreError> {
        let (attendance_id, admission_key) = (self.attendance_id.clone(), self.admission_key.clone());
        let change = super::codec::change_from_doc(self)?;
        let key = change.admission_number.key();
        let mark = ids::attendance(change.session_id, &key);
        if attendance_id != mark || admission_key != key.as_str() {
            return Err(StoreError::corrupt(
                "attendance change",
                format!(
                    "attendance_id {attendance_id} and admission_key {admission_key} do not match the mark {mark}"
                ),
            ));
        }
        same_id(id, &ids::attendance_change(&mark, change.version), "attendance change")?;
        Ok(change)
    }
}

impl MirroredDoc for super::docs::AuditDoc {
    type Model = AuditEntry;
    const COLLECTION: &'static str = super::docs::ADMIN_AUDIT;
    /// Its id is random: nothing in the content to check it against.
    fn parse(self, _id: &str) -> Result<AuditEntry, StoreError> {
        super::codec::audit_from_doc(self)
    }
}

fn same_id(id: &str, expected: &str, what: &str) -> Result<(), StoreError> {
    if id == expected {
        Ok(())
    } else {
        Err(StoreError::corrupt(what, format!("document id {id} does not match its content ({expected})")))
    }
}

/// The change-tracking fields every mirrored document carries, read apart from the content so
/// that a document whose content does not parse still moves the watermark.
#[derive(Deserialize)]
struct Stamps {
    #[serde(default)]
    updated_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    deleted_at: Option<FirestoreTimestamp>,
}

fn changed<T: MirroredDoc>(doc: &FirestoreDocument) -> Changed<T::Model> {
    let id = doc.name.rsplit('/').next().unwrap_or_default().to_owned();
    let stamps = FirestoreDb::deserialize_doc_to::<Stamps>(doc).ok();
    let model = FirestoreDb::deserialize_doc_to::<T>(doc)
        .map_err(|e| format!("does not parse: {e}"))
        .and_then(|parsed| parsed.parse(&id).map_err(|e| e.to_string()));
    Changed {
        id,
        updated_at: stamps.as_ref().and_then(|s| s.updated_at).map(|t| t.0),
        deleted_at: stamps.and_then(|s| s.deleted_at).map(|t| t.0),
        model,
    }
}

/// A stream of mirrored documents; an `Err` item is a failed read, never a bad document.
pub type MirrorStream<M> = BoxStream<'static, Result<Changed<M>, StoreError>>;

impl Store {
    /// Documents whose `updated_at` is at or after `since`, oldest change first.
    pub async fn changed_since<T: MirroredDoc>(
        &self,
        since: Instant,
    ) -> Result<MirrorStream<T::Model>, StoreError> {
        let db: FirestoreDb = self.db().await?.clone();
        let stream = db
            .fluent()
            .select()
            .from(T::COLLECTION)
            .filter(move |q| -> Option<FirestoreQueryFilter> {
                q.field(UPDATED_AT).greater_than_or_equal(FirestoreTimestamp(since))
            })
            .order(|o| o.fields([o.field(UPDATED_AT).asc(), o.field("__name__").asc()]))
            .stream_query_with_errors()
            .await?;
        Ok(stream.map_err(StoreError::from).map_ok(|doc| changed::<T>(&doc)).boxed())
    }

    /// Every document of the collection in id order, including any without an `updated_at`
    /// (which a query ordered by it would silently leave out).
    pub async fn all_documents<T: MirroredDoc>(&self) -> Result<MirrorStream<T::Model>, StoreError> {
        let db: FirestoreDb = self.db().await?.clone();
        let stream = db.fluent().select().from(T::COLLECTION).stream_query_with_errors().await?;
        Ok(stream.map_err(StoreError::from).map_ok(|doc| changed::<T>(&doc)).boxed())
    }
}
