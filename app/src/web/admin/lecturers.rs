//! `/admin/`: every lecturer account, with a search, and the latest audit entries.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use super::audit::{self, AuditRow};
use crate::web::guard::Auth;
use crate::web::{AppError, AppState};

/// Audit entries under the accounts (the whole log is on `/admin/audit/`).
const LATEST_AUDIT: u32 = 15;

#[derive(Deserialize)]
pub struct Search {
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
    temporary_password: bool,
}

#[derive(Serialize)]
struct LecturersView {
    section: &'static str,
    query: String,
    rows: Vec<Row>,
    shown: usize,
    total: usize,
    audit: Vec<AuditRow>,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(search): Query<Search>,
) -> Result<Html<String>, AppError> {
    let (all, entries) =
        tokio::try_join!(state.store().all_lecturers(), state.store().recent_audit(LATEST_AUDIT))?;
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
            temporary_password: l.must_change_password,
        })
        .collect();
    let view = LecturersView {
        section: "lecturers",
        query: search.q.trim().to_owned(),
        shown: rows.len(),
        total: all.len(),
        rows,
        audit: audit::rows(entries, &state.settings().timezone),
    };
    Ok(Html(state.templates().render("admin_lecturers", &auth.layout("Lecturers"), &view)?))
}
