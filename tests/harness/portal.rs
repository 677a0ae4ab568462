//! A stand-in for the university's Portal API: a real HTTP server on loopback whose behaviour
//! the test controls (fail N times, fail for good, answer slowly, answer nonsense, answer any
//! status or redirect, never answer) and which records every request it receives.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: Option<String>,
    pub authorization: Option<String>,
    pub body: serde_json::Value,
    pub at: Instant,
}

/// A response the test scripts exactly: status, headers and body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// After `body`, bytes without end (a hostile or broken Portal).
    pub endless: bool,
}

impl Answer {
    /// `code` with a JSON body `{"error": "<reason phrase>"}`.
    pub fn status(code: u16) -> Self {
        let reason = StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()).unwrap_or("unknown");
        Self {
            status: code,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::json!({ "error": reason }).to_string(),
            endless: false,
        }
    }

    /// `code` with `body` as plain text.
    pub fn text(code: u16, body: &str) -> Self {
        Self {
            status: code,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into(),
            endless: false,
        }
    }

    /// `code` with a body that never ends.
    pub fn endless(code: u16) -> Self {
        Self { endless: true, ..Self::text(code, "") }
    }

    /// A real redirect: `code` (3xx) with a Location header and an empty body.
    pub fn redirect(code: u16, location: &str) -> Self {
        assert!((300..400).contains(&code), "a redirect needs a 3xx status, not {code}");
        Self {
            status: code,
            headers: vec![("location".into(), location.into())],
            body: String::new(),
            endless: false,
        }
    }

    /// Sets a header, replacing any earlier value of the same name.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    fn into_response(self) -> Response {
        let mut response = Response::builder().status(self.status);
        for (name, value) in &self.headers {
            response = response.header(name, value);
        }
        let body = if self.endless {
            let head =
                futures::stream::once(async move { Ok::<_, std::io::Error>(bytes::Bytes::from(self.body)) });
            let rest = futures::stream::repeat_with(|| Ok(bytes::Bytes::from_static(&[b'x'; 64 * 1024])));
            Body::from_stream(futures::StreamExt::chain(head, rest))
        } else {
            Body::from(self.body)
        };
        response.body(body).expect("a valid scripted answer")
    }
}

#[derive(Default)]
struct Behaviour {
    fail_next: AtomicUsize,
    fail_always: AtomicBool,
    malformed: AtomicBool,
    delay_ms: AtomicU64,
    hang: AtomicBool,
    answer_next: Mutex<VecDeque<Answer>>,
    answer_always: Mutex<Option<Answer>>,
    received: Mutex<Vec<Received>>,
    accepted: Mutex<BTreeSet<String>>,
    get_hits: AtomicUsize,
}

#[derive(Clone)]
pub struct TestPortal {
    pub url: String,
    behaviour: Arc<Behaviour>,
    /// Dropped with the last clone, which shuts the server down and wakes hung requests, so
    /// nothing outlives the test even on a runtime that does.
    _alive: Arc<watch::Sender<()>>,
}

impl TestPortal {
    pub async fn start() -> Self {
        let behaviour = Arc::new(Behaviour::default());
        let (alive, dropped) = watch::channel(());
        let app = axum::Router::new()
            .route("/api/attendance/", post(receive).get(login_page))
            .route("/login", any(login_page))
            .with_state((behaviour.clone(), dropped.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/api/attendance/", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(until_dropped(dropped)).await
        });
        Self { url, behaviour, _alive: Arc::new(alive) }
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

    /// Answer the next `n` requests with `answer`, queued after any earlier `answer_next`.
    /// Takes precedence over `answer_always` and the fail/malformed switches.
    pub fn answer_next(&self, n: usize, answer: Answer) {
        self.behaviour.answer_next.lock().expect("lock").extend(std::iter::repeat_n(answer, n));
    }

    /// Answer every request with `answer` (`None` returns to the other switches).
    pub fn answer_always(&self, answer: Option<Answer>) {
        *self.behaviour.answer_always.lock().expect("lock") = answer;
    }

    /// Record requests but never answer them (until switched off, for requests arriving after).
    pub fn hang(&self, on: bool) {
        self.behaviour.hang.store(on, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.behaviour.received.lock().expect("lock").clone()
    }

    /// Idempotency keys of requests answered with a 2xx: what the Portal considers recorded.
    pub fn accepted_keys(&self) -> BTreeSet<String> {
        self.behaviour.accepted.lock().expect("lock").clone()
    }

    /// GETs of the attendance path and requests to `/login`: non-zero means a redirect was
    /// followed.
    pub fn get_hits(&self) -> usize {
        self.behaviour.get_hits.load(Ordering::SeqCst)
    }
}

type ServerState = (Arc<Behaviour>, watch::Receiver<()>);

/// Resolves when the last `TestPortal` clone is dropped (nothing is ever sent).
async fn until_dropped(mut dropped: watch::Receiver<()>) {
    while dropped.changed().await.is_ok() {}
}

async fn login_page(State((behaviour, _)): State<ServerState>) -> Response {
    behaviour.get_hits.fetch_add(1, Ordering::SeqCst);
    (StatusCode::OK, axum::response::Html("<html>login</html>")).into_response()
}

async fn receive(
    State((behaviour, dropped)): State<ServerState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let idempotency_key = header("idempotency-key");
    behaviour.received.lock().expect("lock").push(Received {
        idempotency_key: idempotency_key.clone(),
        authorization: header("authorization"),
        body: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        at: Instant::now(),
    });
    if behaviour.hang.load(Ordering::SeqCst) {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            () = until_dropped(dropped) => {}
        }
        return StatusCode::REQUEST_TIMEOUT.into_response();
    }
    let delay = behaviour.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let response = decide(&behaviour);
    // Accepted is decided here, with the answer, not when the client reads it.
    if response.status().is_success()
        && let Some(key) = idempotency_key
    {
        behaviour.accepted.lock().expect("lock").insert(key);
    }
    response
}

fn decide(behaviour: &Behaviour) -> Response {
    let scripted = behaviour.answer_next.lock().expect("lock").pop_front();
    if let Some(answer) = scripted.or_else(|| behaviour.answer_always.lock().expect("lock").clone()) {
        return answer.into_response();
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
