//! The history of marks (`attendance_changes`): one row per change of a mark after it was
//! made, append-only in Firestore and mirrored like every other collection.

use attendance::model::MarkChange;
use attendance::store::docs::{AttendanceChangeDoc, ids};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::columns::{bound_upsert, mirrored_row, upsert};
use super::rows::{Meta, small};
use super::tables::{FromDoc, Table};
use crate::time;

mirrored_row! {
    pub struct ChangeRow in "attendance_changes" key id {
        id: String as "text",
        attendance_id: String as "text",
        session_id: Uuid as "uuid",
        unit_code: String as "text",
        academic_year: String as "text",
        semester: i16 as "int2",
        admission_number: String as "text",
        admission_key: String as "text",
        version: i32 as "int4",
        from_status: String as "text",
        to_status: String as "text",
        reason: Option<String> as "text",
        by: String as "text",
        source: String as "text",
        at: DateTime<Utc> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
    }
}

impl FromDoc for ChangeRow {
    type Doc = AttendanceChangeDoc;

    fn document_id(&self) -> String {
        self.id.clone()
    }

    fn build(meta: Meta, c: MarkChange) -> Result<Self, String> {
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
    const ID_COLUMN: &'static str = "id";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        Ok(bound_upsert(upsert::<Self>(), batch, touch_all).execute(conn).await?.rows_affected())
    }
}
