//! End-to-end tests: the real app and store against the Firestore emulator and PostgreSQL.
//! One binary, one module per feature.

mod account;
mod admin;
mod admission;
mod cli;
mod fixtures;
mod hardening;
mod harness_postgres;
mod lecturer_auth;
mod lecturer_sessions;
mod lecturer_units;
mod live;
mod pending_marks;
mod qr_codes;
mod reconciler;
mod record_keeping;
mod rules;
mod status;
mod store_attendance;
mod store_lecturers;
mod store_sessions;
mod store_units;
mod student_attend;
