//! The v3 function and filter library (normative list: `charts-v3-spec/functions.md`).

use std::sync::Arc;

use base64::Engine as _;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, ErrorKind, State, context};
use sha2::Digest as _;

use super::chart_failure;
use crate::{Limits, RenderOptions};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn defined(v: &Value) -> Result<(), Error> {
    if v.is_undefined() {
        Err(Error::from(ErrorKind::UndefinedError))
    } else {
        Ok(())
    }
}

/// Converts a template value to a JSON value (maps come out with sorted keys).
fn to_json_value(v: &Value) -> Result<serde_json::Value, Error> {
    defined(v)?;
    serde_json::to_value(v).map_err(|e| invalid(format!("value cannot be serialised: {e}")))
}

/// YAML text of a value: Go-compatible quoting (`"on"`, `"012"`, `"1e3"`), sorted keys,
/// no trailing newline (as Helm's `toYaml`).
pub(crate) fn to_yaml_string(v: &serde_json::Value) -> Result<String, Error> {
    let text = serde_saphyr::to_string(v).map_err(|e| invalid(format!("toYaml: {e}")))?;
    Ok(text.trim_end_matches('\n').to_string())
}

/// Helm's notion of an empty value (`default`, `required`).
fn is_empty(v: &Value) -> bool {
    if v.is_undefined() || v.is_none() {
        return true;
    }
    match v.kind() {
        minijinja::value::ValueKind::Bool => !v.is_true(),
        minijinja::value::ValueKind::Number => !v.is_true(),
        minijinja::value::ValueKind::String => v.as_str().is_some_and(str::is_empty),
        minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Map => v.len() == Some(0),
        _ => false,
    }
}

/// How a value prints in v3 output: booleans as `true`/`false`, none as `null`, strings
/// raw, everything else in minijinja's rendering.
pub(crate) fn scalar_string(v: &Value) -> String {
    if v.is_none() {
        return "null".to_string();
    }
    if v.kind() == minijinja::value::ValueKind::Bool {
        return if v.is_true() { "true" } else { "false" }.to_string();
    }
    match v.as_str() {
        Some(s) => s.to_string(),
        None => v.to_string(),
    }
}

