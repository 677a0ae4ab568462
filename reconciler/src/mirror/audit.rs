//! The department's audit log (`admin_audit`): one row per administrator action, append-only in
//! Firestore and mirrored like every other collection.

use attendance::model::AuditEntry;
use attendance::store::AuditDoc;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::columns::{bound_upsert, mirrored_row, upsert};
use super::rows::Meta;
use super::tables::{FromDoc, Table};
use crate::time;

mirrored_row! {
    pub struct AuditRow in "admin_audit" key id {
        id: String as "text",
        action: String as "text",
        actor: String as "text",
        target: String as "text",
        detail: String as "text",
        at: DateTime<Utc> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
    }
}

impl FromDoc for AuditRow {
    type Doc = AuditDoc;

    fn document_id(&self) -> String {
        self.id.clone()
    }

    fn build(meta: Meta, e: AuditEntry) -> Result<Self, String> {
        Ok(Self {
            id: meta.id,
            action: e.action.as_str().to_owned(),
            actor: e.actor,
            target: e.target,
            detail: e.detail,
            at: time::instant(e.at).map_err(|e| e.to_string())?,
            updated_at: meta.updated_at,
        })
    }
}

impl Table for AuditRow {
    const ID_COLUMN: &'static str = "id";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        Ok(bound_upsert(upsert::<Self>(), batch, touch_all).execute(conn).await?.rows_affected())
    }
}
