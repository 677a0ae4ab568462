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
    let hash = attendance::auth::password::hash_password(&password).expect("hash");
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
        found.contains("1 of 3 accounts") && found.contains("potieno") && !found.contains(">jkamau<"),
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
