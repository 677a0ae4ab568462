//! `/account/reset/<token>/`: the one-time link an administrator gives a lecturer who forgot
//! their password. The token is the secret (only its hash is stored); the link works once, for
//! `RESET_LINK_HOURS`, and using it ends every login session of the account.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::{StatusCode, header};
use serde::{Deserialize, Serialize};

use super::forms::FieldErrors;
use super::templates::Layout;
use super::{AppError, AppState, flash};
use crate::auth::access::Ended;
use crate::auth::tokens::sha256_hex;
use crate::domain::Password;
use crate::store::{PasswordReset, StoreError};

/// The links' path, before the token.
pub const PATH: &str = "/account/reset/";

pub fn router() -> Router<AppState> {
    Router::new().route("/account/reset/{token}/", get(page).post(submit))
}

#[derive(Debug, Default, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

#[derive(Serialize)]
struct ResetView {
    /// The link is unknown, used or expired.
    invalid: bool,
    username: String,
    errors: std::collections::BTreeMap<&'static str, Option<String>>,
    min_password: usize,
}

fn render(
    state: &AppState,
    reset: Option<&PasswordReset>,
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    let view = ResetView {
        invalid: reset.is_none(),
        username: reset.map(|r| r.lecturer.to_string()).unwrap_or_default(),
        errors: ["new", "again"].into_iter().map(|f| (f, errors.first(f).map(str::to_owned))).collect(),
        min_password: Password::MIN_CHARS,
    };
    let status = match (reset, errors.is_empty()) {
        (None, _) => StatusCode::NOT_FOUND,
        (Some(_), true) => StatusCode::OK,
        (Some(_), false) => StatusCode::BAD_REQUEST,
    };
    let html = state.templates().render("password_reset", &Layout::public("Choose a new password"), &view)?;
    let mut response = (status, Html(html)).into_response();
    // The token is in this page's address: no cache keeps the page (and the site-wide
    // `Referrer-Policy: same-origin` never sends the address to another site).
    response.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn live_reset(state: &AppState, token: &str) -> Result<Option<PasswordReset>, AppError> {
    // Tokens are 43 URL-safe characters; anything else is not worth a read.
    if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Ok(None);
    }
    Ok(state.store().password_reset(&sha256_hex(token), state.clock().now()).await?)
}

async fn page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let reset = live_reset(&state, &token).await?;
    render(&state, reset.as_ref(), &FieldErrors::default())
}

async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let Some(reset) = live_reset(&state, &token).await? else {
        return render(&state, None, &FieldErrors::default());
    };
    let mut errors = FieldErrors::default();
    let new = errors.check("new", Password::parse(&form.new));
    if form.new != form.again {
        errors.add("again", "The two passwords differ.");
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return render(&state, Some(&reset), &errors);
    };
    let hash = state.password_gate().hash(&new).await?;
    let ended = match state.store().use_password_reset(&sha256_hex(&token), &reset, &hash).await {
        // Used a moment ago, by another tab or person.
        Err(StoreError::NotFound) => return render(&state, None, &FieldErrors::default()),
        other => other?,
    };
    state.access().end(Ended::Account(reset.lecturer.clone()));
    tracing::warn!(target: "security", event = "reset_link_used", username = %reset.lecturer, sessions_ended = ended);
    let text = format!("Password set for {}. Log in with it now.", reset.lecturer);
    Ok(flash::redirect(&state, "/login/", flash::Kind::Success, &text))
}
