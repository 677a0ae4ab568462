//! The PostgreSQL side: connection, migrations, and the advisory lock that keeps two
//! reconcilers from running at once.

use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Row};

/// The mirror schema, embedded from `migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Any fixed number: every reconciler of this database takes the same lock.
const LOCK_KEY: i64 = 0x5143_5241_5454_454e; // "QCRATTEN"

pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
}

/// The run lock, held for as long as the returned connection lives; `None` when another
/// reconciler holds it.
pub async fn try_lock(pool: &PgPool) -> Result<Option<PoolConnection<Postgres>>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let locked: bool =
        sqlx::query("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut *conn).await?.get(0);
    Ok(locked.then_some(conn))
}

/// Releases the run lock. If that fails the connection is closed instead of going back to the
/// pool, which releases the lock too (advisory locks belong to the session).
pub async fn unlock(mut conn: PoolConnection<Postgres>) {
    let released = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut *conn)
        .await;
    if !matches!(released, Ok(true)) {
        tracing::warn!(?released, "could not release the run lock; closing its connection");
        let _ = conn.close().await;
    }
}
