//! The reconciler against the emulator, a per-test PostgreSQL database and a loopback Portal.

use std::time::Duration;

use attendance::config::Vars;
use attendance::domain::AdmissionNumber;
use attendance::model::Session;
use harness::{TestDatabase, TestFirestore, TestPortal};
use jiff::ToSpan;
use reconciler::{Reconciler, ReconcilerConfig, RunOptions, RunResult, Summary, db};
use sqlx::Row;

use crate::fixtures::*;

struct Setup {
    fs: TestFirestore,
    db: TestDatabase,
    portal: TestPortal,
}

impl Setup {
    async fn new() -> Self {
        let setup = Self {
            fs: TestFirestore::new().await,
            db: TestDatabase::new().await,
            portal: TestPortal::start().await,
        };
        db::MIGRATOR.run(&setup.db.pool).await.expect("migrations");
        setup
    }

    fn config(&self, extra: &[(&str, &str)]) -> ReconcilerConfig {
        let mut vars = vec![
            ("FIRESTORE_PROJECT_ID".to_owned(), self.fs.project_id.clone()),
            ("FIRESTORE_EMULATOR_HOST".to_owned(), self.fs.host.clone()),
            ("DATABASE_URL".to_owned(), self.db.url.clone()),
            ("PORTAL_API_URL".to_owned(), self.portal.url.clone()),
            // Retries are due at once, so a test can run pass after pass.
            ("PORTAL_BACKOFF_SECS".to_owned(), "0".to_owned()),
        ];
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        ReconcilerConfig::from_vars(&Vars::from_pairs(vars)).expect("config")
    }

    async fn reconciler(&self, extra: &[(&str, &str)]) -> Reconciler {
        Reconciler::with_pool(self.config(extra), self.db.pool.clone()).await.expect("reconciler")
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&self.db.pool).await.expect(sql).get(0)
    }
}

async fn run(reconciler: &Reconciler, options: RunOptions) -> Summary {
    match reconciler.run_once(options).await.expect("run") {
        RunResult::Completed(summary) => summary,
        RunResult::Skipped => panic!("unexpectedly skipped"),
    }
}

/// Two lecturers, two units, three sessions in the past, five marks (one late, one removed).
async fn fixture(fs: &TestFirestore) -> Vec<Session> {
    let store = &fs.store;
    store.create_lecturer(&new_lecturer("jkamau", "STF/001")).await.expect("lecturer");
    store.create_lecturer(&new_lecturer("potieno", "STF/002")).await.expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    store.create_unit(&new_unit("MA201", "potieno")).await.expect("unit");
    let mut sessions = Vec::new();
    for (unit, lecturer, hour) in [("CS101", "jkamau", 8), ("CS101", "jkamau", 10), ("MA201", "potieno", 8)] {
        sessions
            .push(store.create_session(&new_session(unit, lecturer, monday(), hour)).await.expect("session"));
    }
    store.mark_attendance(&sessions[0], &mark("ADM/1", "Alice")).await.expect("mark");
    store.mark_attendance(&sessions[1], &mark("ADM/1", "Alice")).await.expect("mark");
    let mut late = mark("ADM/2", "Bob");
    late.status = attendance::model::MarkStatus::Late;
    store.mark_attendance(&sessions[0], &late).await.expect("mark");
    store.mark_attendance(&sessions[2], &mark("ADM/1", "Alice")).await.expect("mark");
    store.mark_attendance(&sessions[2], &mark("ADM/3", "Carol")).await.expect("mark");
    store
        .soft_delete_attendance(&sessions[2], &AdmissionNumber::parse("ADM/3").expect("adm"))
        .await
        .expect("remove");
    sessions
}

