//! The live session page: one listener per watched session, its changes as Server-Sent Events
//! as they commit, and the listener gone once nobody watches.

use std::time::Duration;

use harness::sse::EventStream;
use harness::{TestApp, spawn_app};

use crate::record_keeping::{correct, lecture};

/// A deadline for correctness, not latency (`bench live` measures that): the emulator, the
/// listener and the app share two busy cores here.
const SOON: Duration = Duration::from_secs(10);

async fn subscribe(app: &TestApp, session: &attendance::model::Session) -> EventStream {
    let response = app.browser.get(&format!("/session/{}/events/", session.id)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    EventStream::new(response)
}

async fn metrics(app: &TestApp) -> serde_json::Value {
    app.metrics().await
}

/// An app whose costs the test reads on `/api/metrics/`.
async fn spawn_app_with_metrics() -> TestApp {
    harness::spawn_app_with(harness::AppOptions::default().with_metrics()).await
}

#[tokio::test]
async fn marks_corrections_and_closing_arrive_as_events() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    app.new_browser().attend(&id, "Jane Doe", "ADM/1").await;
    let mut stream = subscribe(&app, &session).await;
    let snapshot = stream.next(Duration::from_secs(5)).await.expect("a first event");
    assert_eq!(snapshot.event, "snapshot");
    assert!(snapshot.data["rows_html"].as_str().expect("rows").contains("Jane Doe"));
    assert_eq!(snapshot.data["present"], 1);

    // A new mark, as it commits.
    app.firestore
        .store
        .mark_attendance(&session, &crate::fixtures::mark("ADM/2", "John Roe"))
        .await
        .expect("mark");
    let mark = stream.next_named("mark", SOON).await.expect("the mark");
    assert_eq!(mark.data["key"], "ADM%2F2");
    assert_eq!(mark.data["present"], 2);
    assert!(mark.data["row_html"].as_str().expect("row").contains("John Roe"));

    // A correction and a removal, each with its history.
    correct(&app, &session, &[("admission_number", "ADM/1"), ("status", "late"), ("reason", "bus")]).await;
    let late = stream.next_named("mark", SOON).await.expect("the correction");
    assert!(late.data["row_html"].as_str().expect("row").contains("badge-late"), "{late:?}");
    assert!(late.data["row_html"].as_str().expect("row").contains("“bus”"), "{late:?}");
    correct(&app, &session, &[("admission_number", "ADM/2"), ("status", "removed"), ("reason", "proxy")])
        .await;
    let removed = stream.next_named("mark", SOON).await.expect("the removal");
    assert!(removed.data["row_html"].as_str().expect("row").contains("row-removed"), "{removed:?}");
    assert_eq!(removed.data["present"], 1);

    // Closing the session.
    app.browser.post_with_csrf(&format!("/session/{id}/toggle/"), &[("active", "0")]).await;
    let closed = stream.next_named("session", SOON).await.expect("the session event");
    assert_eq!(closed.data["is_open"], false);
    assert_eq!(closed.data["availability"], "Closed");
}

#[tokio::test]
async fn a_reconnect_resumes_after_its_last_event_and_a_poll_asks_for_changes_only() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let mut stream = subscribe(&app, &session).await;
    let snapshot = stream.next(Duration::from_secs(5)).await.expect("snapshot");
    let cursor = snapshot.id.expect("an id");
    app.firestore
        .store
        .mark_attendance(&session, &crate::fixtures::mark("ADM/1", "Jane Doe"))
        .await
        .expect("mark");
    stream.next_named("mark", SOON).await.expect("mark");
    drop(stream);
    // Resuming after the snapshot: only the mark, no second snapshot.
    let response = app
        .browser
        .get_with(&format!("/session/{}/events/", session.id), &[("last-event-id", &cursor)])
        .await;
    let mut resumed = EventStream::new(response);
    let first = resumed.next(Duration::from_secs(5)).await.expect("event");
    assert_eq!(first.event, "mark", "{first:?}");
    // The fallback poll: changes since a cursor.
    let changes: serde_json::Value = app
        .browser
        .get(&format!("/session/{}/changes.json?since={cursor}", session.id))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(changes["events"].as_array().expect("events").len(), 1, "{changes}");
    assert_eq!(changes["events"][0]["kind"], "mark");
    let next = changes["next"].as_str().expect("next");
    let nothing: serde_json::Value = app
        .browser
        .get(&format!("/session/{}/changes.json?since={next}", session.id))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(nothing["events"].as_array().expect("events").len(), 0, "{nothing}");
}

