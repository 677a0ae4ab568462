//! The service can be seen running: `/`, `/api/status/`, security headers, friendly 404s.

use harness::{TestFirestore, spawn_app, spawn_app_on};

#[tokio::test]
async fn status_reports_firestore_connected() {
    let app = spawn_app().await;
    let response = app.get("/api/status/").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"app": "running", "database": "connected", "firestore": "connected"})
    );
}

#[tokio::test]
async fn status_is_503_within_seconds_when_firestore_is_unreachable_and_pages_still_serve() {
    let firestore = TestFirestore::new().await;
    let mut settings = firestore.settings();
    // Nothing listens on port 1: every Firestore call fails.
    settings.emulator_host = Some("127.0.0.1:1".into());
    let app = spawn_app_on(firestore, settings).await;
    let started = std::time::Instant::now();
    let response = app.get("/api/status/").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["app"], "running");
    assert_eq!(body["firestore"], "unavailable");
    assert_eq!(body["database"], "unavailable");
    assert_eq!(app.get("/").await.status(), 200, "the landing page does not need Firestore");
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let html = response.text().await.expect("html");
    assert!(html.contains("Lecturer log in"), "{html}");
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404() {
    let app = spawn_app().await;
    for path in ["/nope", "/static/missing.css", "/static/..%2Fbase.css", "/api/status"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.expect("html");
        assert!(html.contains("Page not found"), "{path}: {html}");
    }
}

#[tokio::test]
async fn stylesheets_are_served_with_caching() {
    let app = spawn_app().await;
    let response = app.get("/static/base.css").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    assert!(response.headers()["cache-control"].to_str().expect("cc").contains("max-age"));
}

#[tokio::test]
async fn metrics_are_off_without_a_token_and_need_it_with_one_even_from_a_proxy_on_this_host() {
    let off = spawn_app().await;
    assert_eq!(off.get("/api/metrics/").await.status(), 404, "off by default");
    // Behind a proxy on the same host every request arrives from loopback.
    let app =
        harness::spawn_app_with(harness::AppOptions::default().with_metrics().with("PROXY_HOPS", "1")).await;
    let client = harness::app::client();
    for authorization in [None, Some("Bearer wrong"), Some("Basic eDp5")] {
        let mut request = client.get(app.url("/api/metrics/")).header("x-forwarded-for", "203.0.113.9");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("answer");
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let metrics = app.metrics().await;
    assert!(metrics["firestore_documents_read"].is_u64(), "{metrics}");
}
