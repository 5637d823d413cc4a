//! Validating values against a chart's `values.schema.json`.
//!
//! Uses the `jsonschema` crate (draft 4, 6, 7, 2019-09 and 2020-12, chosen by the
//! schema's `$schema`; 2020-12 when absent, as Helm 4 does). It is built without its
//! HTTP and file resolvers: remote `$ref`s are **not fetched** (Helm 4 fetches `http(s)`
//! references with a 15 s timeout); a schema that needs one fails to compile with an
//! error naming the chart. Every violation is collected, each naming the chart and the
//! JSON pointer of the offending value (e.g. `/image/tag`).

use crate::{Map, Value};

/// One schema violation, or a schema that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Chart path (`parent/sub` for subcharts, by alias where there is one).
    pub chart: String,
    /// JSON pointer of the value in the chart's own values (`""` for the root).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: at '{}': {}", self.chart, self.path, self.message)
    }
}

/// Values that do not satisfy the schemas, with every violation found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("values don't meet the specifications of the schema(s): {}", list(.violations))]
pub struct SchemaError {
    /// All violations, in chart order.
    pub violations: Vec<SchemaViolation>,
}

fn list(v: &[SchemaViolation]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Validates `values` against one schema; `chart` names the chart in errors.
///
/// `schema` is the raw `values.schema.json`; a schema that is not JSON or not a valid
/// schema is reported as a violation at the root.
pub fn validate(chart: &str, schema: &[u8], values: &Map) -> Vec<SchemaViolation> {
    let violation = |path: String, message: String| SchemaViolation {
        chart: chart.to_string(),
        path,
        message,
    };
    let schema: Value = match serde_json::from_slice(schema) {
        Ok(s) => s,
        Err(e) => {
            return vec![violation(
                String::new(),
                format!("values.schema.json is not valid JSON: {e}"),
            )];
        }
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => {
            return vec![violation(
                String::new(),
                format!("values.schema.json cannot be used: {e}"),
            )];
        }
    };
    let instance = Value::Object(values.clone());
    validator
        .iter_errors(&instance)
        .map(|e| violation(e.instance_path().as_str().to_string(), e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_violation_with_paths() {
        let schema = br#"{
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "required": ["name"],
          "properties": {
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
            "replicas": {"type": "integer", "minimum": 1}
          }
        }"#;
        let values = match json!({"image": {"tag": 1}, "replicas": 0}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let v = validate("web", schema, &values);
        let paths: Vec<_> = v.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(paths.contains(&"/image/tag"), "{paths:?}");
        assert!(paths.contains(&"/replicas"), "{paths:?}");
        assert!(paths.contains(&""), "{paths:?}");
        assert!(v[0].to_string().starts_with("web: at '"), "{}", v[0]);
    }

    #[test]
    fn draft_2020_12_and_bad_schemas() {
        let schema = br#"{"$schema": "https://json-schema.org/draft/2020-12/schema",
            "prefixItems": [{"type": "string"}], "type": "array"}"#;
        let v = validate("c", schema, &Map::new());
        assert_eq!(v.len(), 1);
        let v = validate("c", b"{not json", &Map::new());
        assert!(v[0].message.contains("not valid JSON"), "{v:?}");
        let v = validate(
            "c",
            br#"{"$ref": "https://example.invalid/s.json"}"#,
            &Map::new(),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }
}
