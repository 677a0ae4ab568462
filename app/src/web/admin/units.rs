//! `/admin/units/`: every unit of the department with its lecturer; hand a unit over to another
//! lecturer (with all its sessions) or archive it. One lecturer owns a unit at a time, so every
//! lecturer page keeps its single owner check; see the README's "Units across the department".

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use serde::{Deserialize, Serialize};

use super::{Administrator, flag};
use crate::domain::{UnitCode, Username};
use crate::model::Unit;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash};

#[derive(Serialize)]
struct UnitRow {
    code: String,
    name: String,
    lecturer: String,
    lecturer_name: String,
    archived: bool,
}

#[derive(Serialize)]
struct Choice {
    username: String,
    label: String,
}

#[derive(Serialize)]
struct UnitsView {
    section: &'static str,
    units: Vec<UnitRow>,
    lecturers: Vec<Choice>,
    active_count: usize,
    archived_count: usize,
}

pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Html<String>, AppError> {
    let (units, lecturers) = tokio::try_join!(state.store().all_units(), state.store().all_lecturers())?;
    let names: std::collections::HashMap<&Username, &str> =
        lecturers.iter().map(|l| (&l.username, l.full_name.as_str())).collect();
    let view = UnitsView {
        section: "units",
        active_count: units.iter().filter(|u| !u.archived).count(),
        archived_count: units.iter().filter(|u| u.archived).count(),
        units: units
            .iter()
            .map(|u| UnitRow {
                code: u.code.to_string(),
                name: u.name.to_string(),
                lecturer: u.lecturer.to_string(),
                lecturer_name: names.get(&u.lecturer).copied().unwrap_or("(account removed)").to_owned(),
                archived: u.archived,
            })
            .collect(),
        lecturers: lecturers
            .iter()
            .filter(|l| l.active)
            .map(|l| Choice {
                username: l.username.to_string(),
                label: format!("{} ({})", l.full_name, l.username),
            })
            .collect(),
    };
    Ok(Html(state.templates().render("admin_units", &auth.layout("Units"), &view)?))
}

async fn unit(state: &AppState, code: &str) -> Result<Unit, AppError> {
    let code = UnitCode::parse(code).map_err(|_| AppError::NotFound)?;
    state.store().unit(&code).await?.ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    lecturer: String,
}

pub async fn reassign(
    State(state): State<AppState>,
    auth: Auth,
    Administrator(actor): Administrator,
    Path(code): Path<String>,
    Form(form): Form<ReassignForm>,
) -> Result<Response, AppError> {
    let unit = unit(&state, &code).await?;
    let refused = |text: &str| Ok(flash::redirect(&state, "/admin/units/", flash::Kind::Error, text));
    let to = match Username::parse(&form.lecturer) {
        Ok(username) => state.store().lecturer(&username).await?,
        Err(_) => None,
    };
    let Some(to) = to.filter(|l| l.active) else {
        return refused("Choose an active lecturer to hand the unit to.");
    };
    let moved = state.store().reassign_unit(&unit.code, &to, &actor).await?;
    if to.username == unit.lecturer {
        let text =
            format!("{} is already {}'s unit ({moved} session(s) caught up).", unit.code, to.full_name);
        return Ok(flash::redirect(&state, "/admin/units/", flash::Kind::Info, &text));
    }
    tracing::warn!(target: "security", event = "unit_reassigned", unit = %unit.code, from = %unit.lecturer, to = %to.username, sessions = moved, by = %auth.username);
    let text = format!(
        "{} is now {}'s unit, with its {moved} session(s) and all their records.",
        unit.code, to.full_name
    );
    Ok(flash::redirect(&state, "/admin/units/", flash::Kind::Success, &text))
}

#[derive(Deserialize)]
pub struct ArchiveForm {
    #[serde(default)]
    value: String,
}

pub async fn archive(
    State(state): State<AppState>,
    Administrator(actor): Administrator,
    Path(code): Path<String>,
    Form(form): Form<ArchiveForm>,
) -> Result<Response, AppError> {
    let unit = unit(&state, &code).await?;
    let archived = flag(&form.value)?;
    if unit.archived != archived {
        state.store().set_unit_archived(&unit.code, archived, Some(&actor)).await?;
    }
    let text = if archived {
        format!("{} is archived: off its lecturer's dashboard and forms, records kept.", unit.code)
    } else {
        format!("{} is back on its lecturer's dashboard.", unit.code)
    };
    Ok(flash::redirect(&state, "/admin/units/", flash::Kind::Success, &text))
}
