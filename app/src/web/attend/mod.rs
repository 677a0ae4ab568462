//! The student's path: the QR code's short link `/A/<session>` (or `/attend/<session>/` from a
//! code printed before it), the form, the mark, the result.
//!
//! Built for 500 phones in two minutes: the page needs no JavaScript and is a few kilobytes;
//! the session is read at most once per few seconds per instance; a mark is one Firestore
//! commit whose answer already carries the student's new count; the result travels through a
//! signed redirect, so a refresh never resubmits and costs no database read.

mod admit;
mod base36;
pub mod budget;
pub mod cache;
mod device;
mod pages;
mod pending;
pub mod short;
pub mod tokens;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::StatusCode;
use serde::Deserialize;

use self::admit::{Found, Refusal, Stage};
use self::cache::SessionInfo;
use self::device::DeviceMarks;
use self::pages::{AttendForm, render_form};
use self::tokens::{Receipt, ReceiptOutcome};
use super::AppState;
use super::cookies::{self, SetCookie};
use super::forms::FieldErrors;
use crate::domain::SessionId;
use crate::model::{MarkOutcome, MarkState, MarkStatus, Marking, NewMark};

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

/// How long a phone may take to send the form's body (at most 64 KB). The Firestore deadline
/// starts only once it has arrived, so a slow upload cannot spend it.
const BODY_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

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
        return pending::page(state, id, None, &pending, None, StatusCode::OK);
    }
    let info = match admit::session(state, id, None).await {
        Ok(Found::Read(info)) => info,
        // Firestore is down and this instance never read the session: a plain form naming
        // only the lecture, so the attempt can still be kept.
        Ok(Found::Unreadable(id)) => return admit::unread_form(state, id, token),
        Err(refusal) => return refusal.page(state, None, Stage::Opening),
    };
    let opened =
        admit::window(state, &info, state.clock().now()).and_then(|()| admit::scan(state, &info, token));
    match opened {
        Ok(verified) => {
            let token =
                tokens::form_token(state.signer(), info.session.id, state.clock().now_secs(), verified);
            render_form(
                state,
                &info,
                &AttendForm::default(),
                &FieldErrors::default(),
                None,
                token,
                StatusCode::OK,
            )
        }
        Err(refusal) => refusal.page(state, Some(&info), Stage::Opening),
    }
}

/// `POST /attend/<id>/`: the form, through the admission steps, into one commit.
async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let Post { network, headers, form } = match read_post::<AttendForm>(&state, request).await {
        Ok(post) => post,
        Err(too_slow) => return too_slow,
    };
    // Firestore's part of a mark is bounded as a whole, from here: when it stalls, the student
    // hears "not recorded" within FIRESTORE_TIMEOUT_SECS, however many calls the stall caught.
    let deadline = tokio::time::Instant::now() + state.store().request_timeout();
    let mut info = None;
    match admit_form(&state, SessionId::parse(&id), &headers, &network, form, deadline, &mut info).await {
        Ok(response) => response,
        Err(refusal) => refusal.page(&state, info.as_deref(), Stage::Submitting),
    }
}