/// A defined value as text (see [`scalar_string`]).
fn scalar_text(v: &Value) -> Result<String, Error> {
    defined(v)?;
    Ok(scalar_string(v))
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn indent_text(text: &str, width: usize) -> String {
    let pad = " ".repeat(width);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

pub(crate) fn register(
    env: &mut Environment<'static>,
    options: &RenderOptions<'_>,
    limits: Limits,
) {
    // `map.get(key, fallback=none)`, as in Python, for optional keys under strict undefined.
    env.set_unknown_method_callback(|_state, value, method, args| {
        if value.kind() == minijinja::value::ValueKind::Map && method == "get" {
            let (key, fallback): (Value, Option<Value>) = minijinja::value::from_args(args)?;
            let v = value.get_item(&key)?;
            if v.is_undefined() {
                Ok(fallback.unwrap_or(Value::from(())))
            } else {
                Ok(v)
            }
        } else {
            Err(Error::from(ErrorKind::UnknownMethod))
        }
    });
    env.add_filter("toYaml", |v: Value| -> Result<String, Error> {
        to_yaml_string(&to_json_value(&v)?)
    });
    env.add_filter("toJson", |v: Value| -> Result<String, Error> {
        serde_json::to_string(&to_json_value(&v)?).map_err(|e| invalid(format!("toJson: {e}")))
    });
    env.add_filter("toPrettyJson", |v: Value| -> Result<String, Error> {
        serde_json::to_string_pretty(&to_json_value(&v)?)
            .map_err(|e| invalid(format!("toPrettyJson: {e}")))
    });
    env.add_filter("fromYaml", |s: String| -> Result<Value, Error> {
        let v = rudder_values::yaml::from_str(&s, "fromYaml input")
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Value::from(Serde(v)))
    });
    env.add_filter("fromJson", |s: String| -> Result<Value, Error> {
        let v: serde_json::Value =
            serde_json::from_str(&s).map_err(|e| invalid(format!("fromJson: {e}")))?;
        Ok(Value::from(Serde(v)))
    });
    env.add_filter(
        "indent",
        |v: Value, width: usize| -> Result<String, Error> {
            Ok(indent_text(&scalar_text(&v)?, width))
        },
    );
    env.add_filter(
        "nindent",
        |v: Value, width: usize| -> Result<String, Error> {
            Ok(format!("\n{}", indent_text(&scalar_text(&v)?, width)))
        },
    );
    env.add_filter("quote", |v: Value| -> Result<String, Error> {
        if v.is_none() {
            return Ok(String::new());
        }
        Ok(go_quote(&scalar_text(&v)?))
    });
    env.add_filter("squote", |v: Value| -> Result<String, Error> {
        if v.is_none() {
            return Ok(String::new());
        }
        Ok(format!("'{}'", scalar_text(&v)?))
    });
    env.add_filter("toString", |v: Value| -> Result<String, Error> {
        scalar_text(&v)
    });
    env.add_filter("b64enc", |v: Value| -> Result<String, Error> {
        Ok(base64::engine::general_purpose::STANDARD.encode(scalar_text(&v)?))
    });
    env.add_filter("b64dec", |v: Value| -> Result<String, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(scalar_text(&v)?.trim())
            .map_err(|e| invalid(format!("b64dec: {e}")))?;
        String::from_utf8(bytes).map_err(|_| invalid("b64dec: decoded data is not UTF-8"))
    });
    env.add_filter("sha256sum", |v: Value| -> Result<String, Error> {
        Ok(hex::encode(sha2::Sha256::digest(
            scalar_text(&v)?.as_bytes(),
        )))
    });
    env.add_filter("trunc", |v: Value, n: i64| -> Result<String, Error> {
        let s = scalar_text(&v)?;
        let count = s.chars().count();
        let n_abs = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
        Ok(if n >= 0 {
            s.chars().take(n_abs).collect()
        } else {
            s.chars().skip(count.saturating_sub(n_abs)).collect()
        })
    });
    env.add_filter(
        "trimSuffix",
        |v: Value, suffix: String| -> Result<String, Error> {
            let s = scalar_text(&v)?;
            Ok(s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string())
        },
    );
    env.add_filter(
        "trimPrefix",
        |v: Value, prefix: String| -> Result<String, Error> {
            let s = scalar_text(&v)?;
            Ok(s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string())
        },
    );
    env.add_filter("default", |v: Value, fallback: Value| -> Value {
        if is_empty(&v) { fallback } else { v }
    });
    env.add_filter(
        "required",
        |v: Value, message: String| -> Result<Value, Error> {
            if v.is_undefined() || v.is_none() || v.as_str() == Some("") {
                Err(chart_failure(message))
            } else {
                Ok(v)
            }
        },
    );
    env.add_function("fail", |message: String| -> Result<Value, Error> {
        Err(chart_failure(message))
    });
    env.add_function(
        "semverCompare",
        |constraint: String, version: String| -> Result<bool, Error> {
            super::semver::semver_compare(&constraint, &version).map_err(|e| invalid(e.to_string()))
        },
    );
    let lookup = Arc::clone(&options.lookup);
    env.add_function(
        "lookup",
        move |api_version: String,
              kind: String,
              namespace: String,
              name: String|
              -> Result<Value, Error> {
            let v = lookup
                .lookup(&api_version, &kind, &namespace, &name)
                .map_err(|e| invalid(e.to_string()))?;
            Ok(Value::from(Serde(v)))
        },
    );
    let max_depth = limits.tpl_depth;
    env.add_function(
        "tpl",
        move |state: &State, text: String, extra: Option<Value>| -> Result<String, Error> {
            let depth = state
                .lookup("__tpl_depth")
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(0);
            if depth >= max_depth {
                return Err(invalid(format!(
                    "tpl nested more than {max_depth} levels deep"
                )));
            }
            let current = state.name();
            let name = if current.ends_with(" (tpl)") {
                current.to_string()
            } else {
                format!("{current} (tpl)")
            };
            let ctx = context! {
                __tpl_depth => depth + 1,
                Template => state.lookup("Template"),
                ..extra.unwrap_or_default()
            };
            state.env().render_named_str(&name, &text, ctx)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trips_tricky_strings() {
        let strings = [
            "line one\nline two\n",
            "a\nb",
            &"word ".repeat(30),
            " leading",
            "key: value",
            "# not a comment",
            "- item",
            "tab\there",
            "ünïcödé ✓",
            "@at",
            "'single' \"double\"",
            "0x1F",
            "NO",
        ];
        for s in strings {
            let v = serde_json::json!({ "k": s });
            let text = to_yaml_string(&v).unwrap();
            let back = rudder_values::yaml::from_str(&text, "t").unwrap();
            assert_eq!(back, v, "{s:?} emitted as:\n{text}");
        }
    }

    #[test]
    fn quote_like_go() {
        assert_eq!(
            go_quote("a\"b\\c\nd\t\x01é"),
            "\"a\\\"b\\\\c\\nd\\t\\x01é\""
        );
    }

    #[test]
    fn yaml_quotes_like_go() {
        let v = serde_json::json!({"b": "on", "a": ["yes", "y", "~", "012", "1e3", "true", "null", ""], "c": 1});
        let text = to_yaml_string(&v).unwrap();
        for s in [
            "\"on\"", "\"yes\"", "\"y\"", "\"~\"", "\"012\"", "\"1e3\"", "\"true\"", "\"null\"",
            "\"\"",
        ] {
            assert!(text.contains(s), "{s} not quoted in:\n{text}");
        }
        assert!(
            text.find("a:").unwrap() < text.find("b:").unwrap(),
            "{text}"
        );
        assert!(!text.ends_with('\n'));
    }
}
