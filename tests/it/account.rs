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
