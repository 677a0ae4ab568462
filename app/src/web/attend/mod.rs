//! The student's path: the QR code's short link `/A/<session>` (or `/attend/<session>/` from a
//! code printed before it), the form, the mark, the result.
//!
//! Built for 500 phones in two minutes: the page needs no JavaScript and is a few kilobytes;
//! the session is read at most once per few seconds per instance; a mark is one Firestore
//! commit whose answer already carries the student's new count; the result travels through a
//! signed redirect, so a refresh never resubmits and costs no database read.

pub mod budget;
pub mod cache;
mod pages;
mod pending;
pub mod short;
pub mod tokens;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::StatusCode;
use serde::Deserialize;

use self::cache::SessionInfo;
use self::pages::{AttendForm, closed, problem, render_form, scan_again, unavailable};
use self::tokens::{FormCheck, QrCheck, Receipt, ReceiptOutcome};
use super::cookies::{self, SetCookie};
use super::forms::FieldErrors;
use super::{AppError, AppState};
use crate::domain::{AdmissionNumber, SessionId, StudentName};
use crate::model::{Availability, MarkOutcome, MarkSource, MarkState, MarkStatus, Marking, NewMark, QrMode};
use crate::store::StoreError;

pub use short::rotating_url;
pub use tokens::{qr_token, window};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/attend/{id}/", get(form_page).post(submit))
        .route("/attend/{id}/done/", get(result_page))
        .route("/attend/{id}/pending/", axum::routing::post(pending::resend))
        .route("/A/{code}", get(short_link))
        .route("/a/{code}", get(short_link))
}

#[derive(Debug, Deserialize)]
struct AttendQuery {
    /// The rotating QR code's token.
    t: Option<String>,
}

/// The session behind a URL id, or the response to give instead.
async fn load(state: &AppState, id: &str) -> Result<std::sync::Arc<SessionInfo>, Response> {
    load_id(state, SessionId::parse(id)).await
}

