//! Logging a lecturer in and recognising them afterwards.
//!
//! Throttling follows OWASP's authentication guidance: it must slow guessing without letting an
//! attacker lock the real lecturer out. Attempts are counted per (account, network) and per
//! network (an IPv4 address, or an IPv6 /64, since one host owns a whole /64). Only the first
//! refuses, and only that account from that network. A busy network, and failures per account
//! from anywhere, only slow verification down: on a campus behind one address, one student's
//! failures cannot keep the lecturers there out, and the correct password from a network that
//! has not been failing at that account always gets in. Counters live in Firestore, so every app instance enforces the same limits.
//! Unknown usernames cost a full argon2 verification, like known ones, so response time does
//! not reveal which accounts exist.

use std::net::IpAddr;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::access::AccessCache;
use super::password::{Busy, PasswordGate};
use super::tokens::{random_token, sha256_hex};
use crate::config::SessionPolicy;
use crate::domain::Username;
use crate::model::{Lecturer, PasswordHash};
use crate::store::{LoginSession, NewLoginSession, Store, StoreError, ThrottleSubject};

/// Attempt limits within a sliding window of `BUCKETS` × `BUCKET_SECS`.
const BUCKET_SECS: i64 = 5 * 60;
const BUCKETS: i64 = 3;
/// Attempts at one account from one network.
pub const MAX_ATTEMPTS_PER_ACCOUNT_AND_NETWORK: u64 = 5;
/// Attempts at any account from one network: higher, a department behind one NAT shares it.
pub const MAX_ATTEMPTS_PER_NETWORK: u64 = 20;
/// Failures at one account from anywhere after which every attempt at it is slowed down.
pub const SLOW_DOWN_AFTER_ACCOUNT_FAILURES: u64 = 10;
const SLOW_DOWN: Duration = Duration::from_secs(2);
/// Longer usernames are refused before any work (Django's limit).
pub const MAX_USERNAME_CHARS: usize = 150;

#[derive(Debug)]
pub enum LoginOutcome {
    /// The cookie value to set; only its hash is stored.
    LoggedIn { token: String, lecturer: Box<Lecturer> },
    /// Wrong username or password (deliberately not saying which).
    Refused,
    /// Too many attempts from this network; try again after this many seconds.
    Throttled { retry_after_secs: u64 },
    /// Every password check is busy; try again in a few seconds.
    Busy,
}

