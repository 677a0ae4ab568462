//! The web application: one `AppState`, one router per area, merged here with the layers every
//! response gets (request spans, security headers, friendly error pages, limits).

mod account;
mod admin;
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
pub mod live;
mod owned;
mod reset;
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
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::AppError;
pub use state::{AppState, Settings};
pub use templates::Templates;

/// Forms are small; anything bigger is a mistake or an attack.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// The class-list upload and its confirmation: a 5,000-student file with emails fits.
pub(crate) const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let forms = Router::new()
        .merge(auth::lecturer_router())
        .merge(account::router())
        .merge(admin::router(state.clone()))
        .merge(dashboard::router())
        .merge(units::router())
        .merge(sessions::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let uploads = units::upload_router().layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES));
    let lecturer = forms
        .merge(uploads)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard::require_lecturer));
    let public = Router::new()
        .merge(home::router())
        .merge(status::router())
        .merge(assets::router())
        .merge(auth::public_router())
        .merge(reset::router())
        .merge(attend::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let routes = public.merge(lecturer).fallback(error::not_found);
    with_layers(routes, state, REQUEST_TIMEOUT)
}

/// The longest any request may take before it is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Answers 503 when a request takes longer than `limit`; an event stream (`…/events/`) is
/// meant to stay open and is not bounded (its first answer is).
async fn bounded(
    request: Request,
    next: axum::middleware::Next,
    limit: Duration,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path().ends_with("/events/") {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The layers every response passes through. Limits, the timeout and the panic guard sit
/// inside the error pages and security headers, so what they answer is a friendly page with
/// every header too.
fn with_layers(routes: Router<AppState>, state: AppState, timeout: Duration) -> Router {
    routes
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES))
        .layer(axum::middleware::from_fn(move |request: Request, next: axum::middleware::Next| {
            bounded(request, next, timeout)
        }))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::render_error_pages))
        .layer(axum::middleware::map_response_with_state(state.clone(), headers::add_security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let route =
                        request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
                    let uri = loggable_path(request.uri().path());
                    tracing::info_span!("request", method = %request.method(), route, uri)
                })
                // One line per request with its status and latency.
                .on_response(
                    DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis),
                ),
        )
        .with_state(state)
}

/// The path as logged: a password-reset link's token is a secret (only its hash is stored), so
/// it never reaches the logs.
fn loggable_path(path: &str) -> &str {
    if path.starts_with(reset::PATH) { "/account/reset/<token>/" } else { path }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::{get, post};
    use http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;
    use crate::config::{AppSettings, Vars};
    use crate::store::{FirestoreSettings, Store};

    fn state() -> AppState {
        let vars = Vars::from_pairs([
            ("BASE_URL".to_owned(), "https://attendance.example".to_owned()),
            ("SECRET_KEY".to_owned(), crate::config::SecretKey::generate()),
        ]);
        let settings = AppSettings::from_vars(&vars).expect("settings");
        // Never contacted: these routes do not touch Firestore.
        let store = Store::connect_lazy(&FirestoreSettings::emulator("unused-project", "127.0.0.1:9"));
        AppState::new(store, Templates::new().expect("templates"), settings, crate::clock::Clock::system())
    }

    async fn answer(router: Router, request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
        let response = router.oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[expect(clippy::panic, reason = "the route under test panics on purpose")]
    async fn panics() -> &'static str {
        panic!("a bug")
    }

    #[test]
    fn reset_tokens_are_not_logged() {
        assert_eq!(loggable_path("/account/reset/abcDEF123_-/"), "/account/reset/<token>/");
        assert_eq!(loggable_path("/dashboard/"), "/dashboard/");
    }

    #[tokio::test]
    async fn panics_timeouts_and_oversized_bodies_get_a_page_and_every_header() {
        let routes = Router::new()
            .route("/panic", get(panics))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/form", post(|body: String| async move { body.len().to_string() }));
        let router = with_layers(routes, state(), Duration::from_millis(100));
        let cases = [
            (
                Request::get("/panic").body(Body::empty()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
            ),
            (
                Request::get("/slow").body(Body::empty()),
                StatusCode::SERVICE_UNAVAILABLE,
                "This took too long",
            ),
            (
                Request::post("/form")
                    .header("content-length", (MAX_UPLOAD_BYTES + 1).to_string())
                    .body(Body::from(vec![b'x'; MAX_UPLOAD_BYTES + 1])),
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much to send",
            ),
        ];
        for (request, status, heading) in cases {
            let (got, headers, html) = answer(router.clone(), request.expect("request")).await;
            assert_eq!(got, status, "{html}");
            assert!(html.contains(heading) && html.contains("<html"), "{status}: {html}");
            for header in
                ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"]
            {
                assert!(headers.contains_key(header), "{status} lacks {header}");
            }
        }
        // Every form but the class-list upload stops at 64 KB.
        let request = Request::post("/login/")
            .header("content-length", "70000")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(vec![b'x'; 70_000]))
            .expect("request");
        let (got, _, html) = answer(router_for_tests(), request).await;
        assert_eq!(got, StatusCode::PAYLOAD_TOO_LARGE, "{html}");
    }

    fn router_for_tests() -> Router {
        super::router(state())
    }
}
