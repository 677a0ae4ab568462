//! The web application: one `AppState`, one router per area, merged here with the layers every
//! response gets (request spans, security headers, friendly error pages, limits).

mod assets;
pub mod attend;
mod auth;
mod client;
mod cookies;
mod csv;
mod dashboard;
mod error;
mod flash;
mod forms;
mod guard;
mod headers;
mod home;
mod owned;
mod sessions;
mod state;
mod status;
mod templates;
mod units;
mod view;

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::AppError;
pub use state::{AppState, Settings};
pub use templates::Templates;

/// Forms are small; anything bigger is a mistake or an attack.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let lecturer = Router::new()
        .merge(auth::lecturer_router())
        .merge(dashboard::router())
        .merge(units::router())
        .merge(sessions::router())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard::require_lecturer));
    Router::new()
        .merge(home::router())
        .merge(status::router())
        .merge(assets::router())
        .merge(auth::public_router())
        .merge(attend::router())
        .merge(lecturer)
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::render_error_pages))
        .layer(axum::middleware::map_response_with_state(state.clone(), headers::add_security_headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route = request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
                    tracing::info_span!("request", method = %request.method(), route, uri = %request.uri().path())
                })
                // One line per request with its status and latency.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .with_state(state)
}
