//! The student's path: `/attend/<session>/` from the QR code, the form, the mark, the result.
//!
//! Built for 500 phones in two minutes: the page needs no JavaScript and is a few kilobytes;
//! the session is read at most once per few seconds per instance; a mark is one Firestore
//! commit whose answer already carries the student's new count; the result travels through a
//! signed redirect, so a refresh never resubmits and costs no database read.

pub mod cache;
pub mod tokens;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use self::cache::SessionInfo;
use self::tokens::{FormCheck, QrCheck, Receipt};
use super::cookies::{self, SetCookie};
use super::forms::FieldErrors;
use super::templates::Layout;
use super::view::{clock, date, lecture_label, percentage, time};
use super::{AppError, AppState};
use crate::domain::{AdmissionNumber, SessionId, StudentName};
use crate::model::{MarkOutcome, MarkSource, MarkStatus, NewMark, QrMode, Session};
use crate::store::StoreError;

pub use tokens::{qr_token, window};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/attend/{id}/", get(form_page).post(submit))
        .route("/attend/{id}/done/", get(result_page))
}

#[derive(Debug, Deserialize)]
struct AttendQuery {
    /// The rotating QR code's token.
    t: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct AttendForm {
    #[serde(default)]
    student_name: String,
    #[serde(default)]
    admission_number: String,
    #[serde(default)]
    form_token: String,
}

/// The session header every student page shows.
#[derive(Serialize)]
struct SessionHeader {
    id: String,
    unit_code: String,
    unit_name: String,
    lecture: String,
    date: String,
    time: String,
    venue: String,
}

impl SessionHeader {
    fn new(info: &SessionInfo) -> Self {
        let s = &info.session;
        Self {
            id: s.id.to_string(),
            unit_code: s.unit_code.to_string(),
            unit_name: info.unit_name.clone(),
            lecture: lecture_label(s),
            date: date(s.date),
            time: format!("{}–{}", time(s.times.start()), time(s.times.end())),
            venue: s.venue.to_string(),
        }
    }
}

#[derive(Serialize)]
struct FormView<'a> {
    session: SessionHeader,
    values: &'a AttendForm,
    token: String,
    errors: FormErrors<'a>,
    notice: Option<&'a str>,
}

#[derive(Serialize, Default)]
struct FormErrors<'a> {
    student_name: Option<&'a str>,
    admission_number: Option<&'a str>,
}

/// A page that explains why nothing (or something else) happened.
#[derive(Serialize)]
struct Problem<'a> {
    session: Option<SessionHeader>,
    heading: &'a str,
    message: String,
    /// Where "try again" leads, if anywhere.
    retry_href: Option<String>,
}

fn layout(title: &str) -> Layout {
    Layout { light: true, ..Layout::public(title) }
}

