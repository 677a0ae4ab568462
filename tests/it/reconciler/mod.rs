//! The reconciler against the emulator, a per-test PostgreSQL database and a loopback Portal:
//! the shared set-up here, the tests by topic in the modules.

mod admin_audit;
mod binary;
mod corrections;
mod faults;
mod mirror;
mod percentages;
mod portal;
mod rejects;
mod runs;
mod safety_nets;
mod settings;
mod tally;

use attendance::clock::Clock;
use attendance::config::Vars;
use attendance::domain::AdmissionNumber;
use attendance::model::Session;
use harness::{TestDatabase, TestFirestore, TestPortal};
use reconciler::{Reconciler, ReconcilerConfig, RunOptions, RunResult, Summary, db};
use sqlx::Row;

use crate::fixtures::*;

pub struct Setup {
    pub fs: TestFirestore,
    pub db: TestDatabase,
    pub portal: TestPortal,
    /// The delivery queue's clock for in-process reconcilers: tests move it instead of waiting.
    pub clock: Clock,
}

impl Setup {
    pub async fn new() -> Self {
        let setup = Self {
            fs: TestFirestore::new().await,
            db: TestDatabase::new().await,
            portal: TestPortal::start().await,
            clock: Clock::system(),
        };
        db::MIGRATOR.run(&setup.db.pool).await.expect("migrations");
        setup
    }

    pub fn config(&self, extra: &[(&str, &str)]) -> ReconcilerConfig {
        let mut vars = vec![
            ("FIRESTORE_PROJECT_ID".to_owned(), self.fs.project_id.clone()),
            ("FIRESTORE_EMULATOR_HOST".to_owned(), self.fs.host.clone()),
            ("DATABASE_URL".to_owned(), self.db.url.clone()),
            ("PORTAL_API_URL".to_owned(), self.portal.url.clone()),
        ];
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        ReconcilerConfig::from_vars(&Vars::from_pairs(vars)).expect("config")
    }

    /// A reconciler in this process, on the test's clock.
    pub async fn reconciler(&self, extra: &[(&str, &str)]) -> Reconciler {
        Reconciler::with_clock(self.config(extra), self.db.pool.clone(), self.clock.clone())
            .await
            .expect("reconciler")
    }

    /// Time passes for the in-process reconcilers: every pending record's backoff is over.
    /// (The shipped backoff stays in force; tests move the queue's clock past its cap instead
    /// of shortening the delays.)
    pub fn backoff_elapses(&self) {
        self.clock.advance(jiff::SignedDuration::from_hours(3) + jiff::SignedDuration::from_mins(1));
    }

    /// Time passes for the in-process reconcilers: `hours` of failures go by.
    pub fn failing_for_hours(&self, hours: i64) {
        self.clock.advance(jiff::SignedDuration::from_hours(hours));
    }

    /// The same for the `reconciler` binary, whose clock is the system's and cannot be moved:
    /// the queue's stored times are moved back instead, which the queue sees the same way.
    pub async fn binary_backoff_elapses(&self) {
        sqlx::query("UPDATE portal_deliveries SET next_attempt_at = now() WHERE status = 'pending'")
            .execute(&self.db.pool)
            .await
            .expect("age the queue");
    }

    /// The same for the binary: the first failed attempt of every pending record was `hours`
    /// earlier.
    pub async fn binary_failing_for_hours(&self, hours: i32) {
        sqlx::query(
            "UPDATE portal_deliveries SET first_attempt_at = now() - make_interval(hours => $1), next_attempt_at = now()
             WHERE status = 'pending' AND first_attempt_at IS NOT NULL",
        )
        .bind(hours)
        .execute(&self.db.pool)
        .await
        .expect("age the queue");
    }

    /// The `reconciler` binary as an operator runs it: only the required variables and the
    /// Portal's URL; every other setting at its shipped default.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        command(&self.fs, &self.db.url, &self.portal, args)
    }

    /// Runs the binary to the end; returns its exit code and what it printed.
    pub async fn reconcile(&self, args: &[&str]) -> (i32, String) {
        finish(self.command(args)).await
    }

    /// `reconciler verify` exits 0: PostgreSQL equals Firestore.
    pub async fn assert_verified(&self) {
        assert_verified(&self.fs, &self.db.url, &self.portal).await;
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&self.db.pool).await.expect(sql).get(0)
    }
}

pub async fn run(reconciler: &Reconciler, options: RunOptions) -> Summary {
    match reconciler.run_once(options).await.expect("run") {
        RunResult::Completed(summary) => summary,
        RunResult::Skipped => panic!("unexpectedly skipped"),
    }
}

