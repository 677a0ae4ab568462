//! Logging a lecturer in and recognising them afterwards.
//!
//! Failed attempts are throttled per username and per client address in Firestore, so every
//! app instance enforces the same limits. Unknown usernames cost a full argon2 verification,
//! like known ones, so response time does not reveal which accounts exist.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use super::password::{verify_against_dummy, verify_password};
use super::tokens::{random_token, sha256_hex};
use crate::domain::{Username, encode_doc_key};
use crate::model::Lecturer;
use crate::store::{LoginSession, Store, StoreError};

/// How long a login lasts.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Logged out after this long without a request.
    pub idle: SignedDuration,
    /// Logged out this long after logging in, however active.
    pub absolute: SignedDuration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: SignedDuration::from_hours(2), absolute: SignedDuration::from_hours(12) }
    }
}

/// Failed-login limits within a sliding window of `BUCKETS` × `BUCKET_SECS`.
const BUCKET_SECS: i64 = 5 * 60;
const BUCKETS: i64 = 3;
pub const MAX_FAILURES_PER_USERNAME: u64 = 5;
/// Higher than per username: a department behind one NAT address shares it.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;

#[derive(Debug)]
pub enum LoginOutcome {
    /// The cookie value to set; only its hash is stored.
    LoggedIn { token: String, lecturer: Lecturer },
    /// Wrong username or password (deliberately not saying which).
    Refused,
    /// Right password, but the account is disabled.
    Disabled,
    /// Too many failures; try again after this many seconds.
    Throttled { retry_after_secs: u64 },
}

pub async fn log_in(
    store: &Store,
    username: &str,
    password: &str,
    client: IpAddr,
    policy: SessionPolicy,
) -> Result<LoginOutcome, StoreError> {
    let now = Timestamp::now();
    let user_key = format!("user_{}", encode_doc_key(&username.trim().to_lowercase()));
    let addr_key = format!("addr_{}", encode_doc_key(&client.to_string()));
    let (user_buckets, addr_buckets) = (bucket_ids(&user_key, now), bucket_ids(&addr_key, now));
    // Count this attempt first, atomically, and judge by the count it gets back: parallel
    // guesses each see a different number, so a burst cannot slip past the limit.
    let current = [user_buckets[0].clone(), addr_buckets[0].clone()];
    let expires = now + SignedDuration::from_secs(BUCKET_SECS * (BUCKETS + 1));
    let older: Vec<String> = user_buckets[1..].iter().chain(&addr_buckets[1..]).cloned().collect();
    let (counted, earlier) =
        tokio::try_join!(store.record_throttle_attempt(&current, expires), store.throttle_failures(&older))?;
    let (user_earlier, addr_earlier) = earlier.split_at(user_buckets.len() - 1);
    let user_attempts: Vec<u64> = std::iter::once(counted[0]).chain(user_earlier.iter().copied()).collect();
    let addr_attempts: Vec<u64> = std::iter::once(counted[1]).chain(addr_earlier.iter().copied()).collect();
    if let Some(retry_after_secs) = retry_after(&user_attempts, MAX_FAILURES_PER_USERNAME, now)
        .or_else(|| retry_after(&addr_attempts, MAX_FAILURES_PER_ADDRESS, now))
    {
        return Ok(LoginOutcome::Throttled { retry_after_secs });
    }

    let account = match Username::parse(username) {
        Ok(name) => store.lecturer_with_hash(&name).await?,
        Err(_) => None,
    };
    let candidate = password.to_owned();
    let verified = tokio::task::spawn_blocking(move || match account {
        Some((lecturer, hash)) => verify_password(&candidate, &hash).then_some(lecturer),
        None => {
            verify_against_dummy(&candidate);
            None
        }
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("password check did not finish: {e}")))?;

    // A failure stays counted.
    let Some(lecturer) = verified else {
        return Ok(LoginOutcome::Refused);
    };
    if !lecturer.active {
        return Ok(LoginOutcome::Disabled);
    }
    // A success wipes the account's slate and takes its attempt off the address's count.
    tokio::try_join!(
        store.clear_throttle(&user_buckets),
        store.undo_throttle_attempt(std::slice::from_ref(&addr_buckets[0]), expires),
    )?;
    let token = random_token();
    store
        .create_login_session(
            &sha256_hex(&token),
            &lecturer.username,
            lecturer.full_name.as_str(),
            &random_token(),
            now + policy.absolute,
        )
        .await?;
    Ok(LoginOutcome::LoggedIn { token, lecturer })
}

