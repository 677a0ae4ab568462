//! Units across the department: every unit with its lecturer, handed over with all its sessions
//! (the owner checks follow), and archived by an administrator.

use harness::spawn_app;

use super::{followed, office};

#[tokio::test]
async fn a_unit_handed_over_moves_with_its_sessions_and_records() {
    let app = spawn_app().await;
    let session = crate::record_keeping::lecture(&app).await; // jkamau's CS101, open now
    app.new_browser().attend(&session.id.to_string(), "Amina Odhiambo", "ADM/1").await;
    app.add_lecturer("potieno", "correct horse battery").await;
    let office = office(&app).await;

    let list = office.text("/admin/units/").await;
    assert!(list.contains("CS101") && list.contains("Dr. jkamau") && list.contains("(jkamau)"), "{list}");
    // Not to an unknown or disabled lecturer; to the same one is nothing.
    for who in ["nobody", "", "../x"] {
        let refused = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", who)]).await;
        assert!(followed(&office, refused).await.contains("Choose an active lecturer"), "{who}");
    }
    let same = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "jkamau")]).await;
    assert!(followed(&office, same).await.contains("is already Dr. jkamau"));
    assert_eq!(
        office.post_with_csrf("/admin/units/NOPE1/lecturer/", &[("lecturer", "potieno")]).await.status(),
        404
    );

    let moved = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "potieno")]).await;
    let moved = followed(&office, moved).await;
    assert!(moved.contains("CS101 is now Dr. potieno") && moved.contains("with its 1 session(s)"), "{moved}");
    // jkamau's pages of it are gone; potieno has the unit, the session and its mark.
    let jkamau = &app.browser;
    assert_eq!(jkamau.get("/unit/CS101/").await.status(), 404);
    assert_eq!(jkamau.get(&format!("/session/{}/", session.id)).await.status(), 404);
    let dashboard = jkamau.text("/dashboard/").await;
    assert!(!dashboard.contains("/unit/CS101/"), "{dashboard}");
    let potieno = app.new_browser();
    assert_eq!(potieno.login("potieno", "correct horse battery").await.status(), 303);
    assert!(potieno.text("/dashboard/").await.contains("/unit/CS101/"));
    assert!(potieno.text(&format!("/session/{}/", session.id)).await.contains("ADM/1"));
    let stored =
        app.firestore.rest().get_as_admin(&format!("sessions/{}", session.id)).await.expect("session");
    assert_eq!(stored["fields"]["lecturer_name"]["stringValue"], "Dr. potieno");
    // Repeating the handover changes nothing more.
    let again = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "potieno")]).await;
    assert!(followed(&office, again).await.contains("is already Dr. potieno"));
    // A session jkamau's form created just as the unit changed hands is caught up by a repeat.
    let late = store_session(&app, "jkamau", 16).await;
    let repeat = office.post_with_csrf("/admin/units/CS101/lecturer/", &[("lecturer", "potieno")]).await;
    assert!(followed(&office, repeat).await.contains("(1 session(s) caught up)"));
    assert!(potieno.text(&format!("/session/{}/", late.id)).await.contains("CS101"));
    let audit = office.text("/admin/audit/").await;
    assert_eq!(audit.matches("Handed the unit over").count(), 1, "{audit}");
    assert!(audit.contains("from jkamau to potieno"), "{audit}");
}

/// A session of CS101 written straight to the store for `lecturer`, as a form past its owner
/// check would.
async fn store_session(app: &harness::TestApp, lecturer: &str, hour: i8) -> attendance::model::Session {
    let day = jiff::Zoned::now().date().checked_add(jiff::ToSpan::days(2)).expect("date");
    let new = crate::fixtures::new_session("CS101", lecturer, day, hour);
    app.firestore.store.create_session(&new).await.expect("session")
}

#[tokio::test]
async fn an_administrator_archives_and_restores_a_unit() {
    let app = spawn_app().await;
    crate::record_keeping::lecture(&app).await;
    let office = office(&app).await;
    let archived = office.post_with_csrf("/admin/units/CS101/archive/", &[("value", "true")]).await;
    assert!(followed(&office, archived).await.contains("CS101 is archived"));
    assert!(
        !app.browser.text("/dashboard/").await.contains("/unit/CS101/\""),
        "off the lecturer's dashboard"
    );
    assert!(office.text("/admin/units/").await.contains("0 in use · 1 archived"));
    office.post_with_csrf("/admin/units/CS101/archive/", &[("value", "false")]).await;
    assert!(app.browser.text("/dashboard/").await.contains("/unit/CS101/"));
    assert_eq!(office.post_with_csrf("/admin/units/CS101/archive/", &[("value", "")]).await.status(), 400);
    let audit = office.text("/admin/audit/").await;
    assert!(audit.contains("Archived the unit") && audit.contains("Restored the unit"), "{audit}");
}
