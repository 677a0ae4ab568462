//! Documents that do not parse: recorded, skipped, never blocking the pipeline; and marks
//! taken back by a removal or a deleted session.

use attendance::domain::AdmissionNumber;
use reconciler::RunOptions;
use serde_json::json;
use sqlx::Row;

use super::{Setup, expected_keys, fixture, key, run};

#[tokio::test]
async fn poison_documents_are_rejected_and_the_pipeline_goes_on() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let rest = setup.fs.rest();
    let now = json!({ "timestampValue": jiff::Timestamp::now().to_string() });
    // What the old soft delete left behind when the student document was gone: a counter only.
    rest.put_as_admin("students/ADM%252F404", json!({ "attended": { "mapValue": {} }, "updated_at": now }))
        .await;
    // A session edited by hand into an impossible date, and a unit written without updated_at.
    let bad_session = uuid::Uuid::new_v4();
    rest.put_as_admin(
        &format!("sessions/{bad_session}"),
        json!({ "id": { "stringValue": bad_session.to_string() }, "date": { "stringValue": "2025-02-30" }, "updated_at": now }),
    )
    .await;
    rest.put_as_admin("units/XX999", json!({ "code": { "stringValue": "XX999" } })).await;

    let reconciler = setup.reconciler(&[]).await;
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.mirror.rejected, 2, "{summary}");
    assert_eq!(summary.forward.delivered, 4, "forwarding went on: {summary}");
    assert_eq!(setup.count("SELECT count(*) FROM attendance").await, 5, "later collections mirrored");
    let rejects: Vec<(String, String, String)> =
        sqlx::query("SELECT collection, document_id, error FROM mirror_rejects ORDER BY collection")
            .fetch_all(&setup.db.pool)
            .await
            .expect("rejects")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
    assert_eq!(rejects[0].0, "sessions");
    assert_eq!(rejects[1].1, "ADM%2F404");
    assert!(rejects[1].2.contains("admission_number"), "{rejects:?}");
    let report = reconciler::runs::report(&setup.db.pool, &setup.clock).await.expect("status");
    assert!(
        report.contains("Rejected documents (skipped until a valid version replaces them): 2"),
        "{report}"
    );
    assert!(report.contains("students/ADM%2F404"), "{report}");
    // The watermark moved past the rejects: they never hold a collection back.
    let behind = setup
        .count(
            "SELECT count(*) FROM mirror_rejects j JOIN mirror_state m ON m.collection = j.collection
             WHERE m.watermark < j.updated_at",
        )
        .await;
    assert_eq!(behind, 0);
    run(&reconciler, RunOptions::default()).await;
    assert_eq!(setup.count("SELECT count(*) FROM mirror_rejects").await, 2, "recorded once each");

    // A full pass sees the unit without updated_at (an ordered read would silently skip it) and
    // rejects it rather than pretending it does not exist.
    let full = run(&reconciler, RunOptions { full: true, ..RunOptions::default() }).await;
    assert_eq!(full.mirror.rejected, 3, "{full}");
    assert!(full.mirror.removed.values().all(|n| *n == 0), "{full}");

    // A valid version clears its reject.
    rest.put_as_admin(
        "students/ADM%252F404",
        json!({ "admission_number": { "stringValue": "ADM/404" }, "name": { "stringValue": "Found Again" },
                "units": { "arrayValue": {} }, "updated_at": { "timestampValue": jiff::Timestamp::now().to_string() } }),
    )
    .await;
    run(&reconciler, RunOptions::default()).await;
    assert_eq!(setup.count("SELECT count(*) FROM mirror_rejects WHERE collection = 'students'").await, 0);
    assert_eq!(setup.count("SELECT count(*) FROM students WHERE admission_number = 'ADM/404'").await, 1);
    super::assert_mirror_equals_firestore(&setup).await;
    assert_eq!(setup.portal.accepted_keys(), expected_keys(&setup.fs).await);
    drop(sessions);
}

#[tokio::test]
async fn a_deleted_session_leaves_the_percentages_and_its_delivered_marks_are_retracted() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    let before = setup
        .count("SELECT attended FROM attendance_percentages WHERE admission_number = 'ADM/1' AND unit_code = 'CS101'")
        .await;
    assert_eq!(before, 2);
    setup.fs.store.soft_delete_session(&sessions[0]).await.expect("delete session");
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 2, "Alice's and Bob's marks taken back: {summary}");
    for admission in ["ADM/1", "ADM/2"] {
        let retraction: Vec<_> = setup
            .portal
            .received()
            .into_iter()
            .filter(|r| r.idempotency_key.as_deref() == Some(key(&sessions[0], admission, 2).as_str()))
            .collect();
        assert_eq!(retraction.len(), 1, "{admission}");
        assert_eq!(retraction[0].body["action"], "removed");
    }
    let after = setup
        .count("SELECT attended FROM attendance_percentages WHERE admission_number = 'ADM/1' AND unit_code = 'CS101'")
        .await;
    assert_eq!(after, 1, "the deleted session's mark no longer counts");
    assert_eq!(
        setup.count("SELECT count(*) FROM attendance_percentages WHERE admission_number = 'ADM/2'").await,
        0,
        "Bob only attended the deleted session"
    );
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 0, "sent once");
    super::assert_mirror_equals_firestore(&setup).await;
}

#[tokio::test]
async fn a_mark_removed_before_delivery_is_never_sent() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    // ADM/3 was removed in the fixture before any pass: neither its mark nor a removal goes out.
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    let carol = format!("{}_ADM%2F3:", sessions[2].id);
    assert!(
        setup.portal.received().iter().all(|r| !r
            .idempotency_key
            .as_deref()
            .unwrap_or("")
            .starts_with(&carol))
    );
    // A mark queued, then removed before the next pass: superseded, not sent.
    setup.portal.fail_always(true);
    setup.fs.store.mark_attendance(&sessions[1], &crate::fixtures::mark("ADM/5", "Eve")).await.expect("mark");
    run(&reconciler, RunOptions::default()).await;
    crate::fixtures::remove(&setup.fs.store, &sessions[1], &AdmissionNumber::parse("ADM/5").expect("adm"))
        .await
        .expect("remove");
    setup.portal.fail_always(false);
    setup.backoff_elapses();
    let summary = run(&reconciler, RunOptions::default()).await;
    assert_eq!(summary.forward.delivered, 0, "{summary}");
    assert_eq!(setup.count("SELECT count(*) FROM portal_deliveries WHERE status = 'superseded'").await, 1);
    assert_eq!(setup.portal.accepted_keys(), expected_keys(&setup.fs).await);
}
