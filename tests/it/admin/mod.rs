//! Department administrators on `/admin/`: the role and its access rules, lecturer accounts,
//! password resets, units across the department and the department report.

mod accounts;
mod passwords;
mod report;
mod role;
mod units;

use attendance::model::Actor;
use harness::{Browser, TestApp};

use crate::fixtures::username;

/// An administrator `office`, logged in with a browser of their own.
pub async fn office(app: &TestApp) -> Browser {
    app.add_lecturer("office", "correct horse battery").await;
    app.firestore
        .store
        .set_lecturer_admin(&username("office"), true, &Actor::CommandLine)
        .await
        .expect("admin");
    let browser = app.new_browser();
    assert_eq!(browser.login("office", "correct horse battery").await.status(), 303);
    browser
}

/// The flash message (and the page) a redirect leads to.
pub async fn followed(browser: &Browser, response: reqwest::Response) -> String {
    assert_eq!(response.status(), 303, "a redirect");
    let to = response.headers()["location"].to_str().expect("location").to_owned();
    browser.text(&to).await
}