#[tokio::test]
async fn another_lecturer_gets_404_and_the_listener_stops_after_the_last_viewer() {
    let app = spawn_app_with_metrics().await;
    let session = lecture(&app).await;
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    other.login("potieno", "correct horse battery").await;
    assert_eq!(other.get(&format!("/session/{}/events/", session.id)).await.status(), 404);
    assert_eq!(other.get(&format!("/session/{}/changes.json", session.id)).await.status(), 404);

    let mut first = subscribe(&app, &session).await;
    let mut second = subscribe(&app, &session).await;
    first.next(Duration::from_secs(5)).await.expect("snapshot");
    second.next(Duration::from_secs(5)).await.expect("snapshot");
    assert_eq!(metrics(&app).await["watched_sessions"], 1, "one listener for two viewers");
    assert_eq!(metrics(&app).await["live_viewers"], 2);
    drop(first);
    drop(second);
    // Past the linger, the next check stops it (checks run every few seconds).
    app.clock.advance(jiff::SignedDuration::from_secs(11));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while metrics(&app).await["watched_sessions"] != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the listener did not stop");
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn viewers_see_when_firestore_stalls_and_when_it_is_back() {
    let firestore = harness::TestFirestore::new().await;
    let proxy = harness::stall::StallProxy::start(&harness::emulator_host()).await;
    let settings = attendance::store::FirestoreSettings {
        request_timeout: Duration::from_secs(2),
        ..attendance::store::FirestoreSettings::emulator(&firestore.project_id, &proxy.host)
    };
    let app = harness::spawn_app_on(firestore, settings).await;
    let session = lecture(&app).await;
    let mut stream = subscribe(&app, &session).await;
    assert_eq!(stream.next(Duration::from_secs(5)).await.expect("snapshot").data["live"], true);
    proxy.stall(true);
    // Quiet past the check's threshold: the next check finds Firestore silent.
    app.clock.advance(jiff::SignedDuration::from_secs(31));
    let down = stream.next_named("status", Duration::from_secs(15)).await.expect("a status event");
    assert_eq!(down.data["live"], false);
    proxy.stall(false);
    app.clock.advance(jiff::SignedDuration::from_mins(2));
    let up = stream.next_named("status", Duration::from_secs(15)).await.expect("back");
    assert_eq!(up.data["live"], true);
    // And the list is live again: a new mark arrives.
    app.firestore
        .store
        .mark_attendance(&session, &crate::fixtures::mark("ADM/1", "Jane Doe"))
        .await
        .expect("mark");
    assert!(stream.next_named("mark", Duration::from_secs(10)).await.is_some(), "marks flow again");
}

#[tokio::test]
async fn a_class_list_imported_while_watched_reaches_the_page() {
    let app = spawn_app_with_metrics().await;
    let session = lecture(&app).await;
    app.new_browser().attend(&session.id.to_string(), "Jane Doe", "ADM/1").await;
    let mut stream = subscribe(&app, &session).await;
    stream.next(Duration::from_secs(5)).await.expect("snapshot");
    let code = attendance::domain::UnitCode::parse("CS101").expect("code");
    let mut list = attendance::model::ClassList::default();
    for (number, name) in [("ADM/1", "Jane Doe"), ("ADM/2", "John Roe")] {
        let admission_number = attendance::domain::AdmissionNumber::parse(number).expect("adm");
        let name = attendance::domain::StudentName::parse(name).expect("name");
        list.students.insert(
            admission_number.key(),
            attendance::model::Enrolled { admission_number, name, email: None },
        );
    }
    let (_, version) = app.firestore.store.class_list(&code, session.term).await.expect("read");
    app.firestore.store.save_class_list(&code, session.term, &list, &version, None).await.expect("save");
    let fresh = stream.next_named("snapshot", Duration::from_secs(3)).await.expect("a new snapshot");
    let rows = fresh.data["rows_html"].as_str().expect("rows");
    assert!(rows.contains(" of 2 ") && rows.contains("John Roe"), "{rows}");
    // A viewer joining now gets the list without the watch reading it again.
    let before = metrics(&app).await["firestore_documents_read"].as_u64().expect("reads");
    let mut late = subscribe(&app, &session).await;
    let joined = late.next(Duration::from_secs(5)).await.expect("snapshot");
    assert!(joined.data["rows_html"].as_str().expect("rows").contains("John Roe"));
    let after = metrics(&app).await["firestore_documents_read"].as_u64().expect("reads");
    assert_eq!(after - before, 1, "one read: the viewer's login session");
}

/// Marks `number` present in `session` through the store (a student's scan elsewhere).
async fn scan(app: &TestApp, session: &attendance::model::Session, number: &str) {
    let mark = crate::fixtures::mark(number, &format!("Student {number}"));
    app.firestore.store.mark_attendance(session, &mark).await.expect("mark");
}

/// The first event of a reconnect with `last_event_id`, to `browser`'s instance.
async fn reconnect(
    browser: &harness::Browser,
    session: &attendance::model::Session,
    last_event_id: &str,
) -> harness::sse::SseEvent {
    let response = browser
        .get_with(&format!("/session/{}/events/", session.id), &[("last-event-id", last_event_id)])
        .await;
    assert_eq!(response.status(), 200);
    EventStream::new(response).next(Duration::from_secs(5)).await.expect("a first event")
}

#[tokio::test]
async fn a_reconnect_to_another_instance_gets_what_it_missed_never_a_silent_gap() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let other = app.another_instance().await;
    // On this instance: the list, then ADM/1's mark.
    let mut here = subscribe(&app, &session).await;
    here.next(Duration::from_secs(5)).await.expect("snapshot");
    scan(&app, &session, "ADM/1").await;
    let seen = here.next_named("mark", Duration::from_secs(5)).await.expect("mark").id.expect("an id");
    drop(here);
    // While the page is away, ADM/2 marks; the other instance starts watching after that (the
    // projector) and hears ADM/3, so its own events are as many as this one's were.
    scan(&app, &session, "ADM/2").await;
    let projector = app.browser_on(&other);
    let response = projector.get(&format!("/session/{}/events/", session.id)).await;
    let mut there = EventStream::new(response);
    there.next(Duration::from_secs(5)).await.expect("snapshot");
    scan(&app, &session, "ADM/3").await;
    there.next_named("mark", Duration::from_secs(5)).await.expect("mark");

    // The page's browser reconnects through the balancer, to the other instance, with the id
    // this instance gave it: everything again, ADM/2 included.
    let first = reconnect(&app.browser_on(&other), &session, &seen).await;
    assert_eq!(first.event, "snapshot", "{first:?}");
    let rows = first.data["rows_html"].as_str().expect("rows");
    assert!(["ADM/1", "ADM/2", "ADM/3"].iter().all(|n| rows.contains(n)), "{rows}");
}

