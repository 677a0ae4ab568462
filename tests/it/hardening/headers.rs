//! Cookies and headers.

use harness::{AppOptions, input_value, spawn_app, spawn_app_with};

use super::lecturer_with_session;

#[tokio::test]
async fn lecturer_pages_and_json_are_never_cached() {
    let app = spawn_app().await;
    let session = lecturer_with_session(&app, "jkamau").await;
    for path in [
        "/dashboard/".to_owned(),
        format!("/session/{}/", session.id),
        format!("/session/{}/changes.json", session.id),
    ] {
        let response = app.browser.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
    // Also the login page (it carries a token) and the redirect of a logged-out visitor.
    let anonymous = app.new_browser();
    assert_eq!(anonymous.get("/login/").await.headers()["cache-control"], "no-store");
    assert_eq!(anonymous.get("/dashboard/").await.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn over_https_cookies_carry_the_host_prefix() {
    // A test about BASE_URL: the public address is https (a proxy terminates TLS).
    let app = spawn_app_with(AppOptions::default().with("BASE_URL", "https://attendance.example")).await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = client.get(app.url("/login/")).send().await.expect("login page");
    let csrf_cookie = page.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(csrf_cookie.starts_with("__Host-csrftoken=") && csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let cookie = csrf_cookie.split(';').next().expect("pair").to_owned();
    let token = input_value(&page.text().await.expect("html"), "csrfmiddlewaretoken").expect("token");
    let login = client
        .post(app.url("/login/"))
        .header("cookie", &cookie)
        .form(&[
            ("username", "jkamau"),
            ("password", "correct horse battery"),
            ("csrfmiddlewaretoken", token.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let session_cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("attendance_session="))
        .expect("session cookie")
        .to_owned();
    assert!(session_cookie.starts_with("__Host-attendance_session="), "{session_cookie}");
    assert!(
        session_cookie.contains("; Path=/")
            && session_cookie.contains("Secure")
            && !session_cookie.contains("Domain")
    );
    // The unprefixed name, as a sibling subdomain could plant it, is not a login.
    let value = session_cookie.split(';').next().expect("pair").trim_start_matches("__Host-");
    let planted = client.get(app.url("/dashboard/")).header("cookie", value).send().await.expect("dashboard");
    assert_eq!(planted.status(), 303, "sent back to the login page");
}

#[tokio::test]
async fn the_example_secret_key_stops_start_up_naming_the_variable() {
    let vars = attendance::config::Vars::from_pairs([
        ("FIRESTORE_PROJECT_ID".to_owned(), "demo-attendance".to_owned()),
        ("BASE_URL".to_owned(), "https://attendance.example".to_owned()),
        ("SECRET_KEY".to_owned(), "change-me-to-64-hex-characters-from-openssl-rand-hex-32".to_owned()),
    ]);
    let err = attendance::config::Config::from_vars(&vars).expect_err("refused");
    assert!(err.to_string().starts_with("SECRET_KEY is not valid"), "{err}");
    assert!(err.to_string().contains("openssl rand -hex 32"), "{err}");
    let example = std::fs::read_to_string(harness::emulator::repo_root().join(".env.example")).expect("file");
    assert!(
        example.lines().all(|l| !l.starts_with("FIRESTORE_EMULATOR_HOST=")),
        ".env.example must not point production at an emulator"
    );
}
