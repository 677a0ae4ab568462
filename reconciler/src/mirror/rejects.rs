//! `mirror_rejects`: documents that do not parse into the domain types, kept so that an
//! operator can see and fix them while the mirror moves on.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(Debug, Clone)]
pub struct Reject {
    pub id: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub reason: String,
}

/// Records this batch's rejects and clears those whose documents now parse.
pub async fn record(
    conn: &mut PgConnection,
    collection: &str,
    rejected: &[Reject],
    accepted: &[String],
) -> Result<(), sqlx::Error> {
    if !accepted.is_empty() {
        sqlx::query("DELETE FROM mirror_rejects WHERE collection = $1 AND document_id = ANY($2)")
            .bind(collection)
            .bind(accepted)
            .execute(&mut *conn)
            .await?;
    }
    if !rejected.is_empty() {
        sqlx::query(
            "INSERT INTO mirror_rejects (collection, document_id, error, updated_at)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::timestamptz[])
             ON CONFLICT (collection, document_id) DO UPDATE SET
                error = excluded.error, updated_at = excluded.updated_at, last_seen = now()",
        )
        .bind(collection)
        .bind(rejected.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
        .bind(rejected.iter().map(|r| r.reason.clone()).collect::<Vec<_>>())
        .bind(rejected.iter().map(|r| r.updated_at).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// After a completed full read: rejects not seen again belong to documents that are gone.
pub async fn forget_missing(
    conn: &mut PgConnection,
    collection: &str,
    read_started: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM mirror_rejects WHERE collection = $1 AND last_seen < $2")
        .bind(collection)
        .bind(read_started)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
