//! Connections: slow headers and idle keep-alive connections are closed; oversized bodies get
//! the friendly page with the security headers.

use std::time::Duration;

use harness::{AppOptions, spawn_app, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads until the server closes the connection (or `limit` passes); whether it closed.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> bool {
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    // A test about the header timeout: 1 s instead of the shipped 20 s.
    let app = spawn_app_with(AppOptions::default().with("HEADER_TIMEOUT_SECS", "1")).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    // Slowloris: a request line and one header, then nothing.
    let mut slow = tokio::net::TcpStream::connect(&address).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await, "a half-sent request is cut off");
    // Keep-alive: one full request, then silence.
    let mut idle = tokio::net::TcpStream::connect(&address).await.expect("connect");
    idle.write_all(b"GET /api/status/ HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "an idle connection is closed");
}

#[tokio::test]
async fn the_shipped_header_timeout_is_twenty_seconds() {
    let settings = super::shipped_settings();
    assert_eq!(settings.header_timeout, Duration::from_secs(20));
}

#[tokio::test]
async fn an_oversized_form_gets_the_friendly_page_and_every_header() {
    let app = spawn_app().await;
    let response = app
        .browser
        .client
        .post(app.url("/login/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 70 * 1024])
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 413);
    for header in ["content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"]
    {
        assert!(response.headers().contains_key(header), "413 lacks {header}");
    }
    let html = response.text().await.expect("html");
    assert!(html.contains("Too much to send") && html.contains("64 KB"), "{html}");
}
