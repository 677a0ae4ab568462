//! The student pages: the form, the result, and every "that did not work" page, rendered light
//! (no lecturer stylesheet; at most a small optional script, for a lost connection or a
//! pending mark) and never cached.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::cache::SessionInfo;
use super::tokens::{Receipt, ReceiptOutcome};
use crate::domain::SessionId;
use crate::model::Availability;
use crate::web::AppState;
use crate::web::forms::FieldErrors;
use crate::web::templates::Layout;
use crate::web::view::{clock, date, lecture_label, percentage, time};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub(super) struct AttendForm {
    #[serde(default)]
    pub(super) student_name: String,
    #[serde(default)]
    pub(super) admission_number: String,
    #[serde(default)]
    pub(super) form_token: String,
}

/// The session header every student page shows.
#[derive(Serialize)]
pub(super) struct SessionHeader {
    id: String,
    unit_code: String,
    unit_name: String,
    lecture: String,
    date: String,
    time: String,
    venue: String,
}

impl SessionHeader {
    /// For a session that could not be read: only which lecture it is.
    pub(super) fn unknown(id: SessionId) -> Self {
        Self {
            id: id.to_string(),
            unit_code: String::new(),
            unit_name: "This lecture".into(),
            lecture: String::new(),
            date: String::new(),
            time: String::new(),
            venue: String::new(),
        }
    }

    pub(super) fn new(info: &SessionInfo) -> Self {
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

pub(super) fn render(
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

pub(super) fn problem(
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

/// Why marking is not possible now: not open yet, closed (by the clock or by the lecturer), or
/// cancelled.
pub(super) fn closed(
    state: &AppState,
    info: &SessionInfo,
    availability: &Availability,
    status: StatusCode,
) -> Response {
    let when = |at: &jiff::Zoned| {
        if at.date() == state.now_local().date() {
            at.strftime("%H:%M").to_string()
        } else {
            at.strftime("%H:%M on %a %-d %b").to_string()
        }
    };
    let (heading, message) = match availability {
        Availability::NotYet { opens } => (
            format!("Attendance opens at {}", when(opens)),
            format!(
                "This lecture's attendance opens at {}. Nothing was recorded: open this link again then.",
                when(opens)
            ),
        ),
        Availability::Closed { at: Some(at) } => (
            format!("Attendance closed at {}", when(at)),
            "Attendance for this lecture has closed, so your attendance was not recorded. If you were in the room, speak to the lecturer.".into(),
        ),
        Availability::Cancelled => (
            "This lecture was cancelled".into(),
            "The lecturer cancelled this lecture, so there is no attendance to mark.".into(),
        ),
        Availability::Closed { at: None } | Availability::Open => (
            "This session is closed".into(),
            "The lecturer has closed attendance for this lecture, so your attendance was not recorded. If you are in the room, speak to the lecturer.".into(),
        ),
    };
    // No "back to the form": it would lead to this same page.
    let view =
        Problem { session: Some(SessionHeader::new(info)), heading: &heading, message, retry_href: None };
    render(state, "attend_problem", &heading, &view, status)
}

pub(super) fn scan_again(state: &AppState, info: &SessionInfo) -> Response {
    let view = Problem {
        session: Some(SessionHeader::new(info)),
        heading: "Scan the code on the screen again",
        message: "This session's code changes every few seconds and the one you used has expired. Scan the code on the screen now; your attendance has not been recorded yet.".into(),
        retry_href: None,
    };
    render(state, "attend_problem", "Scan again", &view, StatusCode::BAD_REQUEST)
}

pub(super) fn unavailable(state: &AppState, info: Option<&SessionInfo>) -> Response {
    problem(
        state,
        info,
        StatusCode::SERVICE_UNAVAILABLE,
        "Not recorded: please try again",
        "The attendance service could not reach its database, so your attendance was NOT recorded. Wait a moment and submit again.".into(),
    )
}

/// The form when the session cannot be read (Firestore down, never read here): it names only
/// the lecture; what is sent becomes a pending mark, checked in full when it lands.
pub(super) fn plain_form(state: &AppState, id: SessionId, token: String) -> Response {
    let view = FormView {
        session: SessionHeader::unknown(id),
        values: &AttendForm::default(),
        token,
        errors: FormErrors::default(),
        notice: Some(
            "The attendance service is having trouble right now. Fill in the form anyway: your attempt is kept and sent again until it is recorded.",
        ),
    };
    render(state, "attend_form", "Mark attendance", &view, StatusCode::OK)
}

pub(super) fn render_form(
    state: &AppState,
    info: &SessionInfo,
    values: &AttendForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    token: String,
    status: StatusCode,
) -> Response {
    let view = FormView {
        session: SessionHeader::new(info),
        values,
        token,
        errors: FormErrors {
            student_name: errors.first("student_name"),
            admission_number: errors.first("admission_number"),
        },
        notice,
    };
    render(state, "attend_form", "Mark attendance", &view, status)
}

#[derive(Serialize)]
struct ResultView {
    private: bool,
    session: SessionHeader,
    outcome: &'static str,
    late: bool,
    name: String,
    admission_number: String,
    marked_at: String,
    attended: u64,
    expected: u32,
    percentage: String,
}

/// The page after a mark, from its receipt.
pub(super) fn result(state: &AppState, info: &SessionInfo, receipt: Receipt) -> Response {
    let marked_at = Timestamp::from_second(receipt.marked_at)
        .map(|t| clock(t, &state.settings().timezone))
        .unwrap_or_default();
    let title = match receipt.outcome {
        ReceiptOutcome::Marked => "Attendance recorded",
        ReceiptOutcome::Already => "Already marked",
        ReceiptOutcome::Removed => "Mark removed",
    };
    let view = ResultView {
        private: receipt.private,
        session: SessionHeader::new(info),
        late: receipt.late,
        percentage: percentage(receipt.attended, u64::from(info.expected_lessons.get())),
        expected: info.expected_lessons.get(),
        outcome: receipt.outcome.as_str(),
        name: receipt.name,
        admission_number: receipt.admission_number,
        marked_at,
        attended: receipt.attended,
    };
    render(state, "attend_result", title, &view, StatusCode::OK)
}
