//! Reading settings from a snapshot of the environment, so tests can build configurations
//! without touching the process environment.

use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
#[error("{variable} {problem}; expected {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    problem: &'static str,
    expected: &'static str,
}

impl ConfigError {
    /// A setting that parses but contradicts another one.
    pub fn conflict(variable: &'static str, expected: &'static str) -> Self {
        Self { variable, problem: "is not valid with the other settings", expected }
    }
}

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// The variable's value, unless unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    pub fn required<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, ConfigError> {
        match self.optional(name, expected, parse)? {
            Some(value) => Ok(value),
            None => Err(ConfigError { variable: name, problem: "is not set", expected }),
        }
    }

    pub fn optional<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => parse(raw.trim()).map(Some).ok_or(ConfigError {
                variable: name,
                problem: "is not valid",
                expected,
            }),
        }
    }
}
