//! QR-code class attendance: domain values, the Firestore store, and the web application.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod emulator;
pub mod model;
pub mod qr;
pub mod samples;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
