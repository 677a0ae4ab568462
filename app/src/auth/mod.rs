//! Lecturer authentication.

pub mod access;
pub mod login;
pub mod password;
pub mod tokens;
