//! `/admin/`: the department administrators' pages (lecturer accounts, with a search). Anyone
//! else gets 404, as for a page that does not exist.

use axum::Router;
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::guard::Auth;
use super::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/", get(lecturers))
}

/// Whether the signed-in lecturer administers the department (read fresh: a role taken away
/// takes effect on the next page).
async fn require_admin(state: &AppState, auth: &Auth) -> Result<(), AppError> {
    match state.store().lecturer(&auth.username).await? {
        Some(lecturer) if lecturer.admin && lecturer.active => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct Row {
    username: String,
    full_name: String,
    email: String,
    staff_id: String,
    department: String,
    active: bool,
    admin: bool,
}

#[derive(Serialize)]
struct LecturersView {
    query: String,
    rows: Vec<Row>,
    shown: usize,
    total: usize,
}

async fn lecturers(
    State(state): State<AppState>,
    auth: Auth,
    Query(search): Query<Search>,
) -> Result<Html<String>, AppError> {
    require_admin(&state, &auth).await?;
    let all = state.store().all_lecturers().await?;
    let needle = search.q.trim().to_lowercase();
    let matches = |text: &str| text.to_lowercase().contains(&needle);
    let rows: Vec<Row> = all
        .iter()
        .filter(|l| {
            needle.is_empty()
                || matches(l.username.as_str())
                || matches(l.full_name.as_str())
                || matches(l.staff_id.as_str())
                || matches(l.email.as_str())
                || matches(l.department.as_str())
        })
        .map(|l| Row {
            username: l.username.to_string(),
            full_name: l.full_name.to_string(),
            email: l.email.as_str().to_owned(),
            staff_id: l.staff_id.as_str().to_owned(),
            department: l.department.to_string(),
            active: l.active,
            admin: l.admin,
        })
        .collect();
    let view = LecturersView { query: search.q.trim().to_owned(), shown: rows.len(), total: all.len(), rows };
    Ok(Html(state.templates().render("admin_lecturers", &auth.layout("Lecturers"), &view)?))
}
