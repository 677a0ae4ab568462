//! Forwarding to the Portal: retries, dead letters, audit.

use std::time::Duration;

use reconciler::{Reconciler, RunOptions};
use sqlx::Row;

use super::{Setup, fixture, run};
use crate::fixtures::*;

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
