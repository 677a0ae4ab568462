//! Lecturer authentication.

pub mod login;
pub mod password;
pub mod tokens;
