//! YAML loading with Helm's YAML 1.1 semantics and located errors.
//!
//! Helm parses YAML with go-yaml v2 (YAML 1.1): `yes/no/on/off/y/n` are booleans,
//! `0777` is octal, duplicate keys keep the last value and merge keys `<<` apply.
//! serde-saphyr with its legacy options reproduces that; see ARCHITECTURE.md.
//!
//! Deliberate differences from Helm, decided here:
//!
//! - **Map keys stay as written.** go-yaml v2 resolves an unquoted key `y`, `n`, `yes`,
//!   `on`, `off`, ... as a bool, and Helm's YAML→JSON step then renames it `"true"` or
//!   `"false"` (so `coords: {x: 1, y: 2}` loses its `y`). Rudder keeps the key text.
//! - **`.inf`, `-.inf` and `.nan` are errors** naming file, line and column. Helm fails
//!   too (JSON has no infinities), with a less precise message.
//! - **Integers stay integers** (`1000000`, `12345678901234567890` exact); Helm makes
//!   every number a float64. Floats (`1.5`, `1e3`) are floats in both.
//! - A `null` or non-string map key (`~: x`, `[1, 2]: x`) is an error; Helm stringifies it.

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
    let text = err.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML");
    // The location is reported separately; drop the parser's own " at line L, column C".
    let message = match (&location, first.rfind(" at line ")) {
        (Some(_), Some(i)) => &first[..i],
        _ => first,
    }
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

/// Loads a values file as Helm 4 does: every document must be a map (or empty), and the
/// documents are merged in order with [`crate::coalesce::merge_maps`] (later documents
/// win; `null` is kept, to delete chart defaults later).
pub fn load_values(text: &str, origin: &str) -> Result<crate::Map, YamlError> {
    let mut out = crate::Map::new();
    for doc in from_str_multi(text, origin)? {
        match doc {
            Value::Null => {}
            Value::Object(m) => crate::coalesce::merge_maps(&mut out, m),
            other => {
                let kind = match other {
                    Value::Array(_) => "a list",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    _ => "a bool",
                };
                return Err(YamlError {
                    origin: origin.to_string(),
                    location: None,
                    message: format!("a document is {kind}, not a map of values"),
                });
            }
        }
    }
    Ok(out)
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

    #[test]
    fn yaml_1_1_details() {
        let v = from_str(
            "b: &x {p: 1}\nc:\n  <<: *x\n  q: 2\nd: 1\nd: 2\ne: 1e3\nf: 1_000\ny: 1\n",
            "t.yaml",
        )
        .unwrap();
        assert_eq!(v["c"], serde_json::json!({"p": 1, "q": 2}));
        assert_eq!(v["d"], serde_json::json!(2));
        assert_eq!(v["e"].as_f64(), Some(1000.0));
        assert_eq!(v["f"], serde_json::json!(1000));
        assert_eq!(v["y"], serde_json::json!(1), "keys stay as written");
    }

    #[test]
    fn infinities_are_located_errors() {
        let err = from_str("a: 1\nb: .inf\n", "v.yaml").unwrap_err();
        assert_eq!(err.location, Some(Location { line: 2, column: 4 }));
        let text = err.to_string();
        assert!(text.starts_with("v.yaml:2:4: "), "{text}");
        assert!(!text.contains(" at line "), "{text}");
    }

    #[test]
    fn values_documents_merge_in_order() {
        let m = load_values("a: {x: 1}\n---\na: {y: 2}\nb: null\n---\n", "v.yaml").unwrap();
        assert_eq!(
            Value::Object(m),
            serde_json::json!({"a": {"x": 1, "y": 2}, "b": null})
        );
        let err = load_values("a: 1\n---\n[1]\n", "v.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "v.yaml: a document is a list, not a map of values"
        );
    }
}
