//! Static assets embedded in the binary, served with a version in the URL so they can be
//! cached for a long time and still change on deploy.

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use sha2::{Digest, Sha256};

use super::{AppError, AppState};

const ASSETS: &[(&str, &str, &str)] = &[
    ("base.css", "text/css; charset=utf-8", include_str!("../../static/base.css")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../static/app.js")),
    ("pending.js", "text/javascript; charset=utf-8", include_str!("../../static/pending.js")),
    ("attend.js", "text/javascript; charset=utf-8", include_str!("../../static/attend.js")),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/static/{name}", get(asset))
}

/// A short hash of all assets, appended as `?v=` by the layout.
pub fn version() -> String {
    let mut hasher = Sha256::new();
    for (_, _, body) in ASSETS {
        hasher.update(body.as_bytes());
    }
    hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

async fn asset(Path(name): Path<String>) -> Result<Response, AppError> {
    let (_, content_type, body) = ASSETS.iter().find(|(n, _, _)| *n == name).ok_or(AppError::NotFound)?;
    Ok(([(CONTENT_TYPE, *content_type), (CACHE_CONTROL, "public, max-age=86400")], *body).into_response())
}
