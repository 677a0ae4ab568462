//! `/account/password/`: a lecturer changes their own password (the current one, then the new
//! one twice; every other session of theirs ends, this one stays signed in) and sees their
//! recent logins.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::client::ClientIp;
use super::forms::FieldErrors;
use super::guard::Auth;
use super::{AppError, AppState, flash};
use crate::auth::access::Ended;
use crate::auth::login::{Attempt, CurrentPassword, check_current_password};
use crate::auth::tokens::sha256_hex;
use crate::domain::Password;

/// Logins listed on the account page.
const RECENT_LOGINS: u32 = 10;

pub fn router() -> Router<AppState> {
    Router::new().route("/account/password/", get(page).post(submit))
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

#[derive(Serialize)]
struct PasswordView<'a> {
    errors: std::collections::BTreeMap<&'static str, Option<&'a str>>,
    logins: Vec<LoginRow>,
    /// The password is an administrator's temporary one.
    temporary: bool,
}

#[derive(Serialize)]
struct LoginRow {
    when: String,
    network: String,
    /// The session this page is shown in.
    current: bool,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let this = sha256_hex(&auth.token);
    let tz = &state.settings().timezone;
    let logins = state
        .store()
        .recent_logins(&auth.username, RECENT_LOGINS)
        .await?
        .into_iter()
        .map(|l| LoginRow {
            when: l.at.to_zoned(tz.clone()).strftime("%a %-d %b %Y %H:%M").to_string(),
            current: l.session == this,
            network: l.network,
        })
        .collect();
    let view = PasswordView {
        errors: ["current", "new", "again"].into_iter().map(|f| (f, errors.first(f))).collect(),
        logins,
        temporary: auth.must_change_password,
    };
    let page = state.templates().render("account_password", &auth.layout("Change password"), &view)?;
    Ok((status, Html(page)).into_response())
}

async fn page(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    render(&state, &auth, &FieldErrors::default(), StatusCode::OK).await
}

async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    ClientIp(client): ClientIp,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::default();
    let attempt = Attempt {
        username: auth.username.as_str(),
        password: &form.current,
        client,
        now: state.clock().now(),
    };
    match check_current_password(state.store(), state.password_gate(), attempt).await? {
        CurrentPassword::Right => {}
        CurrentPassword::Wrong => errors.add("current", "That is not your current password."),
        CurrentPassword::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60);
            errors
                .add("current", format!("Too many wrong passwords. Wait {minutes} minute(s) and try again."));
            return render(&state, &auth, &errors, StatusCode::TOO_MANY_REQUESTS).await;
        }
        CurrentPassword::Busy => return Err(AppError::Unavailable("password checks are busy".into())),
    }
    let new = errors.check("new", Password::parse(&form.new));
    if form.new != form.again {
        errors.add("again", "The two new passwords differ.");
    }
    if new.is_some() && form.new == form.current {
        errors.add("new", "Choose a password different from the current one.");
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        return render(&state, &auth, &errors, StatusCode::BAD_REQUEST).await;
    };
    let hash = state.password_gate().hash(&new).await?;
    let ended = state.store().change_password(&auth.username, &hash, Some(&sha256_hex(&auth.token))).await?;
    // This session moved to the new epoch; the instance's copy of the old one goes at once.
    state.access().end(Ended::Account(auth.username.clone()));
    tracing::warn!(target: "security", event = "password_changed", username = %auth.username, other_sessions_ended = ended);
    let text = "Password changed. Your other sessions have ended; this one stays signed in.";
    Ok(flash::redirect(&state, "/dashboard/", flash::Kind::Success, text))
}
