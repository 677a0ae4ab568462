//! Why a mark is not made, and the one place each refusal becomes the page a student sees.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::super::cache::SessionInfo;
use super::super::pages::{AttendForm, closed, problem, render_form, scan_again, unavailable};
use super::super::tokens;
use crate::domain::AdmissionNumber;
use crate::model::Availability;
use crate::store::StoreError;
use crate::web::forms::FieldErrors;
use crate::web::{AppError, AppState};

/// Why a mark is not made (or not yet): each maps to one page in [`Refusal::page`].
#[derive(Debug)]
pub(in crate::web::attend) enum Refusal {
    /// No such session (or a link that names none).
    NoSession,
    /// Firestore is down and nothing can be kept.
    Unavailable,
    /// Sent from another website.
    CrossSite,
    /// The form's body could not be read.
    Unreadable,
    /// Not taking marks at the time that counts.
    NotOpen(Availability),
    /// A rotating code's scan is missing or too old.
    ScanAgain,
    /// The form sat on the phone too long: shown again with what was typed.
    FormExpired(AttendForm),
    /// The form did not come from this page for this session.
    FormForged,
    /// A field is missing or malformed: shown again with the messages.
    Fields(AttendForm, FieldErrors),
    /// This phone already marked another student in this session.
    OtherStudent {
        marked: AdmissionNumber,
        asked: AdmissionNumber,
    },
    /// This network sent more marks for this session than a full hall could.
    BudgetSpent,
    /// A pending mark that was changed, or is for another session.
    PendingForged,
    PendingTooOld,
    PendingUnreadable,
    /// Firestore refused the write for a reason a repeat will not fix.
    Store(StoreError),
}

/// Where the refusal happened: opening the form shows "closed" with 200, a submission 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::web::attend) enum Stage {
    Opening,
    Submitting,
}

impl Refusal {
    /// The page for this refusal, headed by the session when it is known. Long on purpose: one
    /// arm per refusal, so every message a student can get is in this one place.
    pub(in crate::web::attend) fn page(
        self,
        state: &AppState,
        info: Option<&SessionInfo>,
        stage: Stage,
    ) -> Response {
        let saved = |heading: &str, message: &str| {
            problem(state, None, StatusCode::BAD_REQUEST, heading, message.to_owned())
        };
        match (self, info) {
            (Self::NotOpen(availability), Some(info)) => {
                let status = if stage == Stage::Opening { StatusCode::OK } else { StatusCode::CONFLICT };
                closed(state, info, &availability, status)
            }
            (Self::ScanAgain, Some(info)) => scan_again(state, info),
            (Self::FormExpired(form), Some(info)) => {
                let notice = "This form had been open for a long time, so it was not sent. We kept what you typed: check it and submit again.";
                let fresh = tokens::form_token(state.signer(), info.session.id, state.clock().now_secs(), false);
                render_form(state, info, &form, &FieldErrors::default(), Some(notice), fresh, StatusCode::BAD_REQUEST)
            }
            (Self::Fields(form, errors), Some(info)) => {
                // The same token again, not a fresh one: correcting a typo must not extend the
                // time a (rotating) scan stays good for.
                let token = form.form_token.clone();
                render_form(state, info, &form, &errors, None, token, StatusCode::BAD_REQUEST)
            }
            (Self::NoSession, _) => problem(
                state,
                None,
                StatusCode::NOT_FOUND,
                "Session not found",
                "This attendance link does not lead to a session. Check that you scanned the code your lecturer is showing now.".into(),
            ),
            (Self::CrossSite, _) => problem(
                state,
                None,
                StatusCode::FORBIDDEN,
                "Open the form on this site",
                "This form was sent from another website, so nothing was recorded. Scan the code or open the link your lecturer shared, and submit the form there.".into(),
            ),
            (Self::Unreadable, info) => problem(
                state,
                info,
                StatusCode::BAD_REQUEST,
                "Please reload the page",
                "Your form could not be read. Reload the page and submit it again.".into(),
            ),
            (Self::FormForged, info) => problem(
                state,
                info,
                StatusCode::BAD_REQUEST,
                "Please reload the page",
                "This form did not come from this page or was changed, so nothing was recorded. Reload the page and submit again.".into(),
            ),
            (Self::OtherStudent { marked, asked }, info) => problem(
                state,
                info,
                StatusCode::CONFLICT,
                "This phone has already been used",
                format!(
                    "This phone already marked {marked} in this session. Each phone can mark one student per lecture; {asked} must use their own phone."
                ),
            ),
            (Self::BudgetSpent, info) => problem(
                state,
                info,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many marks from this network",
                "This network has already sent more marks for this lecture than a full hall could. Nothing was recorded. Ask your lecturer to add you.".into(),
            ),
            (Self::PendingForged, _) => saved(
                "This saved attempt cannot be used",
                "It was changed, or it belongs to another lecture, so nothing was recorded. Open the attendance link again and submit the form.",
            ),
            (Self::PendingTooOld, _) => saved(
                "This saved attempt is too old",
                "Attempts are kept for a limited time and this one has expired, so nothing was recorded. Speak to your lecturer.",
            ),
            (Self::PendingUnreadable, _) => saved(
                "This saved attempt cannot be used",
                "It could not be read, so nothing was recorded. Open the attendance link again.",
            ),
            (Self::Store(e), _) => AppError::from(e).into_response(),
            // A refusal about the session's own state, with the session unknown: only the
            // form sent while Firestore was down gets here, and nothing could be kept.
            (Self::Unavailable | Self::NotOpen(_) | Self::ScanAgain | Self::FormExpired(_) | Self::Fields(..), info) => {
                unavailable(state, info)
            }
        }
    }
}
