//! Projector mode: a full-screen QR code with the live count (from the session's live feed). For a rotating session the code
//! changes every few seconds and carries a signed window token, so a photo of it shared in a
//! group chat stops working within about two windows.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use http::header::CACHE_CONTROL;
use serde::Serialize;

use crate::model::{QrMode, Session};
use crate::web::guard::Auth;
use crate::web::templates::Layout;
use crate::web::view::lecture_label;
use crate::web::{AppError, AppState, attend, owned};

#[derive(Serialize)]
struct PresentState {
    /// Changes when the code does.
    window: i64,
    svg: String,
    count: u64,
    seconds_left: i64,
    is_active: bool,
    rotating: bool,
}

/// The code to show now; with `count`, also how many are present (the page's first render:
/// after it, the count comes from the live feed, and the code alone costs no count query).
async fn current(state: &AppState, session: &Session, count: bool) -> Result<PresentState, AppError> {
    let now = state.clock().now_secs();
    let rotation = state.settings().qr_rotation_secs;
    let base = super::attend_url(state, session);
    let (window, url, seconds_left) = match session.qr_mode {
        QrMode::Static => (0, base, 0),
        QrMode::Rotating => {
            let window = attend::window(now, rotation);
            let token = attend::qr_token(state.signer(), session.id, window);
            (window, attend::rotating_url(&base, &token), (window + 1) * rotation - now)
        }
    };
    let label = format!("QR code to mark attendance for {} {}", session.unit_code, lecture_label(session));
    Ok(PresentState {
        window,
        svg: crate::qr::svg(&url, &label).map_err(|e| AppError::Internal(e.into()))?,
        count: if count { state.store().attendance_count(session.id).await? } else { 0 },
        seconds_left,
        is_active: session.is_open(state.clock().now(), &state.settings().timezone),
        rotating: session.qr_mode == QrMode::Rotating,
    })
}

#[derive(Serialize)]
struct PresentView {
    id: String,
    title: String,
    short_link: String,
    rotation_secs: i64,
    state: PresentState,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    let view = PresentView {
        id: session.id.to_string(),
        title: format!("{} {} · {}", session.unit_code, lecture_label(&session), session.venue),
        short_link: super::attend_url(&state, &session),
        rotation_secs: state.settings().qr_rotation_secs,
        state: current(&state, &session, true).await?,
    };
    let layout = Layout { script: true, ..auth.layout("Projector") };
    Ok(Html(state.templates().render("present", &layout, &view)?))
}

pub async fn poll(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = owned::session(&state, &auth, &id).await?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(current(&state, &session, false).await?)).into_response())
}
