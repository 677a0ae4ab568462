//! argon2id password hashing. Hashing and verifying are CPU-heavy (tens of milliseconds and
//! 19 MiB by design), so none of it can run on the async executor: the web app hashes and
//! verifies through the [`PasswordGate`] (bounded worker threads), and commands and tests
//! through [`hash_password`] and [`verify_password`], which run on the blocking pool. The
//! synchronous argon2 calls are private to this module.

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash as PhcHash, Version};
use subtle::ConstantTimeEq;

use crate::domain::Password;
use crate::model::PasswordHash;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), the crate's defaults.
fn hasher() -> Argon2<'static> {
    Argon2::default()
}

fn hash_now(password: &Password) -> Result<PasswordHash, HashError> {
    let phc = hasher().hash_password(password.expose().as_bytes()).map_err(|e| HashError(e.to_string()))?;
    Ok(PasswordHash::from_phc(phc.to_string()))
}

/// Hashes `password` on the blocking pool (for commands and tests; the web app uses the gate).
pub async fn hash_password(password: &Password) -> Result<PasswordHash, HashError> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| HashError(format!("the hashing task failed: {e}")))?
}

/// Whether `candidate` matches `stored`, checked on the blocking pool (for commands, tests and
/// benchmarks; the web app uses the gate). A malformed stored hash simply does not match.
pub async fn verify_password(candidate: &str, stored: &PasswordHash) -> bool {
    let (candidate, stored) = (candidate.to_owned(), stored.clone());
    tokio::task::spawn_blocking(move || verify_now(&candidate, &stored)).await.unwrap_or(false)
}

/// The most memory a stored hash may ask a verification for (KiB): four times today's
/// parameters. A hash demanding more (a tampered or hostile document) simply does not match,
/// rather than taking the server's memory.
const MAX_MEMORY_KIB: u32 = 4 * 19 * 1024;

fn verify_now(candidate: &str, stored: &PasswordHash) -> bool {
    verify_with_memory(candidate, stored, &mut Vec::new())
}

/// [`verify_now`] with argon2's working memory supplied by the caller, so a worker that
/// verifies all day reuses one buffer instead of allocating (and, as measured with glibc,
/// keeping) 19 MiB per login.
fn verify_with_memory(candidate: &str, stored: &PasswordHash, memory: &mut Vec<Block>) -> bool {
    let Ok(phc) = PhcHash::new(stored.as_str()) else { return false };
    let Ok(params) = Params::try_from(&phc) else { return false };
    if params.m_cost() > MAX_MEMORY_KIB {
        tracing::warn!(m_cost = params.m_cost(), "a stored password hash asks for too much memory; refused");
        return false;
    }
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else { return false };
    let version = match phc.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else { return false };
    let mut out = vec![0u8; expected.as_bytes().len()];
    memory.resize(params.block_count(), Block::default());
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        candidate.as_bytes(),
        salt.as_ref(),
        &mut out,
        &mut memory[..],
    );
    computed.is_ok() && bool::from(out.ct_eq(expected.as_bytes()))
}

/// A hash of a password nobody has, so "no such user" costs what "wrong password" costs and
/// timing does not reveal which usernames exist.
fn dummy_hash() -> Option<&'static PasswordHash> {
    static DUMMY: std::sync::OnceLock<Option<PasswordHash>> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| Password::parse("dummy-password-for-timing").ok().and_then(|p| hash_now(&p).ok()))
        .as_ref()
}

/// Caps how many argon2id verifications (19 MiB and tens of milliseconds each) run at once, so a
/// burst of logins cannot exhaust memory or starve the student pages of CPU. Verifications run
/// on a fixed set of worker threads, each reusing one working buffer, so memory stays at
/// workers × 19 MiB however many logins arrive. Excess requests wait up to `wait`, then are
/// told to come back. A job keeps its permit until its work ends, so the queue never holds
/// more jobs than there are workers, and a job whose caller has gone (a cancelled login) is
/// skipped rather than run.
pub struct PasswordGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
    jobs: std::sync::mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Every verification slot stayed busy for the whole wait.
#[derive(Debug, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

/// Why the gate did not hash a password.
#[derive(Debug, thiserror::Error)]
pub enum HashRefused {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Failed(#[from] HashError),
}

impl PasswordGate {
    pub fn new(concurrent: usize, wait: std::time::Duration) -> Self {
        let workers = concurrent.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for i in 0..workers {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("password-check-{i}")).spawn(move || {
                let mut memory = Vec::new();
                loop {
                    // The lock is held only while waiting for the next job.
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&mut memory),
                        // The gate is gone (the app stopped).
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-check worker");
            }
        }
        Self { permits: std::sync::Arc::new(tokio::sync::Semaphore::new(workers)), wait, jobs }
    }

    /// Verifies `candidate` against `stored` (or, without an account, against a dummy hash so
    /// the time taken does not reveal which usernames exist).
    pub async fn verify(&self, candidate: &str, stored: Option<PasswordHash>) -> Result<bool, Busy> {
        let candidate = candidate.to_owned();
        self.run(move |memory| match &stored {
            Some(hash) => verify_with_memory(&candidate, hash, memory),
            None => {
                if let Some(hash) = dummy_hash() {
                    let _ = verify_with_memory(&candidate, hash, memory);
                }
                false
            }
        })
        .await
    }

