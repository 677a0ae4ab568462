//! The reconciler: mirrors Firestore into PostgreSQL for analysts, refreshes attendance
//! percentages, and forwards each attendance record to the university's Portal API.
//! `run_once` is the whole job; `schedule` repeats it on a cron expression.

pub mod config;
pub mod db;
pub mod mirror;
pub mod portal;
pub mod run;
pub mod runs;
pub mod schedule;

pub use config::{PortalConfig, ReconcilerConfig};
pub use run::{Reconciler, RunOptions, RunResult, Summary};
