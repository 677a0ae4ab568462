//! Fault tests with real processes: the reconciler binary, the emulator, PostgreSQL and the
//! loopback Portal. Each ends with `reconciler verify` equal and the Portal holding every key.

use std::collections::BTreeMap;
use std::time::Duration;

use harness::{Answer, PrivateCluster, TestFirestore, TestPortal};
use sqlx::{PgPool, Row};

use super::{Setup, assert_verified, command, expected_keys, finish, fixture, many_marks};

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(pool).await.map(|r| r.get(0)).unwrap_or(-1)
}

/// Polls until `sql` counts at least `at_least`, or panics after 60 s.
async fn wait_for(pool: &PgPool, sql: &str, at_least: i64) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = count(pool, sql).await;
        if n >= at_least {
            return n;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited 60 s for {sql} >= {at_least} (at {n})");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// How often each key reached the Portal.
fn sends(portal: &TestPortal) -> BTreeMap<String, usize> {
    let mut sends = BTreeMap::new();
    for r in portal.received() {
        *sends.entry(r.idempotency_key.unwrap_or_default()).or_insert(0) += 1;
    }
    sends
}

async fn ends_consistent(fs: &TestFirestore, database_url: &str, portal: &TestPortal) {
    assert_verified(fs, database_url, portal).await;
    let expected = expected_keys(fs).await;
    let accepted = portal.accepted_keys();
    let missing: Vec<_> = expected.difference(&accepted).collect();
    assert!(missing.is_empty(), "{} keys never accepted, e.g. {:?}", missing.len(), missing.first());
}

#[tokio::test]
async fn killed_mid_mirror_the_next_run_converges() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    many_marks(&setup.fs, 12, 5000).await;
    let mut child = setup.command(&["run"]).spawn().expect("start");
    // The first attendance batch (2,000 rows) is committed; the rest is still being read.
    let partial = wait_for(&setup.db.pool, "SELECT count(*) FROM attendance", 1).await;
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    let after_kill = count(&setup.db.pool, "SELECT count(*) FROM attendance").await;
    assert!(partial < 5005 && after_kill < 5005, "killed mid-mirror ({partial}, {after_kill})");
    assert!(setup.portal.received().is_empty(), "nothing forwarded before the mirror finished");
    assert_eq!(setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'running'").await, 1);

    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'failed' AND error LIKE '%killed or crashed%'").await,
        1,
        "the killed run is recorded as failed"
    );
    assert!(sends(&setup.portal).values().all(|n| *n == 1), "no record sent twice");
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}

#[tokio::test]
async fn killed_mid_forwarding_resends_at_most_what_was_in_flight() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    many_marks(&setup.fs, 12, 300).await;
    setup.portal.delay(Duration::from_millis(50));
    let mut child = setup.command(&["run"]).spawn().expect("start");
    wait_for(&setup.db.pool, "SELECT count(*) FROM portal_deliveries WHERE status = 'delivered'", 40).await;
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
    let delivered = setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'delivered'").await;
    assert!(delivered < 304, "killed mid-forwarding ({delivered} delivered)");
    setup.portal.delay(Duration::ZERO);

    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    let twice = sends(&setup.portal).values().filter(|n| **n > 1).count();
    // Outcomes are written as answers arrive: only requests in flight at the kill (at most the
    // shipped PORTAL_CONCURRENCY of 16) can go out again, under the same key.
    assert!(twice <= 16, "{twice} records sent twice");
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}

