//! `/session/create/`: the form, its validation, and the store's refusals (a full term, a clash)
//! shown where the lecturer will look for them.

use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::domain::{
    AcademicYear, ClassYear, FullName, LateAfter, LectureDate, Semester, SessionNumber, Term, TimeRange,
    UnitCode, Venue,
};
use crate::model::{NewSession, QrMode, Unit};
use crate::store::{Conflict, StoreError};
use crate::web::forms::FieldErrors;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SessionForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    academic_year: String,
    #[serde(default)]
    semester: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    lecturer_name: String,
    #[serde(default)]
    class_year: String,
    #[serde(default)]
    qr_mode: String,
    #[serde(default)]
    late_after_minutes: String,
}

const FIELDS: [&str; 11] = [
    "unit",
    "academic_year",
    "semester",
    "date",
    "start_time",
    "end_time",
    "venue",
    "lecturer_name",
    "class_year",
    "qr_mode",
    "late_after_minutes",
];

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct SessionFormView<'a> {
    values: &'a SessionForm,
    errors: std::collections::BTreeMap<&'static str, Option<&'a str>>,
    form_error: Option<String>,
    units: Vec<Choice>,
    semesters: Vec<Choice>,
    class_years: Vec<Choice>,
    qr_modes: Vec<Choice>,
    has_units: bool,
}

fn choices(options: &[(&str, &str)], current: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).into(),
            label: (*label).into(),
            selected: *value == current,
        })
        .collect()
}

/// The new session the form asks for, or every field's message. Long because the form is: one
/// check per field, each through its domain type, so every message lands beside its field.
fn parse(
    form: &SessionForm,
    auth: &Auth,
    units: &[Unit],
    state: &AppState,
) -> Result<NewSession, FieldErrors> {
    let mut errors = FieldErrors::default();
    let unit = match UnitCode::parse(&form.unit) {
        Ok(code) if units.iter().any(|u| u.code == code) => Some(code),
        Ok(_) => {
            errors.add("unit", "Choose one of your units.");
            None
        }
        Err(_) if form.unit.trim().is_empty() => {
            errors.add("unit", "Choose a unit.");
            None
        }
        Err(_) => {
            errors.add("unit", "Choose one of your units.");
            None
        }
    };
    let semester = errors.check("semester", Semester::parse(&form.semester));
    let date = errors.check("date", LectureDate::parse(&form.date));
    let start = errors.check("start_time", TimeRange::parse_time(&form.start_time, "Start time"));
    let end = errors.check("end_time", TimeRange::parse_time(&form.end_time, "End time"));
    let times = match (start, end) {
        (Some(start), Some(end)) => errors.check("end_time", TimeRange::new(start, end)),
        _ => None,
    };
    let venue = errors.check("venue", Venue::parse(&form.venue));
    let lecturer_name = if form.lecturer_name.trim().is_empty() {
        FullName::parse(&auth.full_name).ok()
    } else {
        errors.check("lecturer_name", FullName::parse(&form.lecturer_name))
    };
    let class_year = errors.check("class_year", ClassYear::parse(&form.class_year));
    let qr_mode = match form.qr_mode.trim() {
        "" => Some(QrMode::Static),
        other => QrMode::parse(other).or_else(|| {
            errors.add("qr_mode", "QR mode must be static or rotating.");
            None
        }),
    };
    let late_after = errors.check("late_after_minutes", LateAfter::parse(&form.late_after_minutes));
    // The academic year is derived from the date unless given; a given one must contain it.
    let academic_year = match (form.academic_year.trim(), date) {
        ("", Some(date)) => {
            errors.check("date", AcademicYear::containing(date.get(), state.settings().year_start))
        }
        ("", None) => None,
        (text, date) => {
            errors.check("academic_year", AcademicYear::parse(text)).and_then(|year| match date {
                Some(date)
                    if AcademicYear::containing(date.get(), state.settings().year_start).ok()
                        != Some(year) =>
                {
                    errors.add("academic_year", format!("{date} is not in the academic year {year}."));
                    None
                }
                _ => Some(year),
            })
        }
    };
    let new = || {
        Some(NewSession {
            unit_code: unit?,
            lecturer: auth.username.clone(),
            term: Term { year: academic_year?, semester: semester? },
            date: date?,
            times: times?,
            venue: venue?,
            lecturer_name: lecturer_name?,
            class_year: class_year?,
            qr_mode: qr_mode?,
            late_after: late_after?,
            window: None,
        })
    };
    match new() {
        Some(new) if errors.is_empty() => Ok(new),
        _ => Err(errors),
    }
}

