//! A lecturer changes their own password: the current one, then the new one twice; every other
//! session of theirs ends, this one stays.

use harness::spawn_app;

#[tokio::test]
async fn a_lecturer_changes_their_password_and_only_this_session_survives() {
    let app = spawn_app().await;
    let here = app.logged_in("jkamau").await;
    let elsewhere = app.new_browser();
    assert_eq!(elsewhere.login("jkamau", "correct horse battery").await.status(), 303);

    // Bad input: each a 400 with the message beside its field, nothing changed.
    for (fields, message) in [
        (
            vec![
                ("current", "wrong password"),
                ("new", "a brand new secret"),
                ("again", "a brand new secret"),
            ],
            "That is not your current password.",
        ),
        (
            vec![("current", "correct horse battery"), ("new", "short"), ("again", "short")],
            "Password must be at least",
        ),
        (
            vec![
                ("current", "correct horse battery"),
                ("new", "a brand new secret"),
                ("again", "a different secret"),
            ],
            "The two new passwords differ.",
        ),
        (
            vec![
                ("current", "correct horse battery"),
                ("new", "correct horse battery"),
                ("again", "correct horse battery"),
            ],
            "different from the current one",
        ),
    ] {
        let response = here.post_with_csrf("/account/password/", &fields).await;
        assert_eq!(response.status(), 400, "{fields:?}");
        assert!(response.text().await.expect("html").contains(message), "{message}");
    }
    assert_eq!(elsewhere.get("/dashboard/").await.status(), 200, "nothing changed yet");

    let fields = [
        ("current", "correct horse battery"),
        ("new", "a brand new secret"),
        ("again", "a brand new secret"),
    ];
    let changed = here.post_with_csrf("/account/password/", &fields).await;
    assert_eq!(changed.status(), 303);
    assert!(here.text("/dashboard/").await.contains("Password changed"), "this session stays");
    assert_eq!(elsewhere.get("/dashboard/").await.status(), 303, "the other session ended");
    let again = app.new_browser();
    assert_eq!(again.login("jkamau", "correct horse battery").await.status(), 401, "old password refused");
    assert_eq!(again.login("jkamau", "a brand new secret").await.status(), 303);
    // The account page lists the logins, this one marked.
    let account = here.text("/account/password/").await;
    assert!(account.contains("Recent logins"), "{account}");
    assert_eq!(account.matches("(this session)").count(), 1, "{account}");
    assert_eq!(account.matches("from network 127.0.0.1").count(), 3, "three logins: {account}");
    // Without the CSRF token: refused.
    assert_eq!(here.post_form("/account/password/", &fields).await.status(), 403);
}

#[tokio::test]
async fn guessing_the_current_password_with_a_stolen_session_is_throttled_and_logged() {
    harness::logs::capture();
    let app = spawn_app().await;
    let stolen = app.logged_in("guessedlecturer").await;
    let guess = |current: &'static str| async move {
        let fields = [("current", current), ("new", "a brand new secret"), ("again", "a brand new secret")];
        stolen.post_with_csrf("/account/password/", &fields).await
    };
    for i in 0..5 {
        assert_eq!(guess("not it at all").await.status(), 400, "guess {i}");
    }
    let refused = guess("not it at all").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.text().await.expect("html").contains("Too many wrong passwords"));
    // Even the right one waits now: the guesser learns nothing more from this network.
    assert_eq!(guess("correct horse battery").await.status(), 429);
    let failed = harness::logs::security_events(&["event=current_password_failed", "guessedlecturer"]);
    assert_eq!(failed.len(), 5, "{failed:?}");
    assert_eq!(
        harness::logs::security_events(&["event=current_password_throttled", "guessedlecturer"]).len(),
        2
    );
    // The password did not change (a login from here would wait like the guesses: same network).
    let user = attendance::domain::Username::parse("guessedlecturer").expect("user");
    let (_, hash) = app.firestore.store.lecturer_with_hash(&user).await.expect("read").expect("account");
    assert!(attendance::auth::password::verify_password("correct horse battery", &hash).await);
}
