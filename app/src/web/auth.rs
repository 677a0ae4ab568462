//! `/login/` and `/logout/`.

use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::cookies::{self, SetCookie};
use super::guard::Auth;
use super::templates::Layout;
use super::{AppError, AppState, client, flash};
use crate::auth::access::Ended;
use crate::auth::login::{self, LoginOutcome, authenticate};
use crate::auth::tokens::{random_token, same_secret, sha256_hex};

/// Routes anyone may call.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/login/", get(login_page).post(login_submit))
}

/// Routes behind `require_lecturer`.
pub fn lecturer_router() -> Router<AppState> {
    Router::new().route("/logout/", get(logout_confirm).post(logout))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "csrfmiddlewaretoken")]
    csrf: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginView<'a> {
    username: &'a str,
    next: &'a str,
    csrf_token: &'a str,
    error: Option<String>,
}

/// Only same-site paths: `//evil.example` or `https://...` would make login an open redirect,
/// and so would `/\t/evil.example`, since browsers drop tabs and newlines from URLs. So: a `/`,
/// then printable ASCII only, and never a second `/` or `\\` straight after it.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path[1..].starts_with(['/', '\\'])
                && path.bytes().all(|b| (0x21..0x7F).contains(&b) && b != b'\\') =>
        {
            path
        }
        _ => "/dashboard/",
    }
}

async fn login_page(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = cookies::get(&headers, cookies::SESSION, state.secure_cookies())
        && authenticate(
            state.store(),
            state.access(),
            token,
            state.settings().session_policy,
            state.clock().now(),
        )
        .await
        .ok()
        .flatten()
        .is_some()
    {
        return Ok(Redirect::to(safe_next(query.next.as_deref())).into_response());
    }
    let flashes = flash::read(&state, &headers);
    render_login(&state, &headers, "", safe_next(query.next.as_deref()), None, flashes, StatusCode::OK)
}

fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    username: &str,
    next: &str,
    error: Option<String>,
    flashes: Vec<super::templates::Flash>,
    status: StatusCode,
) -> Result<Response, AppError> {
    // Double-submit token for the login form (there is no session yet to bind it to).
    let existing = cookies::get(headers, cookies::LOGIN_CSRF, state.secure_cookies())
        .filter(|t| t.len() == 43)
        .map(str::to_owned);
    let csrf_token = existing.clone().unwrap_or_else(random_token);
    let layout = Layout { flashes, ..Layout::public("Lecturer log in") };
    let view = LoginView { username, next, csrf_token: &csrf_token, error };
    let html = state.templates().render("login", &layout, &view)?;
    let mut response = (status, Html(html)).into_response();
    // The form carries a CSRF token: never from a cache.
    response.headers_mut().insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    let secure = state.settings().base_url.is_https();
    if existing.is_none() {
        SetCookie::new(cookies::LOGIN_CSRF, csrf_token, secure).apply(response.headers_mut());
    }
    if response.status().is_success()
        && cookies::get(headers, cookies::FLASH, state.secure_cookies()).is_some()
    {
        SetCookie::removal(cookies::FLASH, secure).apply(response.headers_mut());
    }
    Ok(response)
}

async fn login_submit(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let (mut parts, body) = request.into_parts();
    let ip = client::client_ip(&parts, &state);
    let Form(form) = Form::<LoginForm>::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(|_| {
            AppError::BadRequest("The login form could not be read. Reload the page and try again.".into())
        })?;
    let headers = std::mem::take(&mut parts.headers);
    let next = safe_next(form.next.as_deref()).to_owned();

    let cookie_token =
        cookies::get(&headers, cookies::LOGIN_CSRF, state.secure_cookies()).unwrap_or_default();
    if cookie_token.is_empty() || !same_secret(cookie_token, &form.csrf) {
        return Err(AppError::Forbidden(
            "This login form has expired or did not come from this site. Reload the page and try again.",
        ));
    }
    if form.username.chars().count() > login::MAX_USERNAME_CHARS {
        return Err(AppError::BadRequest(format!(
            "A username has at most {} characters. Check what you typed and try again.",
            login::MAX_USERNAME_CHARS
        )));
    }
    let attempt = login::Attempt {
        username: &form.username,
        password: &form.password,
        client: ip,
        now: state.clock().now(),
    };
    let outcome =
        login::log_in(state.store(), state.password_gate(), attempt, state.settings().session_policy).await?;
    let secure = state.settings().base_url.is_https();
    let again = |error: String, status| {
        render_login(&state, &headers, form.username.trim(), &next, Some(error), vec![], status)
    };
    match outcome {
        LoginOutcome::LoggedIn { token, .. } => {
            // A session the browser already had is ended: a fresh token at every login.
            if let Some(old) = cookies::get(&headers, cookies::SESSION, state.secure_cookies()) {
                let _ = login::log_out(state.store(), old).await;
            }
            let mut response = Redirect::to(&next).into_response();
            let age = state.settings().session_policy.absolute.as_secs();
            SetCookie::new(cookies::SESSION, token, secure).max_age(age).apply(response.headers_mut());
            SetCookie::removal(cookies::LOGIN_CSRF, secure).apply(response.headers_mut());
            Ok(response)
        }
        LoginOutcome::Refused => again("Wrong username or password.".into(), StatusCode::UNAUTHORIZED),
        LoginOutcome::Busy => {
            let mut response = again(
                "The server is busy checking other logins. Wait a few seconds and try again.".into(),
                StatusCode::SERVICE_UNAVAILABLE,
            )?;
            response.headers_mut().insert(header::RETRY_AFTER, 5.into());
            Ok(response)
        }
        LoginOutcome::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60);
            let plural = if minutes == 1 { "" } else { "s" };
            let mut response = again(
                format!("Too many failed attempts. Wait {minutes} minute{plural} and try again."),
                StatusCode::TOO_MANY_REQUESTS,
            )?;
            response.headers_mut().insert(header::RETRY_AFTER, retry_after_secs.into());
            Ok(response)
        }
    }
}

#[derive(Serialize)]
struct Empty {}

async fn logout_confirm(State(state): State<AppState>, auth: Auth) -> Result<Html<String>, AppError> {
    Ok(Html(state.templates().render("logout", &auth.layout("Log out"), &Empty {})?))
}

async fn logout(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    login::log_out(state.store(), &auth.token).await?;
    state.access().end(Ended::Session(sha256_hex(&auth.token)));
    tracing::info!(target: "security", event = "logout", username = %auth.username);
    let mut response = flash::redirect(&state, "/login/", flash::Kind::Info, "You have logged out.");
    SetCookie::removal(cookies::SESSION, state.settings().base_url.is_https()).apply(response.headers_mut());
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for good in ["/unit/create/", "/session/abc/?x=1", "/"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil",
            "https://evil.example",
            "evil",
            "/a b",
            "/\u{7f}",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/dashboard/");
    }
}