fn render(
    state: &AppState,
    auth: &Auth,
    form: &SessionForm,
    units: &[Unit],
    errors: &FieldErrors,
    form_error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let unit_options: Vec<(String, String)> =
        units.iter().map(|u| (u.code.to_string(), format!("{} — {}", u.code, u.name))).collect();
    let unit_refs: Vec<(&str, &str)> = unit_options.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let view = SessionFormView {
        values: form,
        errors: FIELDS.iter().map(|f| (*f, errors.first(f))).collect(),
        form_error,
        units: choices(&unit_refs, form.unit.trim()),
        semesters: choices(&[("1", "Semester 1"), ("2", "Semester 2")], form.semester.trim()),
        class_years: choices(
            &[("1", "Year 1"), ("2", "Year 2"), ("3", "Year 3"), ("4", "Year 4"), ("5", "Year 5")],
            form.class_year.trim(),
        ),
        qr_modes: choices(
            &[
                ("static", "Static: one printable code"),
                ("rotating", "Rotating: projected code that changes every few seconds"),
            ],
            if form.qr_mode.is_empty() { "static" } else { form.qr_mode.trim() },
        ),
        has_units: !units.is_empty(),
    };
    let html = state.templates().render("session_form", &auth.layout("New session"), &view)?;
    Ok((status, Html(html)).into_response())
}

/// The lecturer's units a session can be created for: archived ones are left out.
async fn open_units(state: &AppState, auth: &Auth) -> Result<Vec<Unit>, AppError> {
    let units = state.store().units_of(&auth.username).await?;
    Ok(units.into_iter().filter(|u| !u.archived).collect())
}

pub async fn page(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let units = open_units(&state, &auth).await?;
    let today = state.now_local().date();
    let form = SessionForm {
        date: today.to_string(),
        lecturer_name: auth.full_name.clone(),
        semester: "1".into(),
        late_after_minutes: LateAfter::DEFAULT.minutes().to_string(),
        unit: units.first().map(|u| u.code.to_string()).unwrap_or_default(),
        ..SessionForm::default()
    };
    render(&state, &auth, &form, &units, &FieldErrors::default(), None, StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Form(form): Form<SessionForm>,
) -> Result<Response, AppError> {
    let units = open_units(&state, &auth).await?;
    let new = match parse(&form, &auth, &units, &state) {
        Ok(new) => new,
        Err(errors) => return render(&state, &auth, &form, &units, &errors, None, StatusCode::BAD_REQUEST),
    };
    match state.store().create_session(&new).await {
        Ok(session) => {
            let text = format!(
                "Session created: {} {}.",
                session.unit_code,
                crate::web::view::lecture_label(&session)
            );
            Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, &text))
        }
        Err(StoreError::Conflict(Conflict::TermFull)) => {
            let message = format!(
                "{} already has {} lectures in {}; no more can be added to this term.",
                new.unit_code,
                SessionNumber::MAX,
                new.term
            );
            render(
                &state,
                &auth,
                &form,
                &units,
                &FieldErrors::default(),
                Some(message),
                StatusCode::BAD_REQUEST,
            )
        }
        Err(StoreError::Conflict(Conflict::TimeClash)) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "start_time",
                format!(
                    "{} already has a session on {} at {}.",
                    new.unit_code,
                    new.date,
                    crate::web::view::time(new.times.start())
                ),
            );
            render(&state, &auth, &form, &units, &errors, None, StatusCode::BAD_REQUEST)
        }
        Err(e) => Err(e.into()),
    }
}