/// Every table equals Firestore: counts and the fields a reader would check.
async fn assert_mirror_equals_firestore(setup: &Setup) {
    let rest = setup.fs.rest();
    for (collection, table) in [
        ("lecturers", "lecturers"),
        ("units", "units"),
        ("sessions", "sessions"),
        ("students", "students"),
        ("attendance", "attendance"),
    ] {
        let docs = rest.list_as_admin(collection).await;
        let rows = setup.count(&format!("SELECT count(*) FROM {table}")).await;
        assert_eq!(rows as usize, docs.len(), "{table}");
    }
    for doc in rest.list_as_admin("attendance").await {
        let id = doc["name"].as_str().expect("name").rsplit('/').next().expect("id").to_owned();
        let row = sqlx::query("SELECT admission_number, student_name, status, deleted_at IS NOT NULL AS deleted FROM attendance WHERE id = $1")
            .bind(&id)
            .fetch_one(&setup.db.pool)
            .await
            .expect("row");
        assert_eq!(
            row.get::<String, _>("admission_number"),
            doc["fields"]["admission_number"]["stringValue"].as_str().expect("adm")
        );
        assert_eq!(
            row.get::<String, _>("student_name"),
            doc["fields"]["student_name"]["stringValue"].as_str().expect("name")
        );
        assert_eq!(
            row.get::<String, _>("status"),
            doc["fields"]["status"]["stringValue"].as_str().expect("status")
        );
        assert_eq!(
            row.get::<bool, _>("deleted"),
            doc["fields"]["deleted"]["booleanValue"].as_bool().unwrap_or(false)
        );
    }
}

#[tokio::test]
async fn a_fresh_mirror_equals_firestore_and_a_second_run_changes_nothing() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    let first = run(&reconciler, RunOptions::default()).await;
    assert_eq!(first.mirror.changed["attendance"], 5);
    assert_eq!(first.mirror.changed["students"], 3);
    assert_eq!(first.forward.delivered, 4, "the removed mark is not forwarded");
    assert_mirror_equals_firestore(&setup).await;
    // No password hash leaves Firestore.
    let columns = setup.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'lecturers' AND column_name LIKE '%password%'").await;
    assert_eq!(columns, 0);
    assert_eq!(
        setup.count("SELECT count(*) FROM student_units").await,
        4,
        "Alice in two units, Bob and Carol in one each"
    );
    let session_row =
        sqlx::query("SELECT date::text, start_time::text, session_number FROM sessions WHERE id = $1")
            .bind(uuid::Uuid::parse_str(&sessions[1].id.to_string()).expect("uuid"))
            .fetch_one(&setup.db.pool)
            .await
            .expect("session");
    assert_eq!(session_row.get::<String, _>("date"), "2025-09-01");
    assert_eq!(session_row.get::<String, _>("start_time"), "10:00:00");
    assert_eq!(session_row.get::<i16, _>("session_number"), 2);

    let mirrored_at_before =
        setup.count("SELECT extract(epoch FROM max(mirrored_at))::bigint FROM attendance").await;
    let second = run(&reconciler, RunOptions::default()).await;
    assert!(second.mirror.changed.values().all(|n| *n == 0), "{second}");
    assert_eq!(second.forward.delivered, 0);
    assert_eq!(setup.portal.received().len(), 4);
    assert_eq!(
        setup.count("SELECT extract(epoch FROM max(mirrored_at))::bigint FROM attendance").await,
        mirrored_at_before
    );
}

