//! A lecturer's sessions: create, edit, the live detail page with its corrections, opening and
//! closing, QR downloads, CSV export.

mod create;
mod edit;
mod export;
mod marks;
mod present;
pub(crate) mod roster;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use self::roster::Roster;
use super::guard::Auth;
use super::templates::Layout;
use super::view::{SessionSummary, lecture_label};
use super::{AppError, AppState, flash, owned};
use crate::model::{Opening, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session/create/", get(create::page).post(create::submit))
        .route("/session/{id}/", get(detail))
        .route("/session/{id}/events/", get(super::live::events))
        .route("/session/{id}/changes.json", get(super::live::changes))
        .route("/session/{id}/toggle/", post(toggle))
        .route("/session/{id}/qr-mode/", post(set_qr_mode))
        .route("/session/{id}/marks/", post(marks::correct))
        .route("/session/{id}/marks/{student}/", get(marks::page))
        .route("/session/{id}/enrol/", post(marks::enrol))
        .route("/session/{id}/edit/", get(edit::page).post(edit::submit))
        .route("/session/{id}/cancel/", post(edit::cancel))
        .route("/session/{id}/delete/", post(edit::delete))
        .route("/session/{id}/present/", get(present::page))
        .route("/session/{id}/present.json", get(present::poll))
        .route("/session/{id}/download-qr/", get(download_qr))
        .route("/session/{id}/export.csv", get(export::csv))
}

/// What a student's phone opens: the QR code's content, its short link (`attend::short`).
pub fn attend_url(state: &AppState, session: &Session) -> String {
    super::attend::short::link(&state.settings().base_url, session.id)
}

#[derive(Serialize)]
struct DetailView {
    session: SessionSummary,
    unit_name: String,
    attend_url: String,
    qr_svg: String,
    roster: Roster,
    quick_actions: Vec<roster::QuickAction>,
    /// A correction that could not be made, shown above the list (with a 400).
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    /// Search by name or admission number.
    #[serde(default)]
    q: String,
}

/// The roster of `session`: every mark, the history, and the class list (four reads, at once).
async fn roster(state: &AppState, session: &Session, query: &str) -> Result<Roster, AppError> {
    let store = state.store();
    let (marks, changes, (list, _)) = tokio::try_join!(
        store.marks_of_session(session.id),
        store.changes_of_session(session.id),
        store.class_list(&session.unit_code, session.term),
    )?;
    Ok(roster::build(&marks, &changes, &list, query, &state.settings().timezone))
}

async fn detail(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    render_detail(&state, &auth, &session, &query.q, None).await.map(Html)
}

/// The session page, with `problem` shown when a correction was refused.
pub(super) async fn render_detail(
    state: &AppState,
    auth: &Auth,
    session: &Session,
    query: &str,
    problem: Option<String>,
) -> Result<String, AppError> {
    let (roster, unit) = tokio::try_join!(roster(state, session, query), async {
        state.store().unit(&session.unit_code).await.map_err(AppError::from)
    })?;
    let url = attend_url(state, session);
    let label = format!("QR code for {} {}: {url}", session.unit_code, lecture_label(session));
    let now = state.clock().now();
    let view = DetailView {
        session: SessionSummary::new(session, Some(roster.present as u64), now, &state.settings().timezone),
        unit_name: unit.map(|u| u.name.to_string()).unwrap_or_default(),
        qr_svg: crate::qr::svg(&url, &label).map_err(|e| AppError::Internal(e.into()))?,
        attend_url: url,
        roster,
        quick_actions: roster::quick_actions(),
        problem,
    };
    let title = format!("{} {}", session.unit_code, lecture_label(session));
    let layout = Layout { script: true, ..auth.layout(title) };
    state.templates().render("session", &layout, &view)
}

#[derive(Deserialize)]
struct ToggleForm {
    /// `0`: close now; `1`: keep open (whatever the window says); `window`: follow the window.
    /// The page always says which, so a double click repeats the intent instead of flipping it.
    /// Without it (the original system's form and scripts), the session flips: open → closed,
    /// anything else → open.
    active: Option<String>,
}

async fn toggle(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ToggleForm>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let opening = match form.active.as_deref().map(str::trim) {
        None | Some("") if session.is_open(state.clock().now(), &state.settings().timezone) => {
            Opening::Closed
        }
        None | Some("") => Opening::KeepOpen,
        Some(value) => Opening::from_form(value).ok_or_else(|| {
            AppError::BadRequest("Choose close (0), keep open (1) or follow the window (window).".into())
        })?,
    };
    if session.cancelled {
        return Err(AppError::Conflict("This lecture is cancelled; restore it before opening it.".into()));
    }
    let text = match opening {
        Opening::Closed => "Session closed: no more marks are accepted.",
        Opening::KeepOpen => "Session kept open: students can mark until you close it.",
        Opening::FollowWindow => "Session follows its attendance window again.",
    };
    state.store().set_session_opening(session.id, opening, state.clock().now()).await?;
    state.attend_cache().forget(session.id);
    Ok(flash::redirect(&state, &format!("/session/{}/", session.id), flash::Kind::Success, text))
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
pub(super) fn file_stem(session: &Session) -> String {
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
