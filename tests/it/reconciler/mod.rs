//! The reconciler against the emulator, a per-test PostgreSQL database and a loopback Portal:
//! the shared set-up here, the tests by topic in the modules.

mod mirror;
mod portal;
mod runs;

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
}

impl Setup {
    pub async fn new() -> Self {
        let setup = Self {
            fs: TestFirestore::new().await,
            db: TestDatabase::new().await,
            portal: TestPortal::start().await,
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

    pub async fn reconciler(&self, extra: &[(&str, &str)]) -> Reconciler {
        Reconciler::with_pool(self.config(extra), self.db.pool.clone()).await.expect("reconciler")
    }

    /// Time passes: every pending record's backoff is over. (The shipped backoff stays in
    /// force; tests move the clock of the queue instead of shortening the delays.)
    pub async fn backoff_elapses(&self) {
        sqlx::query("UPDATE portal_deliveries SET next_attempt_at = now() WHERE status = 'pending'")
            .execute(&self.db.pool)
            .await
            .expect("age the queue");
    }

    /// Time passes: the first failed attempt of every pending record was `hours` earlier.
    pub async fn failing_for_hours(&self, hours: i32) {
        sqlx::query(
            "UPDATE portal_deliveries SET first_attempt_at = now() - make_interval(hours => $1), next_attempt_at = now()
             WHERE status = 'pending' AND first_attempt_at IS NOT NULL",
        )
        .bind(hours)
        .execute(&self.db.pool)
        .await
        .expect("age the queue");
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
    store.create_lecturer(&new_lecturer("jkamau", "STF/001")).await.expect("lecturer");
    store.create_lecturer(&new_lecturer("potieno", "STF/002")).await.expect("lecturer");
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
    store
        .soft_delete_attendance(&sessions[2], &AdmissionNumber::parse("ADM/3").expect("adm"))
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
