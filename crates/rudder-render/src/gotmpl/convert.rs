//! Conversions between Rudder's value tree and the Go template value model.
//!
//! # Number model
//!
//! Helm decodes values files through YAML → JSON, so every number a template sees is a
//! Go `float64` (`1000000` prints `1e+06`, `eq .Values.replicas 3` is a type error).
//! Numbers given with `--set` are `int64` in Helm. Rudder's value tree
//! ([`rudder_values::Value`]) keeps integers as integers whatever their origin and does
//! not record where a value came from, so this module converts **every** number to
//! `float64`: values-file numbers behave exactly as in Helm, while `--set replicas=3`
//! also reaches templates as a `float64` (a documented deviation; the cases that show it
//! are listed in `tests/helm_conformance/known_failures.txt`).
//!
//! # YAML 1.1 keys
//!
//! go-yaml v2 reads the plain keys `y`, `n`, `yes`, `no`, `on`, `off`, `true`, `false`
//! (in any of their YAML 1.1 spellings) as booleans, which become the JSON keys `"true"`
//! and `"false"`. [`values_to_go`] renames such keys the same way.

use std::collections::BTreeMap;

use rudder_gotmpl::Value;
use rudder_values::goyaml::Node;

/// The JSON key go-yaml v2 gives a plain YAML 1.1 boolean key, if `key` is one.
fn yaml11_bool_key(key: &str) -> Option<&'static str> {
    match key {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "True" | "TRUE" => Some("true"),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "False" | "FALSE" => Some("false"),
        _ => None,
    }
}

/// Converts chart values to template values: numbers become `float64`, YAML 1.1 boolean
/// keys become `"true"`/`"false"` (see the module docs).
pub fn values_to_go(v: &serde_json::Value) -> Value {
    json_to_go(v, true)
}

/// Converts JSON-shaped data (lookup results, parsed JSON/YAML) to template values with
/// every number a `float64`; keys are kept.
pub fn data_to_go(v: &serde_json::Value) -> Value {
    json_to_go(v, false)
}

fn json_to_go(v: &serde_json::Value, rename_keys: bool) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => {
            Value::list(a.iter().map(|x| json_to_go(x, rename_keys)).collect())
        }
        serde_json::Value::Object(m) => {
            let mut out = BTreeMap::new();
            for (k, x) in m {
                let key = if rename_keys {
                    yaml11_bool_key(k).unwrap_or(k)
                } else {
                    k
                };
                out.insert(key.to_string(), json_to_go(x, rename_keys));
            }
            Value::map(out)
        }
    }
}

/// A template value as Go's `encoding/json` would see it, for `toYaml`/`toJson`.
/// Returns Go's error text for values JSON cannot encode (functions, NaN, infinities).
pub fn go_to_node(v: &Value) -> Result<Node, String> {
    Ok(match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Node::Int((*i).into()),
        Value::Uint(u) => Node::Int((*u).into()),
        Value::Byte(b) => Node::Int((*b).into()),
        Value::Float(f) => float_node(*f)?,
        Value::String(s) => Node::Str(s.to_string()),
        Value::Bytes(b) => Node::Str(base64_std(b)),
        Value::List(l) => Node::Seq(l.iter().map(go_to_node).collect::<Result<_, _>>()?),
        Value::Map(m) => Node::Map(
            m.entries()
                .iter()
                .map(|(k, x)| Ok((k.clone(), go_to_node(x)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Object(o) => match o.underlying() {
            Some(u) => go_to_node(&u)?,
            None => Node::Map(Vec::new()),
        },
        Value::Func(f) => return Err(format!("json: unsupported type: {}", f.type_name())),
    })
}

/// A float64 after a JSON round trip: Go writes integral values below 1e21 without a
/// fraction, which YAML then reads back as an integer.
fn float_node(f: f64) -> Result<Node, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            rudder_gotmpl::gofmt::format_float(f, 'g', None)
        ));
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        // Go's JSON writes the shortest digits padded with zeros (1.2345678901234567e19
        // becomes 12345678901234567000), and YAML reads that text back.
        let text = rudder_gotmpl::gofmt::format_float(f, 'f', None);
        if let Ok(i) = text.parse::<i128>()
            && i >= i128::from(i64::MIN)
            && i <= i128::from(u64::MAX)
        {
            return Ok(Node::Int(i));
        }
    }
    Ok(Node::Float(f))
}

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub fn base64_std(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Go's `json.Marshal` of a template value (HTML-safe escaping of `<`, `>`, `&`), as
/// Helm's `toJson` produces it. The encoder is Sprig's (shared with `toPrettyJson`).
pub fn to_go_json(v: &Value) -> Result<String, String> {
    rudder_sprig::json::encode(
        v,
        rudder_sprig::json::JsonOptions {
            escape_html: true,
            pretty: false,
        },
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_float64_and_yaml11_keys_are_renamed() {
        let v = values_to_go(&serde_json::json!({"y": 1, "n": {"a": 2}, "x": [3]}));
        assert_eq!(v.to_go_string(), "map[false:map[a:2] true:1 x:[3]]");
        assert_eq!(
            data_to_go(&serde_json::json!({"y": 1000000})).to_go_string(),
            "map[y:1e+06]"
        );
    }

    #[test]
    fn json_matches_go() {
        let v = data_to_go(&serde_json::json!({"a": 1000000, "b": "<&>", "c": 1.5, "d": 1e21}));
        assert_eq!(
            to_go_json(&v).unwrap(),
            r#"{"a":1000000,"b":"\u003c\u0026\u003e","c":1.5,"d":1e+21}"#
        );
    }
}
