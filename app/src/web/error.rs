//! The web layer's one error type. Each variant picks a status code; the page shown is a
//! friendly one rendered by `render_error_pages`, and internal causes are logged, never shown.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

use super::AppState;
use super::templates::Layout;
use crate::store::{Conflict, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// A request no form could produce (the message is safe to show).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The request is well formed but the record's state refuses it: a cancelled lecture, a
    /// session with marks, a unit code taken (the message is safe to show).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Too many changes of the same record at once; nothing was saved, a repeat will work.
    #[error("busy: {0}")]
    Busy(String),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Firestore did not answer: nothing was saved.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Every store refusal has its page by construction: a conflict is a 409 with the store's own
/// words, contention a 503 "try again", and only a malformed write or a corrupt document is a
/// 500. Handlers that can say more (a field beside the message) match the error first.
impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            StoreError::Unavailable(cause) => Self::Unavailable(cause),
            StoreError::Conflict(Conflict::Contention) => Self::Busy(Conflict::Contention.to_string()),
            // A lost race that reached the page: the same as contention.
            StoreError::PreconditionFailed(cause) => Self::Busy(cause),
            StoreError::Conflict(conflict) => Self::Conflict(conflict.to_string()),
            StoreError::AlreadyExists(taken) => Self::Conflict(format!("That {taken} is already taken.")),
            e @ (StoreError::Rejected(_) | StoreError::Corrupt(_)) => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<crate::auth::password::HashRefused> for AppError {
    fn from(err: crate::auth::password::HashRefused) -> Self {
        match err {
            crate::auth::password::HashRefused::Busy(busy) => Self::Busy(busy.to_string()),
            crate::auth::password::HashRefused::Failed(e) => Self::Internal(e.into()),
        }
    }
}

/// Marks a response whose body the error-page middleware should render.
#[derive(Debug, Clone)]
struct ErrorPage {
    heading: &'static str,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match &self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. If you followed a link or scanned a code, ask for a new one.".to_owned(),
            ),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "That did not work", message.clone()),
            Self::Conflict(message) => (StatusCode::CONFLICT, "That cannot be done now", message.clone()),
            Self::Busy(cause) => {
                tracing::warn!(%cause, "a change lost its race too often");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Please try again",
                    "Someone else was changing the same record at the same moment, so nothing was saved. Try again: it will work now.".to_owned(),
                )
            }
            Self::Forbidden(message) => (StatusCode::FORBIDDEN, "Not allowed", (*message).to_owned()),
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "Firestore unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "The attendance service cannot reach its database right now. Nothing was saved. Please try again in a minute.".to_owned(),
                )
            }
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "An unexpected error happened on our side and has been logged. Please try again.".to_owned(),
                )
            }
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorPage { heading, message });
        response
    }
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// An error answer made by a layer rather than a handler (the body limit, the request
/// timeout) or by a rejection with a plain-text body: a person still gets a page that says what
/// happened. JSON answers are left alone for scripts.
fn bare_error(response: &Response) -> Option<ErrorPage> {
    let status = response.status();
    let typed = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"));
    if typed || !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let (heading, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Too much to send",
            format!(
                "What was sent is larger than this site accepts ({} KB for a form, {} MB for a file). Nothing was saved. Shorten it, or check that you chose the right file, and try again.",
                super::MAX_BODY_BYTES / 1024,
                super::MAX_UPLOAD_BYTES / (1024 * 1024)
            ),
        ),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
            "This took too long",
            "The server did not finish in time. If you were submitting a form, it may not have been saved: check, then try again.".to_owned(),
        ),
        _ if status.is_server_error() => (
            "Something went wrong",
            "An unexpected error happened on our side and has been logged. Please try again.".to_owned(),
        ),
        _ => ("That did not work", "The request could not be handled. Go back and try again.".to_owned()),
    };
    Some(ErrorPage { heading, message })
}

#[derive(Serialize)]
struct ErrorContext<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

/// Turns the marked error responses into full pages (handlers have no templates in
/// `IntoResponse`), keeping the status code.
pub async fn render_error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned().or_else(|| bare_error(&response))
    else {
        return response;
    };
    let status = response.status();
    let layout = Layout { light: true, ..Layout::public(page.heading) };
    let context = ErrorContext { status: status.as_u16(), heading: page.heading, message: &page.message };
    let mut page = match state.templates().render("error", &layout, &context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, page.message).into_response()
        }
    };
    // What the handler said beside its body (Retry-After, WWW-Authenticate, cookies) stays.
    for (name, value) in response.headers() {
        if name != http::header::CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
            page.headers_mut().append(name, value.clone());
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Taken;

    fn status(e: StoreError) -> StatusCode {
        AppError::from(e).into_response().status()
    }

    #[test]
    fn store_refusals_are_never_a_500_but_for_a_bug() {
        assert_eq!(status(StoreError::Conflict(Conflict::Contention)), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(StoreError::PreconditionFailed("lost".into())), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(StoreError::Conflict(Conflict::TermFull)), StatusCode::CONFLICT);
        assert_eq!(status(StoreError::Conflict(Conflict::LastAdministrator)), StatusCode::CONFLICT);
        assert_eq!(status(StoreError::AlreadyExists(Taken::UnitCode)), StatusCode::CONFLICT);
        assert_eq!(status(StoreError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(StoreError::Unavailable("down".into())), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(StoreError::Rejected("malformed".into())), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status(StoreError::Corrupt("bad".into())), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_conflict_page_says_what_the_store_said() {
        let response = AppError::from(StoreError::AlreadyExists(Taken::UnitCode)).into_response();
        let page = response.extensions().get::<ErrorPage>().expect("a page");
        assert_eq!(page.message, "That unit code is already taken.");
    }
}
