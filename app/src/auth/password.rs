//! argon2id password hashing. Hashing is CPU-heavy (tens of milliseconds by design), so callers
//! in async code run it on the blocking pool.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash as PhcHash};

use crate::domain::Password;
use crate::model::PasswordHash;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), the crate's defaults.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

pub fn hash_password(password: &Password) -> Result<PasswordHash, HashError> {
    let phc = hasher().hash_password(password.expose().as_bytes()).map_err(|e| HashError(e.to_string()))?;
    Ok(PasswordHash::from_phc(phc.to_string()))
}

/// Whether `candidate` matches `stored`. A malformed stored hash simply does not match.
pub fn verify_password(candidate: &str, stored: &PasswordHash) -> bool {
    match PhcHash::new(stored.as_str()) {
        Ok(parsed) => hasher().verify_password(candidate.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, so "no such user" and "wrong password" take
/// equally long and timing does not reveal which usernames exist.
pub fn verify_against_dummy(candidate: &str) {
    static DUMMY: std::sync::OnceLock<Option<PasswordHash>> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        Password::parse("dummy-password-for-timing").ok().and_then(|p| hash_password(&p).ok())
    });
    if let Some(hash) = dummy {
        let _ = verify_password(candidate, hash);
    }
}

/// Caps how many argon2id verifications (19 MiB and tens of milliseconds each) run at once, so a
/// burst of logins cannot exhaust memory or starve the student pages of CPU. Excess requests
/// wait up to `wait`, then are told to come back.
pub struct PasswordGate {
    permits: tokio::sync::Semaphore,
    wait: std::time::Duration,
}

/// Every verification slot stayed busy for the whole wait.
#[derive(Debug, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

impl PasswordGate {
    pub fn new(concurrent: usize, wait: std::time::Duration) -> Self {
        Self { permits: tokio::sync::Semaphore::new(concurrent.max(1)), wait }
    }

    /// Verifies `candidate` against `stored` (or, without an account, against a dummy hash so
    /// the time taken does not reveal which usernames exist).
    pub async fn verify(&self, candidate: &str, stored: Option<PasswordHash>) -> Result<bool, Busy> {
        let _permit = match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Busy),
        };
        let candidate = candidate.to_owned();
        tokio::task::spawn_blocking(move || match stored {
            Some(hash) => verify_password(&candidate, &hash),
            None => {
                verify_against_dummy(&candidate);
                false
            }
        })
        .await
        .map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let password = Password::parse("correct horse battery").expect("valid");
        let hash = hash_password(&password).expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$"), "{}", hash.as_str());
        assert!(!hash.as_str().contains("correct horse"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", &PasswordHash::from_phc("not a hash".into())));
    }

    #[test]
    fn same_password_gets_a_fresh_salt() {
        let password = Password::parse("correct horse battery").expect("valid");
        let a = hash_password(&password).expect("hash");
        let b = hash_password(&password).expect("hash");
        assert_ne!(a, b);
    }
}

#[cfg(test)]
mod gate_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn excess_verifications_wait_then_are_turned_away() {
        let hash = hash_password(&Password::parse("correct horse battery").expect("valid")).expect("hash");
        let gate = std::sync::Arc::new(PasswordGate::new(1, std::time::Duration::from_millis(1)));
        let checks = (0..8).map(|_| {
            let (gate, hash) = (gate.clone(), hash.clone());
            tokio::spawn(async move { gate.verify("correct horse battery", Some(hash)).await })
        });
        let results: Vec<_> =
            futures::future::join_all(checks).await.into_iter().map(|r| r.expect("join")).collect();
        assert!(results.iter().any(|r| matches!(r, Ok(true))), "one got through");
        assert!(results.iter().any(|r| r.is_err()), "the rest were turned away: {results:?}");
    }
}
