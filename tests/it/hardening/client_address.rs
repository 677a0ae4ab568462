//! A client address the app can trust.

use harness::logs::{capture, security_events};
use harness::{AppOptions, TestApp, spawn_app_with};

async fn login_with(app: &TestApp, forwarded: &str) -> u16 {
    super::login_via_proxy(app, forwarded, "alice", "wrong password!").await.status().as_u16()
}

#[tokio::test]
async fn an_unparseable_forwarded_entry_falls_back_to_the_peer_address() {
    let app = spawn_app_with(AppOptions::default().with("PROXY_HOPS", "1")).await;
    app.add_lecturer("alice", "correct horse battery").await;
    for _ in 0..5 {
        assert_eq!(login_with(&app, "198.51.100.9, not-an-address").await, 401);
    }
    // The proxy's entry is garbage, so it is not an address to trust: the limit follows the
    // peer, whatever the client writes further left.
    assert_eq!(login_with(&app, "203.0.113.1, also-garbage").await, 429);
    // A well-formed entry is trusted as before.
    assert_eq!(login_with(&app, "203.0.113.1").await, 401);
}

#[tokio::test]
async fn a_forwarded_header_with_proxy_hops_zero_is_warned_about() {
    capture();
    let app = spawn_app_with(AppOptions::default()).await;
    let response = app
        .browser
        .client
        .get(app.url("/"))
        .header("x-forwarded-for", "192.0.2.55")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    app.add_lecturer("alice", "correct horse battery").await;
    login_with(&app, "192.0.2.55").await;
    let warnings = security_events(&["event=forwarded_for_ignored"]);
    assert!(!warnings.is_empty(), "the operator is told PROXY_HOPS is probably wrong");
    assert!(warnings.iter().all(|w| w.contains("PROXY_HOPS")), "{warnings:?}");
}
