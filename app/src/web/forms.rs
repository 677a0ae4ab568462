//! Per-field validation errors (`{field: [messages]}`), shown next to each input on pages and
//! returned as-is by the JSON endpoints.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::Invalid;

#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }

    /// The parsed value, or `None` with the error recorded against `field`.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, for the template.
    pub fn first(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(|messages| messages.first()).map(String::as_str)
    }
}