#[tokio::test]
async fn a_reconnect_after_the_listener_stopped_gets_a_fresh_snapshot() {
    let app = spawn_app_with_metrics().await;
    let session = lecture(&app).await;
    let mut stream = subscribe(&app, &session).await;
    stream.next(Duration::from_secs(5)).await.expect("snapshot");
    scan(&app, &session, "ADM/1").await;
    let seen = stream.next_named("mark", Duration::from_secs(5)).await.expect("mark").id.expect("an id");
    drop(stream);
    // Past the linger the listener stops; ADM/2 marks meanwhile.
    app.clock.advance(jiff::SignedDuration::from_secs(11));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while metrics(&app).await["watched_sessions"] != 0 {
        assert!(tokio::time::Instant::now() < deadline, "the listener did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scan(&app, &session, "ADM/2").await;
    // A new listener starts for another viewer and hears ADM/3.
    let mut projector = subscribe(&app, &session).await;
    projector.next(Duration::from_secs(5)).await.expect("snapshot");
    scan(&app, &session, "ADM/3").await;
    projector.next_named("mark", Duration::from_secs(5)).await.expect("mark");

    let first = reconnect(&app.browser, &session, &seen).await;
    assert_eq!(first.event, "snapshot", "another listener's ids: {first:?}");
    assert!(first.data["rows_html"].as_str().expect("rows").contains("ADM/2"));
    // A cursor this listener gave resumes after it instead.
    let current = first.id.expect("an id");
    scan(&app, &session, "ADM/4").await;
    projector.next_named("mark", Duration::from_secs(5)).await.expect("mark");
    let resumed = reconnect(&app.browser, &session, &current).await;
    assert_eq!(resumed.event, "mark", "only what was missed: {resumed:?}");
    assert_eq!(resumed.data["key"], "ADM%2F4");
}
