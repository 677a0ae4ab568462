//! `/api/status/`: whether the app can reach Firestore, for load balancers and people;
//! `/api/metrics/`: what this instance costs and carries, for its operator only.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;

use super::AppState;

/// A load balancer's health check must get an answer well inside its own timeout.
const PING_LIMIT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/status/", get(status)).route("/api/metrics/", get(metrics))
}

/// Documents read from Firestore since the start (as billed), and the sessions listened to.
/// Only for whoever holds `METRICS_TOKEN` (as `Authorization: Bearer <token>`), and off without
/// one: the numbers say how busy the instance is, which is nobody else's business, and the
/// peer address says nothing behind a proxy on the same host.
async fn metrics(State(state): State<AppState>, headers: http::HeaderMap) -> Response {
    let Some(token) = &state.settings().metrics_token else {
        return super::error::not_found().await.into_response();
    };
    let offered = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let expected = std::str::from_utf8(token.expose()).unwrap_or("");
    if !crate::auth::tokens::same_secret(offered, expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(http::header::WWW_AUTHENTICATE, "Bearer")],
            "METRICS_TOKEN needed\n",
        )
            .into_response();
    }
    let body = serde_json::json!({
        "firestore_documents_read": state.store().reads().total(),
        "watched_sessions": state.live().watched(),
        "live_viewers": state.live().viewers(),
    });
    ([(http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn status(State(state): State<AppState>) -> Response {
    let (code, firestore) = match state.store().ping(PING_LIMIT).await {
        Ok(()) => (StatusCode::OK, "connected"),
        Err(e) => {
            tracing::warn!(error = %e, "status check: Firestore unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    // `database` is the original system's name for the primary store, which is now Firestore.
    let body = serde_json::json!({ "app": "running", "database": firestore, "firestore": firestore });
    (code, [(http::header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
