//! A session's attendance as CSV: every mark in the order students arrived, then the class
//! list's absentees with status `absent`.

use axum::extract::{Path, State};
use axum::response::Response;

use super::file_stem;
use crate::web::csv::Csv;
use crate::web::guard::Auth;
use crate::web::view::{clock, lecture_label};
use crate::web::{AppError, AppState, owned};

pub async fn csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let store = state.store();
    let (mut marks, (list, _)) = tokio::try_join!(
        store.marks_of_session(session.id),
        store.class_list(&session.unit_code, session.term)
    )?;
    marks.retain(|m| !m.removed);
    marks.sort_by_key(|m| m.marked_at);
    let tz = &state.settings().timezone;
    let mut csv = Csv::default();
    csv.row([
        "Unit",
        "Lecture",
        "Date",
        "Venue",
        "Name",
        "Admission number",
        "Marked at",
        "Status",
        "On class list",
    ]);
    let lecture = lecture_label(&session);
    let date = session.date.to_string();
    let listed = |on: bool| {
        if list.is_empty() {
            ""
        } else if on {
            "yes"
        } else {
            "no"
        }
    };
    for mark in &marks {
        csv.row([
            session.unit_code.as_str(),
            &lecture,
            &date,
            session.venue.as_str(),
            mark.student_name.as_str(),
            mark.admission_number.as_str(),
            &clock(mark.marked_at, tz),
            mark.status.as_str(),
            listed(list.contains(&mark.admission_number)),
        ]);
    }
    let marked: std::collections::BTreeSet<_> = marks.iter().map(|m| m.admission_number.key()).collect();
    for student in list.by_name() {
        if marked.contains(&student.admission_number.key()) {
            continue;
        }
        csv.row([
            session.unit_code.as_str(),
            &lecture,
            &date,
            session.venue.as_str(),
            student.name.as_str(),
            student.admission_number.as_str(),
            "",
            "absent",
            "yes",
        ]);
    }
    Ok(csv.into_download(&format!("{}_attendance.csv", file_stem(&session))))
}
