//! Runs: the lock, and the schedule.

use std::time::Duration;

use reconciler::{RunOptions, RunResult, db};
use sqlx::Row;

use super::{Setup, fixture};

#[tokio::test]
async fn two_reconcilers_never_run_at_once() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    // Another instance holds the lock: this one stands down without doing anything.
    let lock = db::try_lock(&setup.db.pool).await.expect("lock").expect("free");
    assert!(matches!(reconciler.run_once(RunOptions::default()).await.expect("run"), RunResult::Skipped));
    assert_eq!(setup.count("SELECT count(*) FROM reconcile_runs").await, 0);
    db::unlock(lock).await;

    // Two at the same time, with a slow Portal holding the first one's lock open.
    setup.portal.delay(Duration::from_millis(300));
    let other = setup.reconciler(&[]).await;
    let (a, b) = tokio::join!(reconciler.run_once(RunOptions::default()), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        other.run_once(RunOptions::default()).await
    });
    let results = [a.expect("a"), b.expect("b")];
    assert_eq!(results.iter().filter(|r| matches!(r, RunResult::Skipped)).count(), 1, "{results:?}");
    let keys: Vec<_> = setup.portal.received().into_iter().filter_map(|r| r.idempotency_key).collect();
    let unique: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!((keys.len(), unique.len()), (4, 4), "each record sent once");
}

#[tokio::test]
async fn schedule_runs_on_its_cron_and_stops_cleanly() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = std::sync::Arc::new(setup.reconciler(&[]).await);
    let pool = setup.db.pool.clone();
    let two_runs = async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let done: i64 = sqlx::query("SELECT count(*) FROM reconcile_runs WHERE status = 'succeeded'")
                .fetch_one(&pool)
                .await
                .expect("count")
                .get(0);
            if done >= 2 || tokio::time::Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    reconciler::schedule::schedule(reconciler, "* * * * * *", "0 0 0 1 1 *", two_runs)
        .await
        .expect("schedule");
    assert!(setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'succeeded'").await >= 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'running'").await,
        0,
        "no pass cut off"
    );
    let bad = reconciler::schedule::schedule(
        std::sync::Arc::new(setup.reconciler(&[]).await),
        "every five minutes",
        "0 30 2 * * *",
        std::future::ready(()),
    )
    .await;
    assert!(bad.expect_err("invalid cron").to_string().contains("not a valid cron expression"));
}
