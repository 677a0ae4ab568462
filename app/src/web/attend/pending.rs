//! When Firestore fails a mark: the "not recorded yet" page carries a pending mark (what the
//! server saw: the session, the number, the name, the attempt's time and whether it was late),
//! sealed so that only this app can read or make one. The phone sends it again — a plain
//! "Send again" button, or by itself with JavaScript — until it lands. It is accepted after the
//! window has closed if the attempt was inside it and is younger than `PENDING_MARK_HOURS`, and
//! it is exactly-once like any mark: the deterministic id decides.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::cache::SessionInfo;
use super::pages::{SessionHeader, closed, problem, render};
use super::tokens::{self, PendingMark};
use crate::domain::{AdmissionNumber, SessionId, StudentName};
use crate::model::{Availability, MarkSource, NewMark};
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
pub(super) fn page(
    state: &AppState,
    session: SessionId,
    info: Option<&SessionInfo>,
    pending: &PendingMark,
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
    response
}

#[derive(Debug, Deserialize)]
pub(super) struct Resend {
    #[serde(default)]
    pending: String,
}

/// `POST /attend/<id>/pending/`: a pending mark sent again.
pub(super) async fn resend(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<Resend>,
) -> Response {
    let deadline = tokio::time::Instant::now() + state.store().request_timeout();
    let refused = |state: &AppState, heading: &str, message: &str| {
        problem(state, None, StatusCode::BAD_REQUEST, heading, message.to_owned())
    };
    // Checked before any read: a forged, edited or foreign one costs nothing.
    let Some(pending) = SessionId::parse(&id)
        .and_then(|s| tokens::open_pending(state.signer(), s, &form.pending).map(|p| (s, p)))
    else {
        tracing::warn!(target: "security", event = "pending_mark_refused", session = %id);
        return refused(
            &state,
            "This saved attempt cannot be used",
            "It was changed, or it belongs to another lecture, so nothing was recorded. Open the attendance link again and submit the form.",
        );
    };
    let (session_id, pending) = pending;
    let attempted = Timestamp::from_second(pending.attempted_at).unwrap_or(Timestamp::UNIX_EPOCH);
    if state.clock().now().duration_since(attempted) > state.settings().pending_max_age {
        return refused(
            &state,
            "This saved attempt is too old",
            "Attempts are kept for a limited time and this one has expired, so nothing was recorded. Speak to your lecturer.",
        );
    }
    let info = match tokio::time::timeout_at(deadline, super::load(&state, &id)).await {
        Ok(Ok(info)) => info,
        // Still down: the same pending mark, to be sent again.
        Ok(Err(_)) | Err(_) if state.store().ping(std::time::Duration::from_millis(500)).await.is_err() => {
            return page(&state, session_id, None, &pending, StatusCode::SERVICE_UNAVAILABLE);
        }
        Ok(Err(response)) => return response,
        Err(_) => return page(&state, session_id, None, &pending, StatusCode::SERVICE_UNAVAILABLE),
    };
    let tz = &state.settings().timezone;
    // The window is the attempt's, not now's: an outage must not cost the student the lecture.
    match info.session.availability(attempted, tz) {
        Availability::Open => {}
        other => return closed(&state, &info, &other, StatusCode::CONFLICT),
    }
    if info.session.cancelled {
        return closed(&state, &info, &Availability::Cancelled, StatusCode::CONFLICT);
    }
    let (Ok(admission_number), Ok(student_name)) =
        (AdmissionNumber::parse(&pending.admission_number), StudentName::parse(&pending.student_name))
    else {
        return refused(
            &state,
            "This saved attempt cannot be used",
            "It could not be read, so nothing was recorded. Open the attendance link again.",
        );
    };
    // A form sent while the session could not be read skipped the rotating code's check.
    if !pending.checked && info.session.qr_mode == crate::model::QrMode::Rotating {
        return super::pages::scan_again(&state, &info);
    }
    let mark = NewMark {
        admission_number,
        student_name,
        // What the attempt's time earned (present, or late after the threshold).
        status: info.session.status_at(attempted, tz),
        source: MarkSource::Qr,
        expected_lessons: info.expected_lessons,
        attempted_at: Some(attempted),
    };
    match tokio::time::timeout_at(deadline, state.store().mark_attendance(&info.session, &mark)).await {
        Ok(Ok(marking)) => {
            tracing::info!(session = %session_id, "a pending mark landed");
            let mut response = super::receipt_redirect(&state, &info, &mark, &marking);
            SetCookie::new(cookies::PENDING, String::new(), state.secure_cookies())
                .max_age(0)
                .apply(response.headers_mut());
            response
        }
        Ok(Err(e)) if !e.is_transient() => crate::web::AppError::from(e).into_response(),
        _ => page(&state, session_id, Some(&info), &pending, StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// A form sent while its session could not be read at all (Firestore down, never read on this
/// instance): if the form is this site's for this session and the fields are well formed, the
/// attempt is kept as a pending mark; everything else is checked when it lands.
pub(super) fn without_session(
    state: &AppState,
    id: &str,
    form: Option<super::pages::AttendForm>,
) -> Response {
    let unavailable = || super::pages::unavailable(state, None);
    let (Some(session), Some(form)) = (SessionId::parse(id), form) else { return unavailable() };
    let now = state.clock().now_secs();
    let checked = match tokens::check_form_token(state.signer(), session, &form.form_token, now) {
        tokens::FormCheck::Valid { rotation_verified } => rotation_verified,
        _ => return unavailable(),
    };
    let (Ok(admission_number), Ok(student_name)) =
        (AdmissionNumber::parse(&form.admission_number), StudentName::parse(&form.student_name))
    else {
        return unavailable();
    };
    tracing::warn!(session = %session, "mark kept as pending: the session could not be read");
    let pending = PendingMark {
        admission_number: admission_number.to_string(),
        student_name: student_name.to_string(),
        attempted_at: now,
        late: false,
        checked,
    };
    page(state, session, None, &pending, StatusCode::SERVICE_UNAVAILABLE)
}
