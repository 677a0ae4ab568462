//! `reconciler schedule`: a pass on every tick of a cron expression, until SIGTERM or Ctrl-C.
//! A tick that finds the previous pass still running is skipped; shutdown waits for the pass
//! in flight to finish.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::run::{Reconciler, RunOptions, RunResult};

pub async fn schedule(
    reconciler: Arc<Reconciler>,
    cron: &str,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let running = Arc::new(Mutex::new(()));
    let mut scheduler = JobScheduler::new().await?;
    let (job_reconciler, job_running) = (reconciler.clone(), running.clone());
    let job = Job::new_async(cron, move |_, _| {
        let (reconciler, running) = (job_reconciler.clone(), job_running.clone());
        Box::pin(async move {
            let Ok(_guard) = running.try_lock() else {
                tracing::info!("previous pass still running; skipping this tick");
                return;
            };
            match reconciler.run_once(RunOptions::default()).await {
                Ok(RunResult::Completed(summary)) => tracing::info!(%summary, "reconcile pass finished"),
                Ok(RunResult::Skipped) => {}
                Err(e) => tracing::error!(error = %e, "reconcile pass failed"),
            }
        })
    })
    .map_err(|e| anyhow::anyhow!("RECONCILE_CRON/--cron {cron:?} is not a valid cron expression (sec min hour day month weekday): {e}"))?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    tracing::info!(cron, "reconciler scheduled");
    shutdown.await;
    tracing::info!("stopping: waiting for the pass in flight");
    scheduler.shutdown().await?;
    let _finished = running.lock().await;
    Ok(())
}
