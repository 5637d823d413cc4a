//! Conversions between Rudder's value tree and the Go template value model.
//!
//! # Number model
//!
//! Helm decodes values files through YAML → JSON, so a number from a file is a Go
//! `float64` (`1000000` prints `1e+06`, `eq .Values.replicas 3` is a type error), while an
//! integer given with `--set` is an `int64`. For v1/v2 charts the value tree already holds
//! exactly that ([`rudder_values::model::ValueModel::Helm`]: file numbers are `f64`,
//! `--set` integers `i64`, YAML 1.1 boolean keys renamed), so [`values_to_go`] maps `f64`
//! to `float64` and `i64` to `int64`. Data decoded inside templates (`fromJson`,
//! `fromYaml`, `lookup`) goes through [`data_to_go`]: every number a `float64`.
//!
//! `.Values`, `.` and `.Template` are Helm's named map type `common.Values`
//! ([`VALUES_TYPE`]).

use std::collections::BTreeMap;

use rudder_gotmpl::Value;
use rudder_values::goyaml::Node;

/// Helm's named map type for `.`, `.Values` and `.Template`.
pub const VALUES_TYPE: &str = "common.Values";

/// Converts chart values to template values (see the module docs): `f64` numbers become
/// `float64`, `i64` ones (`--set` integers) `int64`; the top level is a `common.Values`.
pub fn values_to_go(v: &serde_json::Value) -> Value {
    match json_to_go(v, true) {
        Value::Map(m) => Value::Map(m.named(VALUES_TYPE)),
        other => other,
    }
}

/// Converts JSON-shaped data (lookup results, parsed JSON/YAML) to template values with
/// every number a `float64`.
pub fn data_to_go(v: &serde_json::Value) -> Value {
    json_to_go(v, false)
}

fn json_to_go(v: &serde_json::Value, keep_int64: bool) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if keep_int64 => Value::Int64(i),
            _ => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => {
            Value::list(a.iter().map(|x| json_to_go(x, keep_int64)).collect())
        }
        serde_json::Value::Object(m) => {
            let out: BTreeMap<String, Value> = m
                .iter()
                .map(|(k, x)| (k.clone(), json_to_go(x, keep_int64)))
                .collect();
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
    fn set_integers_stay_int64_and_floats_float64() {
        let mut tree = serde_json::json!({"f": 1000000, "k": {"a": 2}});
        rudder_values::model::ValueModel::Helm.from_yaml(&mut tree);
        tree["s"] = serde_json::json!(1000000);
        let v = values_to_go(&tree);
        assert_eq!(v.type_name(), "common.Values");
        assert_eq!(v.to_go_string(), "map[f:1e+06 k:map[a:2] s:1000000]");
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
