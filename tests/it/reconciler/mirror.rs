//! Mirroring: what reaches PostgreSQL, and when.

use attendance::domain::AdmissionNumber;
use jiff::ToSpan;
use reconciler::RunOptions;
use sqlx::Row;

use super::{Setup, assert_mirror_equals_firestore, fixture, key, run};
use crate::fixtures::*;

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
    crate::fixtures::remove(&setup.fs.store, &sessions[0], &AdmissionNumber::parse("ADM/1").expect("adm"))
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
    assert_eq!(next.forward.delivered, 2, "the new mark, and the removal of a delivered one");
    assert_mirror_equals_firestore(&setup).await;
    let deleted = setup.count("SELECT count(*) FROM attendance WHERE deleted_at IS NOT NULL").await;
    assert_eq!(deleted, 2);
    assert_eq!(
        setup.count("SELECT count(*) FROM units WHERE code = 'MA201' AND deleted_at IS NOT NULL").await,
        1
    );
    let bob: Vec<_> = setup
        .portal
        .received()
        .into_iter()
        .filter(|r| r.idempotency_key.as_deref() == Some(key(&sessions[1], "ADM/2", 1).as_str()))
        .collect();
    assert_eq!(bob.len(), 1, "the new mark went out once");
    assert_eq!(bob[0].body["action"], "created");
    // Alice's first mark had been delivered: its removal goes out as its own record.
    let removal: Vec<_> = setup
        .portal
        .received()
        .into_iter()
        .filter(|r| r.idempotency_key.as_deref() == Some(key(&sessions[0], "ADM/1", 2).as_str()))
        .collect();
    assert_eq!(removal.len(), 1, "{removal:?}");
    assert_eq!(removal[0].body["action"], "removed");
    assert_eq!(removal[0].body["attendance_percentage"], 8.33, "the figure Alice was shown");
}

#[tokio::test]
async fn a_run_that_fails_midway_converges_on_the_next() {
    let setup = Setup::new().await;
    fixture(&setup.fs).await;
    // A test about batching: small batches, so the crash falls inside the attendance collection.
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
    // lecturers 1 batch, units 1, sessions 1, students 33 docs = 4: the 9th batch is attendance's 2nd.
    let crashed =
        reconciler.run_once(RunOptions { fail_after_batches: Some(9), ..RunOptions::default() }).await;
    assert!(crashed.is_err(), "{crashed:?}");
    let failed = setup.count("SELECT count(*) FROM reconcile_runs WHERE status = 'failed' AND error LIKE '%failure injection%'").await;
    assert_eq!(failed, 1);
    let partial = setup.count("SELECT count(*) FROM attendance").await;
    assert_eq!(partial, 20, "stopped inside attendance, after two committed batches");
    assert_eq!(setup.count("SELECT count(*) FROM students").await, 33, "earlier collections complete");
    run(&reconciler, RunOptions::default()).await;
    assert_mirror_equals_firestore(&setup).await;
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
    let mut alice: Vec<f64> = setup
        .portal
        .received()
        .iter()
        .filter(|r| r.body["admission_number"] == "ADM/A")
        .map(|r| r.body["attendance_percentage"].as_f64().expect("number"))
        .collect();
    alice.sort_by(f64::total_cmp);
    assert_eq!(alice, [8.33, 16.67, 25.0], "the Portal gets the figure Alice saw at each mark");
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
