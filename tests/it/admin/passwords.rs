//! An administrator gives a lecturer a new password: a temporary one, or a one-time link that
//! works once, for 24 hours, and is shown only once.

use harness::{TestApp, spawn_app};
use jiff::SignedDuration;

use super::{followed, office};

/// The link on the page shown after creating it.
fn link_on(page: &str) -> String {
    let start = page.find("id=\"reset-link\">").expect("the link is shown") + "id=\"reset-link\">".len();
    let link = &page[start..start + page[start..].find('<').expect("end")];
    let path = &link[link.find("/account/reset/").expect("path")..];
    path.to_owned()
}

async fn issue_link(app: &TestApp, office: &harness::Browser) -> String {
    let response = office.post_with_csrf("/admin/lecturers/jkamau/password/", &[("mode", "link")]).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("html");
    assert!(page.contains("shown only now"), "{page}");
    let stored =
        serde_json::to_string(&app.firestore.rest().list_as_admin("password_resets").await).expect("json");
    assert!(!stored.contains(&link_on(&page)[15..58]), "only the hash is stored");
    link_on(&page)
}

#[tokio::test]
async fn a_temporary_password_ends_the_sessions_and_must_be_changed() {
    let app = spawn_app().await;
    let lecturer = app.logged_in("jkamau").await;
    let office = office(&app).await;
    let weak = office
        .post_with_csrf("/admin/lecturers/jkamau/password/", &[("mode", "temporary"), ("password", "short")])
        .await;
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.expect("html").contains("Password must be at least 10 characters"));
    assert_eq!(lecturer.get("/dashboard/").await.status(), 200, "nothing changed");

    let set = office
        .post_with_csrf(
            "/admin/lecturers/jkamau/password/",
            &[("mode", "temporary"), ("password", "temporary secret 2")],
        )
        .await;
    assert!(followed(&office, set).await.contains("1 login session(s) ended"));
    assert_eq!(lecturer.get("/dashboard/").await.status(), 303, "logged out");
    assert_eq!(lecturer.login("jkamau", "temporary secret 2").await.status(), 303);
    assert_eq!(lecturer.get("/unit/CS101/").await.headers()["location"], "/account/password/");
    assert!(office.text("/admin/audit/").await.contains("Set a temporary password"));
    let bad_mode = office.post_with_csrf("/admin/lecturers/jkamau/password/", &[("mode", "email")]).await;
    assert_eq!(bad_mode.status(), 400);
}

#[tokio::test]
async fn a_one_time_link_works_once_for_a_day() {
    let app = spawn_app().await;
    let lecturer = app.logged_in("jkamau").await;
    let office = office(&app).await;
    let first = issue_link(&app, &office).await;
    let link = issue_link(&app, &office).await;
    assert_ne!(first, link);
    let replaced = app.new_browser().get(&first).await;
    assert_eq!(replaced.status(), 404, "a new link replaces the old one");
    assert!(
        replaced.text().await.expect("html").contains("Ask your department administrator for a new link")
    );

    let visitor = app.new_browser();
    let form = visitor.text(&link).await;
    assert!(form.contains("For the account <strong>jkamau</strong>"), "{form}");
    let differ = visitor.post_form(&link, &[("new", "a chosen secret"), ("again", "another secret")]).await;
    assert_eq!(differ.status(), 400);
    assert!(differ.text().await.expect("html").contains("The two passwords differ."));
    let weak = visitor.post_form(&link, &[("new", "short"), ("again", "short")]).await;
    assert_eq!(weak.status(), 400);
    assert_eq!(lecturer.get("/dashboard/").await.status(), 200, "nothing changed yet");

    let used = visitor.post_form(&link, &[("new", "a chosen secret"), ("again", "a chosen secret")]).await;
    let login = followed(&visitor, used).await;
    assert!(login.contains("Password set for jkamau"), "{login}");
    assert_eq!(lecturer.get("/dashboard/").await.status(), 303, "every session ended");
    assert_eq!(app.new_browser().login("jkamau", "a chosen secret").await.status(), 303);
    assert_eq!(app.new_browser().login("jkamau", "correct horse battery").await.status(), 401);
    // Once only.
    let again = visitor.post_form(&link, &[("new", "mallory's secret"), ("again", "mallory's secret")]).await;
    assert_eq!(again.status(), 404);
    assert_eq!(app.new_browser().login("jkamau", "mallory's secret").await.status(), 401);
    let audit = office.text("/admin/audit/").await;
    assert!(
        audit.contains("Issued a one-time password link")
            && audit.contains("Chose a new password with a one-time link")
    );

    // Any later password change (here a temporary one) ends the links issued before it.
    let superseded = issue_link(&app, &office).await;
    office
        .post_with_csrf(
            "/admin/lecturers/jkamau/password/",
            &[("mode", "temporary"), ("password", "temporary secret 3")],
        )
        .await;
    assert_eq!(app.new_browser().get(&superseded).await.status(), 404, "ended by the new password");

    // A day later an unused link has expired; garbage is a 404 without a read.
    let late = issue_link(&app, &office).await;
    app.clock.advance(SignedDuration::from_hours(24) + SignedDuration::from_secs(1));
    assert_eq!(app.new_browser().get(&late).await.status(), 404);
    assert_eq!(app.new_browser().get("/account/reset/not-a-token/").await.status(), 404);
}

#[tokio::test]
async fn a_link_used_twice_at_once_sets_one_password() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let office = office(&app).await;
    let link = issue_link(&app, &office).await;
    let (one, two) = (app.new_browser(), app.new_browser());
    let (a, b) = tokio::join!(
        one.post_form(&link, &[("new", "the first secret"), ("again", "the first secret")]),
        two.post_form(&link, &[("new", "the second secret"), ("again", "the second secret")]),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 404], "one use; the other finds the link used");
    let winner = if a.status() == 303 { "the first secret" } else { "the second secret" };
    let loser = if a.status() == 303 { "the second secret" } else { "the first secret" };
    assert_eq!(app.new_browser().login("jkamau", winner).await.status(), 303);
    assert_eq!(app.new_browser().login("jkamau", loser).await.status(), 401);
}