#[tokio::test]
async fn postgres_restarted_mid_run_the_next_run_converges() {
    let cluster = PrivateCluster::start().await;
    let database_url = cluster.create_database("attendance").await;
    let fs = TestFirestore::new().await;
    let portal = TestPortal::start().await;
    fixture(&fs).await;
    many_marks(&fs, 12, 5000).await;
    let pool = PgPool::connect(&database_url).await.expect("connect");
    let child = command(&fs, &database_url, &portal, &["run"]).spawn().expect("start");
    let waiter = tokio::spawn(async move { child.wait_with_output().await });
    wait_for(&pool, "SELECT count(*) FROM attendance", 1).await;
    pool.close().await;
    cluster.restart().await;
    let output = tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("ends")
        .expect("join")
        .expect("output");
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "the interrupted run fails: {text}");

    let (code, output) = finish(command(&fs, &database_url, &portal, &["run"])).await;
    assert_eq!(code, 0, "{output}");
    let pool = PgPool::connect(&database_url).await.expect("connect");
    assert_eq!(count(&pool, "SELECT count(*) FROM reconcile_runs WHERE status = 'running'").await, 0);
    pool.close().await;
    ends_consistent(&fs, &database_url, &portal).await;
}

#[tokio::test]
async fn a_long_portal_outage_then_recovery_loses_nothing() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    setup.portal.answer_always(Some(Answer::status(503).with_header("retry-after", "120")));
    // Passes every few hours over two and a half days of outage, new marks arriving meanwhile.
    for (pass, hours) in [(0, 0), (1, 20), (2, 40), (3, 60)] {
        let (code, output) = setup.reconcile(&["run"]).await;
        assert_eq!(code, 0, "pass {pass}: {output}");
        assert!(output.contains("dead 0"), "pass {pass}: {output}");
        many_marks(&setup.fs, 14 + pass, 5).await;
        setup.binary_failing_for_hours(hours + 1).await;
    }
    setup.portal.answer_always(None);
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'dead'").await, 0);
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}

#[tokio::test]
async fn a_redirecting_portal_keeps_everything_pending_until_the_url_is_fixed() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let moved = setup.portal.url.trim_end_matches('/').to_owned();
    setup.portal.answer_always(Some(Answer::redirect(301, &moved)));
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 1, "{output}");
    assert!(output.contains(&format!("the Portal redirected to {moved}: fix PORTAL_API_URL")), "{output}");
    assert_eq!(setup.portal.get_hits(), 0, "not followed");
    let (_, status) = setup.reconcile(&["status"]).await;
    assert!(status.contains("fix PORTAL_API_URL"), "{status}");
    setup.portal.answer_always(None);
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}

#[tokio::test]
async fn a_hanging_portal_costs_one_timeout_and_the_next_pass_mirrors() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    setup.portal.hang(true);
    let started = std::time::Instant::now();
    let (code, output) = setup.reconcile(&["run"]).await;
    // All four records wait in parallel for the shipped 10 s timeout; nothing else waits.
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("retried 4"), "{output}");
    assert!(started.elapsed() < Duration::from_secs(40), "{:?}", started.elapsed());
    let rows: Vec<String> = sqlx::query_scalar("SELECT DISTINCT last_error FROM portal_deliveries")
        .fetch_all(&setup.db.pool)
        .await
        .expect("errors");
    assert_eq!(rows, ["timed out"]);
    many_marks(&setup.fs, 15, 3).await;
    let (code, output) = setup.reconcile(&["run"]).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(setup.count("SELECT count(*) FROM attendance").await, 8, "mirrored despite the Portal");
    setup.portal.hang(false);
    setup.binary_backoff_elapses().await;
    assert_eq!(setup.reconcile(&["run"]).await.0, 0);
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}

#[tokio::test]
async fn two_passes_started_at_once_send_each_record_once() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    many_marks(&setup.fs, 12, 200).await;
    // A slow Portal keeps the first pass busy for over a second while the second starts.
    setup.portal.delay(Duration::from_millis(100));
    let (a, b) = tokio::join!(setup.reconcile(&["run"]), setup.reconcile(&["run"]));
    assert_eq!((a.0, b.0), (0, 0), "{a:?} {b:?}");
    let stood_down =
        [&a.1, &b.1].iter().filter(|o| o.contains("another reconciler run is in progress")).count();
    assert_eq!(stood_down, 1, "{a:?} {b:?}");
    assert!(sends(&setup.portal).values().all(|n| *n == 1), "each record sent once");
    ends_consistent(&setup.fs, &setup.db.url, &setup.portal).await;
}
