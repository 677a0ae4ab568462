//! Every state change sent twice at once (a double click, a second tab) answers the second as
//! the first, never a 500; and the races the lecturer's own changes can run into.

use harness::TestApp;
use harness::spawn_app;

use super::lecture;

/// The status and the place a response sends the browser to.
fn answer(response: &reqwest::Response) -> (u16, Option<String>) {
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
    (response.status().as_u16(), location)
}

/// The same POST twice at once; both answers, which must be the same.
async fn twice(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>) {
    let (a, b) =
        tokio::join!(app.browser.post_with_csrf(path, fields), app.browser.post_with_csrf(path, fields));
    assert_eq!(answer(&a), answer(&b), "{path} {fields:?}");
    answer(&a)
}

async fn attended(app: &TestApp, number: &str) -> String {
    let key = number.replace('/', "%252F");
    let student = app.firestore.rest().get_as_admin(&format!("students/{key}")).await.expect("student");
    student["fields"]["attended"]["mapValue"]["fields"]["CS101_2025-2026_1"]["integerValue"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn cancel_restore_close_and_a_correction_sent_twice_at_once_answer_alike() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;
    app.new_browser().attend(&id, "John Roe", "ADM/2").await;
    let back = Some(format!("/session/{id}/"));
    for round in 0..3 {
        assert_eq!(
            twice(&app, &format!("/session/{id}/cancel/"), &[("cancelled", "1")]).await,
            (303, back.clone()),
            "{round}"
        );
        assert_eq!(attended(&app, "ADM/1").await, "0", "counted out once");
        assert_eq!(
            twice(&app, &format!("/session/{id}/cancel/"), &[("cancelled", "0")]).await,
            (303, back.clone())
        );
        assert_eq!(attended(&app, "ADM/1").await, "1", "counted in once");
    }
    assert_eq!(twice(&app, &format!("/session/{id}/toggle/"), &[("active", "0")]).await, (303, back.clone()));
    let late = [("admission_number", "ADM/2"), ("status", "late"), ("reason", "bus")];
    assert_eq!(twice(&app, &format!("/session/{id}/marks/"), &late).await, (303, back.clone()));
    assert_eq!(app.firestore.rest().list_as_admin("attendance_changes").await.len(), 1, "one change");
}

#[tokio::test]
async fn two_different_corrections_at_once_both_land_in_one_history() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;
    let path = format!("/session/{id}/marks/");
    let (a, b) = tokio::join!(
        app.browser
            .post_with_csrf(&path, &[("admission_number", "ADM/1"), ("status", "late"), ("reason", "bus")]),
        app.browser.post_with_csrf(
            &path,
            &[("admission_number", "ADM/1"), ("status", "excused"), ("reason", "clinic")]
        ),
    );
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::SEE_OTHER, reqwest::StatusCode::SEE_OTHER));
    // Two versions after the first mark, chained: the second starts where the first ended.
    let mut changes = app.firestore.rest().list_as_admin("attendance_changes").await;
    changes.sort_by_key(|c| c["name"].as_str().unwrap_or_default().to_owned());
    assert_eq!(changes.len(), 2);
    let field = |c: &serde_json::Value, f: &str| {
        c["fields"][f]["stringValue"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(field(&changes[0], "from_status"), "present");
    assert_eq!(field(&changes[1], "from_status"), field(&changes[0], "to_status"), "{changes:?}");
    // Late and excused both count as attended: once.
    assert_eq!(attended(&app, "ADM/1").await, "1");
}

#[tokio::test]
async fn a_mark_racing_a_delete_is_never_lost_with_its_session() {
    let app = spawn_app().await;
    lecture(&app).await;
    let store = &app.firestore.store;
    for hour in 12..18 {
        let session = crate::hardening::new_lecture(&app, "jkamau", hour).await;
        let mark = crate::fixtures::mark(&format!("ADM/{hour}"), "Jane Doe");
        let (deleted, marked) =
            tokio::join!(store.delete_unmarked_session(&session), store.mark_attendance(&session, &mark));
        marked.expect("the mark answered");
        deleted.expect("the delete answered");
        // What the delete page does next (at once, and again once every copy of the session
        // has expired): a session with a mark comes back.
        store.restore_if_marked(&session).await.expect("checked");
        assert!(store.session(session.id).await.expect("read").is_some(), "{hour}: kept with its mark");
        assert_eq!(store.marks_of_session(session.id).await.expect("marks").len(), 1);
    }
    // Without a mark, a delete stays a delete.
    let empty = crate::hardening::new_lecture(&app, "jkamau", 19).await;
    assert!(store.delete_unmarked_session(&empty).await.expect("deleted"));
    assert!(!store.restore_if_marked(&empty).await.expect("checked"));
    assert!(store.session(empty.id).await.expect("read").is_none());
}