/// The live session a cookie token names, if any. Expired sessions are deleted on sight.
pub async fn authenticate(
    store: &Store,
    token: &str,
    policy: SessionPolicy,
) -> Result<Option<LoginSession>, StoreError> {
    let hash = sha256_hex(token);
    let Some(session) = store.login_session(&hash).await? else {
        return Ok(None);
    };
    let now = Timestamp::now();
    let idle_since = session.last_seen_at.unwrap_or(now);
    if session.expires_at <= now || now.duration_since(idle_since) > policy.idle {
        store.delete_login_session(&hash).await?;
        return Ok(None);
    }
    // Refresh the idle clock at most once a minute: one write per minute, not per request.
    if now.duration_since(idle_since) > SignedDuration::from_secs(60) {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_login_session(&hash).await {
                tracing::warn!(error = %e, "could not refresh a login session");
            }
        });
    }
    Ok(Some(session))
}

pub async fn log_out(store: &Store, token: &str) -> Result<(), StoreError> {
    store.delete_login_session(&sha256_hex(token)).await
}

/// Bucket ids of the window ending now, the current bucket first.
fn bucket_ids(key: &str, now: Timestamp) -> Vec<String> {
    let current = now.as_second().div_euclid(BUCKET_SECS);
    (0..BUCKETS).map(|i| format!("{key}_{}", current - i)).collect()
}

/// `None` while the attempts in the window (this one included) are within `max`; otherwise the
/// seconds until enough old ones leave the window for another attempt to be allowed.
fn retry_after(failures_newest_first: &[u64], max: u64, now: Timestamp) -> Option<u64> {
    let total: u64 = failures_newest_first.iter().sum();
    if total <= max {
        return None;
    }
    let bucket_start = now.as_second().div_euclid(BUCKET_SECS) * BUCKET_SECS;
    let mut remaining = total;
    // Walk from the oldest bucket: it leaves the window first.
    for (age, failures) in failures_newest_first.iter().enumerate().rev() {
        remaining -= failures;
        if remaining < max {
            let leaves_at = bucket_start - (age as i64) * BUCKET_SECS + BUCKETS * BUCKET_SECS;
            return Some(u64::try_from(leaves_at - now.as_second()).unwrap_or(1).max(1));
        }
    }
    Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("timestamp")
    }

    #[test]
    fn buckets_cover_the_window_newest_first() {
        let ids = bucket_ids("user_x", at(3 * BUCKET_SECS + 10));
        assert_eq!(ids, ["user_x_3", "user_x_2", "user_x_1"]);
    }

    #[test]
    fn retry_after_counts_down_to_when_the_oldest_failures_leave() {
        let now = at(10 * BUCKET_SECS + 60);
        assert_eq!(retry_after(&[1, 2, 2], 5, now), None, "the fifth attempt is allowed");
        // The sixth: two attempts in the oldest bucket (started 2 buckets ago) leave the window
        // when the bucket after the current one begins.
        assert_eq!(retry_after(&[2, 2, 2], 5, now), Some((BUCKET_SECS - 60) as u64));
        // All six in the current bucket: wait for the whole window.
        assert_eq!(retry_after(&[6, 0, 0], 5, now), Some((3 * BUCKET_SECS - 60) as u64));
    }
}
