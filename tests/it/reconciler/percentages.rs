//! PostgreSQL's percentages under the one attendance rule: present, late and excused count,
//! absent and removed marks do not, and a cancelled session is out of every figure.

use attendance::model::{MarkState, MarkStatus};
use reconciler::RunOptions;
use sqlx::Row;

use super::corrections::{correct, received_once};
use super::{Setup, key, run};
use crate::fixtures::*;

async fn figures(setup: &Setup, admission: &str) -> (i64, i64, String, String, bool) {
    let row = sqlx::query(
        "SELECT attended, held, percentage::text, attended_of_held::text, at_risk FROM attendance_percentages
         WHERE admission_number = $1 AND unit_code = 'CS101'",
    )
    .bind(admission)
    .fetch_one(&setup.db.pool)
    .await
    .expect("percentages");
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

#[tokio::test]
async fn percentages_count_excused_not_absent_and_leave_out_a_cancelled_session() {
    let setup = Setup::new().await;
    let store = &setup.fs.store;
    store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    let mut sessions = Vec::new();
    for hour in [8, 10, 12, 14] {
        let session =
            store.create_session(&new_session("CS101", "jkamau", monday(), hour)).await.expect("session");
        store.mark_attendance(&session, &mark("ADM/1", "Alice")).await.expect("mark");
        sessions.push(session);
    }
    store.mark_attendance(&sessions[0], &mark("ADM/2", "Bob")).await.expect("mark");
    let reconciler = setup.reconciler(&[]).await;
    assert_eq!(run(&reconciler, RunOptions::default()).await.forward.delivered, 5);
    assert_eq!(figures(&setup, "ADM/1").await, (4, 4, "33.33".into(), "100.00".into(), false));
    let shown = received_once(&setup, &key(&sessions[2], "ADM/1", 1))["attendance_percentage"].clone();
    assert_eq!(shown, 25.0);

    let excused = MarkState::Marked(MarkStatus::Excused);
    let absent = MarkState::Marked(MarkStatus::Absent);
    correct(&setup.fs, &sessions[1], "ADM/1", excused, Some("university sports day")).await;
    correct(&setup.fs, &sessions[2], "ADM/1", absent, None).await;
    correct(&setup.fs, &sessions[0], "ADM/2", absent, None).await;
    store.set_session_cancelled(&sessions[3], true).await.expect("cancel");
    let next = run(&reconciler, RunOptions::default()).await;
    assert_eq!(next.forward.delivered, 3, "{next}");

    // Lectures 1 (present) and 2 (excused) of the 3 held; lecture 4 was cancelled.
    assert_eq!(figures(&setup, "ADM/1").await, (2, 3, "16.67".into(), "66.67".into(), true));
    assert_eq!(figures(&setup, "ADM/2").await, (0, 3, "0.00".into(), "0.00".into(), true));
    let cancelled = "SELECT count(*) FROM session_attendance WHERE cancelled AND attendance_count = 1";
    assert_eq!(setup.count(cancelled).await, 1);
    // The Portal hears the new status with the figure Alice was shown when she marked.
    let absent_record = received_once(&setup, &key(&sessions[2], "ADM/1", 2));
    assert_eq!(
        (absent_record["action"].as_str(), absent_record["status"].as_str()),
        (Some("updated"), Some("absent"))
    );
    assert_eq!(absent_record["attendance_percentage"], shown);
    setup.assert_verified().await;
}

#[tokio::test]
async fn a_lecture_cancelled_after_a_mark_does_not_change_the_figure_that_mark_was_shown() {
    let setup = Setup::new().await;
    let store = &setup.fs.store;
    store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    let mut sessions = Vec::new();
    for hour in [8, 10, 12] {
        let session =
            store.create_session(&new_session("CS101", "jkamau", monday(), hour)).await.expect("session");
        store.mark_attendance(&session, &mark("ADM/1", "Alice")).await.expect("mark");
        sessions.push(session);
    }
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;
    let first = received_once(&setup, &key(&sessions[2], "ADM/1", 1))["attendance_percentage"].clone();
    assert_eq!(first, 25.0, "three of twelve when she marked lecture 3");
    // Lecture 1 is cancelled afterwards, then the lecture-3 mark is corrected.
    store.set_session_cancelled(&sessions[0], true).await.expect("cancel");
    correct(&setup.fs, &sessions[2], "ADM/1", MarkState::Marked(MarkStatus::Late), Some("bus")).await;
    run(&reconciler, RunOptions::default()).await;
    let second = received_once(&setup, &key(&sessions[2], "ADM/1", 2));
    assert_eq!(second["status"], "late");
    assert_eq!(second["attendance_percentage"], first, "the figure she was shown, not today's");
    // A mark made after the cancellation is shown without lecture 1.
    let later = store.create_session(&new_session("CS101", "jkamau", monday(), 14)).await.expect("session");
    store.mark_attendance(&later, &mark("ADM/1", "Alice")).await.expect("mark");
    run(&reconciler, RunOptions::default()).await;
    assert_eq!(received_once(&setup, &key(&later, "ADM/1", 1))["attendance_percentage"], 25.0, "3 of 12");
    setup.assert_verified().await;
}
