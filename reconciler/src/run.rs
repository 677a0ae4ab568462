//! One reconciler pass: lock, record the time zone, mirror (the percentage views are computed
//! from the mirror, nothing to refresh), forward, record. Safe to run twice;
//! a second instance finds the lock taken and stands down.

use std::io::IsTerminal;
use std::time::Instant;

use attendance::clock::Clock;
use attendance::store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use crate::config::ReconcilerConfig;
use crate::mirror::{self, MirrorOptions};
use crate::portal::{self, Portal};
use crate::summary::Summary;
use crate::{db, runs};

/// Per-run choices.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Re-read every document and remove rows whose documents are gone.
    pub full: bool,
    /// Testing aid: fail after this many mirrored batches, as a crash would.
    pub fail_after_batches: Option<usize>,
}

#[derive(Debug)]
pub enum RunResult {
    Completed(Summary),
    /// Another reconciler holds the lock; nothing was done.
    Skipped,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("mirror: {0}")]
    Mirror(#[from] mirror::MirrorError),
    #[error("run #{run_id} failed: {source}")]
    Failed { run_id: i64, source: Box<RunError> },
}

pub struct Reconciler {
    store: Store,
    pool: PgPool,
    /// `Err` when the Portal's credentials could not be set up (e.g. no ID token): mirroring
    /// still runs, forwarding reports the problem.
    portal: Option<Result<Portal, String>>,
    config: ReconcilerConfig,
    /// The delivery queue's one time base: when a record is due, when it gives up (tests move
    /// it instead of rewriting the queue).
    clock: Clock,
}

impl Reconciler {
    pub async fn new(config: ReconcilerConfig) -> anyhow::Result<Self> {
        let pool = db::connect(&config.database_url).await?;
        Self::with_pool(config, pool).await
    }

    pub async fn with_pool(config: ReconcilerConfig, pool: PgPool) -> anyhow::Result<Self> {
        Self::with_clock(config, pool, Clock::system()).await
    }

    /// The same with a clock of the caller's (a test's).
    pub async fn with_clock(config: ReconcilerConfig, pool: PgPool, clock: Clock) -> anyhow::Result<Self> {
        let store = Store::connect_lazy(&config.firestore);
        let portal = match &config.portal {
            Some(portal) => Some(Portal::new(portal.clone()).await.map_err(|e| format!("{e:#}"))),
            None => None,
        };
        Ok(Self { store, pool, portal, config, clock })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// One pass. `Skipped` (not an error) when another instance is running.
    #[tracing::instrument(skip(self), fields(run_id))]
    pub async fn run_once(&self, options: RunOptions) -> Result<RunResult, RunError> {
        let Some(lock) = db::try_lock(&self.pool).await? else {
            tracing::info!("another reconciler run is in progress; standing down");
            return Ok(RunResult::Skipped);
        };
        let result = self.recorded_run(options).await;
        // Whatever happened, the lock goes: a connection returned to the pool still holding it
        // would keep every other reconciler standing down.
        db::unlock(lock).await;
        result
    }

    async fn recorded_run(&self, options: RunOptions) -> Result<RunResult, RunError> {
        let run_id = runs::start(&self.pool, options.full).await?;
        tracing::Span::current().record("run_id", run_id);
        let mut summary = Summary { run_id, forwarding: self.portal.is_some(), ..Summary::default() };
        let result = self.phases(options, &mut summary).await;
        summary.peak_rss_kb = peak_rss_kb();
        let error = result.as_ref().err().map(ToString::to_string);
        runs::finish(&self.pool, run_id, &summary, error.as_deref()).await?;
        match result {
            Ok(()) => Ok(RunResult::Completed(summary)),
            Err(source) => Err(RunError::Failed { run_id, source: Box::new(source) }),
        }
    }

    async fn phases(&self, options: RunOptions, summary: &mut Summary) -> Result<(), RunError> {
        let progress = progress_bar();
        let started = Instant::now();
        db::record_timezone(&self.pool, &self.config.timezone).await?;
        let mirror_options = MirrorOptions {
            full: options.full,
            batch_size: self.config.batch_size,
            overlap: overlap(self.config.firestore.request_timeout),
            fail_after_batches: options.fail_after_batches,
        };
        let phase = Instant::now();
        let mirrored =
            mirror::mirror_all(&self.store, &self.pool, mirror_options, &progress, &mut summary.mirror).await;
        summary.durations_ms.insert("mirror", elapsed_ms(phase));
        mirrored?;
        // Percentages are a plain view over the mirror: committed with it, nothing to refresh.
        // Forwarding comes last and within its budget, so it never holds the mirror back.
        match &self.portal {
            Some(Ok(portal)) => {
                let phase = Instant::now();
                summary.forward =
                    portal::forward(&self.pool, portal, &self.config.timezone, &self.clock, &progress)
                        .await?;
                summary.durations_ms.insert("forward", elapsed_ms(phase));
            }
            Some(Err(why)) => summary.forward.halted = Some(portal::Halt::Unauthorized(why.clone())),
            None => {}
        }
        summary.durations_ms.insert("total", elapsed_ms(started));
        progress.finish_and_clear();
        Ok(())
    }
}

/// How far before its watermark a collection is re-read: a write's server time is taken when it
/// starts, and it may become visible up to a Firestore timeout later.
fn overlap(firestore_timeout: std::time::Duration) -> std::time::Duration {
    (firestore_timeout * 2).max(std::time::Duration::from_secs(60))
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A spinner with counts on a terminal; nothing when logs go to a file or a collector.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} · {pos} done · {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// The process's peak resident memory (Linux), for the run record and the benchmark.
pub fn peak_rss_kb() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
