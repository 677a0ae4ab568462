//! Loading a lecturer's own units and sessions. Someone else's answers exactly like a missing
//! one (404), so ids reveal nothing; a malformed id is a 404 without a Firestore read.

use super::guard::Auth;
use super::{AppError, AppState};
use crate::domain::{SessionId, UnitCode};
use crate::model::{Session, Unit};

pub async fn session(state: &AppState, auth: &Auth, id: &str) -> Result<Session, AppError> {
    let id = SessionId::parse(id).ok_or(AppError::NotFound)?;
    match state.store().session(id).await? {
        Some(session) if session.lecturer == auth.username => Ok(session),
        _ => Err(AppError::NotFound),
    }
}

pub async fn unit(state: &AppState, auth: &Auth, code: &str) -> Result<Unit, AppError> {
    let code = UnitCode::parse(code).map_err(|_| AppError::NotFound)?;
    match state.store().unit(&code).await? {
        Some(unit) if unit.lecturer == auth.username => Ok(unit),
        _ => Err(AppError::NotFound),
    }
}
