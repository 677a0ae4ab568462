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

/// A login's answer and how long it took.
async fn timed_login(app: &TestApp, address: &str, username: &str, password: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = login_from(app, address, username, password).await.status().as_u16();
    (status, started.elapsed())
}

/// What a login takes here, unhindered: the faster of two from fresh networks, for accounts
/// with no failures (argon2, the reads and the app on this test's thread included).
async fn baseline(app: &TestApp) -> Duration {
    app.add_lecturer("baseline", PASSWORD).await;
    let mut fastest = Duration::MAX;
    for network in ["192.0.2.201", "192.0.2.202"] {
        let (status, took) = timed_login(app, network, "baseline", PASSWORD).await;
        assert_eq!(status, 303);
        fastest = fastest.min(took);
    }
    fastest
}

/// The slowdown is 2 s; a margin for a busy machine.
const SLOWED_BY_AT_LEAST: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn many_failures_at_one_account_slow_it_down_but_never_refuse_the_right_password() {
    let app = behind_a_proxy().await;
    app.add_lecturer("alice", PASSWORD).await;
    let unhindered = baseline(&app).await;
    // Ten failures spread over networks, each under its own limit.
    for (network, n) in [("203.0.113.1", 4), ("203.0.113.2", 4), ("203.0.113.3", 2)] {
        for _ in 0..n {
            assert_eq!(login_from(&app, network, "alice", "wrong password!").await.status(), 401);
        }
    }
    let (status, took) = timed_login(&app, "198.51.100.7", "alice", PASSWORD).await;
    assert_eq!(status, 303);
    assert!(took >= unhindered + SLOWED_BY_AT_LEAST, "slowed down: {took:?} against {unhindered:?}");
}

#[tokio::test]
async fn a_busy_campus_network_slows_logins_from_its_whole_64_and_never_refuses_the_right_password() {
    let app = behind_a_proxy().await;
    app.add_lecturer("alice", PASSWORD).await;
    // One student on the campus /64 fails at twenty accounts (every address of it is one network).
    for i in 1..=20 {
        let address = format!("2001:db8:5:7::{i:x}");
        assert_eq!(
            login_from(&app, &address, &format!("guess{i}"), "wrong password!").await.status(),
            401,
            "{i}"
        );
    }
    // Another /64 is not slowed: the baseline.
    let unhindered = baseline(&app).await;
    // A lecturer elsewhere on the campus /64 still gets in, a little later.
    let (status, took) = timed_login(&app, "2001:db8:5:7:ffff::1", "alice", PASSWORD).await;
    assert_eq!(status, 303, "a busy network is a delay, not a refusal");
    assert!(took >= unhindered + SLOWED_BY_AT_LEAST, "slowed down: {took:?} against {unhindered:?}");
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
