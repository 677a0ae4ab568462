//! A stand-in for the university's Portal API: a real HTTP server on loopback whose behaviour
//! the test controls (fail N times, fail for good, answer slowly, answer nonsense) and which
//! records every request it receives.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct Behaviour {
    fail_next: AtomicUsize,
    fail_always: AtomicBool,
    malformed: AtomicBool,
    delay_ms: AtomicU64,
    received: Mutex<Vec<Received>>,
}

#[derive(Clone)]
pub struct TestPortal {
    pub url: String,
    behaviour: Arc<Behaviour>,
}

impl TestPortal {
    pub async fn start() -> Self {
        let behaviour = Arc::new(Behaviour::default());
        let app = axum::Router::new().route("/api/attendance/", post(receive)).with_state(behaviour.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/api/attendance/", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, behaviour }
    }

    /// Answer the next `n` requests with 503.
    pub fn fail_next(&self, n: usize) {
        self.behaviour.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn fail_always(&self, on: bool) {
        self.behaviour.fail_always.store(on, Ordering::SeqCst);
    }

    /// Answer 200 with a body that is not JSON.
    pub fn malformed(&self, on: bool) {
        self.behaviour.malformed.store(on, Ordering::SeqCst);
    }

    pub fn delay(&self, delay: Duration) {
        self.behaviour.delay_ms.store(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.behaviour.received.lock().expect("lock").clone()
    }
}

async fn receive(State(behaviour): State<Arc<Behaviour>>, headers: HeaderMap, body: String) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    behaviour.received.lock().expect("lock").push(Received {
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    });
    let delay = behaviour.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let fail_once =
        behaviour.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if fail_once || behaviour.fail_always.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "error": "portal down for maintenance" })),
        )
            .into_response();
    }
    if behaviour.malformed.load(Ordering::SeqCst) {
        return (StatusCode::OK, "<html>Accepted, probably</html>").into_response();
    }
    (StatusCode::CREATED, axum::Json(serde_json::json!({ "status": "created" }))).into_response()
}
