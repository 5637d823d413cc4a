//! Helm's own template functions (`pkg/engine/funcs.go` and the overrides in
//! `pkg/engine/engine.go`): `include tpl required fail lookup toYaml toYamlPretty
//! mustToYaml fromYaml fromYamlArray toJson mustToJson fromJson fromJsonArray toToml
//! fromToml getHostByName`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rudder_gotmpl::{ArgType, FuncError, Function, Map, Value};
use rudder_values::goyaml::{self, Node};

use super::convert::{data_to_go, go_to_node, to_go_json};
use crate::Lookup;

/// Helm's marker around `fail`/`required` messages; the engine turns an error carrying
/// it into `execution error at (<file>:<line>:<col>): <msg>`.
pub(crate) const ERR_START: &str = "HELM_ERR_START";
/// End marker, see [`ERR_START`].
pub(crate) const ERR_END: &str = "HELM_ERR_END";

/// How many times one template name may be entered through `include` at once
/// (Helm's `recursionMaxNums`).
const INCLUDE_RECURSION_MAX: usize = 1000;

/// Set name Helm gives its template set and `tpl` texts.
pub(crate) const SET_NAME: &str = "gotpl";

fn warn_wrap(msg: &str) -> FuncError {
    FuncError::new(format!("{ERR_START}{msg}{ERR_END}"))
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::Nil)
}

