//! Mirroring Firestore into PostgreSQL, collection by collection.
//!
//! Each collection is read "changed since its watermark" (minus an overlap, because a server
//! timestamp is taken when a write starts and can become visible after later ones), streamed in
//! batches; each batch is upserted and the watermark advanced in ONE PostgreSQL transaction, so a
//! crash at any point leaves a consistent mirror that the next run simply continues. A document
//! that does not parse is recorded in `mirror_rejects` and skipped; the watermark moves past it.
//! `--full` re-reads everything and, only once the read completed, removes rows whose documents
//! are gone.

mod audit;
mod changes;
pub(crate) mod columns;
mod rejects;
pub mod rows;
mod tables;

use std::collections::BTreeMap;
use std::time::Duration;

use attendance::store::{Changed, MirrorStream, Store, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use indicatif::ProgressBar;
use sqlx::{Connection, PgConnection, PgPool, Row};

pub use audit::AuditRow;
pub use changes::ChangeRow;
pub use rejects::Reject;
pub use rows::{AttendanceRow, LecturerRow, SessionRow, StudentRow, UnitRow};
pub use tables::{Table, parse};

type Model<T> = <<T as tables::FromDoc>::Doc as attendance::store::MirroredDoc>::Model;

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
    /// Documents rejected in this run.
    pub rejected: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("reading Firestore: {0}")]
    Firestore(#[from] StoreError),
    #[error("writing PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("the Firestore reader of {0} stopped unexpectedly; nothing was removed")]
    ReaderDied(&'static str),
    #[error("stopped on purpose after {0} batches (failure injection)")]
    Injected(usize),
}

/// Mirror settings for one run.
#[derive(Debug, Clone, Copy)]
pub struct MirrorOptions {
    pub full: bool,
    pub batch_size: usize,
    /// How far before the watermark an incremental read starts: longer than any write can take
    /// to become visible after its server time was taken (tied to the Firestore timeout).
    pub overlap: Duration,
    /// Testing aid: fail after this many committed batches, as a crash would.
    pub fail_after_batches: Option<usize>,
}

pub async fn mirror_all(
    store: &Store,
    pool: &PgPool,
    options: MirrorOptions,
    progress: &ProgressBar,
    outcome: &mut MirrorOutcome,
) -> Result<(), MirrorError> {
    let mut conn = pool.acquire().await?;
    let mut batches = 0;
    // Parents first, so an attendance row rarely arrives before its session, nor a change before
    // its mark. The outcome fills as collections finish, so a failed run still records what it did.
    let mut pass = Pass { store, conn: &mut conn, options, progress, outcome, batches: &mut batches };
    pass.mirror::<LecturerRow>().await?;
    pass.mirror::<UnitRow>().await?;
    pass.mirror::<SessionRow>().await?;
    pass.mirror::<StudentRow>().await?;
    pass.mirror::<AttendanceRow>().await?;
    pass.mirror::<ChangeRow>().await?;
    pass.mirror::<AuditRow>().await
}

async fn watermark(conn: &mut PgConnection, collection: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let row = sqlx::query("SELECT watermark FROM mirror_state WHERE collection = $1")
        .bind(collection)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| r.get::<Option<DateTime<Utc>>, _>(0)))
}

/// Moves the watermark forward (never back).
async fn advance(conn: &mut PgConnection, collection: &str, to: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mirror_state (collection, watermark, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (collection) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at
         WHERE mirror_state.watermark IS NULL OR mirror_state.watermark < excluded.watermark",
    )
    .bind(collection)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

struct Pass<'a> {
    store: &'a Store,
    conn: &'a mut PgConnection,
    options: MirrorOptions,
    progress: &'a ProgressBar,
    outcome: &'a mut MirrorOutcome,
    batches: &'a mut usize,
}

type Batch<M> = Result<Vec<Changed<M>>, StoreError>;

