//! Throttling without lockout, and bounded password work.

use std::time::{Duration, Instant};

use harness::{AppOptions, TestApp, spawn_app_with};

const PASSWORD: &str = "correct horse battery";

/// The app behind one trusted proxy, which appends the client's address to X-Forwarded-For.
async fn behind_a_proxy() -> TestApp {
    spawn_app_with(AppOptions::default().with("PROXY_HOPS", "1")).await
}

/// A login from `address` (as the proxy reports it, after what the client claimed).
async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> reqwest::Response {
    super::login_via_proxy(app, &format!("198.18.0.1, {address}"), username, password).await
}

async fn throttle_total(app: &TestApp, prefix: &str) -> i64 {
    app.firestore
        .rest()
        .list_as_admin("login_throttle")
        .await
        .iter()
        .filter(|d| d["name"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").starts_with(prefix))
        .map(|d| {
            d["fields"]["failures"]["integerValue"].as_str().and_then(|n| n.parse::<i64>().ok()).unwrap_or(0)
        })
        .sum()
}

#[tokio::test]
async fn thirty_wrong_passwords_from_one_address_do_not_lock_the_lecturer_out() {
    let app = behind_a_proxy().await;
    app.add_lecturer("alice", PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(login_from(&app, "203.0.113.5", "alice", "wrong password!").await.status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 25, "{statuses:?}");
    // The attacker's address stays refused, even with the right password...
    assert_eq!(login_from(&app, "203.0.113.5", "alice", PASSWORD).await.status(), 429);
    // ...but the real lecturer, elsewhere, gets in.
    assert_eq!(login_from(&app, "198.51.100.7", "alice", PASSWORD).await.status(), 303);
    // Throttled attempts were not counted: the pair's counter stopped at five.
    assert_eq!(throttle_total(&app, "pair_").await, 5);
}

#[tokio::test]
async fn many_failures_at_one_account_slow_it_down_but_never_refuse_the_right_password() {
    let app = behind_a_proxy().await;
    app.add_lecturer("alice", PASSWORD).await;
    // Ten failures spread over networks, each under its own limit.
    for (network, n) in [("203.0.113.1", 4), ("203.0.113.2", 4), ("203.0.113.3", 2)] {
        for _ in 0..n {
            assert_eq!(login_from(&app, network, "alice", "wrong password!").await.status(), 401);
        }
    }
    let started = Instant::now();
    assert_eq!(login_from(&app, "198.51.100.7", "alice", PASSWORD).await.status(), 303);
    assert!(started.elapsed() >= Duration::from_secs(2), "slowed down: {:?}", started.elapsed());
}

#[tokio::test]
async fn an_ipv6_network_shares_one_limit_across_its_64() {
    let app = behind_a_proxy().await;
    for i in 1..=20 {
        let address = format!("2001:db8:5:7::{i:x}");
        assert_eq!(
            login_from(&app, &address, &format!("guess{i}"), "wrong password!").await.status(),
            401,
            "{i}"
        );
    }
    // The 21st from another address of the same /64 is refused; another /64 is not.
    assert_eq!(login_from(&app, "2001:db8:5:7:ffff::1", "guess21", "wrong password!").await.status(), 429);
    assert_eq!(login_from(&app, "2001:db8:5:8::1", "guess21", "wrong password!").await.status(), 401);
}

#[tokio::test]
async fn an_overlong_username_is_a_400_before_any_work() {
    let app = behind_a_proxy().await;
    let response = login_from(&app, "203.0.113.9", &"a".repeat(151), "wrong password!").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("html").contains("at most 150 characters"));
    assert_eq!(throttle_total(&app, "").await, 0, "nothing stored");
    let response = login_from(&app, "203.0.113.9", &"é".repeat(1000), "x").await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn password_checks_beyond_the_cap_are_told_to_retry() {
    // A test about the cap: one check at a time, and almost no patience.
    let app =
        spawn_app_with(AppOptions::default().with("PASSWORD_CHECKS", "1").with("PASSWORD_WAIT_MS", "1"))
            .await;
    // Five accounts, two logins each: no account-and-network limit comes near.
    for i in 0..5 {
        app.add_lecturer(&format!("lecturer{i}"), PASSWORD).await;
    }
    let logins = (0..10).map(|i| {
        let browser = app.new_browser();
        async move {
            let response = browser.login(&format!("lecturer{}", i % 5), PASSWORD).await;
            let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or("").to_owned());
            (response.status().as_u16(), retry, response.text().await.unwrap_or_default())
        }
    });
    let results = futures::future::join_all(logins).await;
    assert!(results.iter().any(|(s, _, _)| *s == 303), "some got in");
    let busy: Vec<_> = results.iter().filter(|(s, _, _)| *s == 503).collect();
    assert!(
        !busy.is_empty(),
        "the rest were turned away: {:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(busy.iter().all(|(_, retry, html)| retry.as_deref() == Some("5") && html.contains("busy")));
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert!(statuses.iter().all(|s| matches!(s, 303 | 503)), "{statuses:?}");
}
