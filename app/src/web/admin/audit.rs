//! `/admin/audit/`: what administrators did, newest first.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use crate::model::AuditEntry;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState};

/// Entries on the page; the reconciler's `admin_audit` table keeps them all.
const SHOWN: u32 = 200;

#[derive(Serialize)]
pub struct AuditRow {
    when: String,
    actor: String,
    action: &'static str,
    target: String,
    detail: String,
}

pub fn rows(entries: Vec<AuditEntry>, tz: &jiff::tz::TimeZone) -> Vec<AuditRow> {
    entries
        .into_iter()
        .map(|e| AuditRow {
            when: e.at.to_zoned(tz.clone()).strftime("%a %-d %b %Y %H:%M").to_string(),
            actor: e.actor,
            action: e.action.label(),
            target: e.target,
            detail: e.detail,
        })
        .collect()
}

#[derive(Serialize)]
struct AuditView {
    section: &'static str,
    audit: Vec<AuditRow>,
    shown: u32,
}

pub async fn page(State(state): State<AppState>, auth: Auth) -> Result<Html<String>, AppError> {
    let entries = state.store().recent_audit(SHOWN).await?;
    let view = AuditView { section: "audit", audit: rows(entries, &state.settings().timezone), shown: SHOWN };
    Ok(Html(state.templates().render("admin_audit", &auth.layout("Audit log"), &view)?))
}
