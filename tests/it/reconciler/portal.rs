//! Forwarding to the Portal under the shipped defaults: retries, answer classes, give-up age,
//! audit, the time budget.

use std::time::Duration;

use harness::Answer;
use reconciler::portal::Halt;
use reconciler::{Reconciler, RunOptions};
use sqlx::Row;

use super::{Setup, fixture, key, run};
use crate::fixtures::*;

async fn one_mark(setup: &Setup) -> attendance::model::Session {
    let store = &setup.fs.store;
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    let session = store.create_session(&new_session("CS101", "jkamau", monday(), 8)).await.expect("session");
    store.mark_attendance(&session, &mark("ADM/2023/001", "Jane Doe")).await.expect("mark");
    session
}

/// The one delivery, with how long until it is due by the queue's clock.
async fn delivery(setup: &Setup) -> sqlx::postgres::PgRow {
    sqlx::query(
        "SELECT status, attempts, last_status_code, last_response, last_error,
                extract(epoch FROM next_attempt_at - $1)::float8 AS due_in
         FROM portal_deliveries",
    )
    .bind(reconciler::portal::now(&setup.clock))
    .fetch_one(&setup.db.pool)
    .await
    .expect("delivery")
}

#[tokio::test]
async fn the_portal_failing_three_times_delivers_once_on_the_fourth_attempt() {
    let setup = Setup::new().await;
    let session = one_mark(&setup).await;
    let reconciler = setup.reconciler(&[("PORTAL_API_TOKEN", "portal-secret")]).await;
    setup.portal.fail_next(3);
    for attempt in 1..=3 {
        let summary = run(&reconciler, RunOptions::default()).await;
        assert_eq!((summary.forward.delivered, summary.forward.retried), (0, 1), "attempt {attempt}");
        // The shipped backoff: the first retry waits 30-60 s, then 60-120 s, then 120-240 s.
        let due_in: f64 = delivery(&setup).await.get("due_in");
        let base = 60.0 * 2f64.powi(attempt - 1);
        assert!(due_in > base / 2.0 - 2.0 && due_in <= base, "attempt {attempt}: due in {due_in} s");
        assert_eq!(run(&reconciler, RunOptions::default()).await.forward.retried, 0, "not due yet");
        setup.backoff_elapses();
    }
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 1);
    setup.backoff_elapses();
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 0, "delivered once");

    let received = setup.portal.received();
    assert_eq!(received.len(), 4);
    let key = key(&session, "ADM/2023/001", 1);
    assert!(
        received.iter().all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
        "same key each time"
    );
    assert!(received.iter().all(|r| r.authorization.as_deref() == Some("Bearer portal-secret")));
    let row = delivery(&setup).await;
    assert_eq!(row.get::<String, _>("status"), "delivered");
    assert_eq!(row.get::<i32, _>("attempts"), 4);
    assert_eq!(row.get::<Option<i32>, _>("last_status_code"), Some(201));
    assert_eq!(row.get::<serde_json::Value, _>("last_response"), serde_json::json!({ "status": "created" }));
    // The payload of the original system, plus what happened to the mark.
    let body = &received[3].body;
    assert_eq!(body["action"], "created");
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
async fn a_weekend_outage_leaves_nothing_dead_and_three_days_of_failure_does() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    setup.portal.fail_always(true);
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.retried, 4);
    // Friday evening to Monday morning: 60 hours of failures, a pass whenever records are due.
    setup.failing_for_hours(60);
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!((summary.forward.dead, summary.forward.retried), (0, 4), "{summary}");
    // Past the shipped give-up age of 72 hours, they go dead.
    setup.failing_for_hours(72);
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.dead, 4);
    assert_eq!(
        run(&reconciler, RunOptions::default()).await.forward.retried,
        0,
        "dead letters are not retried"
    );
    let report = reconciler::runs::report(&setup.db.pool, &setup.clock).await.expect("report");
    assert!(report.contains("4 dead"), "{report}");
    assert!(report.contains("portal down for maintenance"), "{report}");

    setup.portal.fail_always(false);
    assert_eq!(reconciler::portal::retry_dead(&setup.db.pool, None, &setup.clock).await.expect("retry"), 4);
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 4);
    assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'delivered'").await, 4);
}

