//! A lecturer's new password, given by an administrator: a temporary one (changed at the next
//! login), or a one-time link shown once (only its hash is stored; see `web::reset`).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::accounts::render_account;
use super::{Administrator, account};
use crate::auth::access::Ended;
use crate::auth::tokens::{random_token, sha256_hex};
use crate::domain::Password;
use crate::model::{Actor, Lecturer};
use crate::web::forms::FieldErrors;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash};

#[derive(Deserialize)]
pub struct ResetForm {
    /// `temporary` (with `password`) or `link`.
    #[serde(default)]
    mode: String,
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct LinkView {
    section: &'static str,
    username: String,
    full_name: String,
    link: String,
    expires: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Administrator(actor): Administrator,
    Path(username): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let lecturer = account(&state, &username).await?;
    match form.mode.as_str() {
        "temporary" => temporary_password(&state, &auth, &actor, &lecturer, &form.password).await,
        "link" => reset_link(&state, &auth, &actor, &lecturer).await,
        _ => Err(AppError::BadRequest("Choose a temporary password or a one-time link.".into())),
    }
}

async fn temporary_password(
    state: &AppState,
    auth: &Auth,
    actor: &Actor,
    lecturer: &Lecturer,
    password: &str,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let Some(password) = errors.check("password", Password::parse(password)) else {
        return render_account(state, auth, lecturer, None, &errors).await;
    };
    let hash = state.password_gate().hash(&password).await?;
    let ended = state.store().set_password(&lecturer.username, &hash, true, actor).await?;
    state.access().end(Ended::Account(lecturer.username.clone()));
    tracing::warn!(target: "security", event = "temporary_password_set", username = %lecturer.username, sessions_ended = ended, by = %auth.username);
    let text = format!(
        "Temporary password set for {}; {ended} login session(s) ended. They choose their own at the next login.",
        lecturer.username
    );
    let to = format!("/admin/lecturers/{}/", lecturer.username);
    Ok(flash::redirect(state, &to, flash::Kind::Success, &text))
}

/// A fresh link, shown on this response only: only its hash is stored.
async fn reset_link(
    state: &AppState,
    auth: &Auth,
    actor: &Actor,
    lecturer: &Lecturer,
) -> Result<Response, AppError> {
    let token = random_token();
    let expires = state.clock().now() + jiff::SignedDuration::from_hours(super::RESET_LINK_HOURS);
    state.store().issue_password_reset(&lecturer.username, &sha256_hex(&token), expires, actor).await?;
    tracing::warn!(target: "security", event = "reset_link_issued", username = %lecturer.username, by = %auth.username);
    let base = state.settings().base_url.as_str().trim_end_matches('/');
    let view = LinkView {
        section: "lecturers",
        username: lecturer.username.to_string(),
        full_name: lecturer.full_name.to_string(),
        link: format!("{base}{}{token}/", crate::web::reset::PATH),
        expires: expires
            .to_zoned(state.settings().timezone.clone())
            .strftime("%a %-d %b %Y %H:%M")
            .to_string(),
    };
    let page = state.templates().render("admin_reset_link", &auth.layout("One-time password link"), &view)?;
    Ok(Html(page).into_response())
}
