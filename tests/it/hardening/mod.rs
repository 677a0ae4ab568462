//! Hardening, one file per area of the security review: logins that cannot be turned into a
//! lockout, bounded work, trustworthy client addresses, bounded anonymous marking, identifiers
//! that are what they look like, cookies and headers, connections, the student path under a
//! Firestore stall, sessions that follow the account, receipts without personal data, and
//! security events in the log.

mod accounts;
mod client_address;
mod connections;
mod headers;
mod identifiers;
mod login;
mod marking;
mod receipts;
mod security_events;
mod security_log;
mod streams;
mod student_path;

use attendance::config::{AppSettings, SecretKey, Vars};
use attendance::model::Session;
use harness::{TestApp, input_value};
use jiff::ToSpan;

use crate::fixtures::{new_session, new_unit};

/// `lecturer` logged in with the app's main browser, owning CS101 and an open session tomorrow.
pub async fn lecturer_with_session(app: &TestApp, lecturer: &str) -> Session {
    let session = new_lecture(app, lecturer, 8).await;
    app.logged_in(lecturer).await;
    session
}

/// Another open session of CS101 (created with the first call), tomorrow at `hour`.
pub async fn new_lecture(app: &TestApp, lecturer: &str, hour: i8) -> Session {
    let store = &app.firestore.store;
    let code = attendance::domain::UnitCode::parse("CS101").expect("code");
    if store.unit(&code).await.expect("read").is_none() {
        store.create_unit(&new_unit("CS101", lecturer)).await.expect("unit");
    }
    let tomorrow = jiff::Zoned::now().date().checked_add(1.day()).expect("date");
    let session =
        store.create_session(&new_session("CS101", lecturer, tomorrow, hour)).await.expect("session");
    app.at_start_of(&session);
    session
}

/// The settings the app ships with (only the two required variables set).
pub fn shipped_settings() -> AppSettings {
    AppSettings::from_vars(&Vars::from_pairs([
        ("BASE_URL".to_owned(), "https://attendance.example".to_owned()),
        ("SECRET_KEY".to_owned(), SecretKey::generate()),
    ]))
    .expect("settings")
}

/// A login in a fresh browser, arriving through the proxy with `X-Forwarded-For: forwarded`.
pub async fn login_via_proxy(
    app: &TestApp,
    forwarded: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let browser = app.new_browser();
    let html = browser.text("/login/").await;
    let token = input_value(&html, "csrfmiddlewaretoken").expect("token");
    browser
        .client
        .post(browser.url("/login/"))
        .header("x-forwarded-for", forwarded)
        .form(&[("username", username), ("password", password), ("csrfmiddlewaretoken", token.as_str())])
        .send()
        .await
        .expect("app answers")
}
