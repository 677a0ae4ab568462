//! The admission of a student's mark: one pipeline of named steps, shared by the form, the
//! pending mark sent again, and the form sent while the session could not be read. Each step
//! passes on what it found or refuses with a [`Refusal`], and [`Refusal::page`] is the one place
//! that turns a refusal into what the student sees. A new rule (a proof of identity, say) is one
//! more step here and one more arm there.
//!
//! The order matters: nothing that costs a Firestore read runs before the cheap checks that a
//! forged request fails, and the per-network budget is spent last, just before the commit.

use std::sync::Arc;

use http::HeaderMap;
use jiff::Timestamp;

mod refusal;

use axum::response::Response;

pub(super) use self::refusal::{Refusal, Stage};
use super::cache::SessionInfo;
use super::device::DeviceMarks;
use super::pages::{self, AttendForm};
use super::tokens::{self, FormCheck, QrCheck};
use crate::domain::{AdmissionNumber, SessionId, StudentName};
use crate::model::{Availability, MarkOutcome, Marking, NewMark, QrMode};
use crate::store::StoreError;
use crate::web::AppState;
use crate::web::cookies;
use crate::web::forms::FieldErrors;

/// origin: a hostile page must not mark attendance (or plant the device cookie) from a
/// visitor's phone. A browser with Fetch Metadata must say the POST is `same-origin` (or
/// `none`, typed by the user); one without must send this site's exact `Origin`. Every form of
/// ours is same-origin, so `Origin: null` (a sandboxed frame, a `data:` page) or none at all is
/// refused.
pub(super) fn origin(state: &AppState, headers: &HeaderMap, network: &str) -> Result<(), Refusal> {
    let site = headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or("(not text)"));
    let origin = headers.get(http::header::ORIGIN).map(|v| v.to_str().unwrap_or("(not text)"));
    let refused = match (site, origin) {
        (Some("same-origin" | "none"), _) => None,
        (Some(site), _) => Some(format!("Sec-Fetch-Site: {site}")),
        (None, Some(origin)) if origin.eq_ignore_ascii_case(&own_origin(state)) => None,
        (None, Some(origin)) => Some(format!("Origin: {origin}")),
        (None, None) => Some("no Origin".to_owned()),
    };
    match refused {
        Some(said) => {
            tracing::warn!(target: "security", event = "cross_site_mark_refused", said = ?said, network);
            Err(Refusal::CrossSite)
        }
        None => Ok(()),
    }
}

/// `scheme://host[:port]` of `BASE_URL`, as browsers spell an `Origin`.
fn own_origin(state: &AppState) -> String {
    let base = state.settings().base_url.as_str();
    let own =
        base.find("://").and_then(|i| base[i + 3..].find('/').map(|j| &base[..i + 3 + j])).unwrap_or(base);
    own.to_owned()
}

/// What the session step found.
pub(super) enum Found {
    /// Read now, or (Firestore down) as this instance last read it.
    Read(Arc<SessionInfo>),
    /// Firestore is down and this instance never read the session.
    Unreadable(SessionId),
}

/// session: the session behind the link, read at most once per few seconds per instance.
/// With Firestore down, the session as this instance last read it keeps the form working, and
/// a mark made then becomes a pending mark whose window is checked again when it lands.
pub(super) async fn session(
    state: &AppState,
    id: Option<SessionId>,
    deadline: Option<tokio::time::Instant>,
) -> Result<Found, Refusal> {
    let id = id.ok_or(Refusal::NoSession)?;
    let now = state.clock().now();
    let read = state.attend_cache().get(state.store(), id, state.settings().expected_lessons, now);
    let read = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, read)
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("no answer before the deadline".into()))),
        None => read.await,
    };
    match read {
        Ok(Some(info)) => Ok(Found::Read(info)),
        Ok(None) => Err(Refusal::NoSession),
        Err(StoreError::Unavailable(cause)) => match state.attend_cache().last_known(id) {
            Some(info) => {
                tracing::warn!(%cause, session = %id, "attendance: Firestore unavailable; using the session as last read");
                Ok(Found::Read(info))
            }
            None => {
                tracing::warn!(%cause, session = %id, "attendance: Firestore unavailable and the session never read here");
                Ok(Found::Unreadable(id))
            }
        },
        Err(e) => Err(Refusal::Store(e)),
    }
}

