//! Whether a login session may still act: its account must be active and on the access epoch
//! the session was made under (a disable or any password change gives the account a new one).
//! Checked on every lecturer request and every few seconds by an open event stream.
//!
//! The account is read at most once per [`FRESH_FOR`] per instance; the instance that ends an
//! account's access forgets its copy at once, so there the end is immediate, and elsewhere it
//! takes at most [`FRESH_FOR`]. Streams on this instance are told ([`AccessCache::ended`]).

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::broadcast;

use crate::domain::Username;
use crate::store::{AccountAccess, Store, StoreError};

/// How long an account's state read from Firestore is trusted on an instance.
pub const FRESH_FOR: SignedDuration = SignedDuration::from_secs(5);
/// Accounts remembered at once (far more than lecturers signed in on one instance).
const REMEMBERED: usize = 10_000;

pub struct AccessCache {
    accounts: Mutex<HashMap<Username, (Timestamp, Option<AccountAccess>)>>,
    ended: broadcast::Sender<Ended>,
}

/// An end of access on this instance, for the event streams it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Every session of the account (disabled, password changed).
    Account(Username),
    /// One login session (logged out), by its token's hash.
    Session(String),
}

impl Default for AccessCache {
    fn default() -> Self {
        Self { accounts: Mutex::default(), ended: broadcast::channel(64).0 }
    }
}

impl AccessCache {
    /// Whether a session of `username` made under `epoch` may act at `now`.
    pub async fn allows(
        &self,
        store: &Store,
        username: &Username,
        epoch: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let account = match self.fresh(username, now) {
            Some(account) => account,
            None => {
                let account = store.account_access(username).await?;
                self.remember(username, now, account.clone());
                account
            }
        };
        Ok(account.is_some_and(|a| a.active && a.epoch == epoch))
    }

    fn fresh(&self, username: &Username, now: Timestamp) -> Option<Option<AccountAccess>> {
        let accounts = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (read_at, account) = accounts.get(username)?;
        let age = now.duration_since(*read_at);
        (age >= SignedDuration::ZERO && age < FRESH_FOR).then(|| account.clone())
    }

    fn remember(&self, username: &Username, now: Timestamp, account: Option<AccountAccess>) {
        let mut accounts = self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if accounts.len() >= REMEMBERED {
            accounts.retain(|_, (read_at, _)| now.duration_since(*read_at) < FRESH_FOR);
        }
        if accounts.len() < REMEMBERED {
            accounts.insert(username.clone(), (now, account));
        }
    }

    /// This instance ended `ended`: the account is read afresh next time, and its streams end.
    pub fn end(&self, ended: Ended) {
        if let Ended::Account(username) = &ended {
            self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(username);
        }
        // No stream listening is fine.
        let _ = self.ended.send(ended);
    }

    /// The ends of access on this instance from now on.
    pub fn ended(&self) -> broadcast::Receiver<Ended> {
        self.ended.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Username {
        Username::parse("jkamau").expect("user")
    }

    fn access(epoch: &str, active: bool) -> Option<AccountAccess> {
        Some(AccountAccess { active, epoch: epoch.to_owned() })
    }

    #[test]
    fn a_copy_is_trusted_for_a_few_seconds_and_an_end_here_forgets_it() {
        let cache = AccessCache::default();
        let now = Timestamp::from_second(1_700_000_000).expect("ts");
        cache.remember(&user(), now, access("e1", true));
        assert_eq!(cache.fresh(&user(), now + SignedDuration::from_secs(4)), Some(access("e1", true)));
        assert_eq!(cache.fresh(&user(), now + FRESH_FOR), None, "stale");
        assert_eq!(cache.fresh(&user(), now - SignedDuration::from_secs(1)), None, "a clock moved back");
        let mut ended = cache.ended();
        cache.end(Ended::Account(user()));
        assert_eq!(cache.fresh(&user(), now), None, "forgotten at once");
        assert_eq!(ended.try_recv().expect("told"), Ended::Account(user()));
    }
}