/// `sigs.k8s.io/yaml.Marshal` of a template value, without the final newline.
pub(crate) fn to_yaml_string(v: &Value) -> Result<String, String> {
    let node = go_to_node(v)?;
    let text = goyaml::to_string(&node);
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

/// Float nodes stay floats (go-yaml v3 encodes the Go value directly, so `1e6` prints
/// `1e+06`).
fn pretty_node(v: &Value) -> Result<Node, String> {
    Ok(match v {
        Value::Float(f) if f.is_finite() => Node::Float(*f),
        Value::List(l) => Node::Seq(l.iter().map(pretty_node).collect::<Result<_, _>>()?),
        Value::Map(m) => Node::Map(
            m.entries()
                .iter()
                .map(|(k, x)| Ok((k.clone(), pretty_node(x)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => go_to_node(other)?,
    })
}

fn parse_yaml(text: &str) -> Result<serde_json::Value, String> {
    rudder_values::yaml::from_str(text, "fromYaml")
        .map_err(|e| format!("error converting YAML to JSON: yaml: {}", e.message))
}

fn go_json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Null => "null",
    }
}

/// Go's `json.Unmarshal` of `text` into a variable of type `target` (a map or a slice):
/// syntax errors in Go's words first, then the type check; JSON `null` gives an empty
/// value of the target type.
fn decode_go_json(text: &str, target: &str) -> Result<Value, String> {
    let v = rudder_sprig::json::decode(text)?;
    let kind = match &v {
        Value::Map(_) if target.starts_with("map") => return Ok(v),
        Value::List(_) if target.starts_with('[') => return Ok(v),
        Value::Nil if target.starts_with("map") => return Ok(Value::Map(Map::new())),
        Value::Nil => return Ok(Value::list(Vec::new())),
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    };
    Err(format!(
        "json: cannot unmarshal {kind} into Go value of type {target}"
    ))
}

fn as_map(v: serde_json::Value, prefix: &str) -> Result<Value, String> {
    match v {
        serde_json::Value::Object(_) => Ok(data_to_go(&v)),
        serde_json::Value::Null => Ok(Value::Map(Map::new())),
        other => Err(format!(
            "{prefix}json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_json_kind(&other)
        )),
    }
}

fn as_list(v: serde_json::Value, prefix: &str) -> Result<Value, String> {
    match v {
        serde_json::Value::Array(_) => Ok(data_to_go(&v)),
        serde_json::Value::Null => Ok(Value::list(Vec::new())),
        other => Err(format!(
            "{prefix}json: cannot unmarshal {} into Go value of type []interface {{}}",
            go_json_kind(&other)
        )),
    }
}

const YAML_PREFIX: &str = "error unmarshaling JSON: while decoding JSON: ";

fn error_map(msg: String) -> Value {
    let m = Map::new();
    m.insert("Error", Value::from(msg));
    Value::Map(m)
}

/// Per-render state shared by `include` and `tpl` (Helm's `includedNames`).
#[derive(Default)]
struct IncludeCounts(Mutex<HashMap<String, usize>>);

impl IncludeCounts {
    fn enter(&self, name: &str) -> Result<(), FuncError> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(name.to_string()).or_insert(0);
        if *n > INCLUDE_RECURSION_MAX {
            return Err(FuncError::new(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            )));
        }
        *n += 1;
        Ok(())
    }

    fn leave(&self, name: &str) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(name) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Helm's functions for one render. `lookup` answers from `lookup`.
pub(crate) fn helm_functions(lookup: Arc<dyn Lookup>) -> Vec<(String, Function)> {
    use ArgType::{Any, String as S};
    let counts = Arc::new(IncludeCounts::default());
    let mut out: Vec<(&str, Function)> = Vec::new();

    let c = Arc::clone(&counts);
    out.push((
        "include",
        Function::new(vec![S, Any], None, move |ctx, args| {
            let name = arg_str(args, 0).to_string();
            c.enter(&name)?;
            let result = ctx.execute_template(&name, &arg(args, 1));
            c.leave(&name);
            result.map(Value::from).map_err(FuncError::from)
        })
        .with_type_name("func(string, interface {}) (string, error)"),
    ));

    out.push((
        "tpl",
        Function::new(vec![S, Any], None, move |ctx, args| {
            let text = arg_str(args, 0);
            let mut set = ctx.templates().clone();
            if let Err(e) = set.parse(SET_NAME, text) {
                return Err(FuncError::new(format!(
                    "cannot parse template {}: {e}",
                    rudder_gotmpl::gofmt::quote(text, false)
                )));
            }
            match ctx.execute_in(&set, SET_NAME, &arg(args, 1)) {
                Ok(s) => Ok(Value::from(s.replace("<no value>", ""))),
                Err(e) => Err(FuncError::new(format!(
                    "error during tpl function execution for {}: {e}",
                    rudder_gotmpl::gofmt::quote(text, false)
                ))),
            }
        })
        .with_type_name("func(string, interface {}) (string, error)"),
    ));

    out.push((
        "required",
        Function::new(vec![S, Any], None, |_, args| {
            let v = arg(args, 1);
            match &v {
                Value::Nil => Err(warn_wrap(arg_str(args, 0))),
                Value::String(s) if s.is_empty() => Err(warn_wrap(arg_str(args, 0))),
                _ => Ok(v),
            }
        })
        .with_type_name("func(string, interface {}) (interface {}, error)"),
    ));

    out.push((
        "fail",
        Function::new(vec![S], None, |_, args| Err(warn_wrap(arg_str(args, 0))))
            .with_type_name("func(string) (string, error)"),
    ));

    out.push((
        "lookup",
        Function::new(vec![S, S, S, S], None, move |_, args| {
            lookup
                .lookup(
                    arg_str(args, 0),
                    arg_str(args, 1),
                    arg_str(args, 2),
                    arg_str(args, 3),
                )
                .map(|v| data_to_go(&v))
                .map_err(|e| FuncError::new(e.message))
        })
        .with_type_name("func(string, string, string, string) (map[string]interface {}, error)"),
    ));

    out.push((
        "toYaml",
        Function::new(vec![Any], None, |_, args| {
            Ok(Value::from(
                to_yaml_string(&arg(args, 0)).unwrap_or_default(),
            ))
        })
        .with_type_name("func(interface {}) string"),
    ));
    out.push((
        "mustToYaml",
        Function::new(vec![Any], None, |_, args| {
            to_yaml_string(&arg(args, 0))
                .map(Value::from)
                .map_err(FuncError::new)
        })
        .with_type_name("func(interface {}) (string, error)"),
    ));
    out.push((
        "toYamlPretty",
        Function::new(vec![Any], None, |_, args| {
            let text = pretty_node(&arg(args, 0))
                .map(|n| {
                    goyaml::to_string_with(
                        &n,
                        goyaml::EmitOptions {
                            indent_sequences: true,
                        },
                    )
                })
                .unwrap_or_default();
            Ok(Value::from(text.strip_suffix('\n').unwrap_or(&text)))
        })
        .with_type_name("func(interface {}) string"),
    ));
    out.push((
        "fromYaml",
        Function::new(vec![S], None, |_, args| {
            Ok(parse_yaml(arg_str(args, 0))
                .and_then(|v| as_map(v, YAML_PREFIX))
                .unwrap_or_else(error_map))
        })
        .with_type_name("func(string) map[string]interface {}"),
    ));
    out.push((
        "fromYamlArray",
        Function::new(vec![S], None, |_, args| {
            Ok(parse_yaml(arg_str(args, 0))
                .and_then(|v| as_list(v, YAML_PREFIX))
                .unwrap_or_else(|e| Value::list(vec![Value::from(e)])))
        })
        .with_type_name("func(string) []interface {}"),
    ));
    out.push((
        "toJson",
        Function::new(vec![Any], None, |_, args| {
            Ok(Value::from(to_go_json(&arg(args, 0)).unwrap_or_default()))
        })
        .with_type_name("func(interface {}) string"),
    ));
    out.push((
        "mustToJson",
        Function::new(vec![Any], None, |_, args| {
            to_go_json(&arg(args, 0))
                .map(Value::from)
                .map_err(FuncError::new)
        })
        .with_type_name("func(interface {}) (string, error)"),
    ));
    out.push((
        "fromJson",
        Function::new(vec![S], None, |_, args| {
            Ok(decode_go_json(arg_str(args, 0), "map[string]interface {}")
                .unwrap_or_else(error_map))
        })
        .with_type_name("func(string) map[string]interface {}"),
    ));
    out.push((
        "fromJsonArray",
        Function::new(vec![S], None, |_, args| {
            Ok(decode_go_json(arg_str(args, 0), "[]interface {}")
                .unwrap_or_else(|e| Value::list(vec![Value::from(e)])))
        })
        .with_type_name("func(string) []interface {}"),
    ));
    out.push((
        "toToml",
        Function::new(vec![Any], None, |_, args| {
            Ok(Value::from(super::toml::to_toml(&arg(args, 0))))
        })
        .with_type_name("func(interface {}) string"),
    ));
    out.push((
        "fromToml",
        Function::new(vec![S], None, |_, args| {
            Ok(super::toml::from_toml(arg_str(args, 0)).unwrap_or_else(error_map))
        })
        .with_type_name("func(string) map[string]interface {}"),
    ));
    out.push((
        "getHostByName",
        Function::new(vec![S], None, |_, _| Ok(Value::from("")))
            .with_type_name("func(string) string"),
    ));
    out.into_iter().map(|(k, f)| (k.to_string(), f)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_yaml_is_json_then_yaml() {
        let v = data_to_go(&serde_json::json!({"b": [1, {"x": 1000000}], "a": "on"}));
        assert_eq!(
            to_yaml_string(&v).unwrap(),
            "a: \"on\"\nb:\n- 1\n- x: 1000000"
        );
    }
}
