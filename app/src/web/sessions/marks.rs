//! `POST /session/<id>/marks/`: a lecturer marks a student by hand, changes a status, removes a
//! mark with a reason or restores one; `POST /session/<id>/enrol/` adds a student who marked to
//! the class list. Plain form posts: they work without JavaScript and redirect back.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde::Serialize;

use crate::domain::{AdmissionNumber, Invalid, Reason, StudentName};
use crate::model::{Correction, Enrolled, MarkState};
use crate::store::Corrected;
use crate::web::guard::Auth;
use crate::web::{AppError, AppState, flash, owned};

#[derive(Debug, Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    admission_number: String,
    /// Needed only for a student not yet known.
    #[serde(default)]
    student_name: String,
    /// `present`, `late`, `excused`, `absent` or `removed`.
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

fn optional<T>(input: &str, parse: impl Fn(&str) -> Result<T, Invalid>) -> Result<Option<T>, Invalid> {
    if input.trim().is_empty() { Ok(None) } else { parse(input).map(Some) }
}

/// The correction a form asks for, or why it cannot be read.
fn read(form: &CorrectionForm) -> Result<Correction, Invalid> {
    let admission_number = AdmissionNumber::parse(&form.admission_number)?;
    let to = MarkState::parse(form.status.trim())
        .filter(|s| *s != MarkState::Unmarked)
        .ok_or_else(|| Invalid::new("Choose present, late, excused, absent or removed."))?;
    Ok(Correction {
        admission_number,
        student_name: optional(&form.student_name, StudentName::parse)?,
        to,
        reason: optional(&form.reason, Reason::parse)?,
    })
}

pub async fn correct(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(form): Form<CorrectionForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let refuse = |message: String| async {
        let page = super::render_detail(&state, &auth, &session, "", Some(message)).await?;
        Ok::<_, AppError>((StatusCode::BAD_REQUEST, Html(page)).into_response())
    };
    let mut correction = match read(&form) {
        Ok(correction) => correction,
        Err(Invalid(message)) => return refuse(message).await,
    };
    let store = state.store();
    let ((list, _), unit) =
        tokio::try_join!(store.class_list(&session.unit_code, session.term), store.unit(&session.unit_code))?;
    if correction.student_name.is_none() {
        correction.student_name = list.get(&correction.admission_number).map(|s| s.name.clone());
    }
    let expected = unit.map_or(state.settings().expected_lessons, |u| u.expected_lessons);
    let back = format!("/session/{}/", session.id);
    match store.correct_mark(&session, &correction, &auth.username, expected).await? {
        Corrected::Changed(change) => {
            tracing::warn!(target: "security", event = "mark_changed", session = %session.id,
                admission_number = %change.admission_number, from = change.from.as_str(),
                to = change.to.as_str(), by = %auth.username);
            state.attend_cache().forget(session.id);
            let text =
                format!("{}: {} → {}.", change.admission_number, change.from.label(), change.to.label());
            Ok(flash::redirect(&state, &back, flash::Kind::Success, &text))
        }
        Corrected::Unchanged => {
            let text = format!(
                "{} is already {}; nothing changed.",
                correction.admission_number,
                correction.to.label()
            );
            Ok(flash::redirect(&state, &back, flash::Kind::Info, &text))
        }
        Corrected::Refused(refused) => refuse(refused.to_string()).await,
    }
}

#[derive(Serialize)]
struct MarkView {
    session_id: String,
    title: String,
    admission_number: String,
    name: Option<String>,
    /// The status the mark has ("No mark", "Removed", "Late", ...).
    label: &'static str,
    state: &'static str,
    options: Vec<super::roster::StatusOption>,
    history: Vec<super::roster::ChangeView>,
    on_list: bool,
}

/// `/session/<id>/marks/<student>/`: one student's mark in this session, its history, and the
/// form that changes it (the list's "Change" and the absent list's "Other…").
pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, student)): Path<(String, String)>,
) -> Result<Html<String>, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let admission = AdmissionNumber::parse(&student).map_err(|_| AppError::NotFound)?;
    let store = state.store();
    let (mark, changes, (list, _), known) = tokio::try_join!(
        store.attendance_record(session.id, &admission),
        store.changes_of_session(session.id),
        store.class_list(&session.unit_code, session.term),
        store.student(&admission),
    )?;
    let current = mark.as_ref().map_or(MarkState::Unmarked, |(record, _)| MarkState::of(record));
    let name = mark
        .as_ref()
        .map(|(record, _)| record.student_name.to_string())
        .or_else(|| list.get(&admission).map(|s| s.name.to_string()))
        .or_else(|| known.map(|s| s.name.to_string()));
    let tz = &state.settings().timezone;
    let view = MarkView {
        session_id: session.id.to_string(),
        title: format!("{} {}", session.unit_code, crate::web::view::lecture_label(&session)),
        admission_number: admission.to_string(),
        name,
        label: current.label(),
        state: current.as_str(),
        options: super::roster::options(current),
        history: changes
            .iter()
            .filter(|c| c.admission_number == admission)
            .map(|c| super::roster::ChangeView::new(c, tz))
            .collect(),
        on_list: list.contains(&admission),
    };
    let title = format!("{admission} · {}", view.title);
    Ok(Html(state.templates().render("mark", &auth.layout(title), &view)?))
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    admission_number: String,
}

/// Adds a student who marked but is not on the class list, under the name on their mark.
pub async fn enrol(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let admission = AdmissionNumber::parse(&form.admission_number).map_err(|e| AppError::BadRequest(e.0))?;
    let Some((mark, _)) = state.store().attendance_record(session.id, &admission).await? else {
        return Err(AppError::BadRequest(format!("{admission} has no mark in this session to add from.")));
    };
    let student = Enrolled { admission_number: admission.clone(), name: mark.student_name, email: None };
    state.store().enrol(&session.unit_code, session.term, student).await?;
    let text = format!("Added {admission} to the class list of {} {}.", session.unit_code, session.term);
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, &text))
}