#[tokio::test]
async fn a_new_mark_and_a_soft_delete_arrive_with_the_next_run() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    setup.fs.store.mark_attendance(&sessions[1], &mark("ADM/2", "Bob")).await.expect("mark");
    setup
        .fs
        .store
        .soft_delete_attendance(&sessions[0], &AdmissionNumber::parse("ADM/1").expect("adm"))
        .await
        .expect("remove");
    setup
        .fs
        .store
        .soft_delete_unit(&attendance::domain::UnitCode::parse("MA201").expect("code"))
        .await
        .expect("unit");
    let next = run(&reconciler, RunOptions::default()).await;
    assert_eq!(next.mirror.changed["attendance"], 2, "{next}");
    assert_eq!(next.forward.delivered, 1, "only the new mark");
    assert_mirror_equals_firestore(&setup).await;
    let deleted = setup.count("SELECT count(*) FROM attendance WHERE deleted_at IS NOT NULL").await;
    assert_eq!(deleted, 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM units WHERE code = 'MA201' AND deleted_at IS NOT NULL").await,
        1
    );
    let bob = setup
        .portal
        .received()
        .into_iter()
        .find(|r| r.body["admission_number"] == "ADM/2" && r.body["time"] != serde_json::Value::Null);
    assert!(bob.is_some());
}

#[tokio::test]
async fn a_run_that_fails_midway_converges_on_the_next() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[("MIRROR_BATCH_SIZE", "10")]).await;
    // Many small batches: 30 more marks so the attendance collection spans several.
    let session =
        setup.fs.store.create_session(&new_session("CS101", "jkamau", monday(), 14)).await.expect("session");
    for i in 0..30 {
        setup
            .fs
            .store
            .mark_attendance(&session, &mark(&format!("ADM/9{i:02}"), "Extra"))
            .await
            .expect("mark");
    }
    let crashed =
        reconciler.run_once(RunOptions { fail_after_batches: Some(6), ..RunOptions::default() }).await;
    assert!(crashed.is_err(), "{crashed:?}");
    let failed = setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'failed' AND error LIKE '%failure injection%'").await;
    assert_eq!(failed, 1);
    let partial = setup.count("SELECT count(*) FROM attendance").await;
    assert!(partial < 35, "stopped midway: {partial}");
    run(&reconciler, RunOptions::default()).await;
    assert_mirror_equals_firestore(&setup).await;
}

#[tokio::test]
async fn the_portal_failing_three_times_delivers_once_on_the_fourth_attempt() {
    let setup = Setup::new().await;
    let store = &setup.fs.store;
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    let session = store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("session");
    store.mark_attendance(&session, &mark("ADM/2023/001", "Jane Doe")).await.expect("mark");
    let reconciler = setup.reconciler(&[("PORTAL_API_TOKEN", "portal-secret")]).await;
    setup.portal.fail_next(3);
    for attempt in 1..=3 {
        let summary = run(&reconciler, RunOptions::default()).await;
        assert_eq!((summary.forward.delivered, summary.forward.retried), (0, 1), "attempt {attempt}");
    }
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 1);
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 0, "delivered once");

    let received = setup.portal.received();
    assert_eq!(received.len(), 4);
    let key = format!("{}_ADM%2F2023%2F001", session.id);
    assert!(
        received.iter().all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
        "same key each time"
    );
    assert!(received.iter().all(|r| r.authorization.as_deref() == Some("Bearer portal-secret")));
    let row = sqlx::query("SELECT status, attempts, last_status_code, last_response FROM portal_deliveries")
        .fetch_one(&setup.db.pool)
        .await
        .expect("delivery");
    assert_eq!(row.get::<String, _>("status"), "delivered");
    assert_eq!(row.get::<i32, _>("attempts"), 4);
    assert_eq!(row.get::<Option<i32>, _>("last_status_code"), Some(201));
    assert_eq!(row.get::<serde_json::Value, _>("last_response"), serde_json::json!({ "status": "created" }));
    // The payload of the original system.
    let body = &received[3].body;
    assert_eq!(body["student_name"], "Jane Doe");
    assert_eq!(body["admission_number"], "ADM/2023/001");
    assert_eq!(body["unit_code"], "CS101");
    assert_eq!(body["date"], "2025-09-01");
    assert_eq!(body["lecturer"], "Dr. Jane Kamau");
    assert_eq!(body["venue"], "LT 2");
    assert_eq!(body["attendance_percentage"], 8.33);
    assert!(body["time"].as_str().is_some_and(|t| t.len() == 8), "{body}");
}