impl Pass<'_> {
    /// One collection: read what changed since its watermark (everything on a full pass), in
    /// batches read ahead while the previous one is written; each batch commits with its
    /// watermark; a full pass then removes the rows whose documents are gone.
    #[tracing::instrument(skip_all, fields(collection = <T::Doc as attendance::store::MirroredDoc>::COLLECTION))]
    async fn mirror<T: Table>(&mut self) -> Result<(), MirrorError> {
        use attendance::store::MirroredDoc;
        let collection = T::Doc::COLLECTION;
        let full = self.options.full;
        // A full run rewrites every row it sees: rows older than this were not seen, so are gone.
        let started: DateTime<Utc> = sqlx::query("SELECT now()").fetch_one(&mut *self.conn).await?.get(0);
        self.progress.set_message(format!("mirroring {collection}"));
        let watermark = watermark(self.conn, collection).await?;
        // Read from the start (a new collection, or a watermark a migration removed to fill new
        // columns): every row is rewritten from its document, changed or not.
        let rewrite = full || watermark.is_none();
        let stream = if full {
            self.store.all_documents::<T::Doc>().await?
        } else {
            let overlap = chrono::Duration::from_std(self.options.overlap).unwrap_or_default();
            let since = watermark.map(|w| w - overlap).unwrap_or(DateTime::UNIX_EPOCH);
            let since = crate::time::to_firestore(since).unwrap_or_default();
            self.store.changed_since::<T::Doc>(since).await?
        };
        let (reader, mut batches_in, done) = read_ahead(stream, self.options.batch_size);
        let (mut changed, mut documents, mut newest) = (0, 0, None::<DateTime<Utc>>);
        while let Some(batch) = batches_in.recv().await {
            let batch = batch?;
            documents += batch.len();
            let (batch_changed, batch_newest) = self.commit_batch::<T>(batch, rewrite).await?;
            changed += batch_changed;
            newest = newest.max(batch_newest);
            *self.batches += 1;
            if self.options.fail_after_batches.is_some_and(|n| *self.batches >= n) {
                return Err(MirrorError::Injected(*self.batches));
            }
        }
        if done.await.is_err() {
            return Err(MirrorError::ReaderDied(collection));
        }
        drop(reader);
        tracing::info!(documents, changed, "collection mirrored");
        self.outcome.changed.insert(T::TABLE, changed);
        if full {
            // Everything up to the read's start has been seen; later writes are re-read anyway.
            if let Some(newest) = newest {
                advance(self.conn, collection, newest.min(started)).await?;
            }
            let removed = self.remove_unseen::<T>(started).await?;
            self.outcome.removed.insert(T::TABLE, removed);
        }
        Ok(())
    }

    /// Writes one batch (its rows, its rejects, and, on an incremental pass, the watermark) in
    /// one transaction; returns the rows changed and the newest `updated_at` in it.
    async fn commit_batch<T: Table>(
        &mut self,
        batch: Vec<Changed<Model<T>>>,
        rewrite: bool,
    ) -> Result<(u64, Option<DateTime<Utc>>), MirrorError> {
        use attendance::store::MirroredDoc;
        let collection = T::Doc::COLLECTION;
        let mut rows = Vec::with_capacity(batch.len());
        let mut rejected = Vec::new();
        for doc in batch {
            match parse::<T>(doc) {
                Ok(row) => rows.push(row),
                Err((id, updated_at, reason)) => rejected.push(Reject { id, updated_at, reason }),
            }
        }
        let newest = rows.iter().map(T::updated_at).chain(rejected.iter().filter_map(|r| r.updated_at)).max();
        let mut tx = self.conn.begin().await?;
        // The mirror can always be rebuilt from Firestore: a commit lost in a crash only means
        // that batch (and its watermark) is read again, so don't wait for the disk.
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        let changed = if rows.is_empty() { 0 } else { T::upsert(&mut tx, &rows, rewrite).await? };
        let accepted: Vec<String> = rows.iter().map(T::document_id).collect();
        rejects::record(&mut tx, collection, &rejected, &accepted).await?;
        // An unordered full read cannot move the watermark batch by batch.
        if let (Some(to), false) = (newest, self.options.full) {
            advance(&mut tx, collection, to).await?;
        }
        tx.commit().await?;
        self.outcome.rejected += rejected.len() as u64;
        for reject in &rejected {
            tracing::warn!(collection, id = reject.id, reason = reject.reason, "document rejected");
        }
        self.progress.inc((rows.len() + rejected.len()) as u64);
        Ok((changed, newest))
    }

    /// After a full read: removes the rows whose documents are gone (not seen since `started`).
    /// A rejected document still exists: its last good row stays until a valid version
    /// replaces it.
    async fn remove_unseen<T: Table>(&mut self, started: DateTime<Utc>) -> Result<u64, MirrorError> {
        use attendance::store::MirroredDoc;
        let collection = T::Doc::COLLECTION;
        let mut tx = self.conn.begin().await?;
        T::before_removal(&mut tx, started).await?;
        let removed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE mirrored_at < $1
             AND {id} NOT IN (SELECT document_id FROM mirror_rejects WHERE collection = $2)",
            table = T::TABLE,
            id = T::ID_COLUMN,
        )))
        .bind(started)
        .bind(collection)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Rejects of documents that are gone are resolved too.
        rejects::forget_missing(&mut tx, collection, started).await?;
        tx.commit().await?;
        Ok(removed)
    }
}

/// Streams `stream` in batches of `batch_size` from a task of its own, so the next batch comes
/// in from Firestore while this one is written. The third value resolves only when the reader
/// reached the end: a panic or abort drops it unresolved, which must never look like the end
/// of the collection.
fn read_ahead<M: Send + 'static>(
    stream: MirrorStream<M>,
    batch_size: usize,
) -> (AbortOnDrop, tokio::sync::mpsc::Receiver<Batch<M>>, tokio::sync::oneshot::Receiver<()>) {
    let (sender, batches) = tokio::sync::mpsc::channel::<Batch<M>>(2);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let reader = AbortOnDrop(tokio::spawn(async move {
        let mut chunks = stream.chunks(batch_size);
        while let Some(chunk) = chunks.next().await {
            let batch: Result<Vec<_>, _> = chunk.into_iter().collect();
            let failed = batch.is_err();
            if sender.send(batch).await.is_err() || failed {
                return;
            }
        }
        let _ = done_tx.send(());
    }));
    (reader, batches, done_rx)
}
