//! One student's record in a unit and term, for the lecturer: each lecture's mark with its
//! history, the count against the lectures held, and whether the student is at risk.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Serialize;

use super::{TermQuery, chosen_term, term_query};
use crate::domain::AdmissionNumber;
use crate::model::{ClassList, MarkState, MarkStatus, TermTally};
use crate::web::guard::Auth;
use crate::web::view::{date, lecture_label, percentage};
use crate::web::{AppError, AppState, owned};

#[derive(Serialize)]
struct Change {
    when: String,
    by: String,
    from: &'static str,
    to: &'static str,
    reason: Option<String>,
}

#[derive(Serialize)]
struct LectureRow {
    session_id: String,
    label: String,
    date: String,
    /// `present`, `late`, `excused`, `absent`, `removed`, `none` or `cancelled`.
    state: &'static str,
    text: &'static str,
    history: Vec<Change>,
}

#[derive(Serialize)]
struct StudentView {
    code: String,
    unit_name: String,
    term: String,
    term_query: String,
    admission_number: String,
    name: String,
    on_list: bool,
    attended: u64,
    held: u64,
    percentage_of_held: String,
    at_risk: bool,
    risk_threshold: u8,
    lectures: Vec<LectureRow>,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path((code, student)): Path<(String, String)>,
    Query(query): Query<TermQuery>,
) -> Result<Html<String>, AppError> {
    let unit = owned::unit(&state, &auth, &code).await?;
    let admission = AdmissionNumber::parse(&student).map_err(|_| AppError::NotFound)?;
    let term = chosen_term(&state, &auth, &unit.code, &query).await?;
    let store = state.store();
    let (sessions, marks, changes, (list, _), known) = tokio::try_join!(
        store.sessions_of_unit(&unit.code, term),
        store.marks_of_student(&admission, &unit.code, term),
        store.changes_of_student(&admission, &unit.code, term),
        store.class_list(&unit.code, term),
        store.student(&admission),
    )?;
    let (now, tz) = (state.clock().now(), &state.settings().timezone);
    let standing = TermTally::of(&sessions, &marks, &ClassList::default(), now, tz).student(&admission.key());
    let lectures = sessions
        .iter()
        .map(|session| {
            let current =
                marks.iter().find(|m| m.session_id == session.id).map_or(MarkState::Unmarked, MarkState::of);
            let (state, text) = if session.cancelled {
                ("cancelled", "Cancelled")
            } else if current == MarkState::Unmarked && session.is_held(now, tz) {
                (MarkStatus::Absent.as_str(), "Absent (no mark)")
            } else {
                (current.as_str(), current.label())
            };
            LectureRow {
                session_id: session.id.to_string(),
                label: lecture_label(session),
                date: date(session.date),
                state,
                text,
                history: changes
                    .iter()
                    .filter(|c| c.session_id == session.id)
                    .map(|c| Change {
                        when: c.at.to_zoned(tz.clone()).strftime("%-d %b %H:%M").to_string(),
                        by: c.by.clone(),
                        from: c.from.label(),
                        to: c.to.label(),
                        reason: c.reason.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    let name = list
        .get(&admission)
        .map(|s| s.name.to_string())
        .or_else(|| known.map(|s| s.name.to_string()))
        .or_else(|| marks.first().map(|m| m.student_name.to_string()))
        .ok_or(AppError::NotFound)?;
    let view = StudentView {
        code: unit.code.to_string(),
        unit_name: unit.name.to_string(),
        term: term.to_string(),
        term_query: term_query(term),
        on_list: list.contains(&admission),
        admission_number: admission.to_string(),
        name,
        attended: standing.attended,
        held: standing.held,
        percentage_of_held: percentage(standing.attended, standing.held),
        at_risk: standing.at_risk(unit.risk_threshold),
        risk_threshold: unit.risk_threshold.percent(),
        lectures,
    };
    let title = format!("{} · {}", view.admission_number, unit.code);
    Ok(Html(state.templates().render("unit_student", &auth.layout(title), &view)?))
}