#[tokio::test]
async fn a_portal_down_for_good_leaves_dead_letters_that_retry_dead_redelivers() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[("PORTAL_MAX_ATTEMPTS", "3")]).await;
    setup.portal.fail_always(true);
    let mut dead = 0;
    for _ in 0..3 {
        dead += run(&reconciler, RunOptions::default()).await.forward.dead;
    }
    assert_eq!(dead, 4);
    assert_eq!(
        setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'dead' AND attempts = 3").await,
        4
    );
    assert_eq!(
        run(&reconciler, RunOptions::default()).await.forward.retried,
        0,
        "dead letters are not retried"
    );
    let report = reconciler::runs::report(&setup.db.pool).await.expect("report");
    assert!(report.contains("4 dead"), "{report}");
    assert!(report.contains("portal down for maintenance") || report.contains("HTTP 503"), "{report}");

    setup.portal.fail_always(false);
    assert_eq!(reconciler::portal::retry_dead(&setup.db.pool).await.expect("retry"), 4);
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 4);
    assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'delivered'").await, 4);
}

#[tokio::test]
async fn malformed_and_slow_answers_are_kept_for_audit() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    setup.portal.malformed(true);
    let reconciler = setup.reconciler(&[]).await;
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 4, "any 2xx is a delivery");
    let response: serde_json::Value = sqlx::query("SELECT last_response FROM portal_deliveries LIMIT 1")
        .fetch_one(&setup.db.pool)
        .await
        .expect("row")
        .get(0);
    assert_eq!(response, serde_json::json!({ "text": "<html>Accepted, probably</html>" }));

    let slow = Setup::new().await;
    fixture(&slow.fs).await;
    slow.portal.delay(Duration::from_secs(3));
    let impatient = slow.reconciler(&[("PORTAL_TIMEOUT_SECS", "1")]).await;
    let summary = run(&impatient, RunOptions::default()).await;
    assert_eq!((summary.forward.delivered, summary.forward.retried), (0, 4));
    let error: Option<String> = sqlx::query("SELECT last_error FROM portal_deliveries LIMIT 1")
        .fetch_one(&slow.db.pool)
        .await
        .expect("row")
        .get(0);
    assert_eq!(error.as_deref(), Some("timed out"));
}

#[tokio::test]
async fn two_reconcilers_never_run_at_once() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    // Another instance holds the lock: this one stands down without doing anything.
    let lock = db::try_lock(&setup.db.pool).await.expect("lock").expect("free");
    assert!(matches!(reconciler.run_once(RunOptions::default()).await.expect("run"), RunResult::Skipped));
    assert_eq!(setup.count("SELECT count(*) FROM reconcile_runs").await, 0);
    db::unlock(lock).await.expect("unlock");

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
async fn percentages_equal_a_hand_computed_fixture() {
    let setup = Setup::new().await;
    let store = &setup.fs.store;
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    // Four lectures held (dated in the past); Alice attends three, Bob one; a fifth is next week.
    let mut sessions = Vec::new();
    for i in 0..4 {
        let day = monday().checked_add((i * 7).days()).expect("date");
        sessions.push(store.create_session(&new_session("CS101", "jkamau", day, 8)).await.expect("session"));
    }
    let future = jiff::Zoned::now().date().checked_add(7.days()).expect("date");
    store.create_session(&new_session("CS101", "jkamau", future, 8)).await.expect("future session");
    for session in &sessions[..3] {
        store.mark_attendance(session, &mark("ADM/A", "Alice")).await.expect("mark");
    }
    store.mark_attendance(&sessions[3], &mark("ADM/B", "Bob")).await.expect("mark");
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    let rows = sqlx::query(
        "SELECT admission_number, attended, expected, percentage::text, held, attended_of_held::text
         FROM attendance_percentages ORDER BY admission_number",
    )
    .fetch_all(&setup.db.pool)
    .await
    .expect("view");
    let got: Vec<(String, i64, i32, String, i64, String)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5))).collect();
    assert_eq!(
        got,
        vec![
            ("ADM/A".to_owned(), 3, 12, "25.00".to_owned(), 4, "75.00".to_owned()),
            ("ADM/B".to_owned(), 1, 12, "8.33".to_owned(), 4, "25.00".to_owned()),
        ]
    );
    let per_session = sqlx::query("SELECT attendance_count FROM session_attendance ORDER BY held_on")
        .fetch_all(&setup.db.pool)
        .await
        .expect("view");
    let counts: Vec<i64> = per_session.iter().map(|r| r.get(0)).collect();
    assert_eq!(counts, [1, 1, 1, 1, 0]);
    let alice: Vec<f64> = setup
        .portal
        .received()
        .iter()
        .filter(|r| r.body["admission_number"] == "ADM/A")
        .map(|r| r.body["attendance_percentage"].as_f64().expect("number"))
        .collect();
    assert_eq!(alice, [25.0, 25.0, 25.0], "the Portal gets the unit-and-term percentage");
}

