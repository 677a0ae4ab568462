//! The history of marks (`attendance_changes`): one row per change of a mark after it was
//! made, append-only in Firestore and mirrored like every other collection.

use attendance::model::MarkChange;
use attendance::store::docs::{AttendanceChangeDoc, ids};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::rows::{Meta, small};
use super::tables::{Table, column};
use crate::time;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChangeRow {
    pub id: String,
    pub attendance_id: String,
    pub session_id: Uuid,
    pub unit_code: String,
    pub academic_year: String,
    pub semester: i16,
    pub admission_number: String,
    pub admission_key: String,
    pub version: i32,
    pub from_status: String,
    pub to_status: String,
    pub reason: Option<String>,
    pub by: String,
    pub source: String,
    pub at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ChangeRow {
    pub fn build(meta: Meta, c: MarkChange) -> Result<Self, String> {
        let key = c.admission_number.key();
        Ok(Self {
            id: meta.id,
            attendance_id: ids::attendance(c.session_id, &key),
            session_id: *c.session_id.as_uuid(),
            unit_code: c.unit_code.as_str().to_owned(),
            academic_year: c.term.year.to_string(),
            semester: i16::from(c.term.semester.number()),
            admission_number: c.admission_number.as_str().to_owned(),
            admission_key: key.as_str().to_owned(),
            version: small(c.version, "version")?,
            from_status: c.from.as_str().to_owned(),
            to_status: c.to.as_str().to_owned(),
            reason: c.reason,
            by: c.by,
            source: c.source.as_str().to_owned(),
            at: time::instant(c.at).map_err(|e| e.to_string())?,
            updated_at: meta.updated_at,
        })
    }
}

impl Table for ChangeRow {
    type Doc = AttendanceChangeDoc;
    const TABLE: &'static str = "attendance_changes";
    const ID_COLUMN: &'static str = "id";
    const SELECT: &'static str = "SELECT id, attendance_id, session_id, unit_code, academic_year, semester, admission_number,
        admission_key, version, from_status, to_status, reason, by, source, at, updated_at FROM attendance_changes";

    fn build(meta: Meta, model: MarkChange) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.id.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO attendance_changes (id, attendance_id, session_id, unit_code, academic_year, semester, admission_number,
                                             admission_key, version, from_status, to_status, reason, by, source, at,
                                             updated_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int2[], $7::text[],
                                         $8::text[], $9::int4[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                                         $15::timestamptz[], $16::timestamptz[])
             ON CONFLICT (id) DO UPDATE SET
                attendance_id = excluded.attendance_id, session_id = excluded.session_id, unit_code = excluded.unit_code,
                academic_year = excluded.academic_year, semester = excluded.semester,
                admission_number = excluded.admission_number, admission_key = excluded.admission_key,
                version = excluded.version, from_status = excluded.from_status, to_status = excluded.to_status,
                reason = excluded.reason, by = excluded.by, source = excluded.source, at = excluded.at,
                updated_at = excluded.updated_at, mirrored_at = excluded.mirrored_at
             WHERE (attendance_changes.updated_at IS DISTINCT FROM excluded.updated_at OR $17::bool)",
        )
        .bind(column(batch, |r| r.id.clone()))
        .bind(column(batch, |r| r.attendance_id.clone()))
        .bind(column(batch, |r| r.session_id))
        .bind(column(batch, |r| r.unit_code.clone()))
        .bind(column(batch, |r| r.academic_year.clone()))
        .bind(column(batch, |r| r.semester))
        .bind(column(batch, |r| r.admission_number.clone()))
        .bind(column(batch, |r| r.admission_key.clone()))
        .bind(column(batch, |r| r.version))
        .bind(column(batch, |r| r.from_status.clone()))
        .bind(column(batch, |r| r.to_status.clone()))
        .bind(column(batch, |r| r.reason.clone()))
        .bind(column(batch, |r| r.by.clone()))
        .bind(column(batch, |r| r.source.clone()))
        .bind(column(batch, |r| r.at))
        .bind(column(batch, |r| r.updated_at))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}