/// window: whether the session takes marks at `at` (now, or a pending mark's attempt).
pub(super) fn window(state: &AppState, info: &SessionInfo, at: Timestamp) -> Result<(), Refusal> {
    match info.session.availability(at, &state.settings().timezone) {
        Availability::Open => Ok(()),
        other => Err(Refusal::NotOpen(other)),
    }
}

/// scan: a rotating code's token in the link must be fresh; returns whether one was checked.
pub(super) fn scan(state: &AppState, info: &SessionInfo, token: Option<&str>) -> Result<bool, Refusal> {
    match info.session.qr_mode {
        QrMode::Static => Ok(false),
        QrMode::Rotating if scanned_fresh(state, info.session.id, token) => Ok(true),
        QrMode::Rotating => Err(Refusal::ScanAgain),
    }
}

/// Whether `token` is a fresh rotating-code token for `session`.
pub(super) fn scanned_fresh(state: &AppState, session: SessionId, token: Option<&str>) -> bool {
    let rotation = state.settings().qr_rotation_secs;
    token.is_some_and(|t| {
        tokens::check_qr_token(state.signer(), session, t, state.clock().now_secs(), rotation)
            == QrCheck::Fresh
    })
}

/// token: the form came from this site for this session, recently enough, and (for a rotating
/// code) from a fresh scan.
pub(super) fn token(state: &AppState, info: &SessionInfo, form: &AttendForm) -> Result<(), Refusal> {
    let rotating = info.session.qr_mode == QrMode::Rotating;
    match tokens::check_form_token(
        state.signer(),
        info.session.id,
        &form.form_token,
        state.clock().now_secs(),
    ) {
        FormCheck::Valid { rotation_verified } if rotation_verified || !rotating => Ok(()),
        FormCheck::Valid { .. } | FormCheck::Expired if rotating => Err(Refusal::ScanAgain),
        FormCheck::Expired => Err(Refusal::FormExpired(form.clone())),
        FormCheck::Valid { .. } | FormCheck::Invalid => Err(Refusal::FormForged),
    }
}

/// The same for a form sent while its session could not be read: only the signature and age
/// can be checked; returns whether it came from a fresh rotating scan (the code's mode is
/// checked when the pending mark lands).
pub(super) fn token_unread(state: &AppState, session: SessionId, form: &AttendForm) -> Result<bool, Refusal> {
    match tokens::check_form_token(state.signer(), session, &form.form_token, state.clock().now_secs()) {
        FormCheck::Valid { rotation_verified } => Ok(rotation_verified),
        FormCheck::Expired | FormCheck::Invalid => Err(Refusal::Unavailable),
    }
}

/// Who the student says they are, as typed.
#[derive(Debug, Clone)]
pub(super) struct Claim {
    pub(super) admission_number: AdmissionNumber,
    pub(super) student_name: StudentName,
}

/// fields: the typed name and admission number, well formed.
pub(super) fn fields(form: &AttendForm) -> Result<Claim, Refusal> {
    let mut errors = FieldErrors::default();
    let name = errors.check("student_name", StudentName::parse(&form.student_name));
    let admission = errors.check("admission_number", AdmissionNumber::parse(&form.admission_number));
    match (name, admission) {
        (Some(student_name), Some(admission_number)) => Ok(Claim { admission_number, student_name }),
        _ => Err(Refusal::Fields(form.clone(), errors)),
    }
}

/// The student a mark is for, and how they showed who they are.
#[derive(Debug, Clone)]
pub(super) struct Student {
    pub(super) admission_number: AdmissionNumber,
    pub(super) student_name: StudentName,
}

/// identity: who the mark is for. A typed claim is taken as it stands; a unit that asks for
/// proof (a university sign-in, a passkey) refuses a bare claim here.
pub(super) fn identity(_info: Option<&SessionInfo>, claim: Claim) -> Result<Student, Refusal> {
    Ok(Student { admission_number: claim.admission_number, student_name: claim.student_name })
}

