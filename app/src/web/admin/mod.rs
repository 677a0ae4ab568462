//! `/admin/`: the department administrators' pages. Lecturer accounts (with a search, created,
//! edited, disabled, given a new password), every unit of the department (handed over to
//! another lecturer, archived), the department report, and the audit log of all of it. Anyone
//! who is not an active administrator gets 404, as for a page that does not exist.

mod accounts;
mod audit;
mod lecturers;
mod passwords;
mod report;
mod units;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::request::Parts;

use super::guard::Auth;
use super::{AppError, AppState};
use crate::domain::Username;
use crate::model::{Actor, Lecturer};

/// How long a one-time password link works (the account page says so when it issues one).
pub const RESET_LINK_HOURS: i64 = 24;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/", get(lecturers::list))
        .route("/admin/lecturers/new/", get(accounts::new_form).post(accounts::create))
        .route("/admin/lecturers/{username}/", get(accounts::page).post(accounts::edit))
        .route("/admin/lecturers/{username}/password/", post(passwords::reset_password))
        // `active` (disable, enable) and `role` (grant, revoke): the account page's switches.
        .route("/admin/lecturers/{username}/{switch}/", post(accounts::switch))
        .route("/admin/units/", get(units::list))
        .route("/admin/units/{code}/lecturer/", post(units::reassign))
        .route("/admin/units/{code}/archive/", post(units::archive))
        .route("/admin/report/", get(report::page))
        .route("/admin/report.csv", get(report::csv))
        .route("/admin/audit/", get(audit::page))
        .route_layer(axum::middleware::from_fn_with_state(state, administrators_only))
}

/// The signed-in administrator: the actor of every change made on these pages.
#[derive(Debug, Clone)]
pub struct Administrator(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Administrator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts.extensions.get::<Administrator>().cloned().ok_or(AppError::NotFound)
    }
}

/// In front of every `/admin/` route, before any form is read: 404 unless the signed-in
/// lecturer is an active administrator, read fresh (a role taken away takes effect on the next
/// request).
async fn administrators_only(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(auth) = request.extensions().get::<Auth>().cloned() else {
        return AppError::NotFound.into_response();
    };
    let lecturer = match state.store().lecturer(&auth.username).await {
        Ok(lecturer) => lecturer,
        Err(e) => return AppError::from(e).into_response(),
    };
    match lecturer {
        Some(l) if l.admin && l.active => {
            request.extensions_mut().insert(Administrator(Actor::Administrator(l.username)));
            next.run(request).await
        }
        _ => AppError::NotFound.into_response(),
    }
}

/// The account named in the URL; 404 for a malformed or unknown name.
async fn account(state: &AppState, username: &str) -> Result<Lecturer, AppError> {
    let username = Username::parse(username).map_err(|_| AppError::NotFound)?;
    state.store().lecturer(&username).await?.ok_or(AppError::NotFound)
}

/// A `true`/`false` form field (a button's value).
fn flag(value: &str) -> Result<bool, AppError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::BadRequest("Choose one of the buttons on the page.".into())),
    }
}
