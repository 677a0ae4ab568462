//! Course units: the create form and its AJAX twin for the dashboard's modal; the unit page
//! (`report`), editing and archiving, the class list, and a student's page.

pub mod class_list;
mod edit;
pub(in crate::web) mod matrix;
mod report;
mod student;

use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::forms::FieldErrors;
use super::guard::Auth;
use super::{AppError, AppState, flash};
use crate::domain::{AcademicYear, Semester, Term, UnitCode, UnitDescription, UnitName};
use crate::model::NewUnit;
use crate::store::{StoreError, Taken};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/unit/create/", get(create_page).post(create_submit))
        .route("/unit/create-ajax/", post(create_ajax))
        .route("/unit/{code}/", get(report::page))
        .route("/unit/{code}/export.csv", get(report::export_matrix))
        .route("/unit/{code}/at-risk.csv", get(report::export_at_risk))
        .route("/unit/{code}/edit/", get(edit::page).post(edit::submit))
        .route("/unit/{code}/archive/", post(edit::archive))
        .route("/unit/{code}/student/{student}/", get(student::page))
        .route("/unit/{code}/class-list/", get(class_list::page))
        .route("/unit/{code}/class-list.csv", get(class_list::export))
}

/// The routes that take a class-list file, with their larger body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/unit/{code}/class-list/preview/", post(class_list::preview))
        .route("/unit/{code}/class-list/import/", post(class_list::import))
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct UnitForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Serialize, Default)]
struct UnitFormErrors<'a> {
    code: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct UnitFormView<'a> {
    values: &'a UnitForm,
    errors: UnitFormErrors<'a>,
}

fn parse_unit(
    form: &UnitForm,
    auth: &Auth,
    expected_lessons: crate::domain::ExpectedLessons,
) -> Result<NewUnit, FieldErrors> {
    let mut errors = FieldErrors::default();
    let code = errors.check("code", UnitCode::parse(&form.code));
    let name = errors.check("name", UnitName::parse(&form.name));
    let description = errors.check("description", UnitDescription::parse(&form.description));
    match (code, name, description) {
        (Some(code), Some(name), Some(description)) if errors.is_empty() => {
            Ok(NewUnit { code, name, description, lecturer: auth.username.clone(), expected_lessons })
        }
        _ => Err(errors),
    }
}

/// Creates the unit; a taken code becomes a field error.
async fn create(
    state: &AppState,
    auth: &Auth,
    form: &UnitForm,
) -> Result<Result<NewUnit, FieldErrors>, AppError> {
    let new = match parse_unit(form, auth, state.settings().expected_lessons) {
        Ok(new) => new,
        Err(errors) => return Ok(Err(errors)),
    };
    match state.store().create_unit(&new).await {
        Ok(_) => Ok(Ok(new)),
        Err(StoreError::AlreadyExists(Taken::UnitCode)) => {
            let mut errors = FieldErrors::default();
            errors.add("code", format!("A unit with code {} already exists.", new.code));
            Ok(Err(errors))
        }
        Err(e) => Err(e.into()),
    }
}

fn render_form(
    state: &AppState,
    auth: &Auth,
    form: &UnitForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = UnitFormView {
        values: form,
        errors: UnitFormErrors {
            code: errors.first("code"),
            name: errors.first("name"),
            description: errors.first("description"),
        },
    };
    let html = state.templates().render("unit_form", &auth.layout("New unit"), &view)?;
    Ok((status, Html(html)).into_response())
}

async fn create_page(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    render_form(&state, &auth, &UnitForm::default(), &FieldErrors::default(), StatusCode::OK)
}

async fn create_submit(
    State(state): State<AppState>,
    auth: Auth,
    Form(form): Form<UnitForm>,
) -> Result<Response, AppError> {
    match create(&state, &auth, &form).await? {
        Ok(unit) => {
            let text = format!("Unit {} created.", unit.code);
            Ok(flash::redirect(&state, &format!("/unit/{}/", unit.code), flash::Kind::Success, &text))
        }
        Err(errors) => render_form(&state, &auth, &form, &errors, StatusCode::BAD_REQUEST),
    }
}

async fn create_ajax(
    State(state): State<AppState>,
    auth: Auth,
    form: Result<Form<UnitForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Ok(Form(form)) = form else {
        let body = serde_json::json!({ "success": false, "errors": { "__all__": ["Send the form as application/x-www-form-urlencoded."] } });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    };
    Ok(match create(&state, &auth, &form).await? {
        Ok(unit) => {
            let body = serde_json::json!({
                "success": true,
                "unit": { "id": unit.code.as_str(), "code": unit.code.as_str(), "name": unit.name.as_str() },
            });
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(errors) => {
            (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "success": false, "errors": errors })))
                .into_response()
        }
    })
}

/// `?year=2025/2026&semester=1`: the term a page shows.
#[derive(Debug, Default, Deserialize)]
pub(in crate::web) struct TermQuery {
    year: Option<String>,
    semester: Option<String>,
}

impl TermQuery {
    /// The term asked for, if both parts were given; a malformed one is a 400.
    pub(in crate::web) fn asked(&self) -> Result<Option<Term>, AppError> {
        let (Some(year), Some(semester)) = (&self.year, &self.semester) else {
            return Ok(None);
        };
        let year = AcademicYear::parse(year).map_err(|e| AppError::BadRequest(e.0))?;
        let semester = Semester::parse(semester).map_err(|e| AppError::BadRequest(e.0))?;
        Ok(Some(Term { year, semester }))
    }
}

/// The query string that asks for `term`.
pub(in crate::web) fn term_query(term: Term) -> String {
    format!("?year={}&semester={}", term.year, term.semester)
}

/// Semester 1 of the academic year today falls in.
pub(in crate::web) fn this_years_first_term(state: &AppState) -> Result<Term, AppError> {
    let today = state.now_local().date();
    let year = AcademicYear::containing(today, state.settings().year_start)
        .map_err(|e| AppError::BadRequest(e.0))?;
    Ok(Term { year, semester: Semester::One })
}

/// The term a unit page shows: the one asked for, else the term of the unit's latest session,
/// else semester 1 of the current academic year.
pub(super) async fn chosen_term(
    state: &AppState,
    auth: &Auth,
    code: &UnitCode,
    query: &TermQuery,
) -> Result<Term, AppError> {
    if let Some(term) = query.asked()? {
        return Ok(term);
    }
    let recent = state.store().recent_sessions(&auth.username, 30).await?;
    if let Some(session) = recent.iter().find(|s| &s.unit_code == code) {
        return Ok(session.term);
    }
    this_years_first_term(state)
}