/// The steps of a submitted form; `info` is the session once it is known (for the page).
async fn admit_form(
    state: &AppState,
    id: Option<SessionId>,
    headers: &http::HeaderMap,
    network: &str,
    form: Option<AttendForm>,
    deadline: tokio::time::Instant,
    info: &mut Option<Arc<SessionInfo>>,
) -> Result<Response, Refusal> {
    admit::origin(state, headers, network)?;
    let found = admit::session(state, id, Some(deadline)).await?;
    let form = form.ok_or(Refusal::Unreadable);
    let read = match found {
        Found::Read(read) => read,
        // The session could not be read (and this instance never read it): the attempt is
        // still kept, as a pending mark checked in full when it lands.
        Found::Unreadable(id) => {
            let form = form.map_err(|_| Refusal::Unavailable)?;
            let checked = admit::token_unread(state, id, &form)?;
            let claim = admit::fields(&form).map_err(|_| Refusal::Unavailable)?;
            let student = admit::identity(None, claim)?;
            let device = admit::device(state, headers, id, &student)?;
            admit::budget(state, id, network, false)?;
            tracing::warn!(session = %id, "mark kept as pending: the session could not be read");
            let pending = admit::pending_mark(state, &student, false, checked, network);
            return Ok(pending::page(
                state,
                id,
                None,
                &pending,
                Some(device),
                StatusCode::SERVICE_UNAVAILABLE,
            ));
        }
    };
    let info = info.insert(read);
    let form = form?;
    admit::window(state, info, state.clock().now())?;
    admit::token(state, info, &form)?;
    let claim = admit::fields(&form)?;
    let student = admit::identity(Some(info), claim)?;
    let device = admit::device(state, headers, info.session.id, &student)?;
    admit::budget(state, info.session.id, network, false)?;
    let mark = admit::new_mark(state, info, &student, None);
    Ok(match admit::commit(state, info, &mark, network, deadline).await? {
        Some(marking) => landed(state, info, &mark, &marking, &device),
        None => {
            // Not recorded (or, after a time-out, perhaps recorded; a resend then finds it and
            // answers "already marked"). The phone keeps what the server saw and sends it again.
            let late = mark.status == MarkStatus::Late;
            let pending = admit::pending_mark(state, &student, late, true, network);
            pending::page(
                state,
                info.session.id,
                Some(info),
                &pending,
                Some(device),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
    })
}

/// A POST of the student path as it arrived: from which network, with which headers, and its
/// form (`None` when the body did not read as one).
struct Post<T> {
    network: String,
    headers: http::HeaderMap,
    form: Option<T>,
}

/// Reads a POST's form within [`BODY_READ_LIMIT`]; a body slower than that gets the "took too
/// long" page, and nothing is recorded.
async fn read_post<T: serde::de::DeserializeOwned>(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<Post<T>, Response> {
    let (parts, body) = request.into_parts();
    let network = crate::auth::login::network_of(crate::web::client::client_ip(&parts, state));
    let headers = parts.headers.clone();
    let read = <Form<T> as axum::extract::FromRequest<AppState>>::from_request(
        axum::extract::Request::from_parts(parts, body),
        state,
    );
    match tokio::time::timeout(BODY_READ_LIMIT, read).await {
        Ok(form) => Ok(Post { network, headers, form: form.map(|Form(f)| f).ok() }),
        Err(_) => Err(too_slow(state)),
    }
}

/// The body took longer than [`BODY_READ_LIMIT`] to arrive: nothing was read or recorded.
fn too_slow(state: &AppState) -> Response {
    pages::problem(
        state,
        None,
        StatusCode::REQUEST_TIMEOUT,
        "The form took too long to arrive",
        "Your phone's connection was too slow to send the form, so nothing was recorded. Move to a better signal and submit again.".into(),
    )
}

/// A mark that landed: the result page's redirect, with the device cookie remembering it.
fn landed(
    state: &AppState,
    info: &SessionInfo,
    mark: &NewMark,
    marking: &Marking,
    device: &DeviceMarks,
) -> Response {
    let mut response = receipt_redirect(state, info, mark, marking);
    remember_device(state, device, &mut response);
    response
}

/// Sets the device cookie (a day long: one phone, one student, per lecture).
fn remember_device(state: &AppState, device: &DeviceMarks, response: &mut Response) {
    SetCookie::new(cookies::DEVICE, device.seal(state.signer()), state.secure_cookies())
        .max_age(24 * 60 * 60)
        .apply(response.headers_mut());
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
    let info = match admit::session(&state, SessionId::parse(&id), None).await {
        Ok(Found::Read(info)) => info,
        Ok(Found::Unreadable(_)) => return pages::unavailable(&state, None),
        Err(refusal) => return refusal.page(&state, None, Stage::Opening),
    };
    let Some(receipt) =
        query.r.as_deref().and_then(|r| tokens::open_receipt(state.signer(), info.session.id, r))
    else {
        return Redirect::to(&format!("/attend/{}/", info.session.id)).into_response();
    };
    pages::result(&state, &info, receipt)
}
