//! Login, sessions, throttling, logout and the CSRF/authentication gate.

use attendance::auth::tokens::sha256_hex;
use harness::{input_value, spawn_app};
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery";

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("attendance_session=") && !c.contains("Max-Age=0"))
        .map(str::to_owned)
}

fn token_of(cookie: &str) -> String {
    cookie.trim_start_matches("attendance_session=").split(';').next().expect("value").to_owned()
}

#[tokio::test]
async fn the_login_form_carries_a_csrf_token_and_logging_in_sets_a_safe_cookie() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let page = app.get("/login/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(input_value(&html, "csrfmiddlewaretoken").is_some_and(|t| t.len() == 43), "{html}");
    assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));

    let response = app.browser.login("jkamau", PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/dashboard/");
    let cookie = session_cookie(&response).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let token = token_of(&cookie);
    assert!(token.len() >= 43, "256 random bits: {token}");

    // Only the token's hash is stored.
    let stored = app.firestore.rest().get_as_admin(&format!("login_sessions/{}", sha256_hex(&token))).await;
    let stored = stored.expect("session stored under the token's hash");
    assert!(!stored.to_string().contains(&token));

    let dashboard = app.get("/dashboard/").await;
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.expect("html").contains("Dr. jkamau"));
}

#[tokio::test]
async fn every_login_gets_a_new_token_and_replaces_the_browsers_old_session() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let first = token_of(&session_cookie(&app.browser.login("jkamau", PASSWORD).await).expect("cookie"));

    // The same browser logs in again (say, from a bookmarked login page) with its old cookie.
    let plain =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = plain.get(app.url("/login/")).send().await.expect("answer");
    let login_csrf = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("csrftoken="))
        .and_then(|c| c.split(';').next())
        .expect("login csrf cookie")
        .to_owned();
    let response = plain
        .post(app.url("/login/"))
        .header("cookie", format!("csrftoken={login_csrf}; attendance_session={first}"))
        .form(&[("username", "jkamau"), ("password", PASSWORD), ("csrfmiddlewaretoken", &login_csrf)])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 303);
    let second = token_of(&session_cookie(&response).expect("cookie"));
    assert_ne!(first, second);
    let rest = app.firestore.rest();
    assert!(
        rest.get_as_admin(&format!("login_sessions/{}", sha256_hex(&first))).await.is_none(),
        "old session ended"
    );
    assert!(rest.get_as_admin(&format!("login_sessions/{}", sha256_hex(&second))).await.is_some());
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_refusal() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    for (user, password) in [("jkamau", "wrong password!"), ("nobody", PASSWORD), ("", ""), ("a/../b", "x")] {
        let response = app.browser.login(user, password).await;
        assert_eq!(response.status(), 401, "{user}");
        assert!(session_cookie(&response).is_none());
        let html = response.text().await.expect("html");
        assert!(html.contains("Wrong username or password."), "{html}");
    }
    assert_eq!(app.get("/dashboard/").await.status(), 303, "still logged out");
}

#[tokio::test]
async fn a_disabled_lecturer_cannot_log_in_and_the_answer_does_not_confirm_the_password() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let user = attendance::domain::Username::parse("jkamau").expect("user");
    app.firestore
        .store
        .set_lecturer_active(&user, false, &attendance::model::Actor::CommandLine)
        .await
        .expect("disable");
    let right = app.browser.login("jkamau", PASSWORD).await;
    let wrong = app.new_browser().login("jkamau", "wrong password!").await;
    assert_eq!((right.status(), wrong.status()), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    let (right, wrong) = (right.text().await.expect("html"), wrong.text().await.expect("html"));
    let message =
        |html: &str| html.lines().find(|l| l.contains("Wrong username or password")).map(str::to_owned);
    assert!(message(&right).is_some(), "{right}");
    assert_eq!(message(&right), message(&wrong), "the same answer");
    assert!(!right.contains("disabled"));
}

