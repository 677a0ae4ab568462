//! Test harness shared by the end-to-end tests and the benchmarks: one Firestore emulator per
//! test run, a fresh Firestore project per test, the real app on a random port, and a fresh
//! PostgreSQL database per test.

pub mod app;
pub mod binaries;
pub mod cluster;
pub mod emulator;
pub mod logs;
pub mod portal;
pub mod postgres;
pub mod rest;
pub mod sse;
pub mod stall;

pub use app::{
    AppOptions, Attended, Browser, TestApp, input_value, spawn_app, spawn_app_on, spawn_app_on_with,
    spawn_app_with,
};
pub use cluster::PrivateCluster;
pub use emulator::{TestFirestore, emulator_host};
pub use portal::{Answer, TestPortal};
pub use postgres::TestDatabase;
