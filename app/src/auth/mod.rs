//! Lecturer authentication.

pub mod password;