#[tokio::test]
async fn retry_dead_can_target_one_record() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    setup.portal.answer_always(Some(Answer::status(422)));
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.dead, 4);
    setup.portal.answer_always(None);
    let one = key(&sessions[0], "ADM/1", 1);
    assert_eq!(
        reconciler::portal::retry_dead(&setup.db.pool, Some(&one), &setup.clock).await.expect("retry"),
        1
    );
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 1);
    assert_eq!(setup.portal.accepted_keys().into_iter().collect::<Vec<_>>(), [one]);
}

#[tokio::test]
async fn refusals_go_dead_at_once_with_the_portals_reason() {
    for code in [400, 404, 422] {
        let setup = Setup::new().await;
        one_mark(&setup).await;
        setup.portal.answer_always(Some(Answer {
            status: code,
            headers: vec![("content-type".into(), "application/json".into())],
            body: r#"{"detail": "unknown unit code CS101"}"#.into(),
            endless: false,
        }));
        let summary = run(&setup.reconciler(&[]).await, RunOptions::default()).await;
        assert_eq!(summary.forward.dead, 1, "{code}: {summary}");
        let row = delivery(&setup).await;
        assert_eq!(row.get::<String, _>("status"), "dead");
        assert_eq!(row.get::<i32, _>("attempts"), 1);
        let error: String = row.get("last_error");
        assert!(
            error.starts_with(&format!("HTTP {code}")) && error.ends_with("unknown unit code CS101"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn busy_answers_are_retried_no_sooner_than_retry_after() {
    for (answer, at_least) in [
        (Answer::status(429).with_header("retry-after", "3600"), 3600.0),
        (Answer::status(503).with_header("retry-after", "7200"), 7200.0),
        (Answer::status(409), 30.0),
        (Answer::status(408), 30.0),
        (Answer::status(425), 30.0),
        (Answer::status(500), 30.0),
    ] {
        let setup = Setup::new().await;
        one_mark(&setup).await;
        setup.portal.answer_always(Some(answer.clone()));
        let summary = run(&setup.reconciler(&[]).await, RunOptions::default()).await;
        assert_eq!(summary.forward.retried, 1, "{answer:?}");
        let row = delivery(&setup).await;
        assert_eq!(row.get::<String, _>("status"), "pending");
        let due_in: f64 = row.get("due_in");
        assert!(due_in >= at_least - 2.0, "{answer:?}: due in {due_in} s");
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_and_stops_forwarding_until_the_url_is_fixed() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let login = setup.portal.url.replace("/api/attendance/", "/login");
    setup.portal.answer_always(Some(Answer::redirect(302, &login)));
    let summary = run(&setup.reconciler(&[]).await, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 0);
    assert!(matches!(&summary.forward.halted, Some(Halt::Redirected(to)) if *to == login), "{summary}");
    assert!(summary.to_string().contains(&format!("the Portal redirected to {login}: fix PORTAL_API_URL")));
    assert!(summary.needs_operator().is_some());
    assert_eq!(setup.portal.get_hits(), 0, "the redirect was not followed");
    assert_eq!(
        setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'pending' AND attempts = 0").await,
        4,
        "records stay pending and no attempt was spent"
    );
    let report = reconciler::runs::report(&setup.db.pool, &setup.clock).await.expect("report");
    assert!(report.contains("fix PORTAL_API_URL"), "{report}");

    setup.portal.answer_always(None);
    let summary = run(&setup.reconciler(&[]).await, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 4, "due at once once the Portal answers");
}

#[tokio::test]
async fn refused_credentials_stop_the_pass_without_spending_attempts() {
    for code in [401, 403] {
        let setup = Setup::new().await;
        fixture(&setup.fs).await;
        setup.portal.answer_always(Some(Answer::status(code)));
        let reconciler = setup.reconciler(&[("PORTAL_API_TOKEN", "expired")]).await;
        let summary = run(&reconciler, RunOptions::default()).await;
        let problem = summary.needs_operator().expect("needs an operator");
        assert!(problem.contains("PORTAL_API_TOKEN") && problem.contains("PORTAL_AUDIENCE"), "{problem}");
        assert!(setup.portal.received().len() <= 16, "stopped early, at most one wave in flight");
        assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE attempts > 0").await, 0);
        setup.portal.answer_always(None);
        assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 4, "{code}");
    }
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
    // A test about the timeout setting: 1 s instead of the shipped 10 s keeps it short.
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
async fn forwarding_stops_at_its_time_budget_after_the_mirror_committed() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    // More records than the shipped 16 in flight: the second wave starts after the budget.
    super::many_marks(&setup.fs, 12, 30).await;
    setup.portal.delay(Duration::from_millis(1500));
    // A test about the budget setting: 1 s.
    let reconciler = setup.reconciler(&[("PORTAL_BUDGET", "1s")]).await;
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.halted, Some(Halt::Budget), "{summary}");
    assert!(summary.needs_operator().is_none(), "a budget is not an operator's problem");
    assert!(summary.forward.delivered < 34, "{summary}");
    assert_eq!(setup.count("SELECT count(*) FROM attendance").await, 35, "the mirror committed first");
    setup.portal.delay(Duration::ZERO);
    let rest = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered + rest.forward.delivered, 34);
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
async fn a_damaged_kept_record_goes_dead_and_is_never_sent_with_blank_fields() {
    let setup = Setup::new().await;
    // A removal kept in the queue whose payload lost its fields (a hand edit, a bad restore).
    sqlx::query(
        "INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action, payload)
         VALUES ('gone_ADM%2F1:2', 'gone_ADM%2F1', 2, 'removed', '{\"student_name\": \"Jane Doe\"}')",
    )
    .execute(&setup.db.pool)
    .await
    .expect("queued");
    let summary = run(&setup.reconciler(&[]).await, RunOptions::default()).await;
    assert_eq!((summary.forward.delivered, summary.forward.dead), (0, 1), "{summary}");
    assert!(setup.portal.received().is_empty(), "nothing with empty fields went out");
    let error: String = sqlx::query_scalar("SELECT last_error FROM portal_deliveries")
        .fetch_one(&setup.db.pool)
        .await
        .expect("row");
    assert!(error.contains("the kept record is damaged") && error.contains("missing field"), "{error}");
}

#[tokio::test]
async fn an_endless_answer_is_read_to_16_kib_and_a_nul_in_one_never_stops_the_pass() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    // Four records: an endless 200, a JSON refusal with an escaped NUL, a text 500 with a raw
    // one, and a plain delivery.
    setup.portal.answer_next(1, Answer::endless(200));
    setup.portal.answer_next(
        1,
        Answer::text(422, "{\"detail\": \"bad\\u0000unit\"}").with_header("content-type", "application/json"),
    );
    setup.portal.answer_next(1, Answer::text(500, "broken\0answer"));
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(
        (summary.forward.delivered, summary.forward.dead, summary.forward.retried),
        (2, 1, 1),
        "{summary}"
    );
    let rows = sqlx::query(
        "SELECT status, last_response, last_error FROM portal_deliveries ORDER BY last_status_code",
    )
    .fetch_all(&setup.db.pool)
    .await
    .expect("rows");
    let texts: Vec<String> =
        rows.iter().map(|r| r.get::<serde_json::Value, _>("last_response").to_string()).collect();
    let cut = texts.iter().find(|t| t.contains("(cut)")).expect("the endless answer, cut");
    assert!(cut.len() < 17 * 1024, "{} bytes kept", cut.len());
    assert!(texts.iter().any(|t| t.contains("badunit")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("brokenanswer")), "{texts:?}");
    let errors: Vec<Option<String>> = rows.iter().map(|r| r.get("last_error")).collect();
    assert!(errors.iter().flatten().any(|e| e.ends_with("badunit")), "{errors:?}");
}
