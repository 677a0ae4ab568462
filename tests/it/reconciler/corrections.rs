//! A lecturer's corrections: their history mirrored field for field, and each change of a mark
//! reaching the Portal as its own record with the new status.

use attendance::domain::{AdmissionNumber, Reason};
use attendance::model::{Correction, MarkState, MarkStatus, Session};
use attendance::samples::EXPECTED_LESSONS;
use attendance::store::Corrected;
use harness::TestFirestore;
use reconciler::RunOptions;
use serde_json::{Map, Value, json};

use super::{Setup, assert_mirror_equals_firestore, fixture, key, run};
use crate::fixtures::*;

/// Lecturer jkamau sets one student's mark in `session` to `to`.
pub async fn correct(
    fs: &TestFirestore,
    session: &Session,
    admission: &str,
    to: MarkState,
    reason: Option<&str>,
) {
    let correction = Correction {
        admission_number: AdmissionNumber::parse(admission).expect("admission"),
        student_name: None,
        to,
        reason: reason.map(|r| Reason::parse(r).expect("reason")),
    };
    let corrected = fs
        .store
        .correct_mark(session, &correction, &username("jkamau"), EXPECTED_LESSONS)
        .await
        .expect("correct");
    assert!(matches!(corrected, Corrected::Changed(_)), "{corrected:?}");
}

/// The body of the one record the Portal received under `key`.
pub fn received_once(setup: &Setup, key: &str) -> Value {
    let received: Vec<_> =
        setup.portal.received().into_iter().filter(|r| r.idempotency_key.as_deref() == Some(key)).collect();
    assert_eq!(received.len(), 1, "{key}: {received:?}");
    received.into_iter().next().expect("one").body
}

/// A Firestore REST value as plain JSON, timestamps at PostgreSQL's precision.
fn plain(value: &Value) -> Value {
    let text = |field: &str| value[field].as_str().map(str::to_owned);
    if let Some(s) = text("stringValue") {
        json!(s)
    } else if let Some(n) = text("integerValue") {
        json!(n.parse::<i64>().expect("integer"))
    } else if let Some(t) = text("timestampValue") {
        json!(micros(&t))
    } else if value.get("nullValue").is_some() {
        Value::Null
    } else {
        panic!("unexpected value {value}")
    }
}

fn micros(rfc3339: &str) -> String {
    let t: jiff::Timestamp = rfc3339.parse().expect("timestamp");
    jiff::Timestamp::from_microsecond(t.as_microsecond()).expect("in range").to_string()
}

/// Every `attendance_changes` row equals its Firestore document in every field, read by the
/// emulator's REST API (an independent reader), and there is one row per document.
async fn assert_history_equals_firestore(setup: &Setup) {
    let docs = setup.fs.rest().list_as_admin("attendance_changes").await;
    let rows: Vec<Value> = sqlx::query_scalar("SELECT to_jsonb(c) - 'mirrored_at' FROM attendance_changes c")
        .fetch_all(&setup.db.pool)
        .await
        .expect("rows");
    assert_eq!(rows.len(), docs.len());
    for doc in docs {
        let id = doc["name"].as_str().expect("name").rsplit('/').next().expect("id").to_owned();
        let mut expected = Map::new();
        expected.insert("id".into(), json!(id));
        for (field, value) in doc["fields"].as_object().expect("fields") {
            expected.insert(field.clone(), plain(value));
        }
        let mut row = rows.iter().find(|r| r["id"] == json!(id)).expect("mirrored").clone();
        for field in ["at", "updated_at"] {
            row[field] = json!(micros(row[field].as_str().expect("timestamp")));
        }
        // A field the document leaves out (a change without a reason) is NULL in its row.
        for column in row.as_object().expect("row").keys() {
            expected.entry(column.clone()).or_insert(Value::Null);
        }
        assert_eq!(row, Value::Object(expected), "{id}");
    }
}

#[tokio::test]
async fn status_changes_are_mirrored_as_history_and_reach_the_portal_with_the_new_status() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    let first = run(&reconciler, RunOptions::default()).await;
    assert_eq!(first.mirror.changed["attendance_changes"], 1, "the fixture's removal: {first}");
    assert_eq!(first.forward.delivered, 4);
    assert_eq!(received_once(&setup, &key(&sessions[0], "ADM/2", 1))["status"], "late");

    let excused = MarkState::Marked(MarkStatus::Excused);
    correct(&setup.fs, &sessions[0], "ADM/1", excused, Some("medical note")).await;
    correct(&setup.fs, &sessions[0], "ADM/2", MarkState::Marked(MarkStatus::Absent), None).await;
    let next = run(&reconciler, RunOptions::default()).await;
    assert_eq!(next.mirror.changed["attendance_changes"], 2, "{next}");
    assert_eq!(next.mirror.changed["attendance"], 2, "{next}");
    assert_eq!(next.forward.delivered, 2, "{next}");
    assert_history_equals_firestore(&setup).await;

    let alice = received_once(&setup, &key(&sessions[0], "ADM/1", 2));
    assert_eq!((alice["action"].as_str(), alice["status"].as_str()), (Some("updated"), Some("excused")));
    assert_eq!(alice["attendance_percentage"], 8.33, "the figure Alice was shown");
    let bob = received_once(&setup, &key(&sessions[0], "ADM/2", 2));
    assert_eq!((bob["action"].as_str(), bob["status"].as_str()), (Some("updated"), Some("absent")));
    assert!(super::expected_keys(&setup.fs).await.is_subset(&setup.portal.accepted_keys()));
    assert_mirror_equals_firestore(&setup).await;
    setup.assert_verified().await;
}

#[tokio::test]
async fn a_restored_mark_counts_again_and_the_portal_hears_each_step() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    crate::fixtures::remove(&setup.fs.store, &sessions[0], &AdmissionNumber::parse("ADM/1").expect("adm"))
        .await
        .expect("remove");
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 1);
    assert_eq!(received_once(&setup, &key(&sessions[0], "ADM/1", 2))["action"], "removed");

    correct(&setup.fs, &sessions[0], "ADM/1", MarkState::Marked(MarkStatus::Present), None).await;
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 1);
    let restored = received_once(&setup, &key(&sessions[0], "ADM/1", 3));
    assert_eq!(
        (restored["action"].as_str(), restored["status"].as_str()),
        (Some("updated"), Some("present"))
    );
    // Firestore keeps the removal time on the restored mark; in PostgreSQL the mark counts.
    let live = "SELECT count(*) FROM attendance WHERE admission_number = 'ADM/1' AND deleted_at IS NULL";
    assert_eq!(setup.count(live).await, 3);
    let attended = "SELECT attended FROM attendance_percentages WHERE admission_number = 'ADM/1' AND unit_code = 'CS101'";
    assert_eq!(setup.count(attended).await, 2);
    assert_history_equals_firestore(&setup).await;
    assert_mirror_equals_firestore(&setup).await;
    setup.assert_verified().await;
}