/// The same for an id already parsed (`None`: the link held none).
async fn load_id(state: &AppState, id: Option<SessionId>) -> Result<std::sync::Arc<SessionInfo>, Response> {
    let not_found = || {
        problem(
            state,
            None,
            StatusCode::NOT_FOUND,
            "Session not found",
            "This attendance link does not lead to a session. Check that you scanned the code your lecturer is showing now.".into(),
        )
    };
    let id = id.ok_or_else(not_found)?;
    let now = state.clock().now();
    match state.attend_cache().get(state.store(), id, state.settings().expected_lessons, now).await {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(not_found()),
        Err(StoreError::Unavailable(cause)) => match state.attend_cache().last_known(id) {
            // Firestore is down, but this instance has seen the session: the form still works,
            // and a mark made now becomes a pending mark whose window is checked when it lands.
            Some(info) => {
                tracing::warn!(%cause, session = %id, "attendance page: Firestore unavailable; using the session as last read");
                Ok(info)
            }
            None => {
                tracing::warn!(%cause, "attendance page: Firestore unavailable");
                Err(unavailable(state, None))
            }
        },
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

async fn form_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AttendQuery>,
    headers: http::HeaderMap,
) -> Response {
    open_form(&state, SessionId::parse(&id), query.t.as_deref(), &headers).await
}

/// `/A/<session>[<token>]`, what the QR codes carry (see `short`). It serves the form itself,
/// with the same checks as `/attend/<session>/`, rather than redirecting there: one round trip
/// less for each of a full hall's phones on its Wi-Fi. The form still posts to
/// `/attend/<session>/`. A token in `?t=` is taken too, as on the long path.
async fn short_link(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<AttendQuery>,
    headers: http::HeaderMap,
) -> Response {
    let (id, token) = short::split(&code).unzip();
    open_form(&state, id, token.flatten().or(query.t.as_deref()), &headers).await
}

/// The form for a scan of session `id`'s code, whose rotating `token` (if any) is checked.
async fn open_form(
    state: &AppState,
    id: Option<SessionId>,
    token: Option<&str>,
    headers: &http::HeaderMap,
) -> Response {
    // This phone holds an attempt Firestore did not record: resume sending it, not a new form.
    if let Some(id) = id
        && let Some(held) = cookies::get(headers, cookies::PENDING, state.secure_cookies())
        && let Some(pending) = tokens::open_pending(state.signer(), id, held)
    {
        return pending::page(state, id, None, &pending, StatusCode::OK);
    }
    let info = match load_id(state, id).await {
        Ok(info) => info,
        // Firestore is down and this instance never read the session: a plain form naming
        // only the lecture, so the attempt can still be kept.
        Err(response) if response.status() == StatusCode::SERVICE_UNAVAILABLE => match id {
            Some(id) => {
                let verified = token.is_some_and(|t| {
                    let rotation = state.settings().qr_rotation_secs;
                    tokens::check_qr_token(state.signer(), id, t, state.clock().now_secs(), rotation)
                        == QrCheck::Fresh
                });
                let form_token = tokens::form_token(state.signer(), id, state.clock().now_secs(), verified);
                return pages::plain_form(state, id, form_token);
            }
            None => return response,
        },
        Err(response) => return response,
    };
    if let Some(refusal) = outside_window(state, &info, StatusCode::OK) {
        return refusal;
    }
    let rotation_verified = match info.session.qr_mode {
        QrMode::Static => false,
        QrMode::Rotating => {
            let rotation = state.settings().qr_rotation_secs;
            match token.map(|t| {
                tokens::check_qr_token(state.signer(), info.session.id, t, state.clock().now_secs(), rotation)
            }) {
                Some(QrCheck::Fresh) => true,
                _ => return scan_again(state, &info),
            }
        }
    };
    let token =
        tokens::form_token(state.signer(), info.session.id, state.clock().now_secs(), rotation_verified);
    render_form(state, &info, &AttendForm::default(), &FieldErrors::default(), None, token, StatusCode::OK)
}

/// The page to show instead of the form when the session is not taking marks now.
fn outside_window(state: &AppState, info: &SessionInfo, status: StatusCode) -> Option<Response> {
    let availability = info.session.availability(state.clock().now(), &state.settings().timezone);
    (availability != Availability::Open).then(|| closed(state, info, &availability, status))
}

/// The other site a POST came from, if the browser says it came from one: a hostile page must
/// not mark attendance (or plant the device cookie) from a visitor's phone.
fn cross_site(headers: &http::HeaderMap, state: &AppState) -> Option<String> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site == Some("cross-site") {
        return Some(site.unwrap_or_default().to_owned());
    }
    let origin = headers.get(http::header::ORIGIN)?.to_str().ok()?;
    let base = state.settings().base_url.as_str();
    let own =
        base.find("://").and_then(|i| base[i + 3..].find('/').map(|j| &base[..i + 3 + j])).unwrap_or(base);
    (origin != "null" && !origin.eq_ignore_ascii_case(own)).then(|| origin.to_owned())
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    // Firestore's part of a mark is bounded as a whole: when it stalls, the student hears
    // "not recorded" within FIRESTORE_TIMEOUT_SECS, however many calls the stall caught.
    let deadline = tokio::time::Instant::now() + state.store().request_timeout();
    let (parts, body) = request.into_parts();
    let network = crate::auth::login::network_of(crate::web::client::client_ip(&parts, &state));
    let headers = parts.headers.clone();
    let form: Result<Form<AttendForm>, _> =
        <Form<AttendForm> as axum::extract::FromRequest<AppState>>::from_request(
            axum::extract::Request::from_parts(parts, body),
            &state,
        )
        .await;
    if let Some(origin) = cross_site(&headers, &state) {
        tracing::warn!(target: "security", event = "cross_site_mark_refused", origin, network);
        return problem(
            &state,
            None,
            StatusCode::FORBIDDEN,
            "Open the form on this site",
            "This form was sent from another website, so nothing was recorded. Scan the code or open the link your lecturer shared, and submit the form there.".into(),
        );
    }
    let info = match tokio::time::timeout_at(deadline, load(&state, &id)).await {
        Ok(Ok(info)) => info,
        // The session could not be read (and this instance never read it): the attempt is
        // still kept, as a pending mark checked in full when it lands.
        Ok(Err(response)) if response.status() != StatusCode::SERVICE_UNAVAILABLE => return response,
        Ok(Err(_)) | Err(_) => match SessionId::parse(&id).and_then(|s| state.attend_cache().last_known(s)) {
            Some(info) => info,
            None => return pending::without_session(&state, &id, form.ok().map(|Form(f)| f)),
        },
    };
    let Ok(Form(form)) = form else {
        return problem(
            &state,
            Some(&info),
            StatusCode::BAD_REQUEST,
            "Please reload the page",
            "Your form could not be read. Reload the page and submit it again.".into(),
        );
    };
    let session = &info.session;
    if let Some(refusal) = outside_window(&state, &info, StatusCode::CONFLICT) {
        return refusal;
    }
    let rotating = session.qr_mode == QrMode::Rotating;
    match tokens::check_form_token(state.signer(), session.id, &form.form_token, state.clock().now_secs()) {
        FormCheck::Valid { rotation_verified } if rotation_verified || !rotating => {}
        FormCheck::Valid { .. } => return scan_again(&state, &info),
        FormCheck::Expired if rotating => return scan_again(&state, &info),
        FormCheck::Expired => {
            let notice = "This form had been open for a long time, so it was not sent. We kept what you typed: check it and submit again.";
            let fresh = tokens::form_token(state.signer(), session.id, state.clock().now_secs(), false);
            return render_form(
                &state,
                &info,
                &form,
                &FieldErrors::default(),
                Some(notice),
                fresh,
                StatusCode::BAD_REQUEST,
            );
        }
        FormCheck::Invalid => {
            return problem(
                &state,
                Some(&info),
                StatusCode::BAD_REQUEST,
                "Please reload the page",
                "This form did not come from this page or was changed, so nothing was recorded. Reload the page and submit again.".into(),
            );
        }
    }

    let mut errors = FieldErrors::default();
    let name = errors.check("student_name", StudentName::parse(&form.student_name));
    let admission = errors.check("admission_number", AdmissionNumber::parse(&form.admission_number));
    let (Some(student_name), Some(admission_number)) = (name, admission) else {
        // The same token again, not a fresh one: correcting a typo must not extend the time a
        // (rotating) scan stays good for.
        let token = form.form_token.clone();
        return render_form(&state, &info, &form, &errors, None, token, StatusCode::BAD_REQUEST);
    };

    let device = tokens::device_entries(
        state.signer(),
        cookies::get(&headers, cookies::DEVICE, state.secure_cookies()),
    );
    let key = admission_number.key();
    if state.settings().one_device_per_student
        && let Some((_, other)) =
            device.iter().find(|(s, k)| *s == session.id.to_string() && *k != key.as_str())
    {
        let other = crate::domain::AdmissionKey::parse(other)
            .map(|k| k.admission_number().to_string())
            .unwrap_or_default();
        return problem(
            &state,
            Some(&info),
            StatusCode::CONFLICT,
            "This phone has already been used",
            format!(
                "This phone already marked {other} in this session. Each phone can mark one student per lecture; {admission_number} must use their own phone."
            ),
        );
    }

    let mark = NewMark {
        admission_number,
        student_name,
        status: session.status_at(state.clock().now(), &state.settings().timezone),
        source: MarkSource::Qr,
        expected_lessons: info.expected_lessons,
        attempted_at: None,
    };
    if !state.mark_budget().spend(session.id, &network) {
        tracing::warn!(target: "security", event = "mark_cap_reached", session = %session.id, network, limit = state.mark_budget().limit());
        return problem(
            &state,
            Some(&info),
            StatusCode::TOO_MANY_REQUESTS,
            "Too many marks from this network",
            "This network has already sent more marks for this lecture than a full hall could. Nothing was recorded. Ask your lecturer to add you.".into(),
        );
    }
    let marking = match tokio::time::timeout_at(deadline, state.store().mark_attendance(session, &mark)).await
    {
        Ok(Ok(marking)) => marking,
        Ok(Err(e)) if !e.is_transient() => return AppError::from(e).into_response(),
        failed => {
            // Not recorded (or, after a time-out, perhaps recorded; a resend then finds it and
            // answers "already marked"). The phone keeps what the server saw and sends it again.
            if let Ok(Err(cause)) = failed {
                tracing::warn!(%cause, "mark not recorded: Firestore failed; the phone holds a pending mark");
            } else {
                tracing::warn!("mark not confirmed in time; the phone holds a pending mark");
            }
            let pending = tokens::PendingMark {
                admission_number: mark.admission_number.to_string(),
                student_name: mark.student_name.to_string(),
                attempted_at: state.clock().now_secs(),
                late: mark.status == MarkStatus::Late,
                checked: true,
            };
            return pending::page(&state, session.id, Some(&info), &pending, StatusCode::SERVICE_UNAVAILABLE);
        }
    };
    let mut response = receipt_redirect(&state, &info, &mark, &marking);
    let cookie = tokens::device_cookie(state.signer(), device, session.id, key.as_str());
    SetCookie::new(cookies::DEVICE, cookie, state.settings().base_url.is_https())
        .max_age(24 * 60 * 60)
        .apply(response.headers_mut());
    response
}