    /// Hashes a new password on the gate's workers, within the same bound as verifications.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, HashRefused> {
        let password = password.clone();
        Ok(self.run(move |_| hash_now(&password)).await??)
    }

    /// Runs `work` on a worker once a permit is free (waiting at most `wait`).
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(Busy),
        };
        let (answer, result) = tokio::sync::oneshot::channel();
        self.jobs.send(job(permit, answer, work)).map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }
}

/// `work` as a queued job holding `permit`, answering on `answer`.
fn job<T: Send + 'static>(
    permit: tokio::sync::OwnedSemaphorePermit,
    answer: tokio::sync::oneshot::Sender<T>,
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Job {
    Box::new(move |memory| {
        // Released when the work ends, not when the caller stops waiting: a dropped login
        // cannot make room for more queued work than there are workers.
        let _permit = permit;
        if answer.is_closed() {
            return;
        }
        let _ = answer.send(work(memory));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let password = Password::parse("correct horse battery").expect("valid");
        let hash = hash_now(&password).expect("hash");
        assert!(hash.as_str().starts_with("$argon2id$"), "{}", hash.as_str());
        assert!(!hash.as_str().contains("correct horse"));
        assert!(verify_now("correct horse battery", &hash));
        assert!(!verify_now("wrong horse battery", &hash));
        assert!(!verify_now("x", &PasswordHash::from_phc("not a hash".into())));
    }

    #[test]
    fn a_hash_asking_for_too_much_memory_never_matches() {
        // A tampered document: 1 GiB of memory per check.
        let greedy = "$argon2id$v=19$m=1048576,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!verify_now("anything", &PasswordHash::from_phc(greedy.into())));
    }

    #[test]
    fn a_reused_buffer_gives_the_same_answers() {
        let hash = hash_now(&Password::parse("correct horse battery").expect("valid")).expect("hash");
        let mut memory = Vec::new();
        for _ in 0..3 {
            assert!(verify_with_memory("correct horse battery", &hash, &mut memory));
            assert!(!verify_with_memory("correct horse batterx", &hash, &mut memory));
        }
    }

    #[test]
    fn same_password_gets_a_fresh_salt() {
        let password = Password::parse("correct horse battery").expect("valid");
        let a = hash_now(&password).expect("hash");
        let b = hash_now(&password).expect("hash");
        assert_ne!(a, b);
    }
}

#[cfg(test)]
mod gate_tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn excess_verifications_wait_then_are_turned_away() {
        let hash = hash_now(&Password::parse("correct horse battery").expect("valid")).expect("hash");
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_takes_a_place_at_the_gate_like_a_check() {
        let password = Password::parse("correct horse battery").expect("valid");
        let gate = std::sync::Arc::new(PasswordGate::new(1, std::time::Duration::from_millis(1)));
        let hash = gate.hash(&password).await.expect("a free gate hashes");
        assert!(verify_now("correct horse battery", &hash));
        let work = (0..6).map(|_| {
            let (gate, password) = (gate.clone(), password.clone());
            tokio::spawn(async move { gate.hash(&password).await.map(|_| ()) })
        });
        let results: Vec<_> =
            futures::future::join_all(work).await.into_iter().map(|r| r.expect("join")).collect();
        assert!(results.iter().any(Result::is_ok));
        assert!(results.iter().any(|r| matches!(r, Err(HashRefused::Busy(_)))), "bounded: {results:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_check_keeps_its_place_until_its_work_ends_and_queued_work_is_skipped() {
        let gate = std::sync::Arc::new(PasswordGate::new(1, std::time::Duration::from_millis(50)));
        // A slow job holds the only worker; its caller gives up (a client that disconnected).
        let (started, started_rx) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let slow = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move |_| {
                    let _ = started.send(());
                    let _ = release_rx.recv();
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv()).await.expect("join").expect("started");
        slow.abort();
        let _ = slow.await;
        // Still running, so still holding its permit: the next caller is told "busy" after its
        // wait instead of queueing behind work it cannot see.
        assert!(gate.run(|_| ()).await.is_err(), "bounded while the cancelled work runs");
        release.send(()).expect("release");
        let mut freed = false;
        for _ in 0..100 {
            if gate.run(|_| ()).await.is_ok() {
                freed = true;
                break;
            }
        }
        assert!(freed, "the permit came back when the work ended");
        // A job whose caller is gone before it starts is skipped.
        let (ran, ran_rx) = std::sync::mpsc::channel::<()>();
        let (answer, result) = tokio::sync::oneshot::channel::<()>();
        drop(result);
        let permit = gate.permits.clone().acquire_owned().await.expect("permit");
        gate.jobs.send(job(permit, answer, move |_| ran.send(()).expect("told"))).expect("queued");
        assert!(gate.run(|_| ()).await.is_ok(), "the skipped job gave its permit back");
        assert!(ran_rx.try_recv().is_err(), "its work never ran");
    }
}
