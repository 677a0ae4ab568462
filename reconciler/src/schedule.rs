//! `reconciler schedule`: an incremental pass on every tick of one cron expression and a full
//! pass (which sees hard deletes) on every tick of another, until SIGTERM or Ctrl-C. Passes of
//! this process never overlap: an incremental tick that finds a pass running is skipped, a full
//! tick waits for its turn. Shutdown waits for the pass in flight to finish.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::run::{Reconciler, RunOptions, RunResult};

pub async fn schedule(
    reconciler: Arc<Reconciler>,
    cron: &str,
    full_cron: &str,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let running = Arc::new(Mutex::new(()));
    let mut scheduler = JobScheduler::new().await?;
    for (expression, full, variable) in
        [(cron, false, "RECONCILE_CRON/--cron"), (full_cron, true, "RECONCILE_FULL_CRON/--full-cron")]
    {
        let (job_reconciler, job_running) = (reconciler.clone(), running.clone());
        let job = Job::new_async(expression, move |_, _| {
            let (reconciler, running) = (job_reconciler.clone(), job_running.clone());
            Box::pin(async move {
                let _guard = if full {
                    running.lock().await
                } else {
                    let Ok(guard) = running.try_lock() else {
                        tracing::info!("previous pass still running; skipping this tick");
                        return;
                    };
                    guard
                };
                match reconciler.run_once(RunOptions { full, ..RunOptions::default() }).await {
                    Ok(RunResult::Completed(summary)) => match summary.needs_operator() {
                        Some(problem) => tracing::error!(%summary, problem, "reconcile pass needs an operator"),
                        None => tracing::info!(%summary, full, "reconcile pass finished"),
                    },
                    Ok(RunResult::Skipped) => {}
                    Err(e) => tracing::error!(error = %e, full, "reconcile pass failed"),
                }
            })
        })
        .map_err(|e| {
            anyhow::anyhow!("{variable} {expression:?} is not a valid cron expression (sec min hour day month weekday): {e}")
        })?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    tracing::info!(cron, full_cron, "reconciler scheduled");
    shutdown.await;
    tracing::info!("stopping: waiting for the pass in flight");
    scheduler.shutdown().await?;
    let _finished = running.lock().await;
    Ok(())
}