/// Two lecturers, two units, three sessions in the past, five marks (one late, one removed).
pub async fn fixture(fs: &TestFirestore) -> Vec<Session> {
    let store = &fs.store;
    store
        .create_lecturer(&new_lecturer("jkamau", "STF/001"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    store
        .create_lecturer(&new_lecturer("potieno", "STF/002"), &attendance::model::Actor::CommandLine)
        .await
        .expect("lecturer");
    store.create_unit(&new_unit("CS101", "jkamau")).await.expect("unit");
    store.create_unit(&new_unit("MA201", "potieno")).await.expect("unit");
    let mut sessions = Vec::new();
    for (unit, lecturer, hour) in [("CS101", "jkamau", 8), ("CS101", "jkamau", 10), ("MA201", "potieno", 8)] {
        sessions
            .push(store.create_session(&new_session(unit, lecturer, monday(), hour)).await.expect("session"));
    }
    store.mark_attendance(&sessions[0], &mark("ADM/1", "Alice")).await.expect("mark");
    store.mark_attendance(&sessions[1], &mark("ADM/1", "Alice")).await.expect("mark");
    let mut late = mark("ADM/2", "Bob");
    late.status = attendance::model::MarkStatus::Late;
    store.mark_attendance(&sessions[0], &late).await.expect("mark");
    store.mark_attendance(&sessions[2], &mark("ADM/1", "Alice")).await.expect("mark");
    store.mark_attendance(&sessions[2], &mark("ADM/3", "Carol")).await.expect("mark");
    crate::fixtures::remove(store, &sessions[2], &AdmissionNumber::parse("ADM/3").expect("adm"))
        .await
        .expect("remove");
    sessions
}

/// Every table equals Firestore: `verify` compares every mirrored column of every document,
/// and the emulator's own REST API (an independent reader) confirms the counts.
pub async fn assert_mirror_equals_firestore(setup: &Setup) {
    let comparisons = reconciler::verify::verify(&setup.fs.store, &setup.db.pool).await.expect("verify");
    assert!(comparisons.iter().all(|c| c.equal()), "{}", reconciler::verify::report(&comparisons));
    let rest = setup.fs.rest();
    for comparison in &comparisons {
        let docs = rest.list_as_admin(comparison.collection).await;
        assert_eq!(comparison.firestore + comparison.rejected, docs.len(), "{}", comparison.collection);
    }
}

/// The key the Portal receives for a mark's version.
pub fn key(session: &Session, admission: &str, version: u32) -> String {
    let number = AdmissionNumber::parse(admission).expect("admission");
    format!("{}_{}:{version}", session.id, number.key())
}

pub fn command(
    fs: &TestFirestore,
    database_url: &str,
    portal: &TestPortal,
    args: &[&str],
) -> tokio::process::Command {
    let mut command = harness::binaries::reconciler_command(fs, database_url, Some(&portal.url), args);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Waits for the process (at most two minutes); its exit code (-1 when killed) and output.
pub async fn finish(mut command: tokio::process::Command) -> (i32, String) {
    let child = command.spawn().expect("start the reconciler");
    let output = tokio::time::timeout(std::time::Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the reconciler finishes within two minutes")
        .expect("reconciler output");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

pub async fn assert_verified(fs: &TestFirestore, database_url: &str, portal: &TestPortal) {
    let (code, output) = finish(command(fs, database_url, portal, &["verify"])).await;
    assert_eq!(code, 0, "verify found a difference:\n{output}");
    assert!(output.contains("attendance") && output.contains("equal"), "{output}");
}

/// Every live mark's current record, as the Portal must end up holding it.
pub async fn expected_keys(fs: &TestFirestore) -> std::collections::BTreeSet<String> {
    fs.rest()
        .list_as_admin("attendance")
        .await
        .iter()
        .filter(|doc| !doc["fields"]["deleted"]["booleanValue"].as_bool().unwrap_or(false))
        .map(|doc| {
            let id = doc["name"].as_str().expect("name").rsplit('/').next().expect("id");
            let version = doc["fields"]["version"]["integerValue"].as_str().unwrap_or("1");
            format!("{id}:{version}")
        })
        .collect()
}

/// `n` marks in one new session of CS101, 64 at a time.
pub async fn many_marks(fs: &TestFirestore, hour: i8, n: usize) -> Session {
    use futures::StreamExt;
    let session =
        fs.store.create_session(&new_session("CS101", "jkamau", monday(), hour)).await.expect("session");
    let results: Vec<_> =
        futures::stream::iter(0..n)
            .map(|i| {
                let (store, session) = (fs.store.clone(), session.clone());
                async move {
                    store.mark_attendance(&session, &mark(&format!("ADM/{hour}/{i:05}"), "Student")).await
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
    assert!(results.iter().all(Result::is_ok));
    session
}
