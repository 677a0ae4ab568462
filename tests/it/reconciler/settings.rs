//! The session and unit settings (window, keep open, cancelled, archived, at-risk threshold)
//! in their columns, and rows mirrored before those columns existed rewritten from Firestore.

use attendance::domain::{UnitCode, UnitDescription, UnitName};
use attendance::model::Window;
use attendance::store::SessionEdit;
use jiff::civil::date;
use reconciler::RunOptions;
use sqlx::Row;

use super::{Setup, assert_mirror_equals_firestore, fixture, run};

#[tokio::test]
async fn session_and_unit_settings_are_mirrored_and_a_collection_read_from_the_start_is_rewritten() {
    let setup = Setup::new().await;
    let sessions = fixture(&setup.fs).await;
    let store = &setup.fs.store;
    let ma201 = UnitCode::parse("MA201").expect("code");
    store.set_unit_archived(&ma201, true, None).await.expect("archive");
    let cs101 = UnitCode::parse("CS101").expect("code");
    let name = UnitName::parse("Introduction to Programming").expect("name");
    let threshold = attendance::domain::RiskThreshold::try_from(60).expect("60 %");
    store
        .edit_unit(&cs101, &name, &UnitDescription::parse("").expect("desc"), threshold)
        .await
        .expect("edit");
    store
        .set_session_opening(sessions[0].id, attendance::model::Opening::KeepOpen, jiff::Timestamp::now())
        .await
        .expect("keep open");
    store.set_session_cancelled(&sessions[1], true).await.expect("cancel");
    let s = &sessions[2];
    let window =
        Window::new(date(2025, 9, 1).at(7, 30, 0, 0), date(2025, 9, 1).at(9, 30, 0, 0)).expect("window");
    let edit = SessionEdit {
        date: attendance::domain::LectureDate::try_from(s.date).expect("date"),
        times: s.times,
        window,
        venue: s.venue.clone(),
        lecturer_name: s.lecturer_name.clone(),
        class_year: s.class_year,
    };
    store.edit_session(s, &edit).await.expect("edit");
    let reconciler = setup.reconciler(&[]).await;
    run(&reconciler, RunOptions::default()).await;

    let units: Vec<(String, bool, i16)> =
        sqlx::query("SELECT code, archived, risk_threshold FROM units ORDER BY code")
            .fetch_all(&setup.db.pool)
            .await
            .expect("units")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
    assert_eq!(units, [("CS101".into(), false, 60), ("MA201".into(), true, 75)]);
    let sessions_sql = "SELECT keep_open, cancelled, opens_at::text, closes_at::text FROM sessions ORDER BY session_number, unit_code";
    let session_rows = || async {
        sqlx::query(sessions_sql)
            .fetch_all(&setup.db.pool)
            .await
            .expect("sessions")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect::<Vec<(bool, bool, String, String)>>()
    };
    // CS101 lecture 1 kept open, MA201 lecture 1 with its own window, CS101 lecture 2 cancelled.
    let expected = vec![
        (true, false, "2025-09-01 07:45:00".to_owned(), "2025-09-01 09:00:00".to_owned()),
        (false, false, "2025-09-01 07:30:00".into(), "2025-09-01 09:30:00".into()),
        (false, true, "2025-09-01 09:45:00".into(), "2025-09-01 11:00:00".into()),
    ];
    assert_eq!(session_rows().await, expected);
    assert_mirror_equals_firestore(&setup).await;

    // What the migration adding these columns leaves: defaults in every row, and no watermark
    // for the two collections. The next ordinary pass rewrites them from their documents.
    sqlx::query(
        "UPDATE sessions SET keep_open = false, cancelled = false,
                opens_at = date + start_time - interval '15 minutes', closes_at = date + end_time",
    )
    .execute(&setup.db.pool)
    .await
    .expect("defaults");
    sqlx::query("UPDATE units SET archived = false, risk_threshold = 75")
        .execute(&setup.db.pool)
        .await
        .expect("defaults");
    sqlx::query("DELETE FROM mirror_state WHERE collection IN ('sessions', 'units')")
        .execute(&setup.db.pool)
        .await
        .expect("reset");
    let next = run(&reconciler, RunOptions::default()).await;
    assert_eq!((next.mirror.changed["sessions"], next.mirror.changed["units"]), (3, 2), "{next}");
    assert_eq!(next.mirror.changed["attendance"], 0, "{next}");
    assert_eq!(session_rows().await, expected);
    assert_mirror_equals_firestore(&setup).await;
    setup.assert_verified().await;
}