#[tokio::test]
async fn five_failures_for_a_username_throttle_it_even_with_the_right_password() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    app.add_lecturer("potieno", PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(app.browser.login("jkamau", "wrong password!").await.status(), 401);
    }
    let throttled = app.browser.login("jkamau", PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 =
        throttled.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(throttled.text().await.expect("html").contains("Too many failed attempts"));
    // Another account from the same address is not affected by one user's failures.
    assert_eq!(app.new_browser().login("potieno", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn a_login_without_the_forms_csrf_token_is_forbidden() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    app.get("/login/").await;
    let response = app
        .browser
        .post_form(
            "/login/",
            &[("username", "jkamau"), ("password", PASSWORD), ("csrfmiddlewaretoken", "forged")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let fresh = app.new_browser();
    let response = fresh.post_form("/login/", &[("username", "jkamau"), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn next_only_leads_back_into_this_site() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let unit = app.get("/unit/create/").await;
    assert_eq!(unit.status(), 303);
    assert_eq!(unit.headers()["location"], "/login/?next=%2Funit%2Fcreate%2F");
    for (next, lands) in [
        ("/unit/create/", "/unit/create/"),
        ("//evil.example/", "/dashboard/"),
        ("https://evil.example/", "/dashboard/"),
    ] {
        let browser = app.new_browser();
        let html = browser.text("/login/").await;
        let token = input_value(&html, "csrfmiddlewaretoken").expect("token");
        let response = browser
            .post_form(
                "/login/",
                &[
                    ("username", "jkamau"),
                    ("password", PASSWORD),
                    ("csrfmiddlewaretoken", &token),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.headers()["location"], lands, "{next}");
    }
}

#[tokio::test]
async fn logout_ends_the_session_server_side() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let cookie = session_cookie(&app.browser.login("jkamau", PASSWORD).await).expect("cookie");
    let token = token_of(&cookie);

    let confirm = app.get("/logout/").await;
    assert_eq!(confirm.status(), 200, "GET only asks");
    assert_eq!(app.browser.post_form("/logout/", &[]).await.status(), 403, "POST needs the CSRF token");
    let response = app.browser.post_with_csrf("/logout/", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login/");
    assert!(
        app.firestore.rest().get_as_admin(&format!("login_sessions/{}", sha256_hex(&token))).await.is_none()
    );
    assert!(app.get("/login/").await.text().await.expect("html").contains("You have logged out."));

    // Replaying the old cookie gets nowhere.
    let replay =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = replay
        .get(app.url("/dashboard/"))
        .header("cookie", format!("attendance_session={token}"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn expired_and_idle_sessions_are_logged_out() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let signed_in = |app: &harness::TestApp| {
        let browser = app.browser.clone();
        async move { browser.get("/dashboard/").await.status() == 200 }
    };
    // Idle: the shipped limit is two hours without a request.
    let cookie = session_cookie(&app.browser.login("jkamau", PASSWORD).await).expect("cookie");
    let path = format!("login_sessions/{}", sha256_hex(&token_of(&cookie)));
    app.clock.advance(jiff::SignedDuration::from_mins(90));
    assert!(signed_in(&app).await, "used within the idle limit");
    // The request above refreshed the idle clock (at most once a minute): ninety minutes more
    // are still within two hours of it.
    wait_until_refreshed(&app, &path).await;
    app.clock.advance(jiff::SignedDuration::from_mins(90));
    assert!(signed_in(&app).await, "active sessions stay");
    app.clock.advance(jiff::SignedDuration::from_hours(3));
    assert!(!signed_in(&app).await, "three idle hours end it");
    assert!(app.firestore.rest().get_as_admin(&path).await.is_none(), "deleted on sight");

    // Absolute: twelve hours after the login, however active.
    let cookie = session_cookie(&app.browser.login("jkamau", PASSWORD).await).expect("cookie");
    let path = format!("login_sessions/{}", sha256_hex(&token_of(&cookie)));
    for _ in 0..11 {
        app.clock.advance(jiff::SignedDuration::from_mins(61));
        assert!(signed_in(&app).await);
        wait_until_refreshed(&app, &path).await;
    }
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    assert!(!signed_in(&app).await, "over twelve hours");
    assert!(app.firestore.rest().get_as_admin(&path).await.is_none(), "deleted on sight");
}

/// Waits until the session's idle clock shows the app clock's latest request (the refresh is
/// written in the background).
async fn wait_until_refreshed(app: &harness::TestApp, path: &str) {
    let now = app.clock.now();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let doc = app.firestore.rest().get_as_admin(path).await.expect("session");
        let seen = doc["fields"]["last_seen_at"]["timestampValue"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        if seen.is_some_and(|seen| now.duration_since(seen) < jiff::SignedDuration::from_secs(60)) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the idle clock was refreshed: {doc}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn lecturer_pages_need_a_login_and_scripts_get_json() {
    let app = spawn_app().await;
    for path in ["/dashboard/", "/unit/create/", "/session/create/", "/logout/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert!(response.headers()["location"].to_str().expect("ascii").starts_with("/login/?next="));
    }
    let response = app.browser.post_form("/unit/create-ajax/", &[("code", "CS101"), ("name", "Intro")]).await;
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({ "success": false, "error": "not_a_lecturer" }));
}

#[tokio::test]
async fn every_lecturer_post_without_a_valid_csrf_token_is_forbidden() {
    let app = spawn_app().await;
    let browser = app.logged_in("jkamau").await;
    for path in [
        "/unit/create/",
        "/session/create/",
        "/logout/",
        "/session/00000000-0000-4000-8000-000000000000/toggle/",
    ] {
        let missing = browser.post_form(path, &[("code", "CS101")]).await;
        assert_eq!(missing.status(), 403, "missing on {path}");
        let wrong = browser.post_form(path, &[("code", "CS101"), ("csrfmiddlewaretoken", "wrong")]).await;
        assert_eq!(wrong.status(), 403, "wrong on {path}");
    }
    let ajax = browser
        .client
        .post(browser.url("/unit/create-ajax/"))
        .header("X-CSRFToken", "wrong")
        .form(&[("code", "CS101"), ("name", "Intro")])
        .send()
        .await
        .expect("answer");
    assert_eq!(ajax.status(), 403);
    let body: serde_json::Value = ajax.json().await.expect("json");
    assert_eq!(body["success"], false);
    assert!(app.firestore.rest().list_as_admin("units").await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_than_five_tries() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", PASSWORD).await;
    let html = app.browser.text("/login/").await;
    let token = input_value(&html, "csrfmiddlewaretoken").expect("token");
    let guesses = (0..15).map(|i| {
        let browser = app.browser.clone();
        let token = token.clone();
        async move {
            let guess = format!("wrong password {i}");
            let form = [
                ("username", "jkamau"),
                ("password", guess.as_str()),
                ("csrfmiddlewaretoken", token.as_str()),
            ];
            browser.post_form("/login/", &form).await.status().as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 10, "{statuses:?}");
}
