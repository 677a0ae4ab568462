//! Sessions follow the account: disabling it or changing its password ends them at once.

use harness::spawn_app;

use crate::fixtures::username;

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    app.logged_in("jkamau").await;
    assert_eq!(app.browser.get("/dashboard/").await.status(), 200);
    // As an administrator's tool would do it: through the store, nothing else.
    let ended = app
        .firestore
        .store
        .set_lecturer_active(&username("jkamau"), false, &attendance::model::Actor::CommandLine)
        .await
        .expect("disable");
    assert_eq!(ended, 1);
    assert_eq!(app.browser.get("/dashboard/").await.status(), 303, "back to the login page");
}

#[tokio::test]
async fn a_new_password_ends_the_sessions_of_the_old_one() {
    let app = spawn_app().await;
    app.logged_in("jkamau").await;
    let other_device = app.new_browser();
    assert_eq!(other_device.login("jkamau", "correct horse battery").await.status(), 303);
    let password = attendance::domain::Password::parse("a brand new passphrase").expect("pw");
    let hash = attendance::auth::password::hash_password(&password).await.expect("hash");
    let ended = app
        .firestore
        .store
        .set_password(&username("jkamau"), &hash, false, &attendance::model::Actor::CommandLine)
        .await
        .expect("change");
    assert_eq!(ended, 2);
    assert_eq!(app.browser.get("/dashboard/").await.status(), 303);
    assert_eq!(other_device.get("/dashboard/").await.status(), 303);
    assert_eq!(app.new_browser().login("jkamau", "a brand new passphrase").await.status(), 303);
}
