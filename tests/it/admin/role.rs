//! Department administrators: the role, `/admin/` for them only (404 for everyone else), and the
//! last administrator who keeps the role.

use attendance::store::{Conflict, StoreError};
use harness::spawn_app;

use crate::fixtures::{new_lecturer, username};

#[tokio::test]
async fn only_administrators_see_the_lecturers_and_the_last_one_keeps_the_role() {
    let app = spawn_app().await;
    let store = &app.firestore.store;
    store
        .create_lecturer(
            &attendance::model::NewLecturer { admin: true, ..new_lecturer("office", "ADM_001") },
            &attendance::model::Actor::CommandLine,
        )
        .await
        .expect("admin");
    store
        .create_lecturer(&new_lecturer("potieno", "STF/002"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    let lecturer = app.logged_in("jkamau").await;
    assert_eq!(lecturer.get("/admin/").await.status(), 404, "a lecturer gets 404");
    assert_eq!(lecturer.get("/admin/?q=x").await.status(), 404);

    let password = attendance::domain::Password::parse("correct horse battery").expect("pw");
    let hash = attendance::auth::password::hash_password(&password).await.expect("hash");
    store
        .set_password(&username("office"), &hash, false, &attendance::model::Actor::CommandLine)
        .await
        .expect("password");
    let office = app.new_browser();
    assert_eq!(office.login("office", "correct horse battery").await.status(), 303);
    let page = office.text("/admin/").await;
    assert!(
        page.contains("3 of 3 accounts") && page.contains("potieno") && page.contains("Administrator"),
        "{page}"
    );
    let found = office.text("/admin/?q=STF%2F002").await;
    assert!(
        found.contains("1 of 3 accounts")
            && found.contains("/admin/lecturers/potieno/")
            && !found.contains("/admin/lecturers/jkamau/"),
        "{found}"
    );

    // The last administrator keeps the role; with a second one, it can go.
    let last =
        store.set_lecturer_admin(&username("office"), false, &attendance::model::Actor::CommandLine).await;
    assert!(matches!(last, Err(StoreError::Conflict(Conflict::LastAdministrator))), "{last:?}");
    store
        .set_lecturer_admin(&username("jkamau"), true, &attendance::model::Actor::CommandLine)
        .await
        .expect("second admin");
    assert_eq!(lecturer.get("/admin/").await.status(), 200, "the role counts from the next page");
    store
        .set_lecturer_admin(&username("office"), false, &attendance::model::Actor::CommandLine)
        .await
        .expect("no longer the last");
    assert_eq!(office.get("/admin/").await.status(), 404);
}

/// Two administrators taking each other's role at the same instant: one of them stays, every
/// time (each commit carries the other as its witness).
#[tokio::test]
async fn two_administrators_demoting_each_other_at_once_leave_one() {
    let fs = harness::TestFirestore::new().await;
    let store = &fs.store;
    let cli = attendance::model::Actor::CommandLine;
    for (user, staff) in [("aone", "ADM/1"), ("atwo", "ADM/2")] {
        store
            .create_lecturer(
                &attendance::model::NewLecturer { admin: true, ..new_lecturer(user, staff) },
                &cli,
            )
            .await
            .expect("admin");
    }
    for round in 0..5 {
        let by_one = attendance::model::Actor::Administrator(username("aone"));
        let by_two = attendance::model::Actor::Administrator(username("atwo"));
        let (one, two) = (username("aone"), username("atwo"));
        let (a, b) = tokio::join!(
            store.set_lecturer_admin(&two, false, &by_one),
            store.set_lecturer_active(&one, false, &by_two),
        );
        let admins: Vec<_> = store
            .all_lecturers()
            .await
            .expect("lecturers")
            .into_iter()
            .filter(|l| l.admin && l.active)
            .collect();
        assert_eq!(admins.len(), 1, "round {round}: {a:?} {b:?}");
        assert!(
            matches!(a, Err(StoreError::Conflict(Conflict::LastAdministrator)))
                || matches!(b, Err(StoreError::Conflict(Conflict::LastAdministrator))),
            "round {round}: one is refused: {a:?} {b:?}"
        );
        // Back to two for the next round.
        store.set_lecturer_admin(&username("atwo"), true, &cli).await.expect("restore");
        store.set_lecturer_active(&username("aone"), true, &cli).await.expect("restore");
    }
}

/// Every `/admin/` address, read and written, answers a lecturer 404 and changes nothing; an
/// administrator reads another lecturer's unit only through `/admin/`.
#[tokio::test]
async fn a_lecturer_gets_404_on_every_admin_url_and_an_administrator_has_no_back_door() {
    let app = spawn_app().await;
    let session = crate::record_keeping::lecture(&app).await; // jkamau's CS101
    let office = super::office(&app).await;
    let lecturer = &app.browser;
    for path in [
        "/admin/",
        "/admin/lecturers/new/",
        "/admin/lecturers/office/",
        "/admin/units/",
        "/admin/report/",
        "/admin/report.csv",
        "/admin/audit/",
    ] {
        assert_eq!(lecturer.get(path).await.status(), 404, "GET {path}");
        assert_eq!(office.get(path).await.status(), 200, "GET {path} as the administrator");
    }
    let office_before = app.firestore.rest().get_as_admin("lecturers/office").await.expect("office");
    for (path, fields) in [
        ("/admin/lecturers/new/", vec![("username", "mallory"), ("password", "a long password")]),
        ("/admin/lecturers/office/", vec![("full_name", "Mallory"), ("email", "m@uni.ac.ke")]),
        ("/admin/lecturers/office/active/", vec![("value", "false")]),
        ("/admin/lecturers/jkamau/role/", vec![("value", "true")]),
        ("/admin/lecturers/office/password/", vec![("mode", "temporary"), ("password", "a long password")]),
        ("/admin/lecturers/office/password/", vec![("mode", "link")]),
        ("/admin/units/CS101/lecturer/", vec![("lecturer", "office")]),
        ("/admin/units/CS101/archive/", vec![("value", "true")]),
    ] {
        assert_eq!(lecturer.post_with_csrf(path, &fields).await.status(), 404, "POST {path}");
        // Judged before the form is read: an empty form is a 404 too, not a form error.
        assert_eq!(lecturer.post_with_csrf(path, &[]).await.status(), 404, "empty POST {path}");
    }
    // An administrator's empty form is a 400 with a message, never a framework rejection.
    for path in [
        "/admin/lecturers/office/active/",
        "/admin/units/CS101/archive/",
        "/admin/lecturers/office/password/",
    ] {
        assert_eq!(office.post_with_csrf(path, &[]).await.status(), 400, "empty POST {path}");
    }
    assert_eq!(
        app.firestore.rest().get_as_admin("lecturers/office").await.expect("office"),
        office_before,
        "nothing changed"
    );
    let audit = office.text("/admin/audit/").await;
    for action in [
        "Edited",
        "Disabled",
        "administrator</td><td>jkamau",
        "Set a",
        "one-time",
        "Handed",
        "Archived",
        "mallory",
    ] {
        assert!(!audit.contains(action), "{action}: {audit}");
    }
    assert!(!office.text("/admin/").await.contains("mallory"));
    // Without the CSRF token even an administrator is refused.
    assert_eq!(office.post_form("/admin/units/CS101/archive/", &[("value", "true")]).await.status(), 403);

    // The administrator's lecturer pages are their own: jkamau's unit and session are 404 there.
    for path in ["/unit/CS101/".to_owned(), format!("/session/{}/", session.id)] {
        assert_eq!(office.get(&path).await.status(), 404, "{path}");
    }
    let report = office.text("/admin/report/?year=2025/2026&semester=1").await;
    assert!(report.contains("CS101") && report.contains("jkamau"), "{report}");
    // The menu shows the administration link to administrators only.
    assert!(office.text("/dashboard/").await.contains("href=\"/admin/\""));
    assert!(!lecturer.text("/dashboard/").await.contains("href=\"/admin/\""));
}
