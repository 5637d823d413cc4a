//! Which number and key model a values tree follows: Rudder's exact one (v3 charts) or
//! Helm's (apiVersion v1/v2 charts).
//!
//! Helm decodes every values file (and every `--set-json` value, and a stored release's
//! config) through YAML → JSON → `map[string]interface{}`: every number becomes a Go
//! `float64` (`3` prints `3`, `1000000` prints `1e+06`, `eq .Values.n 3` is a type
//! error), and go-yaml v2's plain boolean keys (`y`, `no`, `on`, ...) become the JSON keys
//! `"true"`/`"false"`. Integers given with `--set` are `int64` (Helm's `strvals`).
//!
//! Under [`ValueModel::Helm`] the tree records exactly that: numbers read from YAML or JSON
//! text are `f64`, `--set` integers stay `i64`, so a renderer can tell them apart, and
//! YAML keys are renamed as Helm renames them. [`ValueModel::Exact`] (the default) keeps
//! integers as integers and keys as written (see [`crate::yaml`]).

use crate::Value;

/// The number and key model of a values tree (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValueModel {
    /// Integers stay integers and keys stay as written (Rudder's model, v3 charts).
    #[default]
    Exact,
    /// Helm's decoding: numbers from YAML/JSON text are `f64`, YAML 1.1 boolean keys are
    /// renamed `"true"`/`"false"`; `--set` integers stay `i64`.
    Helm,
}

impl ValueModel {
    /// Applies the model to a tree decoded from YAML text (a values file).
    pub fn from_yaml(self, v: &mut Value) {
        if self == ValueModel::Helm {
            helm_decode(v, true);
        }
    }

    /// Applies the model to a tree decoded from JSON text (`--set-json`, a stored config).
    pub fn from_json(self, v: &mut Value) {
        if self == ValueModel::Helm {
            helm_decode(v, false);
        }
    }
}

/// The JSON key go-yaml v2 gives a plain YAML 1.1 boolean key, if `key` is one.
pub fn yaml11_bool_key(key: &str) -> Option<&'static str> {
    match key {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "True" | "TRUE" | "true" => {
            Some("true")
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "False" | "FALSE" | "false" => {
            Some("false")
        }
        _ => None,
    }
}

fn helm_decode(v: &mut Value, rename_keys: bool) {
    match v {
        Value::Number(n) => {
            if !n.is_f64()
                && let Some(f) = n.as_f64()
                && let Some(x) = serde_json::Number::from_f64(f)
            {
                *n = x;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| helm_decode(x, rename_keys)),
        Value::Object(m) => {
            if rename_keys && m.keys().any(|k| yaml11_bool_key(k).is_some_and(|r| r != k)) {
                // go-yaml v2 decodes into a Go map, so of two keys that become the same
                // JSON key the later one in sorted order is not predictable; keep the
                // last in Rudder's (sorted) order.
                let old = std::mem::take(m);
                for (k, x) in old {
                    let key = yaml11_bool_key(&k).map_or(k, str::to_string);
                    m.insert(key, x);
                }
            }
            m.values_mut().for_each(|x| helm_decode(x, rename_keys));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn helm_model_makes_numbers_floats_and_renames_bool_keys() {
        let mut v = json!({"y": 1, "n": {"a": [2, 1.5]}, "x": "3"});
        ValueModel::Helm.from_yaml(&mut v);
        assert!(v["true"].is_f64());
        assert!(v["false"]["a"][0].is_f64());
        assert_eq!(v["false"]["a"][1], json!(1.5));
        assert_eq!(v["x"], json!("3"));
        let mut j = json!({"y": 1});
        ValueModel::Helm.from_json(&mut j);
        assert!(j["y"].is_f64(), "JSON keys are kept");
        let mut e = json!({"y": 1});
        ValueModel::Exact.from_yaml(&mut e);
        assert_eq!(e, json!({"y": 1}));
    }

    #[test]
    fn helm_floats_still_satisfy_integer_schemas() {
        let mut v = json!({"n": 3, "m": 2});
        ValueModel::Helm.from_yaml(&mut v);
        let schema =
            br#"{"properties": {"n": {"type": "integer", "enum": [3]}, "m": {"maximum": 2}}}"#;
        let Value::Object(m) = v else { panic!("a map") };
        assert!(crate::schema::validate("c", schema, &m).is_empty());
    }
}
