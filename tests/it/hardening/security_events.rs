//! Every security event the README names is logged from the web path, with the names the
//! README uses, and no password reaches any log line of ours.

use attendance::model::Actor;
use harness::logs::{capture, every_line, security_events};
use harness::{AppOptions, Browser, TestApp, input_value, spawn_app_with};

use crate::fixtures::username;

const PASSWORD: &str = "correct horse battery";

/// The event names the README's "Security events" paragraph lists.
fn readme_events() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let start = readme.find("- **Security events**").expect("the README lists security events");
    let paragraph = &readme[start..start + readme[start..].find("\n\n").expect("end")];
    let paragraph = &paragraph[..paragraph.find("usernames and networks").unwrap_or(paragraph.len())];
    paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_') && name.contains('_'))
        .map(str::to_owned)
        .filter(|name| name != "event")
        .collect()
}

/// A login from `address` behind the app's one proxy.
async fn login_from(app: &TestApp, address: &str, user: &str, password: &str) -> reqwest::Response {
    super::login_via_proxy(app, address, user, password).await
}

/// An administrator `evoffice`, logged in.
async fn office(app: &TestApp) -> Browser {
    app.add_lecturer("evoffice", PASSWORD).await;
    app.firestore
        .store
        .set_lecturer_admin(&username("evoffice"), true, &Actor::CommandLine)
        .await
        .expect("admin");
    let browser = app.new_browser();
    assert_eq!(browser.login("evoffice", PASSWORD).await.status(), 303);
    browser
}

