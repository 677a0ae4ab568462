//! When Firestore fails a mark: the "not recorded yet" page carries a pending mark (what the
//! server saw: the session, the number, the name, the attempt's time and whether it was late),
//! sealed so that only this app can read or make one. The phone sends it again — a plain
//! "Send again" button, or by itself with JavaScript — until it lands. It is accepted after the
//! window has closed if the attempt was inside it and is younger than `PENDING_MARK_HOURS`, and
//! it is exactly-once like any mark: the deterministic id decides.

use axum::extract::{Path, State};
use axum::response::Response;
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::admit::{self, Found, Refusal, Stage};
use super::cache::SessionInfo;
use super::device::DeviceMarks;
use super::pages::{SessionHeader, render};
use super::tokens::{self, PendingMark};
use crate::domain::{AdmissionNumber, SessionId, StudentName};
use crate::web::AppState;
use crate::web::cookies::{self, SetCookie};
use crate::web::view::clock;

#[derive(Serialize)]
struct PendingView {
    session: Option<SessionHeader>,
    session_id: String,
    token: String,
    admission_number: String,
    attempted: String,
    until: String,
}

/// The "not recorded yet" page with the sealed pending mark in its "Send again" form and in a
/// cookie, so that opening the attendance link again resumes it (with or without JavaScript).
/// `device`: the phone's marks with this attempt's student, so the phone is bound to that
/// student in this session from the first attempt, as it would be by a mark that landed.
pub(super) fn page(
    state: &AppState,
    session: SessionId,
    info: Option<&SessionInfo>,
    pending: &PendingMark,
    device: Option<DeviceMarks>,
    status: StatusCode,
) -> Response {
    let tz = &state.settings().timezone;
    let attempted = Timestamp::from_second(pending.attempted_at).unwrap_or(Timestamp::UNIX_EPOCH);
    let until = attempted + state.settings().pending_max_age;
    let token = tokens::seal_pending(state.signer(), session, pending);
    let view = PendingView {
        session: info.map(SessionHeader::new),
        session_id: session.to_string(),
        token: token.clone(),
        admission_number: pending.admission_number.clone(),
        attempted: clock(attempted, tz),
        until: until.to_zoned(tz.clone()).strftime("%H:%M on %a %-d %b").to_string(),
    };
    let mut response = render(state, "attend_pending", "Not recorded yet", &view, status);
    response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("5"));
    let left = (until.as_second() - state.clock().now_secs()).max(0);
    SetCookie::new(cookies::PENDING, token, state.secure_cookies())
        .max_age(left)
        .apply(response.headers_mut());
    if let Some(device) = device {
        super::remember_device(state, &device, &mut response);
    }
    response
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Resend {
    #[serde(default)]
    pending: String,
}

/// `POST /attend/<id>/pending/`: a pending mark sent again, through the same admission steps
/// as the form, with the window judged at the attempt's time.
pub(super) async fn resend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (network, headers, form) = match super::read_post::<Resend>(&state, request).await {
        Ok(post) => (post.network, post.headers, post.form.unwrap_or_default()),
        Err(too_slow) => return too_slow,
    };
    let deadline = tokio::time::Instant::now() + state.store().request_timeout();
    let mut info = None;
    match admit_pending(&state, &id, &headers, &network, &form, deadline, &mut info).await {
        Ok(response) => response,
        Err(refusal) => refusal.page(&state, info.as_deref(), Stage::Submitting),
    }
}

async fn admit_pending(
    state: &AppState,
    id: &str,
    headers: &http::HeaderMap,
    network: &str,
    form: &Resend,
    deadline: tokio::time::Instant,
    info: &mut Option<std::sync::Arc<SessionInfo>>,
) -> Result<Response, Refusal> {
    admit::origin(state, headers, network)?;
    // Checked before any read: a forged, edited or foreign one costs nothing.
    let Some((session_id, pending)) = SessionId::parse(id)
        .and_then(|s| tokens::open_pending(state.signer(), s, &form.pending).map(|p| (s, p)))
    else {
        tracing::warn!(target: "security", event = "pending_mark_refused", session = ?id);
        return Err(Refusal::PendingForged);
    };
    let attempted = Timestamp::from_second(pending.attempted_at).unwrap_or(Timestamp::UNIX_EPOCH);
    if state.clock().now().duration_since(attempted) > state.settings().pending_max_age {
        return Err(Refusal::PendingTooOld);
    }
    let read = match admit::session(state, Some(session_id), Some(deadline)).await? {
        Found::Read(read) => read,
        // Still down: the same pending mark, to be sent again.
        Found::Unreadable(_) => {
            return Ok(page(state, session_id, None, &pending, None, StatusCode::SERVICE_UNAVAILABLE));
        }
    };
    let info = info.insert(read);
    // The window is the attempt's, not now's: an outage must not cost the student the lecture.
    admit::window(state, info, attempted)?;
    // A form sent while the session could not be read skipped the rotating code's check.
    if !pending.checked && info.session.qr_mode == crate::model::QrMode::Rotating {
        return Err(Refusal::ScanAgain);
    }
    let (Ok(admission_number), Ok(student_name)) =
        (AdmissionNumber::parse(&pending.admission_number), StudentName::parse(&pending.student_name))
    else {
        return Err(Refusal::PendingUnreadable);
    };
    let student = admit::identity(Some(info), admit::Claim { admission_number, student_name })?;
    let device = admit::device(state, headers, info.session.id, &student)?;
    admit::budget(state, info.session.id, network, pending.network == network)?;
    let mark = admit::new_mark(state, info, &student, Some(attempted));
    Ok(match admit::commit(state, info, &mark, network, deadline).await? {
        Some(marking) => {
            tracing::info!(session = %session_id, "a pending mark landed");
            let mut response = super::landed(state, info, &mark, &marking, &device);
            SetCookie::removal(cookies::PENDING, state.secure_cookies()).apply(response.headers_mut());
            response
        }
        None => page(state, session_id, Some(info), &pending, Some(device), StatusCode::SERVICE_UNAVAILABLE),
    })
}