fn render(
    state: &AppState,
    template: &str,
    title: &str,
    view: &impl Serialize,
    status: StatusCode,
) -> Response {
    match state.templates().render(template, &layout(title), view) {
        Ok(html) => (status, [(http::header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn problem(
    state: &AppState,
    info: Option<&SessionInfo>,
    status: StatusCode,
    heading: &str,
    message: String,
) -> Response {
    let retry_href = info.map(|i| format!("/attend/{}/", i.session.id));
    let view = Problem { session: info.map(SessionHeader::new), heading, message, retry_href };
    render(state, "attend_problem", heading, &view, status)
}

fn closed(state: &AppState, info: &SessionInfo, status: StatusCode) -> Response {
    problem(
        state,
        Some(info),
        status,
        "This session is closed",
        "The lecturer has closed attendance for this lecture, so your attendance was not recorded. If you are in the room, speak to the lecturer.".into(),
    )
}

fn scan_again(state: &AppState, info: &SessionInfo) -> Response {
    let view = Problem {
        session: Some(SessionHeader::new(info)),
        heading: "Scan the code on the screen again",
        message: "This session's code changes every few seconds and the one you used has expired. Scan the code on the screen now; your attendance has not been recorded yet.".into(),
        retry_href: None,
    };
    render(state, "attend_problem", "Scan again", &view, StatusCode::BAD_REQUEST)
}

fn unavailable(state: &AppState, info: Option<&SessionInfo>) -> Response {
    problem(
        state,
        info,
        StatusCode::SERVICE_UNAVAILABLE,
        "Not recorded: please try again",
        "The attendance service could not reach its database, so your attendance was NOT recorded. Wait a moment and submit again.".into(),
    )
}

/// The session behind a URL id, or the response to give instead.
async fn load(state: &AppState, id: &str) -> Result<std::sync::Arc<SessionInfo>, Response> {
    let not_found = || {
        problem(
            state,
            None,
            StatusCode::NOT_FOUND,
            "Session not found",
            "This attendance link does not lead to a session. Check that you scanned the code your lecturer is showing now.".into(),
        )
    };
    let id = SessionId::parse(id).ok_or_else(not_found)?;
    match state.attend_cache().get(state.store(), id, state.settings().expected_lessons).await {
        Ok(Some(info)) => Ok(info),
        Ok(None) => Err(not_found()),
        Err(StoreError::Unavailable(cause)) => {
            tracing::warn!(%cause, "attendance page: Firestore unavailable");
            Err(unavailable(state, None))
        }
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

fn now_secs() -> i64 {
    Timestamp::now().as_second()
}

fn render_form(
    state: &AppState,
    info: &SessionInfo,
    values: &AttendForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    rotation_verified: bool,
    status: StatusCode,
) -> Response {
    let view = FormView {
        session: SessionHeader::new(info),
        values,
        token: tokens::form_token(state.signer(), info.session.id, now_secs(), rotation_verified),
        errors: FormErrors {
            student_name: errors.first("student_name"),
            admission_number: errors.first("admission_number"),
        },
        notice,
    };
    render(state, "attend_form", "Mark attendance", &view, status)
}

async fn form_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<AttendQuery>,
) -> Response {
    let info = match load(&state, &id).await {
        Ok(info) => info,
        Err(response) => return response,
    };
    if !info.session.is_active {
        return closed(&state, &info, StatusCode::OK);
    }
    let rotation_verified = match info.session.qr_mode {
        QrMode::Static => false,
        QrMode::Rotating => {
            let rotation = state.settings().qr_rotation_secs;
            match query
                .t
                .as_deref()
                .map(|t| tokens::check_qr_token(state.signer(), info.session.id, t, now_secs(), rotation))
            {
                Some(QrCheck::Fresh) => true,
                _ => return scan_again(&state, &info),
            }
        }
    };
    render_form(
        &state,
        &info,
        &AttendForm::default(),
        &FieldErrors::default(),
        None,
        rotation_verified,
        StatusCode::OK,
    )
}

/// Present, or late once the session's late threshold after its start has passed.
fn status_now(session: &Session, tz: &jiff::tz::TimeZone) -> MarkStatus {
    let start = session.date.to_datetime(session.times.start()).to_zoned(tz.clone());
    let late_from =
        start.map(|s| s.timestamp() + SignedDuration::from_mins(i64::from(session.late_after_minutes)));
    match late_from {
        Ok(late_from) if Timestamp::now() > late_from => MarkStatus::Late,
        _ => MarkStatus::Present,
    }
}

async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<AttendForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let info = match load(&state, &id).await {
        Ok(info) => info,
        Err(response) => return response,
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
    if !session.is_active {
        return closed(&state, &info, StatusCode::CONFLICT);
    }
    let rotating = session.qr_mode == QrMode::Rotating;
    match tokens::check_form_token(state.signer(), session.id, &form.form_token, now_secs()) {
        FormCheck::Valid { rotation_verified } if rotation_verified || !rotating => {}
        FormCheck::Valid { .. } => return scan_again(&state, &info),
        FormCheck::Expired if rotating => return scan_again(&state, &info),
        FormCheck::Expired => {
            let notice = "This form had been open for a long time, so it was not sent. We kept what you typed: check it and submit again.";
            return render_form(
                &state,
                &info,
                &form,
                &FieldErrors::default(),
                Some(notice),
                false,
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
        return render_form(&state, &info, &form, &errors, None, rotating, StatusCode::BAD_REQUEST);
    };

    let device = tokens::device_entries(state.signer(), cookies::get(&headers, cookies::DEVICE));
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
        status: status_now(session, &state.settings().timezone),
        source: MarkSource::Qr,
    };
    let marking = match state.store().mark_attendance(session, &mark).await {
        Ok(marking) => marking,
        Err(StoreError::Unavailable(cause)) => {
            tracing::warn!(%cause, "mark not recorded: Firestore unavailable");
            return unavailable(&state, Some(&info));
        }
        Err(e) => return AppError::from(e).into_response(),
    };
    let (outcome, record) = match &marking.outcome {
        MarkOutcome::Marked(r) => ("marked", r),
        MarkOutcome::AlreadyMarked(r) => ("already", r),
        MarkOutcome::Removed(r) => ("removed", r),
    };
    let receipt = Receipt {
        outcome: outcome.into(),
        name: record.student_name.to_string(),
        admission_number: record.admission_number.to_string(),
        marked_at: record.marked_at.as_second(),
        status: record.status.as_str().into(),
        attended: marking.attended_in_term,
    };
    let sealed = tokens::seal_receipt(state.signer(), session.id, &receipt);
    let encoded: String = form_urlencoded::byte_serialize(sealed.as_bytes()).collect();
    let mut response = Redirect::to(&format!("/attend/{}/done/?r={encoded}", session.id)).into_response();
    let cookie = tokens::device_cookie(state.signer(), device, session.id, key.as_str());
    SetCookie::new(cookies::DEVICE, cookie, state.settings().base_url.is_https())
        .max_age(24 * 60 * 60)
        .apply(response.headers_mut());
    response
}

#[derive(Debug, Deserialize)]
struct DoneQuery {
    r: Option<String>,
}

#[derive(Serialize)]
struct ResultView {
    session: SessionHeader,
    outcome: String,
    late: bool,
    name: String,
    admission_number: String,
    marked_at: String,
    attended: u64,
    expected: u32,
    percentage: String,
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
    let marked_at = Timestamp::from_second(receipt.marked_at)
        .map(|t| clock(t, &state.settings().timezone))
        .unwrap_or_default();
    let title = match receipt.outcome.as_str() {
        "marked" => "Attendance recorded",
        "already" => "Already marked",
        _ => "Mark removed",
    };
    let view = ResultView {
        session: SessionHeader::new(&info),
        late: receipt.status == "late",
        percentage: percentage(receipt.attended, u64::from(info.expected_lessons)),
        expected: info.expected_lessons,
        outcome: receipt.outcome,
        name: receipt.name,
        admission_number: receipt.admission_number,
        marked_at,
        attended: receipt.attended,
    };
    render(&state, "attend_result", title, &view, StatusCode::OK)
}