/// device: one phone marks one student per session. Returns the phone's marks with this one
/// remembered, for the cookie the answer sets.
pub(super) fn device(
    state: &AppState,
    headers: &HeaderMap,
    session: SessionId,
    student: &Student,
) -> Result<DeviceMarks, Refusal> {
    let marks =
        DeviceMarks::open(state.signer(), cookies::get(headers, cookies::DEVICE, state.secure_cookies()));
    let key = student.admission_number.key();
    if state.settings().one_device_per_student
        && let Some(marked) = marks.other_student(session, &key)
    {
        return Err(Refusal::OtherStudent { marked, asked: student.admission_number.clone() });
    }
    Ok(marks.with(session, key))
}

/// budget: whether the network's budget for the session has room for a mark, unless this
/// attempt was checked there already (a pending mark sent again from the network that made
/// it). Only a created mark spends it (see [`commit`]).
pub(super) fn budget(
    state: &AppState,
    session: SessionId,
    network: &str,
    checked: bool,
) -> Result<(), Refusal> {
    if checked || state.mark_budget().has_room(session, network) {
        return Ok(());
    }
    tracing::warn!(target: "security", event = "mark_cap_reached", session = %session, network, limit = state.mark_budget().limit());
    Err(Refusal::BudgetSpent)
}

/// The mark a student's own attempt at `at` earns (present, or late after the threshold).
pub(super) fn new_mark(
    state: &AppState,
    info: &SessionInfo,
    student: &Student,
    attempted: Option<Timestamp>,
) -> NewMark {
    let at = attempted.unwrap_or_else(|| state.clock().now());
    NewMark {
        status: info.session.status_at(at, &state.settings().timezone),
        admission_number: student.admission_number.clone(),
        student_name: student.student_name.clone(),
        source: crate::model::MarkSource::Qr,
        expected_lessons: info.expected_lessons,
        attempted_at: attempted,
    }
}

/// commit: the mark in one Firestore commit, bounded by `deadline`. `None`: Firestore failed
/// (down, stalled, contended), so the attempt is to be kept as a pending mark; a refusal a
/// repeat would not fix is an error page.
pub(super) async fn commit(
    state: &AppState,
    info: &SessionInfo,
    mark: &NewMark,
    network: &str,
    deadline: tokio::time::Instant,
) -> Result<Option<Marking>, Refusal> {
    match tokio::time::timeout_at(deadline, state.store().mark_attendance(&info.session, mark)).await {
        Ok(Ok(marking)) => {
            if matches!(marking.outcome, MarkOutcome::Marked(_)) {
                state.mark_budget().spend(info.session.id, network);
            }
            Ok(Some(marking))
        }
        Ok(Err(e)) if !e.is_transient() => Err(Refusal::Store(e)),
        Ok(Err(cause)) => {
            tracing::warn!(%cause, session = %info.session.id, "mark not recorded: Firestore failed; the phone keeps a pending mark");
            Ok(None)
        }
        Err(_) => {
            // Perhaps recorded: a resend then finds it and answers "already marked".
            tracing::warn!(session = %info.session.id, "mark not confirmed in time; the phone keeps a pending mark");
            Ok(None)
        }
    }
}

/// What a pending mark made now holds: the student, whether the attempt was late (judged
/// again when it lands, for one whose session could not be read), whether the session's code
/// checks were made, and the network that spent its budget.
pub(super) fn pending_mark(
    state: &AppState,
    student: &Student,
    late: bool,
    checked: bool,
    network: &str,
) -> tokens::PendingMark {
    tokens::PendingMark {
        admission_number: student.admission_number.to_string(),
        student_name: student.student_name.to_string(),
        attempted_at: state.clock().now_secs(),
        late,
        checked,
        network: network.to_owned(),
    }
}

/// The plain form shown while the session cannot be read, so an attempt can still be kept.
pub(super) fn unread_form(state: &AppState, id: SessionId, token: Option<&str>) -> Response {
    let verified = scanned_fresh(state, id, token);
    let form_token = tokens::form_token(state.signer(), id, state.clock().now_secs(), verified);
    pages::plain_form(state, id, form_token)
}
