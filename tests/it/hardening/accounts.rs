//! Sessions follow the account: disabling it or changing its password ends them at once.

use attendance::auth::tokens::{random_token, sha256_hex};
use attendance::model::Actor;
use attendance::store::NewLoginSession;
use futures::StreamExt;
use harness::binaries::attendance_command;
use harness::{TestApp, spawn_app};

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

/// `n` live login sessions of `lecturer`, made in the store under the account's current access
/// epoch: as many as someone with the password could have collected. Their cookie tokens.
async fn live_logins(app: &TestApp, lecturer: &str, n: usize) -> Vec<String> {
    let account = app.firestore.rest().get_as_admin(&format!("lecturers/{lecturer}")).await.expect("account");
    let epoch = account["fields"]["access_epoch"]["stringValue"].as_str().expect("an epoch").to_owned();
    let user = username(lecturer);
    let tokens: Vec<String> = (0..n).map(|_| random_token()).collect();
    futures::stream::iter(&tokens)
        .for_each_concurrent(16, |token| {
            let (user, epoch) = (&user, &epoch);
            async move {
                let now = app.clock.now();
                app.firestore
                    .store
                    .create_login_session(&NewLoginSession {
                        token_hash: &sha256_hex(token),
                        lecturer: user,
                        full_name: "Dr. Jane Kamau",
                        csrf_token: "csrf",
                        must_change_password: false,
                        admin: false,
                        expires_at: now + jiff::SignedDuration::from_hours(8),
                        seen_at: now,
                        access_epoch: epoch,
                        network: "203.0.113.0",
                    })
                    .await
                    .expect("session");
            }
        })
        .await;
    tokens
}

/// How many of `tokens` still open the dashboard.
async fn reaching_a_page(app: &TestApp, tokens: &[String]) -> usize {
    let client = harness::app::client();
    futures::stream::iter(tokens)
        .map(|token| {
            let request = client
                .get(app.url("/dashboard/"))
                .header("cookie", format!("attendance_session={token}"))
                .send();
            async move { request.await.expect("app answers").status() == 200 }
        })
        .buffer_unordered(16)
        .filter(|reached| std::future::ready(*reached))
        .count()
        .await
}

#[tokio::test]
async fn five_hundred_and_ten_live_logins_cannot_stop_a_disable_from_the_command_line_or_admin() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let tokens = live_logins(&app, "jkamau", 510).await;
    assert_eq!(reaching_a_page(&app, &tokens[..3]).await, 3, "live before");
    let out = attendance_command(&app.firestore, &["lecturer", "disable", "--username", "jkamau"], "").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("510 login session(s) ended"), "{stdout}");
    assert_eq!(reaching_a_page(&app, &tokens).await, 0, "none of the 510 after the command line");

    let out = attendance_command(&app.firestore, &["lecturer", "enable", "--username", "jkamau"], "").await;
    assert!(out.status.success());
    // The app trusts its copy of the (disabled) account for a few seconds.
    app.clock.advance(attendance::auth::access::FRESH_FOR);
    let tokens = live_logins(&app, "jkamau", 510).await;
    assert_eq!(reaching_a_page(&app, &tokens[..3]).await, 3, "live before");
    let office = crate::admin::office(&app).await;
    let done = office.post_with_csrf("/admin/lecturers/jkamau/active/", &[("value", "false")]).await;
    let page = crate::admin::followed(&office, done).await;
    assert!(page.contains("jkamau is disabled; 510 login session(s) ended"), "{page}");
    assert_eq!(reaching_a_page(&app, &tokens).await, 0, "none of the 510 after /admin/");
}

#[tokio::test]
async fn a_login_in_flight_during_a_disable_or_a_new_password_gets_a_dead_session() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    // Each login read the account (and its epoch) before the change and makes its session
    // after it: the order the change cannot see when it runs.
    for change in ["disable", "new password"] {
        let in_flight = live_logins_read_before(&app, "jkamau", || async {
            match change {
                "disable" => {
                    app.firestore
                        .store
                        .set_lecturer_active(&username("jkamau"), false, &Actor::CommandLine)
                        .await
                        .expect("disabled");
                }
                _ => {
                    app.set_password("jkamau", "a brand new passphrase").await;
                }
            }
        })
        .await;
        assert_eq!(reaching_a_page(&app, &[in_flight]).await, 0, "{change}: dead on arrival");
        app.firestore
            .store
            .set_lecturer_active(&username("jkamau"), true, &Actor::CommandLine)
            .await
            .expect("on");
    }
}

/// One login of `lecturer` that reads the account, waits for `change`, then makes its session.
async fn live_logins_read_before<F: Future<Output = ()>>(
    app: &TestApp,
    lecturer: &str,
    change: impl FnOnce() -> F,
) -> String {
    let (read, _) =
        app.firestore.store.lecturer_with_hash(&username(lecturer)).await.expect("read").expect("account");
    change().await;
    let token = random_token();
    let now = app.clock.now();
    app.firestore
        .store
        .create_login_session(&NewLoginSession {
            token_hash: &sha256_hex(&token),
            lecturer: &read.username,
            full_name: read.full_name.as_str(),
            csrf_token: "csrf",
            must_change_password: false,
            admin: false,
            expires_at: now + jiff::SignedDuration::from_hours(8),
            seen_at: now,
            access_epoch: &read.access_epoch,
            network: "203.0.113.0",
        })
        .await
        .expect("session");
    token
}

#[tokio::test]
async fn an_account_keeps_at_most_ten_logins_and_a_new_one_ends_the_oldest() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let browsers: Vec<_> = (0..12).map(|_| app.new_browser()).collect();
    for browser in &browsers {
        assert_eq!(browser.login("jkamau", "correct horse battery").await.status(), 303);
        // Each a moment apart, so "oldest" is well defined.
        app.clock.advance(jiff::SignedDuration::from_secs(1));
    }
    let sessions = app.firestore.rest().list_as_admin("login_sessions").await;
    assert_eq!(sessions.len(), 10, "capped");
    for (i, browser) in browsers.iter().enumerate() {
        let status = browser.get("/dashboard/").await.status();
        assert_eq!(status, if i < 2 { 303 } else { 200 }, "login {i}");
    }
}

#[tokio::test]
async fn a_disable_ends_the_accounts_reset_links_too() {
    let app = spawn_app().await;
    app.add_lecturer("jkamau", "correct horse battery").await;
    let office = crate::admin::office(&app).await;
    let issued = office.post_with_csrf("/admin/lecturers/jkamau/password/", &[("mode", "link")]).await;
    let page = issued.text().await.expect("html");
    let start = page.find("/account/reset/").expect("the link is shown");
    let link = page[start..start + page[start..].find('<').expect("end")].to_owned();
    assert_eq!(app.new_browser().get(&link).await.status(), 200, "live");
    app.firestore
        .store
        .set_lecturer_active(&username("jkamau"), false, &Actor::CommandLine)
        .await
        .expect("off");
    assert_eq!(app.new_browser().get(&link).await.status(), 404, "ended with the account's access");
}
