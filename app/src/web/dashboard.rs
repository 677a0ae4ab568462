//! `/dashboard/`: the lecturer's units, recent sessions and totals.

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;

use super::guard::Auth;
use super::view::SessionSummary;
use super::{AppError, AppState};

const RECENT_SESSIONS: u32 = 30;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard/", get(dashboard))
}

#[derive(Serialize)]
struct UnitRow {
    code: String,
    name: String,
    description: String,
}

#[derive(Serialize)]
struct Totals {
    units: usize,
    sessions: u64,
    active: u64,
}

/// The empty "New unit" form inside the dashboard's dialog.
#[derive(Serialize)]
struct EmptyUnitForm {
    values: serde_json::Value,
    errors: serde_json::Value,
}

#[derive(Serialize)]
struct DashboardView {
    new_unit: EmptyUnitForm,
    units: Vec<UnitRow>,
    sessions: Vec<SessionSummary>,
    totals: Totals,
}

async fn dashboard(State(state): State<AppState>, auth: Auth) -> Result<Html<String>, AppError> {
    let store = state.store();
    let (units, sessions, total) = tokio::try_join!(
        store.units_of(&auth.username),
        store.recent_sessions(&auth.username, RECENT_SESSIONS),
        store.session_total(&auth.username),
    )?;
    // Archived units are off the dashboard (their pages and records stay).
    let units: Vec<_> = units.into_iter().filter(|u| !u.archived).collect();
    let (now, tz) = (state.clock().now(), &state.settings().timezone);
    let counts = store.attended_counts(&sessions, now, tz).await?;
    // "Open now" among the recent sessions: a window opens and closes by the clock, which no
    // stored field can count.
    let active = sessions.iter().filter(|s| s.is_open(now, tz)).count() as u64;
    let view = DashboardView {
        new_unit: EmptyUnitForm {
            values: serde_json::json!({ "code": "", "name": "", "description": "" }),
            errors: serde_json::json!({ "code": null, "name": null, "description": null }),
        },
        totals: Totals { units: units.len(), sessions: total, active },
        units: units
            .into_iter()
            .map(|u| UnitRow {
                code: u.code.to_string(),
                name: u.name.to_string(),
                description: u.description.as_str().to_owned(),
            })
            .collect(),
        sessions: sessions
            .iter()
            .zip(counts)
            .map(|(s, n)| SessionSummary::new(s, Some(n), now, tz))
            .collect(),
    };
    let layout = super::templates::Layout { script: true, ..auth.layout("Dashboard") };
    Ok(Html(state.templates().render("dashboard", &layout, &view)?))
}
