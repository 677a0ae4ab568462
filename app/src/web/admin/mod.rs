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
use axum::routing::{get, post};

use super::guard::Auth;
use super::{AppError, AppState};
use crate::domain::Username;
use crate::model::{Actor, Lecturer};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(lecturers::list))
        .route("/admin/lecturers/new/", get(accounts::new_form).post(accounts::create))
        .route("/admin/lecturers/{username}/", get(accounts::page).post(accounts::edit))
        .route("/admin/lecturers/{username}/active/", post(accounts::set_active))
        .route("/admin/lecturers/{username}/role/", post(accounts::set_role))
        .route("/admin/lecturers/{username}/password/", post(passwords::reset_password))
        .route("/admin/units/", get(units::list))
        .route("/admin/units/{code}/lecturer/", post(units::reassign))
        .route("/admin/units/{code}/archive/", post(units::archive))
        .route("/admin/report/", get(report::page))
        .route("/admin/report.csv", get(report::csv))
        .route("/admin/audit/", get(audit::page))
}

/// The signed-in administrator, read fresh (a role taken away takes effect on the next page):
/// the actor of every change made here.
async fn require_admin(state: &AppState, auth: &Auth) -> Result<Actor, AppError> {
    match state.store().lecturer(&auth.username).await? {
        Some(lecturer) if lecturer.admin && lecturer.active => Ok(Actor::Administrator(lecturer.username)),
        _ => Err(AppError::NotFound),
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
