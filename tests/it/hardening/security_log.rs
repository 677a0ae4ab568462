//! Security events as structured log lines.

use harness::logs::{capture, security_events};
use harness::{AppOptions, input_value, spawn_app_with};

use super::lecturer_with_session;

#[tokio::test]
async fn logins_throttling_logout_and_removals_are_logged() {
    capture();
    let app = spawn_app_with(AppOptions::default().with("PROXY_HOPS", "1")).await;
    let session = lecturer_with_session(&app, "auditlecturer").await;
    let intruder = app.new_browser();
    let html = intruder.text("/login/").await;
    let token = input_value(&html, "csrfmiddlewaretoken").expect("token");
    for _ in 0..6 {
        intruder
            .client
            .post(intruder.url("/login/"))
            .header("x-forwarded-for", "203.0.113.66")
            .form(&[
                ("username", "auditlecturer"),
                ("password", "wrong password!"),
                ("csrfmiddlewaretoken", token.as_str()),
            ])
            .send()
            .await
            .expect("answer");
    }
    assert_eq!(
        security_events(&["event=login_failed", "username=\"auditlecturer\"", "network=203.0.113.66"]).len(),
        5
    );
    assert_eq!(
        security_events(&["event=login_throttled", "username=\"auditlecturer\"", "network=203.0.113.66"])
            .len(),
        1
    );
    assert!(!security_events(&["event=login_succeeded", "username=\"auditlecturer\""]).is_empty());

    let id = session.id.to_string();
    app.new_browser().attend(&id, "Jane Doe", "ADM/2023/777").await;
    let removed = app
        .browser
        .post_with_csrf(
            &format!("/session/{id}/marks/"),
            &[("admission_number", "ADM/2023/777"), ("status", "removed"), ("reason", "not in the room")],
        )
        .await;
    assert_eq!(removed.status(), 303);
    let lines = security_events(&[
        "event=mark_changed",
        "admission_number=ADM/2023/777",
        "to=removed",
        "by=auditlecturer",
    ]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    app.browser.post_with_csrf("/logout/", &[]).await;
    assert_eq!(security_events(&["event=logout", "username=auditlecturer"]).len(), 1);
    // Never a password in the log.
    assert!(security_events(&["wrong password"]).is_empty());
}