/// The redirect to the result page, carrying what the student may see of the outcome.
fn receipt_redirect(state: &AppState, info: &SessionInfo, mark: &NewMark, marking: &Marking) -> Response {
    let (outcome, record) = match &marking.outcome {
        MarkOutcome::Marked(r) => (ReceiptOutcome::Marked, r),
        MarkOutcome::AlreadyMarked(r) | MarkOutcome::Removed(r) if MarkState::of(r).lecturer_decided() => {
            (ReceiptOutcome::Removed, r)
        }
        MarkOutcome::AlreadyMarked(r) | MarkOutcome::Removed(r) => (ReceiptOutcome::Already, r),
    };
    // Someone else's first mark is not shown to whoever types their number: only a repeat
    // under the same name sees the name and the percentage.
    let same_person =
        outcome == ReceiptOutcome::Marked || record.student_name.is_same_name(mark.student_name.as_str());
    // To someone else, only "already marked": not when, not late, not removed.
    let receipt = if same_person {
        Receipt {
            outcome,
            name: record.student_name.to_string(),
            admission_number: record.admission_number.to_string(),
            marked_at: record.marked_at.as_second(),
            late: record.status == MarkStatus::Late,
            attended: marking.attended_in_term,
            private: false,
        }
    } else {
        Receipt {
            outcome: ReceiptOutcome::Already,
            name: String::new(),
            admission_number: record.admission_number.to_string(),
            marked_at: 0,
            late: false,
            attended: 0,
            private: true,
        }
    };
    let session = info.session.id;
    let sealed = tokens::seal_receipt(state.signer(), session, &receipt);
    let encoded: String = form_urlencoded::byte_serialize(sealed.as_bytes()).collect();
    Redirect::to(&format!("/attend/{session}/done/?r={encoded}")).into_response()
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    r: Option<String>,
}

async fn result_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Response {
    let info = match load(&state, &id).await {
        Ok(info) => info,
        Err(response) => return response,
    };
    let Some(receipt) =
        query.r.as_deref().and_then(|r| tokens::open_receipt(state.signer(), info.session.id, r))
    else {
        return Redirect::to(&format!("/attend/{}/", info.session.id)).into_response();
    };
    pages::result(&state, &info, receipt)
}
