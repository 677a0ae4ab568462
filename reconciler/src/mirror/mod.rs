//! Mirroring Firestore into PostgreSQL, collection by collection.
//!
//! Each collection is read "changed since its watermark" (minus an overlap, because a server
//! timestamp is taken when a write starts and can become visible after later ones), streamed in
//! batches; each batch is upserted and the watermark advanced in ONE PostgreSQL transaction, so a
//! crash at any point leaves a consistent mirror that the next run simply continues.
//! `--full` re-reads everything and removes rows whose documents are gone.

mod tables;

use std::collections::BTreeMap;
use std::time::Duration;

use attendance::store::docs::{AttendanceDoc, LecturerDoc, SessionDoc, StudentDoc, UnitDoc};
use attendance::store::{Changed, Store, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use indicatif::ProgressBar;
use sqlx::{Connection, PgConnection, PgPool, Row};

pub use tables::{Table, utc};

/// Re-read this much before the watermark: a write stamped earlier than the last mirrored one
/// may commit after it; re-reading is harmless because unchanged rows are not rewritten.
const OVERLAP: Duration = Duration::from_secs(60);

/// Stops the read-ahead task when mirroring a collection ends early (an error, a crash test).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Debug, Default, Clone)]
pub struct MirrorOutcome {
    /// Rows inserted or changed, per table.
    pub changed: BTreeMap<&'static str, u64>,
    /// Rows removed by a full run, per table.
    pub removed: BTreeMap<&'static str, u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("reading Firestore: {0}")]
    Firestore(#[from] StoreError),
    #[error("writing PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("stopped on purpose after {0} batches (failure injection)")]
    Injected(usize),
}

/// Mirror settings for one run.
#[derive(Debug, Clone, Copy)]
pub struct MirrorOptions {
    pub full: bool,
    pub batch_size: usize,
    /// Testing aid: fail after this many committed batches, as a crash would.
    pub fail_after_batches: Option<usize>,
}

pub async fn mirror_all(
    store: &Store,
    pool: &PgPool,
    options: MirrorOptions,
    progress: &ProgressBar,
) -> Result<MirrorOutcome, MirrorError> {
    let mut conn = pool.acquire().await?;
    let mut outcome = MirrorOutcome::default();
    let mut batches = 0;
    // Parents first, so an attendance row rarely arrives before its session.
    mirror::<LecturerDoc>(store, &mut conn, options, progress, &mut outcome, &mut batches).await?;
    mirror::<UnitDoc>(store, &mut conn, options, progress, &mut outcome, &mut batches).await?;
    mirror::<SessionDoc>(store, &mut conn, options, progress, &mut outcome, &mut batches).await?;
    mirror::<StudentDoc>(store, &mut conn, options, progress, &mut outcome, &mut batches).await?;
    mirror::<AttendanceDoc>(store, &mut conn, options, progress, &mut outcome, &mut batches).await?;
    Ok(outcome)
}

async fn watermark(conn: &mut PgConnection, collection: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let row = sqlx::query("SELECT watermark FROM mirror_state WHERE collection = $1")
        .bind(collection)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| r.get::<Option<DateTime<Utc>>, _>(0)))
}

fn to_instant(t: DateTime<Utc>) -> Option<jiff::Timestamp> {
    jiff::Timestamp::new(t.timestamp(), i32::try_from(t.timestamp_subsec_nanos()).ok()?).ok()
}

#[tracing::instrument(skip_all, fields(collection = T::COLLECTION))]
async fn mirror<T: Table>(
    store: &Store,
    conn: &mut PgConnection,
    options: MirrorOptions,
    progress: &ProgressBar,
    outcome: &mut MirrorOutcome,
    batches: &mut usize,
) -> Result<(), MirrorError> {
    let since = if options.full {
        None
    } else {
        watermark(conn, T::COLLECTION)
            .await?
            .map(|w| w - chrono::Duration::from_std(OVERLAP).unwrap_or_default())
    };
    // A full run rewrites every row it sees: rows older than this were not seen, so are gone.
    let started: DateTime<Utc> = sqlx::query("SELECT now()").fetch_one(&mut *conn).await?.get(0);
    progress.set_message(format!("mirroring {}", T::COLLECTION));
    let stream = store.changed_since::<T>(T::COLLECTION, since.and_then(to_instant)).await?;
    // Read ahead: the next batch streams in from Firestore while this one is written.
    let (sender, mut batches_in) = tokio::sync::mpsc::channel::<Result<Vec<Changed<T>>, StoreError>>(2);
    let batch_size = options.batch_size;
    let reader = AbortOnDrop(tokio::spawn(async move {
        let mut chunks = stream.chunks(batch_size);
        while let Some(chunk) = chunks.next().await {
            let batch: Result<Vec<_>, _> = chunk.into_iter().collect();
            let failed = batch.is_err();
            if sender.send(batch).await.is_err() || failed {
                break;
            }
        }
    }));
    let mut changed = 0;
    let (mut documents, mut reading, mut writing) = (0, Duration::ZERO, Duration::ZERO);
    loop {
        let wait = std::time::Instant::now();
        let Some(batch) = batches_in.recv().await else { break };
        reading += wait.elapsed();
        let write = std::time::Instant::now();
        let batch = batch?;
        let Some(last) = batch.last() else { continue };
        documents += batch.len();
        let mut tx = conn.begin().await?;
        // The mirror can always be rebuilt from Firestore: a commit lost in a crash only means
        // that batch (and its watermark) is read again, so don't wait for the disk.
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        changed += T::upsert(&mut tx, &batch, options.full).await?;
        sqlx::query(
            "INSERT INTO mirror_state (collection, watermark, watermark_id, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (collection) DO UPDATE SET watermark = excluded.watermark, watermark_id = excluded.watermark_id,
                                                    updated_at = excluded.updated_at
             WHERE mirror_state.watermark IS NULL OR mirror_state.watermark <= excluded.watermark",
        )
        .bind(T::COLLECTION)
        .bind(utc(last.updated_at))
        .bind(&last.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        writing += write.elapsed();
        progress.inc(batch.len() as u64);
        tracing::debug!(documents = batch.len(), "batch mirrored");
        *batches += 1;
        if options.fail_after_batches.is_some_and(|n| *batches >= n) {
            return Err(MirrorError::Injected(*batches));
        }
    }
    drop(reader);
    tracing::info!(
        documents,
        changed,
        reading_ms = reading.as_millis() as u64,
        writing_ms = writing.as_millis() as u64,
        "collection mirrored"
    );
    outcome.changed.insert(T::TABLE, changed);
    if options.full {
        // Rows whose documents no longer exist in Firestore.
        let removed =
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {} WHERE mirrored_at < $1", T::TABLE)))
                .bind(started)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        outcome.removed.insert(T::TABLE, removed);
    }
    Ok(())
}
