//! Editing a unit's name, description and at-risk threshold (its code stays), and archiving it:
//! off the dashboard and the session form, every record kept.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::domain::{RiskThreshold, UnitDescription, UnitName};
use crate::model::Unit;
use crate::web::forms::FieldErrors;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash, owned};

#[derive(Debug, Deserialize, Serialize)]
pub struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    risk_threshold: String,
}

#[derive(Serialize)]
struct EditView<'a> {
    code: String,
    values: &'a EditForm,
    errors: std::collections::BTreeMap<&'static str, Option<&'a str>>,
}

fn render(
    state: &AppState,
    auth: &Auth,
    unit: &Unit,
    form: &EditForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = EditView {
        code: unit.code.to_string(),
        values: form,
        errors: ["name", "description", "risk_threshold"].into_iter().map(|f| (f, errors.first(f))).collect(),
    };
    let page = state.templates().render("unit_edit", &auth.layout(format!("Edit {}", unit.code)), &view)?;
    Ok((status, Html(page)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let form = EditForm {
        name: unit.name.to_string(),
        description: unit.description.as_str().to_owned(),
        risk_threshold: unit.risk_threshold.to_string(),
    };
    render(&state, &auth, &unit, &form, &FieldErrors::default(), StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let mut errors = FieldErrors::default();
    let name = errors.check("name", UnitName::parse(&form.name));
    let description = errors.check("description", UnitDescription::parse(&form.description));
    let threshold = errors.check("risk_threshold", RiskThreshold::parse(&form.risk_threshold));
    let (Some(name), Some(description), Some(threshold)) = (name, description, threshold) else {
        return render(&state, &auth, &unit, &form, &errors, StatusCode::BAD_REQUEST);
    };
    state.store().edit_unit(&unit.code, &name, &description, threshold).await?;
    Ok(flash::redirect(&state, &format!("/unit/{}/", unit.code), flash::Kind::Success, "Unit updated."))
}

#[derive(Debug, Deserialize)]
pub struct ArchiveForm {
    /// `1` to archive, `0` to bring back.
    #[serde(default)]
    archived: String,
}

pub async fn archive(
    State(state): State<AppState>,
    auth: Auth,
    Path(code): Path<String>,
    Form(form): Form<ArchiveForm>,
) -> Result<Response, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let archived = match form.archived.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::BadRequest("archived must be 1 (archive) or 0 (bring back).".into())),
    };
    state.store().set_unit_archived(&unit.code, archived, None).await?;
    let text = if archived {
        format!("{} archived: it is off the dashboard and the session form; its records are kept.", unit.code)
    } else {
        format!("{} is back on the dashboard.", unit.code)
    };
    Ok(flash::redirect(&state, &format!("/unit/{}/", unit.code), flash::Kind::Success, &text))
}
