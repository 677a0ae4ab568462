//! The gate in front of every lecturer page: a live login session, and on every POST a valid
//! CSRF token (form field `csrfmiddlewaretoken` or header `X-CSRFToken`). Handlers behind it
//! take [`Auth`] and never repeat these checks.

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::request::Parts;
use http::{Method, StatusCode};

use super::cookies::{self, SetCookie};
use super::templates::{Flash, Layout, LayoutLecturer};
use super::{AppError, AppState, MAX_UPLOAD_BYTES, flash};
use crate::auth::login::authenticate;
use crate::auth::tokens::same_secret;
use crate::domain::Username;

pub const CSRF_FIELD: &str = "csrfmiddlewaretoken";
pub const CSRF_HEADER: &str = "x-csrftoken";

/// The signed-in lecturer, put in the request by [`require_lecturer`].
#[derive(Debug, Clone)]
pub struct Auth {
    pub username: Username,
    pub full_name: String,
    pub csrf_token: String,
    /// The cookie's token, so logout can end exactly this session.
    pub token: String,
    /// Messages from the previous action, shown once.
    pub flashes: Vec<Flash>,
    /// The password is temporary (see [`PASSWORD_CHANGE_PATHS`]).
    pub must_change_password: bool,
    /// Was a department administrator at login (the menu only; `/admin/` checks afresh).
    pub admin: bool,
}

/// All a session with a temporary password may open: the password form first.
pub const PASSWORD_CHANGE_PATHS: [&str; 2] = ["/account/password/", "/logout/"];

impl Auth {
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            lecturer: Some(LayoutLecturer {
                username: self.username.as_str().to_owned(),
                full_name: self.full_name.clone(),
                admin: self.admin,
            }),
            csrf_token: Some(self.csrf_token.clone()),
            flashes: self.flashes.clone(),
            light: false,
            script: false,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("lecturer route without require_lecturer")))
    }
}

/// Whether the caller is a script expecting JSON rather than a person expecting a page.
pub fn wants_json(request: &Request) -> bool {
    let headers = request.headers();
    request.uri().path().ends_with("-ajax/")
        || request.uri().path().ends_with(".json")
        || headers.get("x-requested-with").is_some_and(|v| v == "XMLHttpRequest")
        || headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
}

/// Every lecturer response, page or JSON, carries attendance lists or tokens: no cache (a
/// shared computer's browser, a proxy) may keep a copy.
pub async fn require_lecturer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = lecturer_only(state, request, next).await;
    response.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

async fn lecturer_only(state: AppState, request: Request, next: Next) -> Response {
    let json = wants_json(&request);
    let token = cookies::get(request.headers(), cookies::SESSION, state.secure_cookies()).map(str::to_owned);
    let session = match &token {
        Some(token) => {
            authenticate(
                state.store(),
                state.access(),
                token,
                state.settings().session_policy,
                state.clock().now(),
            )
            .await
        }
        None => Ok(None),
    };
    let (session, token) = match (session, token) {
        (Ok(Some(session)), Some(token)) => (session, token),
        (Err(e), _) => return AppError::from(e).into_response(),
        _ if json => {
            let body = serde_json::json!({ "success": false, "error": "not_a_lecturer" });
            return (StatusCode::FORBIDDEN, Json(body)).into_response();
        }
        _ => return login_redirect(&request),
    };

    // A temporary password opens the password form (and logout) only.
    let path = request.uri().path();
    if session.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&path) {
        if json {
            let body = serde_json::json!({ "success": false, "error": "password_change_required" });
            return (StatusCode::FORBIDDEN, Json(body)).into_response();
        }
        return Redirect::to(PASSWORD_CHANGE_PATHS[0]).into_response();
    }
    let flashes = flash::read(&state, request.headers());
    let had_flash = !flashes.is_empty();
    let auth = Auth {
        username: session.lecturer,
        full_name: session.full_name,
        csrf_token: session.csrf_token,
        token,
        flashes,
        must_change_password: session.must_change_password,
        admin: session.admin,
    };
    let mut request = if request.method() == Method::POST {
        match check_csrf(request, &auth.csrf_token, json).await {
            Ok(request) => request,
            Err(response) => return *response,
        }
    } else {
        request
    };
    request.extensions_mut().insert(auth);
    let mut response = next.run(request).await;
    // A page that showed the flash consumes it, unless the handler set a new one.
    let sets_flash = response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(cookies::FLASH.as_bytes()));
    if had_flash && response.status().is_success() && !sets_flash {
        SetCookie::removal(cookies::FLASH, state.settings().base_url.is_https())
            .apply(response.headers_mut());
    }
    response
}

/// `/login/?next=<this page>`, so the lecturer lands back where they were going.
fn login_redirect(request: &Request) -> Response {
    let next = request.uri().path_and_query().map_or("/dashboard/", |p| p.as_str());
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/login/?next={encoded}")).into_response()
}

/// Checks the CSRF token of a POST, handing the request on with its body intact.
async fn check_csrf(request: Request, expected: &str, json: bool) -> Result<Request, Box<Response>> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| {
            let why = format!(
                "What was sent is larger than {} MB: nothing was saved. A class list file is much smaller; check that you chose the right file.",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            );
            Box::new(AppError::BadRequest(why).into_response())
        })?;
    let from_header = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let multipart = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("multipart/form-data"))
        .map(str::to_owned);
    let provided = match (from_header, multipart) {
        (Some(token), _) => Some(token),
        (None, Some(content_type)) => multipart_field(&content_type, &bytes, CSRF_FIELD).await,
        (None, None) => form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == CSRF_FIELD)
            .map(|(_, value)| value.into_owned()),
    };
    if !provided.is_some_and(|token| same_secret(&token, expected)) {
        tracing::warn!(path = %parts.uri.path(), "CSRF token missing or wrong");
        let response = if json {
            let body = serde_json::json!({ "success": false, "error": "csrf_failed" });
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        } else {
            AppError::Forbidden("This form has expired or did not come from this site. Go back, reload the page and try again.")
                .into_response()
        };
        return Err(Box::new(response));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A text field of a multipart form (the upload's CSRF token), read from its buffered body.
async fn multipart_field(content_type: &str, body: &axum::body::Bytes, name: &str) -> Option<String> {
    use axum::extract::FromRequest;
    let request = Request::builder()
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body.clone()))
        .ok()?;
    let mut form = axum::extract::Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}
