//! Sessions open and close on time: the default window, the clear pages outside it, and the
//! lecturer's "close now" / "keep open" / "follow the window". The clock moves; nobody sleeps.

use harness::spawn_app;
use jiff::SignedDuration;

use super::lecture;

#[tokio::test]
async fn students_are_told_when_the_window_opens_and_when_it_closed() {
    let app = spawn_app().await;
    let session = lecture(&app).await; // 10:00-11:00 tomorrow, clock at 10:00
    let id = session.id.to_string();
    let at = |h: i8, m: i8| app.local(session.date.at(h, m, 0, 0));

    app.clock.set(at(9, 40));
    let early = app.get(&format!("/attend/{id}/")).await.text().await.expect("html");
    assert!(early.contains("Attendance opens at 09:45"), "{early}");
    assert!(!early.contains("name=\"form_token\""), "no form yet");

    app.clock.set(at(9, 45));
    let token = app.new_browser().attend_form_token(&id, "").await;
    assert!(token.is_some(), "open 15 minutes before the start");

    // A form opened in time but sent after the window closed records nothing.
    app.clock.set(at(10, 30));
    let phone = app.new_browser();
    let token = phone.attend_form_token(&id, "").await.expect("form");
    app.clock.set(at(11, 0));
    let late = phone.submit_attendance(&id, &token, "Jane Doe", "ADM/1").await;
    assert_eq!(late.post_status, 409, "{}", late.html);
    assert!(late.html.contains("Attendance closed at 11:00"), "{}", late.html);
    assert!(app.firestore.rest().list_as_admin("attendance").await.is_empty());
}

#[tokio::test]
async fn the_lecturer_closes_now_keeps_open_and_returns_to_the_window() {
    let app = spawn_app().await;
    let session = lecture(&app).await;
    let id = session.id.to_string();
    let toggle = |value: &'static str| {
        let path = format!("/session/{id}/toggle/");
        let browser = &app.browser;
        async move { browser.post_with_csrf(&path, &[("active", value)]).await.status() }
    };

    assert_eq!(toggle("0").await, 303);
    let closed = app.get(&format!("/attend/{id}/")).await.text().await.expect("html");
    assert!(closed.contains("This session is closed"), "{closed}");
    assert!(app.browser.text(&format!("/session/{id}/")).await.contains(">Closed</span>"));

    // Kept open, it takes marks long after its window.
    assert_eq!(toggle("1").await, 303);
    app.clock.advance(SignedDuration::from_hours(5));
    assert!(app.new_browser().attend(&id, "Jane Doe", "ADM/1").await.html.contains("Marked late"));
    app.log_in_again().await;
    assert!(app.browser.text(&format!("/session/{id}/")).await.contains("Open until closed"));

    // Back to the window: closed again, since the window has passed.
    assert_eq!(toggle("window").await, 303);
    let page = app.browser.text(&format!("/session/{id}/")).await;
    assert!(page.contains("Closed at 11:00"), "{page}");
    let after = app.get(&format!("/attend/{id}/")).await.text().await.expect("html");
    assert!(after.contains("Attendance closed at 11:00"), "{after}");
    assert_eq!(toggle("maybe").await, 400);
}
