//! The PostgreSQL side: connection, migrations, and the advisory lock that keeps two
//! reconcilers from running at once.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Row};

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

/// Records the university's time zone for the views that judge "held" by it
/// (`lecture_starts_at`). A zone without an IANA name (never from `TIMEZONE`) is kept as UTC.
pub async fn record_timezone(pool: &PgPool, timezone: &jiff::tz::TimeZone) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO university (id, timezone) VALUES (true, $1)
         ON CONFLICT (id) DO UPDATE SET timezone = excluded.timezone WHERE university.timezone IS DISTINCT FROM excluded.timezone",
    )
    .bind(timezone.iana_name().unwrap_or("UTC"))
    .execute(pool)
    .await
    .map(|_| ())
}

/// The run lock: a connection of its own, outside the pool, holding a session advisory lock.
/// Dropping it closes the connection, which releases the lock, so a panic or a cancelled pass
/// can never leave a pooled connection holding it.
pub struct RunLock(PgConnection);

/// Takes the run lock; `None` when another reconciler holds it.
pub async fn try_lock(pool: &PgPool) -> Result<Option<RunLock>, sqlx::Error> {
    let mut conn = pool.acquire().await?.detach();
    let locked: bool =
        sqlx::query("SELECT pg_try_advisory_lock($1)").bind(LOCK_KEY).fetch_one(&mut conn).await?.get(0);
    Ok(locked.then_some(RunLock(conn)))
}

/// Releases the run lock now (closing its connection, which would release it anyway).
pub async fn unlock(mut lock: RunLock) {
    let released = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut lock.0)
        .await;
    if !matches!(released, Ok(true)) {
        tracing::warn!(?released, "could not release the run lock; closing its connection");
    }
    let _ = lock.0.close().await;
}