#[tokio::test]
async fn every_security_event_the_readme_names_is_logged_from_the_web_path() {
    capture();
    let app =
        spawn_app_with(AppOptions::default().with("PROXY_HOPS", "1").with("MARKS_PER_ADDRESS", "10")).await;
    // Logins: failed, throttled, disabled, succeeded, trimmed. (The clock at the lecture first.)
    app.add_lecturer("evlecturer", PASSWORD).await;
    let session = super::new_lecture(&app, "evlecturer", 9).await;
    let id = session.id.to_string();
    for _ in 0..6 {
        login_from(&app, "203.0.113.71", "evlecturer", "wrong password!").await;
    }
    // Eleven devices: the oldest login is ended.
    let mut desk = app.new_browser();
    for _ in 0..11 {
        desk = app.new_browser();
        assert_eq!(login_via(&desk, "198.51.100.71", "evlecturer").await, 303);
    }
    // The lecturer's own pages: a wrong current password, then a change; a stream; logout.
    let change = [
        ("current", "not my password"),
        ("new", "a brand new passphrase"),
        ("again", "a brand new passphrase"),
    ];
    assert_eq!(desk.post_with_csrf("/account/password/", &change).await.status(), 400);
    for _ in 0..5 {
        desk.post_with_csrf("/account/password/", &change).await;
    }
    app.clock.advance(jiff::SignedDuration::from_mins(16));
    let change =
        [("current", PASSWORD), ("new", "a brand new passphrase"), ("again", "a brand new passphrase")];
    assert_eq!(desk.post_with_csrf("/account/password/", &change).await.status(), 303);
    let stream = desk.get(&format!("/session/{id}/events/")).await;
    let mut stream = harness::sse::EventStream::new(stream);
    stream.next(std::time::Duration::from_secs(10)).await.expect("snapshot");
    // Students: a mark the lecturer removes, a cross-site post, a forged pending mark, the cap.
    let phone = app.new_browser();
    assert_eq!(phone.attend(&id, "Jane Doe", "EV/0001").await.post_status, 303);
    let removed = [("admission_number", "EV/0001"), ("status", "removed"), ("reason", "not in the room")];
    assert_eq!(desk.post_with_csrf(&format!("/session/{id}/marks/"), &removed).await.status(), 303);
    let hostile = app.new_browser();
    let token = hostile.attend_form_token(&id, "").await.expect("form");
    hostile
        .client
        .post(hostile.url(&format!("/attend/{id}/")))
        .header("origin", "https://evil.example")
        .form(&[("student_name", "X Y"), ("admission_number", "EV/0002"), ("form_token", token.as_str())])
        .send()
        .await
        .expect("answer");
    phone.post_form(&format!("/attend/{id}/pending/"), &[("pending", "forged")]).await;
    for i in 0..11 {
        let phone = app.new_browser();
        let token = phone.attend_form_token(&id, "").await.expect("form");
        phone
            .post(&format!("/attend/{id}/"))
            .header("x-forwarded-for", "192.0.2.71")
            .form(&[
                ("student_name", "Cap Student"),
                ("admission_number", format!("EVC/{i:03}").as_str()),
                ("form_token", token.as_str()),
            ])
            .send()
            .await
            .expect("answer");
    }
    assert_eq!(desk.post_with_csrf("/logout/", &[]).await.status(), 303);
    assert!(stream.ends_within(std::time::Duration::from_secs(10)).await);
    // The department office: create, disable, enable, role, passwords, handover.
    let office = office(&app).await;
    let new = [
        ("username", "evnew"),
        ("full_name", "Dr. Event New"),
        ("email", "evnew@uni.ac.ke"),
        ("staff_id", "STF/7101"),
        ("department", "Computing"),
        ("phone", ""),
        ("password", "temporary secret 1"),
    ];
    assert_eq!(office.post_with_csrf("/admin/lecturers/new/", &new).await.status(), 303);
    for (switch, value) in [("active", "false"), ("active", "true"), ("role", "true"), ("role", "false")] {
        let path = format!("/admin/lecturers/evnew/{switch}/");
        assert_eq!(office.post_with_csrf(&path, &[("value", value)]).await.status(), 303, "{switch}");
        if value == "false" && switch == "active" {
            // The right password for a disabled account.
            assert_eq!(login_from(&app, "203.0.113.72", "evnew", "temporary secret 1").await.status(), 401);
        }
    }
    let temporary = [("mode", "temporary"), ("password", "another temporary 1")];
    assert_eq!(office.post_with_csrf("/admin/lecturers/evnew/password/", &temporary).await.status(), 303);
    let issued = office.post_with_csrf("/admin/lecturers/evnew/password/", &[("mode", "link")]).await;
    let page = issued.text().await.expect("html");
    let start = page.find("/account/reset/").expect("the link");
    let link = &page[start..start + page[start..].find('<').expect("end")];
    let reset = app.new_browser();
    let fields = [("new", "a chosen passphrase 1"), ("again", "a chosen passphrase 1")];
    assert_eq!(reset.post_form(link, &fields).await.status(), 303);
    let handover = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "evnew")]).await;
    assert_eq!(handover.status(), 303);
    // Password work beyond the cap: a second app with one check and no patience.
    let busy =
        spawn_app_with(AppOptions::default().with("PASSWORD_CHECKS", "1").with("PASSWORD_WAIT_MS", "1"))
            .await;
    for i in 0..5 {
        busy.add_lecturer(&format!("evbusy{i}"), PASSWORD).await;
    }
    let logins = (0..10).map(|i| {
        let browser = busy.new_browser();
        async move { browser.login(&format!("evbusy{}", i % 5), PASSWORD).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(logins).await;
    assert!(statuses.contains(&503), "{statuses:?}");
    // A proxy header the app was not told to trust.
    let unset = spawn_app_with(AppOptions::default()).await;
    login_from(&unset, "192.0.2.72", "evnobody", "wrong password!").await;

    // A username with a line break cannot forge a second line.
    let forged = "evforged\n2026-12-04T10:00:00Z WARN security: event=account_disabled username=evnew";
    login_from(&app, "203.0.113.73", forged, "wrong password!").await;
    let lines = security_events(&["event=login_failed", "evforged"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(!lines[0].contains('\n') && lines[0].contains("evforged\\n2026"), "escaped: {}", lines[0]);

    let names = readme_events();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        assert!(!security_events(&[&format!("event={name}")]).is_empty(), "no `{name}` line was logged");
    }
    // Each with whom it concerns.
    for (event, who) in [
        ("login_failed", "\"evlecturer\""),
        ("login_sessions_trimmed", "\"evlecturer\""),
        ("current_password_failed", "\"evlecturer\""),
        ("password_changed", "evlecturer"),
        ("event_stream_ended", "evlecturer"),
        ("mark_changed", "by=evlecturer"),
        ("account_created", "evnew"),
        ("account_disabled", "evnew"),
        ("unit_reassigned", "to=evnew"),
        ("reset_link_used", "evnew"),
    ] {
        assert!(!security_events(&[&format!("event={event}"), who]).is_empty(), "{event} names {who}");
    }
    // Never a password, in any line of ours at any level.
    for secret in [
        PASSWORD,
        "wrong password!",
        "not my password",
        "a brand new passphrase",
        "temporary secret 1",
        "a chosen passphrase 1",
    ] {
        let leaked = every_line(&[secret]);
        assert!(leaked.is_empty(), "{secret} logged: {leaked:?}");
    }
}

/// A login on `browser` from `address` (behind the proxy), keeping the browser's cookies.
async fn login_via(browser: &Browser, address: &str, user: &str) -> u16 {
    let html = browser.text("/login/").await;
    let token = input_value(&html, "csrfmiddlewaretoken").expect("token");
    browser
        .client
        .post(browser.url("/login/"))
        .header("x-forwarded-for", address)
        .form(&[("username", user), ("password", PASSWORD), ("csrfmiddlewaretoken", token.as_str())])
        .send()
        .await
        .expect("answer")
        .status()
        .as_u16()
}