#[tokio::test]
async fn a_full_run_removes_rows_whose_documents_are_gone() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    // A document deleted outright (not through the app, which only soft-deletes).
    let id = format!("{}_ADM%252F2", sessions[0].id);
    let url = format!(
        "http://{}/v1/projects/{}/databases/(default)/documents/attendance/{id}",
        setup.fs.host, setup.fs.project_id
    );
    let response = reqwest::Client::new().delete(url).bearer_auth("owner").send().await.expect("delete");
    assert!(response.status().is_success());
    assert_eq!(
        run(&reconciler, RunOptions::default()).await.mirror.removed.len(),
        0,
        "incremental runs cannot see deletions"
    );
    let full = run(&reconciler, RunOptions { full: true, ..RunOptions::default() }).await;
    assert_eq!(full.mirror.removed["attendance"], 1, "{full}");
    assert_mirror_equals_firestore(&setup).await;
}

#[tokio::test]
async fn forwarding_is_off_without_a_portal_and_records_wait_in_the_queue() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let mut config = setup.config(&[]);
    config.portal = None;
    let reconciler = Reconciler::with_pool(config, setup.db.pool.clone()).await.expect("reconciler");
    let summary = run(&reconciler, RunOptions::default()).await;
    assert!(summary.to_string().contains("forwarding off"), "{summary}");
    assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'pending'").await, 4);
}

#[tokio::test]
async fn the_schema_documents_every_table_and_column() {
    let setup = Setup::new().await;
    let undocumented: Vec<String> = sqlx::query(
        "SELECT c.relname || '.' || a.attname
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm') AND c.relname NOT LIKE '\\_sqlx%'
           AND col_description(c.oid, a.attnum) IS NULL",
    )
    .fetch_all(&setup.db.pool)
    .await
    .expect("catalog")
    .iter()
    .map(|r| r.get(0))
    .collect();
    assert!(undocumented.is_empty(), "columns without COMMENT ON: {undocumented:?}");
    let tables_without_comment = setup
        .count(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm') AND c.relname NOT LIKE '\\_sqlx%'
               AND obj_description(c.oid) IS NULL",
        )
        .await;
    assert_eq!(tables_without_comment, 0);
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
    reconciler::schedule::schedule(reconciler, "* * * * * *", two_runs).await.expect("schedule");
    assert!(setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'succeeded'").await >= 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'running'").await,
        0,
        "no pass cut off"
    );
    let bad = reconciler::schedule::schedule(
        std::sync::Arc::new(setup.reconciler(&[]).await),
        "every five minutes",
        std::future::ready(()),
    )
    .await;
    assert!(bad.expect_err("invalid cron").to_string().contains("not a valid cron expression"));
}
