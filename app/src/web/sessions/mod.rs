//! A lecturer's sessions: create, the live detail page, open/close, QR downloads, CSV export.

mod create;
mod present;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use super::csv::Csv;
use super::guard::Auth;
use super::templates::Layout;
use super::view::{MarkRow, SessionSummary, lecture_label};
use super::{AppError, AppState, flash, owned};
use crate::model::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session/create/", get(create::page).post(create::submit))
        .route("/session/{id}/", get(detail))
        .route("/session/{id}/attendance.json", get(attendance_json))
        .route("/session/{id}/toggle/", post(toggle))
        .route("/session/{id}/qr-mode/", post(set_qr_mode))
        .route("/session/{id}/remove/", post(remove_mark))
        .route("/session/{id}/present/", get(present::page))
        .route("/session/{id}/present.json", get(present::poll))
        .route("/session/{id}/download-qr/", get(download_qr))
        .route("/session/{id}/export.csv", get(export_csv))
}

/// What a student's phone opens: the QR code's content.
pub fn attend_url(state: &AppState, session: &Session) -> String {
    state.settings().base_url.join(&format!("/attend/{}/", session.id))
}

#[derive(Serialize)]
struct DetailView {
    session: SessionSummary,
    unit_name: String,
    attend_url: String,
    qr_svg: String,
    count: usize,
    rows: Vec<MarkRow>,
}

async fn detail(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let (records, unit) = tokio::try_join!(
        state.store().attendance_of_session(session.id),
        state.store().unit(&session.unit_code)
    )?;
    let tz = &state.settings().timezone;
    let url = attend_url(&state, &session);
    let label = format!("QR code for {} {}: {url}", session.unit_code, lecture_label(&session));
    let view = DetailView {
        session: SessionSummary::new(&session, Some(records.len() as u64)),
        unit_name: unit.map(|u| u.name.to_string()).unwrap_or_default(),
        qr_svg: crate::qr::svg(&url, &label).map_err(|e| AppError::Internal(e.into()))?,
        attend_url: url,
        count: records.len(),
        rows: records.iter().map(|r| MarkRow::new(r, tz)).collect(),
    };
    let title = format!("{} {}", session.unit_code, lecture_label(&session));
    let layout = Layout { script: true, ..auth.layout(title) };
    Ok(Html(state.templates().render("session", &layout, &view)?))
}

#[derive(Serialize)]
struct AttendanceJson {
    count: usize,
    is_active: bool,
    records: Vec<MarkRow>,
}

/// The live list the detail page polls.
async fn attendance_json(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let records = state.store().attendance_of_session(session.id).await?;
    let tz = &state.settings().timezone;
    let body = AttendanceJson {
        count: records.len(),
        is_active: session.is_active,
        records: records.iter().map(|r| MarkRow::new(r, tz)).collect(),
    };
    Ok(([(CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

#[derive(Deserialize)]
struct ToggleForm {
    /// `1` to open, `0` to close. The page always says which, so a double click or a resubmit
    /// repeats the intent instead of flipping it back; without it (old scripts), it flips.
    active: Option<String>,
}

async fn toggle(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ToggleForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let open = match form.active.as_deref() {
        Some("1") => true,
        Some("0") => false,
        None => !session.is_active,
        Some(_) => return Err(AppError::BadRequest("active must be 1 (open) or 0 (close).".into())),
    };
    state.store().set_session_active(session.id, open).await?;
    state.attend_cache().forget(session.id);
    let text = if open {
        "Session opened: students can mark attendance."
    } else {
        "Session closed: no more marks are accepted."
    };
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, text))
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    admission_number: String,
}

/// Takes a mark off the list (say, a proxy the lecturer caught). It stays recorded as removed,
/// so the student cannot simply mark again, and the reconciler mirrors the removal.
async fn remove_mark(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RemoveForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let (kind, text) = match crate::domain::AdmissionNumber::parse(&form.admission_number) {
        Err(e) => (flash::Kind::Error, e.0),
        Ok(admission) => match state.store().soft_delete_attendance(&session, &admission).await {
            Ok(()) => {
                tracing::warn!(target: "security", event = "mark_removed", session = %session.id, admission_number = %admission, by = %auth.username);
                (flash::Kind::Success, format!("Removed {admission} from this session."))
            }
            Err(crate::store::StoreError::NotFound) => (
                flash::Kind::Error,
                format!("{admission} is not marked in this session; nothing was removed."),
            ),
            Err(e) => return Err(e.into()),
        },
    };
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), kind, &text))
}

#[derive(Deserialize)]
struct QrModeForm {
    #[serde(default)]
    qr_mode: String,
}

async fn set_qr_mode(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<QrModeForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let mode = crate::model::QrMode::parse(form.qr_mode.trim())
        .ok_or_else(|| AppError::BadRequest("Choose a static or a rotating QR code.".into()))?;
    state.store().set_session_qr_mode(session.id, mode).await?;
    state.attend_cache().forget(session.id);
    let text = match mode {
        crate::model::QrMode::Static => "The QR code is now static: print it or show it as it is.",
        crate::model::QrMode::Rotating => "The QR code now rotates: show it in projector mode.",
    };
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, text))
}

#[derive(Deserialize)]
struct QrQuery {
    format: Option<String>,
}

/// A file name like `CS101_S1_Lec3_qr.png`.
fn file_stem(session: &Session) -> String {
    format!("{}_S{}_Lec{}", session.unit_code, session.term.semester, session.number.get())
}

async fn download_qr(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(query): Query<QrQuery>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let url = attend_url(&state, &session);
    let stem = file_stem(&session);
    let internal = |e: crate::qr::QrError| AppError::Internal(e.into());
    match query.format.as_deref() {
        None | Some("png") => {
            // 1,200 px: sharp on a projector and on a full A4 page at 150 dpi.
            let png = crate::qr::png(&url, 1200).map_err(internal)?;
            Ok((
                [
                    (CONTENT_TYPE, "image/png".to_owned()),
                    (CONTENT_DISPOSITION, format!("attachment; filename=\"{stem}_qr.png\"")),
                ],
                png,
            )
                .into_response())
        }
        Some("svg") => {
            let label = format!("QR code for {} {}", session.unit_code, lecture_label(&session));
            let svg = crate::qr::svg(&url, &label).map_err(internal)?;
            Ok((
                [
                    (CONTENT_TYPE, "image/svg+xml".to_owned()),
                    (CONTENT_DISPOSITION, format!("attachment; filename=\"{stem}_qr.svg\"")),
                ],
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}"),
            )
                .into_response())
        }
        Some(_) => Err(AppError::BadRequest("Choose format=png or format=svg.".into())),
    }
}

async fn export_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let mut records = state.store().attendance_of_session(session.id).await?;
    records.reverse(); // in the order students arrived
    let tz = &state.settings().timezone;
    let mut csv = Csv::default();
    csv.row(["Unit", "Lecture", "Date", "Venue", "Name", "Admission number", "Marked at", "Status"]);
    let lecture = lecture_label(&session);
    let date = session.date.to_string();
    for record in &records {
        csv.row([
            session.unit_code.as_str(),
            &lecture,
            &date,
            session.venue.as_str(),
            record.student_name.as_str(),
            record.admission_number.as_str(),
            &super::view::clock(record.marked_at, tz),
            record.status.as_str(),
        ]);
    }
    Ok(csv.into_download(&format!("{}_attendance.csv", file_stem(&session))))
}
