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
    let (units, sessions, (total, active)) = tokio::try_join!(
        store.units_of(&auth.username),
        store.recent_sessions(&auth.username, RECENT_SESSIONS),
        store.session_totals(&auth.username),
    )?;
    // The counts are independent aggregation queries; run them together.
    let counts = futures::future::try_join_all(sessions.iter().map(|s| store.attendance_count(s.id))).await?;
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
            .map(|(s, n)| SessionSummary::new(s, Some(n), state.clock().now(), &state.settings().timezone))
            .collect(),
    };
    let layout = super::templates::Layout { script: true, ..auth.layout("Dashboard") };
    Ok(Html(state.templates().render("dashboard", &layout, &view)?))
}
