//! One run of the `reconciler` binary as an operator starts it, and its run record: shared by
//! the full and the incremental benchmarks.

use harness::{TestDatabase, TestFirestore, TestPortal};
use sqlx::Row;

/// Runs the reconciler binary once and returns its run record (durations, peak memory).
pub async fn reconcile(
    fs: &TestFirestore,
    db: &TestDatabase,
    portal: Option<&TestPortal>,
    full: bool,
) -> anyhow::Result<(serde_json::Value, i64, std::process::Output)> {
    let args: &[&str] = if full { &["run", "--full"] } else { &["run"] };
    let mut command =
        harness::binaries::reconciler_command(fs, &db.url, portal.map(|p| p.url.as_str()), args);
    if let Ok(level) = std::env::var("BENCH_RECONCILER_LOG") {
        command.env("RUST_LOG", level);
    }
    if let Ok(size) = std::env::var("MIRROR_BATCH_SIZE") {
        command.env("MIRROR_BATCH_SIZE", size);
    }
    let output = command.output().await?;
    anyhow::ensure!(
        output.status.success(),
        "reconciler failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let row = sqlx::query("SELECT durations, peak_rss_kb FROM reconcile_runs ORDER BY id DESC LIMIT 1")
        .fetch_one(&db.pool)
        .await?;
    Ok((row.get(0), row.get::<Option<i64>, _>(1).unwrap_or_default(), output))
}
