//! An open live stream ends when its login's access does: at once for a logout or a password
//! change on the same instance (it is told), and at its next check (at most 30 s, moved here
//! through the clock) for a disable on another instance or a handover of the unit. The
//! browser's reconnect then gets the login page's answer.

use std::time::Duration;

use attendance::model::Session;
use harness::sse::EventStream;
use harness::{Browser, TestApp, spawn_app};

use super::lecturer_with_session;

/// Long enough for a loaded machine; an end that waits for the 30 s check never fits in it.
const PROMPTLY: Duration = Duration::from_secs(10);

async fn subscribe(browser: &Browser, session: &Session) -> EventStream {
    let response = browser.get(&format!("/session/{}/events/", session.id)).await;
    assert_eq!(response.status(), 200);
    let mut stream = EventStream::new(response);
    assert_eq!(stream.next(PROMPTLY).await.expect("snapshot").event, "snapshot");
    stream
}

/// Moves the clock past a stream's check until the stream ends (the listener hears of a
/// handover a moment after its commit, so the first check may come too early).
async fn ends_at_a_check(app: &TestApp, stream: &mut EventStream) -> bool {
    for _ in 0..5 {
        app.clock.advance(jiff::SignedDuration::from_secs(31));
        if stream.ends_within(Duration::from_secs(2)).await {
            return true;
        }
    }
    false
}

async fn reconnect_is_sent_to_log_in(browser: &Browser, session: &Session) {
    let again = browser.get(&format!("/session/{}/events/", session.id)).await;
    assert_eq!(again.status(), 303);
    assert!(again.headers()["location"].to_str().expect("location").starts_with("/login/"));
}

async fn mark(app: &TestApp, session: &Session, number: &str) {
    app.firestore
        .store
        .mark_attendance(session, &crate::fixtures::mark(number, "Jane Doe"))
        .await
        .expect("mark");
}

#[tokio::test]
async fn a_logout_ends_the_open_stream_at_once() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await;
    let mut stream = subscribe(&app.browser, &session).await;
    // Someone else logging out is not this stream's business.
    app.add_lecturer("potieno", "correct horse battery").await;
    let other = app.new_browser();
    assert_eq!(other.login("potieno", "correct horse battery").await.status(), 303);
    assert_eq!(other.post_with_csrf("/logout/", &[]).await.status(), 303);
    mark(&app, &session, "ADM/1").await;
    assert!(stream.next_named("mark", PROMPTLY).await.is_some(), "still streaming");
    assert_eq!(app.browser.post_with_csrf("/logout/", &[]).await.status(), 303);
    assert!(stream.ends_within(PROMPTLY).await, "ended with the login");
    reconnect_is_sent_to_log_in(&app.browser, &session).await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_logins_streams_and_keeps_its_own() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await;
    let changer = app.new_browser();
    assert_eq!(changer.login("jkamau", "correct horse battery").await.status(), 303);
    let mut others = subscribe(&app.browser, &session).await;
    let mut own = subscribe(&changer, &session).await;
    let changed = changer
        .post_with_csrf(
            "/account/password/",
            &[
                ("current", "correct horse battery"),
                ("new", "a brand new passphrase"),
                ("again", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 303);
    assert!(others.ends_within(PROMPTLY).await, "the other login's stream ended");
    reconnect_is_sent_to_log_in(&app.browser, &session).await;
    mark(&app, &session, "ADM/1").await;
    assert!(own.next_named("mark", PROMPTLY).await.is_some(), "the changer's own stream goes on");
}

#[tokio::test]
async fn a_disable_on_another_instance_ends_the_stream_at_its_next_check() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await;
    let mut stream = subscribe(&app.browser, &session).await;
    // A check with nothing changed keeps the stream.
    app.clock.advance(jiff::SignedDuration::from_secs(31));
    mark(&app, &session, "ADM/1").await;
    assert!(stream.next_named("mark", PROMPTLY).await.is_some(), "still streaming after a check");
    let elsewhere = app.another_instance().await;
    let office = crate::admin::office(&elsewhere).await;
    let done = office.post_with_csrf("/admin/lecturers/jkamau/active/", &[("value", "false")]).await;
    assert_eq!(done.status(), 303);
    assert!(ends_at_a_check(&app, &mut stream).await, "ended at the check after the disable");
    reconnect_is_sent_to_log_in(&app.browser, &session).await;
}

#[tokio::test]
async fn a_handover_of_the_unit_ends_the_previous_lecturers_stream() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await;
    app.add_lecturer("potieno", "correct horse battery").await;
    let mut stream = subscribe(&app.browser, &session).await;
    let office = crate::admin::office(&app).await;
    let moved = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "potieno")]).await;
    assert_eq!(moved.status(), 303);
    assert!(ends_at_a_check(&app, &mut stream).await, "jkamau no longer sees it");
    // Signed in still, but the session is not theirs any more.
    assert_eq!(app.browser.get(&format!("/session/{}/events/", session.id)).await.status(), 404);
}
