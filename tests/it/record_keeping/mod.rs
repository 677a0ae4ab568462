//! The lecturer's record keeping: corrections with their history, class lists and absentees,
//! attendance windows, editing and cancelling, students at risk.

mod class_list;
mod corrections;
mod editing;
mod repeats;
mod units;
mod windows;

use attendance::model::Session;
use harness::TestApp;

/// `jkamau` logged in, owning CS101 with a lecture tomorrow 10:00–11:00; the clock at its start
/// (the login comes after the clock moved: a login a day old would have gone idle).
pub async fn lecture(app: &TestApp) -> Session {
    let session = crate::hardening::new_lecture(app, "jkamau", 10).await;
    app.logged_in("jkamau").await;
    session
}

/// The session page's HTML.
pub async fn page(app: &TestApp, session: &Session) -> String {
    app.browser.text(&format!("/session/{}/", session.id)).await
}

/// Posts a correction; returns the status and the page it leads to (the redirect followed).
pub async fn correct(app: &TestApp, session: &Session, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app.browser.post_with_csrf(&format!("/session/{}/marks/", session.id), fields).await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status == 303 { (status, page(app, session).await) } else { (status, body) }
}
