//! An event stream lives only as long as the login that opened it: it ends when that login
//! is logged out, its account disabled or re-passworded (told at once on this instance, see
//! `auth::access`), or the session handed to another lecturer, checked at least every
//! [`RECHECK_EVERY`]. The browser's EventSource then reconnects through the login guard and
//! gets the login page's answer.

use std::sync::Arc;

use jiff::SignedDuration;
use tokio::sync::broadcast::error::RecvError;

use super::Watch;
use crate::auth::access::Ended;
use crate::auth::login::authenticate;
use crate::auth::tokens::sha256_hex;
use crate::domain::Username;
use crate::web::AppState;
use crate::web::guard::Auth;

/// The longest an open stream goes without re-checking its login. Each check costs at most
/// two reads: the login session, and the account (shared by the instance for a few seconds).
pub const RECHECK_EVERY: SignedDuration = SignedDuration::from_secs(30);

/// Resolves when `auth`'s login may no longer see `watch`.
pub fn ends(state: AppState, auth: &Auth, watch: Arc<Watch>) -> impl Future<Output = ()> + Send + use<> {
    let token = auth.token.clone();
    let hash = sha256_hex(&token);
    let username = auth.username.clone();
    let mut ended = state.access().ended();
    async move {
        let mut deadline = state.clock().now() + RECHECK_EVERY;
        loop {
            let check = tokio::select! {
                () = state.clock().sleep_until(deadline) => true,
                told = ended.recv() => match told {
                    Ok(Ended::Account(account)) => account == username,
                    Ok(Ended::Session(session)) => session == hash,
                    // Missed some news: check, to be sure.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                },
            };
            if check && !still_allowed(&state, &token, &username, &watch).await {
                tracing::info!(target: "security", event = "event_stream_ended", username = %username, session = %watch.session_id());
                return;
            }
            if check {
                deadline = state.clock().now() + RECHECK_EVERY;
            }
        }
    }
}

async fn still_allowed(state: &AppState, token: &str, username: &Username, watch: &Watch) -> bool {
    let now = state.clock().now();
    match authenticate(state.store(), state.access(), token, state.settings().session_policy, now).await {
        Ok(Some(session)) => session.lecturer == *username && watch.lecturer() == *username,
        Ok(None) => false,
        // Firestore trouble is not an end of access: the next check decides.
        Err(e) => {
            tracing::warn!(error = %e, "could not re-check an event stream's login");
            true
        }
    }
}