/// The network an address belongs to for throttling: IPv6 addresses by their /64.
pub fn network_of(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Who is logging in, from where, and when (the app's clock: throttling windows and expiry are
/// judged by it, so tests move it instead of rewriting stored times).
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub client: IpAddr,
    pub now: Timestamp,
}

pub async fn log_in(
    store: &Store,
    gate: &PasswordGate,
    attempt: Attempt<'_>,
    policy: SessionPolicy,
) -> Result<LoginOutcome, StoreError> {
    let Attempt { username, password, client, now } = attempt;
    let user = username.trim().to_lowercase();
    let network = network_of(client);
    let throttle = Throttle::new(&user, &network, now);
    let found = match Username::parse(username) {
        Ok(name) => store.lecturer_with_hash(&name).await?,
        Err(_) => None,
    };
    let (lecturer, hash) = match found {
        Some((lecturer, hash)) => (Some(lecturer), Some(hash)),
        None => (None, None),
    };
    let lecturer = match throttle.verify(store, gate, password, hash, now).await? {
        Checked::Throttled { retry_after_secs } => {
            tracing::warn!(target: "security", event = "login_throttled", username = ?user, network, retry_after_secs);
            return Ok(LoginOutcome::Throttled { retry_after_secs });
        }
        Checked::Busy => {
            tracing::warn!(target: "security", event = "login_busy", username = ?user, network);
            return Ok(LoginOutcome::Busy);
        }
        Checked::Wrong => None,
        Checked::Right => lecturer,
    };
    let Some(lecturer) = lecturer else {
        throttle.failed(store).await?;
        tracing::warn!(target: "security", event = "login_failed", username = ?user, network);
        return Ok(LoginOutcome::Refused);
    };
    if !lecturer.active {
        // The same answer as a wrong password: a disabled account does not confirm a password
        // (which may be in use elsewhere), and the attempt counts like a failure.
        throttle.failed(store).await?;
        tracing::warn!(target: "security", event = "login_disabled_account", username = ?user, network);
        return Ok(LoginOutcome::Refused);
    }
    throttle.succeeded(store).await?;
    let token = random_token();
    // Made under the epoch read with the password: an end of access since then (a disable or
    // a password change while this login ran) leaves this session dead on its first request.
    store
        .create_login_session(&NewLoginSession {
            token_hash: &sha256_hex(&token),
            lecturer: &lecturer.username,
            full_name: lecturer.full_name.as_str(),
            csrf_token: &random_token(),
            must_change_password: lecturer.must_change_password,
            admin: lecturer.admin,
            expires_at: now + policy.absolute,
            seen_at: now,
            access_epoch: &lecturer.access_epoch,
            network: &network,
        })
        .await?;
    let trimmed = store.trim_login_sessions(&lecturer.username).await?;
    if trimmed > 0 {
        tracing::info!(target: "security", event = "login_sessions_trimmed", username = ?user, ended = trimmed);
    }
    tracing::info!(target: "security", event = "login_succeeded", username = ?user, network);
    Ok(LoginOutcome::LoggedIn { token, lecturer: Box::new(lecturer) })
}

/// What `/account/password/` learns of the current password a signed-in lecturer typed.
#[derive(Debug, PartialEq, Eq)]
pub enum CurrentPassword {
    Right,
    Wrong,
    /// Too many wrong ones from this network: the same limit as logins to the account.
    Throttled {
        retry_after_secs: u64,
    },
    Busy,
}

/// Checks a signed-in lecturer's current password under the login limits: a stolen session
/// is not an unthrottled way to guess the password. Failures count against the account as
/// failed logins do.
pub async fn check_current_password(
    store: &Store,
    gate: &PasswordGate,
    attempt: Attempt<'_>,
) -> Result<CurrentPassword, StoreError> {
    let Attempt { username, password, client, now } = attempt;
    let network = network_of(client);
    let throttle = Throttle::new(username, &network, now);
    let hash = match Username::parse(username) {
        Ok(name) => store.lecturer_with_hash(&name).await?.map(|(_, hash)| hash),
        Err(_) => None,
    };
    Ok(match throttle.verify(store, gate, password, hash, now).await? {
        Checked::Right => {
            throttle.succeeded(store).await?;
            CurrentPassword::Right
        }
        Checked::Wrong => {
            throttle.failed(store).await?;
            tracing::warn!(target: "security", event = "current_password_failed", username = ?username, network);
            CurrentPassword::Wrong
        }
        Checked::Throttled { retry_after_secs } => {
            tracing::warn!(target: "security", event = "current_password_throttled", username = ?username, network, retry_after_secs);
            CurrentPassword::Throttled { retry_after_secs }
        }
        Checked::Busy => CurrentPassword::Busy,
    })
}

/// The counters one login attempt is judged by: its (account, network) pair, its network and
/// its account, each a sliding window of buckets.
struct Throttle<'a> {
    pair: Vec<(ThrottleSubject<'a>, i64)>,
    net: Vec<(ThrottleSubject<'a>, i64)>,
    account: Vec<(ThrottleSubject<'a>, i64)>,
    expires: Timestamp,
}

/// What the counters say of an attempt.
enum Counted {
    Allowed,
    /// Allowed, after a wait: the account failed too often from elsewhere, or this network
    /// (perhaps a campus behind one address) made many attempts.
    Slowed,
    /// Refused: too many attempts at this account from this network; nothing stays counted.
    Refused {
        retry_after_secs: u64,
    },
}

/// A password checked under the counters.
enum Checked {
    Right,
    Wrong,
    Throttled { retry_after_secs: u64 },
    Busy,
}

impl<'a> Throttle<'a> {
    fn new(user: &'a str, network: &'a str, now: Timestamp) -> Self {
        let current = bucket(now);
        Self {
            pair: window(ThrottleSubject::AccountFrom(user, network), current),
            net: window(ThrottleSubject::Network(network), current),
            account: window(ThrottleSubject::Account(user), current),
            expires: now + SignedDuration::from_secs(BUCKET_SECS * (BUCKETS + 1)),
        }
    }

    /// This attempt's own counters: the current bucket of the pair and of the network.
    fn this(&self) -> [(ThrottleSubject<'a>, i64); 2] {
        [self.pair[0], self.net[0]]
    }

    /// Counts this attempt first, atomically, and judges by the count it gets back: parallel
    /// guesses each see a different number, so a burst cannot slip past the limit.
    async fn count(&self, store: &Store, now: Timestamp) -> Result<Counted, StoreError> {
        let older: Vec<_> =
            self.pair[1..].iter().chain(&self.net[1..]).chain(&self.account).copied().collect();
        let this = self.this();
        let (counted, earlier) =
            tokio::try_join!(store.add_to_throttle(&this, 1, self.expires), store.throttle_counts(&older))?;
        let (pair_earlier, rest) = earlier.split_at(self.pair.len() - 1);
        let (net_earlier, account_counts) = rest.split_at(self.net.len() - 1);
        let pair: Vec<u64> = std::iter::once(counted[0]).chain(pair_earlier.iter().copied()).collect();
        let net: Vec<u64> = std::iter::once(counted[1]).chain(net_earlier.iter().copied()).collect();
        if let Some(retry_after_secs) = retry_after(&pair, MAX_ATTEMPTS_PER_ACCOUNT_AND_NETWORK, now) {
            // A refused attempt does not count: hammering cannot push the end of the wait back.
            self.refund(store).await?;
            return Ok(Counted::Refused { retry_after_secs });
        }
        // A busy network only slows down: one student failing on a campus address must not
        // keep every lecturer behind it out.
        let busy_network = retry_after(&net, MAX_ATTEMPTS_PER_NETWORK, now).is_some();
        let failing_account = account_counts.iter().sum::<u64>() >= SLOW_DOWN_AFTER_ACCOUNT_FAILURES;
        Ok(if busy_network || failing_account { Counted::Slowed } else { Counted::Allowed })
    }

    /// Counts the attempt, waits if the counters say so, and verifies `password` against `hash`
    /// (a dummy verification when there is none). Busy attempts are taken back.
    async fn verify(
        &self,
        store: &Store,
        gate: &PasswordGate,
        password: &str,
        hash: Option<PasswordHash>,
        now: Timestamp,
    ) -> Result<Checked, StoreError> {
        match self.count(store, now).await? {
            Counted::Refused { retry_after_secs } => return Ok(Checked::Throttled { retry_after_secs }),
            Counted::Slowed => tokio::time::sleep(SLOW_DOWN).await,
            Counted::Allowed => {}
        }
        let known = hash.is_some();
        match gate.verify(password, hash).await {
            Ok(true) if known => Ok(Checked::Right),
            Ok(_) => Ok(Checked::Wrong),
            Err(Busy) => {
                self.refund(store).await?;
                Ok(Checked::Busy)
            }
        }
    }

    /// Takes this attempt back (it was refused, or never checked).
    async fn refund(&self, store: &Store) -> Result<(), StoreError> {
        let this = self.this();
        store.add_to_throttle(&this, -1, self.expires).await.map(|_| ())
    }

    /// A wrong password: the attempt stays counted against this network, and the account
    /// remembers it.
    async fn failed(&self, store: &Store) -> Result<(), StoreError> {
        store.add_to_throttle(&self.account[..1], 1, self.expires).await.map(|_| ())
    }

    /// A success wipes this network's slate for the account and takes its attempt off the
    /// network's count.
    async fn succeeded(&self, store: &Store) -> Result<(), StoreError> {
        tokio::try_join!(
            store.clear_throttle(&self.pair),
            store.add_to_throttle(&self.net[..1], -1, self.expires)
        )
        .map(|_| ())
    }
}

/// The live session a cookie token names at `now` (the app's clock), if any: not expired, not
/// idle too long, and its account active and still on the session's access epoch (see
/// `access`). A dead session is deleted on sight.
pub async fn authenticate(
    store: &Store,
    access: &AccessCache,
    token: &str,
    policy: SessionPolicy,
    now: Timestamp,
) -> Result<Option<LoginSession>, StoreError> {
    let hash = sha256_hex(token);
    let Some(session) = store.login_session(&hash).await? else {
        return Ok(None);
    };
    let idle_since = session.last_seen_at.unwrap_or(now);
    let alive = session.expires_at > now
        && now.duration_since(idle_since) <= policy.idle
        && access.allows(store, &session.lecturer, &session.access_epoch, now).await?;
    if !alive {
        store.delete_login_session(&hash).await?;
        return Ok(None);
    }
    // Refresh the idle clock at most once a minute: one write per minute, not per request.
    if now.duration_since(idle_since) > SignedDuration::from_secs(60) {
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_login_session(&hash, now).await {
                tracing::warn!(error = %e, "could not refresh a login session");
            }
        });
    }
    Ok(Some(session))
}

pub async fn log_out(store: &Store, token: &str) -> Result<(), StoreError> {
    store.delete_login_session(&sha256_hex(token)).await
}

/// A subject's buckets of the window ending in `current`, newest first.
fn window(subject: ThrottleSubject<'_>, current: i64) -> Vec<(ThrottleSubject<'_>, i64)> {
    (0..BUCKETS).map(|age| (subject, current - age)).collect()
}

/// The bucket `now` falls in.
fn bucket(now: Timestamp) -> i64 {
    now.as_second().div_euclid(BUCKET_SECS)
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
    fn buckets_are_consecutive_windows() {
        assert_eq!(bucket(at(3 * BUCKET_SECS + 10)), 3);
        assert_eq!(bucket(at(3 * BUCKET_SECS - 1)), 2);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(c));
        assert_eq!(network_of("::ffff:10.0.0.7".parse().expect("ip")), "10.0.0.7");
        assert_eq!(network_of("10.0.0.7".parse().expect("ip")), "10.0.0.7");
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
