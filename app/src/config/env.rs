//! Reading settings from a snapshot of the environment, so tests can build configurations
//! without touching the process environment.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::RangeInclusive;

#[derive(Debug, thiserror::Error)]
#[error("{variable} {problem}; expected {expected}")]
pub struct ConfigError {
    pub variable: &'static str,
    problem: &'static str,
    expected: Cow<'static, str>,
}

impl ConfigError {
    /// A setting that parses but contradicts another one.
    pub fn conflict(variable: &'static str, expected: &'static str) -> Self {
        Self { variable, problem: "is not valid with the other settings", expected: expected.into() }
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
            None => Err(ConfigError { variable: name, problem: "is not set", expected: expected.into() }),
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
                expected: expected.into(),
            }),
        }
    }

    /// A whole number of `unit`s in `range`, or `default` when unset. The message a bad value
    /// gets is written from the range itself ("seconds from 5 to 300"), so the two never differ.
    pub fn ranged<T>(
        &self,
        name: &'static str,
        unit: &str,
        range: RangeInclusive<T>,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display,
    {
        let Some(raw) = self.get(name) else { return Ok(default) };
        raw.trim().parse::<T>().ok().filter(|n| range.contains(n)).ok_or_else(|| ConfigError {
            variable: name,
            problem: "is not valid",
            expected: format!("{unit} from {} to {}", range.start(), range.end()).into(),
        })
    }

    /// `TIMEZONE`: the IANA zone lecture times are in (UTC when unset), read alike by the app
    /// and the reconciler.
    pub fn timezone(&self) -> Result<jiff::tz::TimeZone, ConfigError> {
        Ok(self
            .optional("TIMEZONE", "an IANA time zone such as Africa/Nairobi", |v| {
                jiff::tz::TimeZone::get(v).ok()
            })?
            .unwrap_or(jiff::tz::TimeZone::UTC))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranged_number_says_its_range_when_refused() {
        let vars = Vars::from_pairs([("A".to_owned(), "301".to_owned()), ("B".to_owned(), " 7 ".to_owned())]);
        let refused = vars.ranged("A", "seconds", 5..=300, 15).expect_err("over");
        assert_eq!(refused.to_string(), "A is not valid; expected seconds from 5 to 300");
        assert_eq!(vars.ranged("B", "seconds", 5..=300, 15).expect("in range"), 7);
        assert_eq!(vars.ranged("C", "seconds", 5..=300, 15).expect("unset"), 15);
    }
}
