//! The department's audit log (`admin_audit`): one row per administrator action, append-only in
//! Firestore and mirrored like every other collection.

use attendance::model::AuditEntry;
use attendance::store::AuditDoc;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::rows::Meta;
use super::tables::{Table, column};
use crate::time;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub action: String,
    pub actor: String,
    pub target: String,
    pub detail: String,
    pub at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Table for AuditRow {
    type Doc = AuditDoc;
    const TABLE: &'static str = "admin_audit";
    const ID_COLUMN: &'static str = "id";
    const SELECT: &'static str = "SELECT id, action, actor, target, detail, at, updated_at FROM admin_audit";

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
    fn document_id(&self) -> String {
        self.id.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO admin_audit (id, action, actor, target, detail, at, updated_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                                         $7::timestamptz[])
             ON CONFLICT (id) DO UPDATE SET
                action = excluded.action, actor = excluded.actor, target = excluded.target, detail = excluded.detail,
                at = excluded.at, updated_at = excluded.updated_at, mirrored_at = excluded.mirrored_at
             WHERE (admin_audit.updated_at IS DISTINCT FROM excluded.updated_at OR $8::bool)",
        )
        .bind(column(batch, |r| r.id.clone()))
        .bind(column(batch, |r| r.action.clone()))
        .bind(column(batch, |r| r.actor.clone()))
        .bind(column(batch, |r| r.target.clone()))
        .bind(column(batch, |r| r.detail.clone()))
        .bind(column(batch, |r| r.at))
        .bind(column(batch, |r| r.updated_at))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}
