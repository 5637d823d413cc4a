//! YAML loading with Helm's YAML 1.1 semantics and located errors.
//!
//! Helm parses YAML with go-yaml v2 (YAML 1.1): `yes/no/on/off/y/n` are booleans,
//! `0777` is octal, duplicate keys keep the last value and merge keys `<<` apply.
//! serde-saphyr with its legacy options reproduces that; see ARCHITECTURE.md.

use std::fmt;

use crate::Value;

/// Where a YAML error happened. Lines and columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

/// A YAML document that could not be parsed.
#[derive(Debug, thiserror::Error)]
pub struct YamlError {
    /// Name of the input (usually a path relative to the chart), as given by the caller.
    pub origin: String,
    /// Position of the error, when the parser reports one.
    pub location: Option<Location>,
    /// The parser's message, on one line.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(
                f,
                "{}:{}:{}: {}",
                self.origin, loc.line, loc.column, self.message
            ),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Parser options reproducing go-yaml v2 (Helm's parser) as closely as serde-saphyr allows.
pub fn helm_options() -> serde_saphyr::Options {
    let mut opts = serde_saphyr::Options::default();
    opts.legacy_octal_numbers = true;
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    opts
}

fn convert_error(origin: &str, err: serde_saphyr::Error) -> YamlError {
    let location = err.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    });
    let message = err
        .without_snippet()
        .to_string()
        .lines()
        .next()
        .unwrap_or("invalid YAML")
        .to_string();
    YamlError {
        origin: origin.to_string(),
        location,
        message,
    }
}

/// Parses one YAML document into a [`Value`]. An empty document is `null`.
///
/// `origin` names the input in errors (for example `mychart/values.yaml`).
pub fn from_str(text: &str, origin: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str_with_options::<Value>(text, helm_options())
        .map_err(|e| convert_error(origin, e))
}

/// Parses every document of a multi-document YAML stream. Empty documents are skipped.
pub fn from_str_multi(text: &str, origin: &str) -> Result<Vec<Value>, YamlError> {
    serde_saphyr::from_multiple_with_options::<Value>(text, helm_options())
        .map_err(|e| convert_error(origin, e))
}

/// Parses a YAML document into a typed structure (for example Chart.yaml metadata).
pub fn from_str_typed<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options::<T>(text, helm_options())
        .map_err(|e| convert_error(origin, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_and_octal() {
        let v = from_str("a: no\nb: on\nc: 0777\n", "t.yaml").unwrap();
        assert_eq!(v["a"], Value::Bool(false));
        assert_eq!(v["b"], Value::Bool(true));
        assert_eq!(v["c"], serde_json::json!(511));
    }

    #[test]
    fn error_names_file_line_column() {
        let err = from_str("a: [1, 2\nb: c\n", "chart/values.yaml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("chart/values.yaml:"), "{text}");
        assert!(err.location.is_some(), "{text}");
    }
}
