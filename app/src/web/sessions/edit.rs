//! Changing a session after it was made: its date, times, attendance window, venue, class
//! year and lecturer name (`/session/<id>/edit/`); cancelling or restoring it; deleting it
//! while it has no marks.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use crate::domain::{AcademicYear, ClassYear, FullName, Invalid, LectureDate, TimeRange, Venue};
use crate::model::{Session, Window};
use crate::store::{Conflict, SessionEdit, StoreError};
use crate::web::forms::FieldErrors;
use crate::web::guard::Auth;
use crate::web::view::lecture_label;
use crate::web::{AppError, AppState, flash, owned};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EditForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    lecturer_name: String,
    #[serde(default)]
    class_year: String,
}

const FIELDS: [&str; 8] =
    ["date", "start_time", "end_time", "opens_at", "closes_at", "venue", "lecturer_name", "class_year"];

fn local(at: DateTime) -> String {
    at.strftime("%Y-%m-%dT%H:%M").to_string()
}

impl EditForm {
    fn of(session: &Session) -> Self {
        Self {
            date: session.date.to_string(),
            start_time: session.times.start().strftime("%H:%M").to_string(),
            end_time: session.times.end().strftime("%H:%M").to_string(),
            opens_at: local(session.window.opens()),
            closes_at: local(session.window.closes()),
            venue: session.venue.to_string(),
            lecturer_name: session.lecturer_name.to_string(),
            class_year: session.class_year.get().to_string(),
        }
    }
}

#[derive(Serialize)]
struct EditView<'a> {
    id: String,
    title: String,
    values: &'a EditForm,
    errors: std::collections::BTreeMap<&'static str, Option<&'a str>>,
    form_error: Option<String>,
}

fn render(
    state: &AppState,
    auth: &Auth,
    session: &Session,
    form: &EditForm,
    errors: &FieldErrors,
    form_error: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let view = EditView {
        id: session.id.to_string(),
        title: format!("{} {}", session.unit_code, lecture_label(session)),
        values: form,
        errors: FIELDS.iter().map(|f| (*f, errors.first(f))).collect(),
        form_error,
    };
    let page = state.templates().render("session_edit", &auth.layout("Edit session"), &view)?;
    Ok((status, Html(page)).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    render(&state, &auth, &session, &EditForm::of(&session), &FieldErrors::default(), None, StatusCode::OK)
}

fn window_field(errors: &mut FieldErrors, field: &'static str, input: &str, what: &str) -> Option<DateTime> {
    let parsed = input
        .trim()
        .parse::<DateTime>()
        .ok()
        .and_then(|d| d.with().second(0).subsec_nanosecond(0).build().ok());
    if parsed.is_none() {
        errors.add(field, format!("{what} must be a date and time such as 2025-09-01T07:45."));
    }
    parsed
}

/// The edit a form asks for, or the errors to show beside its fields.
fn read(state: &AppState, session: &Session, form: &EditForm) -> Result<SessionEdit, FieldErrors> {
    let mut errors = FieldErrors::default();
    let date = errors.check("date", LectureDate::parse(&form.date));
    if let Some(date) = date
        && date.get() != session.date
        && AcademicYear::containing(date.get(), state.settings().year_start).ok() != Some(session.term.year)
    {
        errors.add("date", format!("The date must stay in the academic year {}.", session.term.year));
    }
    let start = errors.check("start_time", TimeRange::parse_time(&form.start_time, "Start time"));
    let end = errors.check("end_time", TimeRange::parse_time(&form.end_time, "End time"));
    let times = match (start, end) {
        (Some(start), Some(end)) => errors.check("end_time", TimeRange::new(start, end)),
        _ => None,
    };
    let opens = window_field(&mut errors, "opens_at", &form.opens_at, "Opens at");
    let closes = window_field(&mut errors, "closes_at", &form.closes_at, "Closes at");
    let window = match (opens, closes, date, times) {
        (Some(opens), Some(closes), Some(date), Some(times)) => {
            // A window left as the old default follows the new date and times.
            let old_default = Window::default_for(session.date, session.times);
            if (opens, closes) == (old_default.opens(), old_default.closes()) {
                Some(Window::default_for(date.get(), times))
            } else {
                errors.check("closes_at", Window::new(opens, closes))
            }
        }
        _ => None,
    };
    let venue = errors.check("venue", Venue::parse(&form.venue));
    let lecturer_name = errors.check("lecturer_name", FullName::parse(&form.lecturer_name));
    let class_year = errors.check("class_year", ClassYear::parse(&form.class_year));
    match (date, times, window, venue, lecturer_name, class_year) {
        (Some(date), Some(times), Some(window), Some(venue), Some(lecturer_name), Some(class_year))
            if errors.is_empty() =>
        {
            Ok(SessionEdit { date, times, window, venue, lecturer_name, class_year })
        }
        _ => Err(errors),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let edit = match read(&state, &session, &form) {
        Ok(edit) => edit,
        Err(errors) => return render(&state, &auth, &session, &form, &errors, None, StatusCode::BAD_REQUEST),
    };
    match state.store().edit_session(&session, &edit).await {
        Ok(()) => {}
        Err(StoreError::Conflict(Conflict::TimeClash)) => {
            let mut errors = FieldErrors::default();
            errors.add("start_time", "Another session of this unit starts at this date and time.");
            return render(&state, &auth, &session, &form, &errors, None, StatusCode::BAD_REQUEST);
        }
        Err(e) => return Err(e.into()),
    }
    state.attend_cache().forget(session.id);
    let back = format!("/session/{}/", session.id);
    Ok(flash::redirect(&state, &back, flash::Kind::Success, "Session updated."))
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    /// `1` to cancel, `0` to restore.
    #[serde(default)]
    cancelled: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let cancelled = match form.cancelled.as_str() {
        "1" => true,
        "0" => false,
        _ => {
            return Err(AppError::BadRequest(Invalid::new("cancelled must be 1 (cancel) or 0 (restore).").0));
        }
    };
    state.store().set_session_cancelled(&session, cancelled).await?;
    state.attend_cache().forget(session.id);
    let text = if cancelled {
        "Lecture cancelled: it is kept on record but not counted as held, and students cannot mark it."
    } else {
        "Lecture restored: it counts as held again."
    };
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, text))
}

pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let has_marks =
        "This session has marks, so it cannot be deleted: cancel it instead, which keeps its record.";
    if !state.store().delete_unmarked_session(&session).await? {
        return Err(AppError::Conflict(has_marks.into()));
    }
    state.attend_cache().forget(session.id);
    // A mark that raced the delete brings the session back: now, or once every instance's
    // copy of the session (at most a few seconds old) has expired.
    if state.store().restore_if_marked(&session).await? {
        return Err(AppError::Conflict(format!(
            "A student marked it as you deleted it, so it was kept. {has_marks}"
        )));
    }
    let (store, later) = (state.store().clone(), session.clone());
    tokio::spawn(async move {
        tokio::time::sleep(
            std::time::Duration::try_from(crate::web::attend::cache::FRESH_FOR * 2).unwrap_or_default(),
        )
        .await;
        match store.restore_if_marked(&later).await {
            Ok(true) => {
                tracing::warn!(session = %later.id, "a deleted session got a mark a moment later; restored")
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, session = %later.id, "could not check a deleted session for late marks")
            }
        }
    });
    let text = format!("Deleted {} {}.", session.unit_code, lecture_label(&session));
    Ok(flash::redirect(&state, &format!("/unit/{}/", session.unit_code), flash::Kind::Success, &text))
}
