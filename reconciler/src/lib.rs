//! The reconciler: mirrors Firestore into PostgreSQL for analysts, keeps attendance
//! percentages, and forwards each change of an attendance record to the university's Portal
//! API. `run_once` is the whole job; `schedule` repeats it on cron expressions; `verify`
//! proves the mirror equals Firestore.

pub mod config;
pub mod db;
pub mod mirror;
pub mod portal;
pub mod run;
pub mod runs;
pub mod schedule;
pub mod summary;
pub mod time;
pub mod verify;

pub use config::{PortalConfig, ReconcilerConfig};
pub use run::{Reconciler, RunOptions, RunResult};
pub use summary::Summary;
