//! QR-code class attendance: domain values, the Firestore store, and the web application.

pub mod auth;
pub mod domain;
pub mod emulator;
pub mod model;
pub mod store;
