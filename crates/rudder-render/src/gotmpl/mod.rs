//! The Go-template engine for apiVersion v1/v2 charts, reproducing Helm 4.1.4's
//! `pkg/engine`.
//!
//! [`GoTemplateEngine`] implements [`TemplateEngine`] on top of `rudder-gotmpl`:
//!
//! - every template of the chart tree is parsed into one set named `gotpl`, in Helm's
//!   order (deepest path first, then reverse-alphabetically), so for duplicate `define`s
//!   the shallowest / alphabetically first file wins;
//! - execution uses `missingkey=zero`, then `<no value>` is removed from each rendered
//!   file (as Helm's `strings.ReplaceAll` does);
//! - dot is Helm's top-level map: `Values` (see [`convert`] for the number model),
//!   `Chart` (Go field names, `IsRoot`), `Release`, `Capabilities` (`KubeVersion`,
//!   `APIVersions.Has`, `HelmVersion`), `Files` ([`objects::Files`]), `Subcharts` and
//!   `Template` (`Name`, `BasePath`);
//! - the Sprig library (`rudder-sprig`) and Helm's functions (`include tpl required fail
//!   lookup toYaml …`, see `funcs`) are registered on top of the Go builtins;
//! - errors carry Helm's text: parse errors as `parse error at (<file>:<line>): <msg>`,
//!   `fail`/`required` as `execution error at (<file>:<line>:<col>): <msg>`, other
//!   execution errors rewritten like Helm's `reformatExecErrorMsg` (see
//!   [`helm_error_text`]).
//!
//! It must not read files, talk to a cluster (only through [`crate::Lookup`]) or print.

pub mod convert;
mod funcs;
pub mod objects;
mod toml;

use std::sync::Arc;

use rudder_gotmpl::{Map, MissingKey, Options, Templates, Value};

use crate::engine::{RenderedFile, Scope, TemplateEngine, TemplateSet};
use crate::{Location, RenderError, RenderOptions};

use objects::{ApiVersions, Files, KubeVersion, Struct};

/// The Helm version whose template behaviour this engine reproduces
/// (`.Capabilities.HelmVersion.Version`).
pub const HELM_VERSION: &str = "v4.1.4";

/// Renders Go templates exactly as Helm 4.1.4 does. Stateless; one value serves every
/// render.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoTemplateEngine;

/// Helm's parse order: more path segments first, then reverse-alphabetically.
fn helm_parse_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (ca, cb) = (a.matches('/').count(), b.matches('/').count());
    cb.cmp(&ca).then_with(|| b.cmp(a))
}

impl TemplateEngine for GoTemplateEngine {
    fn name(&self) -> &'static str {
        "gotemplate"
    }

    fn render(
        &self,
        set: &TemplateSet<'_>,
        options: &RenderOptions<'_>,
    ) -> Result<Vec<RenderedFile>, RenderError> {
        let mut templates = Templates::new(funcs::SET_NAME);
        templates.set_options(Options {
            missing_key: MissingKey::Zero,
            max_steps: options.limits.fuel,
            ..Options::default()
        });
        // Sprig first: Helm's functions replace Sprig's `fail` and `getHostByName`.
        rudder_sprig::register(&mut templates);
        templates.add_funcs(funcs::helm_functions(Arc::clone(&options.lookup)));

        let mut order: Vec<usize> = (0..set.templates.len()).collect();
        order.sort_by(|&a, &b| helm_parse_order(&set.templates[a].name, &set.templates[b].name));
        for &i in &order {
            let t = &set.templates[i];
            if let Err(e) = templates.parse(&t.name, &t.text) {
                return Err(parse_error(&t.name, &e.message));
            }
        }

        let roots = scope_roots(set, options);
        let mut outputs: Vec<Option<String>> = vec![None; set.templates.len()];
        for &i in &order {
            let t = &set.templates[i];
            if !t.render {
                continue;
            }
            let scope = &set.scopes[t.scope];
            let dot = roots[t.scope].shallow_copy();
            let template = Map::new();
            template.insert("Name", Value::from(t.name.as_str()));
            template.insert("BasePath", Value::from(scope.base_path()));
            dot.insert("Template", Value::Map(template.named(convert::VALUES_TYPE)));
            match templates.execute(&t.name, &Value::Map(dot.named(convert::VALUES_TYPE))) {
                Ok(out) => outputs[i] = Some(out.replace("<no value>", "")),
                Err(e) => return Err(exec_error(&t.name, &e.message)),
            }
        }
        Ok(set
            .templates
            .iter()
            .zip(outputs)
            .filter_map(|(t, out)| {
                out.map(|content| RenderedFile {
                    name: t.name.clone(),
                    content,
                })
            })
            .collect())
    }
}

/// The top-level map every template of a scope starts from (without `Template`).
fn scope_roots(set: &TemplateSet<'_>, options: &RenderOptions<'_>) -> Vec<Map> {
    let release = release_value(options);
    let capabilities = capabilities_value(options);
    let roots: Vec<Map> = set
        .scopes
        .iter()
        .enumerate()
        .map(|(i, scope)| {
            let m = Map::new();
            m.insert("Values", convert::values_to_go(&scope.values));
            m.insert("Chart", chart_value(scope, i == 0));
            m.insert("Release", release.clone());
            m.insert("Capabilities", capabilities.clone());
            m.insert(
                "Files",
                Value::Object(Arc::new(Files::new(
                    scope.files.iter().map(|f| (f.name.clone(), f.data.clone())),
                ))),
            );
            m
        })
        .collect();
    for (i, scope) in set.scopes.iter().enumerate() {
        let subcharts = Map::new();
        let prefix = format!("{}/charts/", scope.chart_path);
        for (j, other) in set.scopes.iter().enumerate() {
            if let Some(name) = other.chart_path.strip_prefix(&prefix)
                && !name.contains('/')
            {
                subcharts.insert(name, Value::Map(roots[j].clone()));
            }
        }
        roots[i].insert("Subcharts", Value::Map(subcharts));
    }
    roots
}

fn release_value(options: &RenderOptions<'_>) -> Value {
    let r = &options.release;
    let m = Map::new();
    m.insert("Name", Value::from(r.name.as_str()));
    m.insert("Namespace", Value::from(r.namespace.as_str()));
    m.insert(
        "Revision",
        Value::Int(i64::try_from(r.revision).unwrap_or(i64::MAX)),
    );
    m.insert("IsInstall", Value::Bool(r.is_install));
    m.insert("IsUpgrade", Value::Bool(r.is_upgrade));
    m.insert("Service", Value::from(r.service.as_str()));
    Value::Map(m)
}

fn capabilities_value(options: &RenderOptions<'_>) -> Value {
    let caps = &options.capabilities;
    let helm = Struct {
        type_name: "common.BuildInfo",
        fields: vec![
            ("Version", Value::from(HELM_VERSION)),
            ("GitCommit", Value::from("")),
            ("GitTreeState", Value::from("")),
            ("GoVersion", Value::from("")),
        ],
    };
    Value::Object(Arc::new(Struct {
        type_name: "*common.Capabilities",
        fields: vec![
            (
                "KubeVersion",
                Value::Object(Arc::new(KubeVersion::new(&caps.kube_version))),
            ),
            (
                "APIVersions",
                Value::Object(Arc::new(ApiVersions(Arc::new(caps.api_versions.clone())))),
            ),
            ("HelmVersion", Value::Object(Arc::new(helm))),
        ],
    }))
}

/// `.Chart`: Helm's `map[string]interface {}` with Go field names.
fn chart_value(scope: &Scope<'_>, is_root: bool) -> Value {
    let v = convert::data_to_go(&scope.chart_value());
    if let Value::Map(m) = &v {
        m.insert("IsRoot", Value::Bool(is_root));
        for key in ["Condition", "Tags"] {
            if !m.contains_key(key) {
                m.insert(key, Value::from(""));
            }
        }
    }
    v
}

// Error representation. `RenderError::Template` is one line: `location` is the innermost
// position Go reports for the failing top-level template and `message` the rest of Go's
// text, with two shorthands that `helm_message` expands to Helm's wording:
// `parse error: <msg>` and `execution error: <msg>` (`fail`/`required`).

const PARSE_PREFIX: &str = "parse error: ";
const FAIL_PREFIX: &str = "execution error: ";

/// Helm's `cleanupParseError`: Helm prints `parse error at (<file>:<line>): <last part>`.
fn parse_error(file: &str, go_text: &str) -> RenderError {
    let tokens: Vec<&str> = go_text.split(": ").collect();
    match tokens.get(1).map(|l| parse_location(l)) {
        Some(location) if tokens.len() > 2 && location.line.is_some() => RenderError::Template {
            location,
            message: format!("{PARSE_PREFIX}{}", tokens[tokens.len() - 1]),
        },
        _ => RenderError::Template {
            location: Location::file(file),
            message: format!("parse error in ({file}): {go_text}"),
        },
    }
}

fn parse_location(text: &str) -> Location {
    let mut parts = text.rsplitn(3, ':').collect::<Vec<_>>();
    parts.reverse();
    let nums: Vec<Option<usize>> = parts.iter().map(|p| p.parse().ok()).collect();
    match (parts.len(), nums.as_slice()) {
        (3, [None, Some(l), Some(c)]) => Location {
            file: parts[0].to_string(),
            line: Some(*l),
            column: Some(*c),
        },
        (3, [_, _, Some(l)]) => Location {
            file: format!("{}:{}", parts[0], parts[1]),
            line: Some(*l),
            column: None,
        },
        (2, [_, Some(l)]) => Location {
            file: parts[0].to_string(),
            line: Some(*l),
            column: None,
        },
        _ => Location::file(text),
    }
}

/// One parsed Go execution error: `template: LOC: executing "NAME" at <AT>: MSG`.
struct GoExecError<'a> {
    location: &'a str,
    name: &'a str,
    at: &'a str,
    message: &'a str,
}

fn split_exec_error(text: &str) -> Option<GoExecError<'_>> {
    let rest = text.strip_prefix("template: ")?;
    let (location, rest) = rest.split_once(": executing \"")?;
    let (name, rest) = rest.split_once("\" at <")?;
    let (at, message) = rest.split_once(">: ")?;
    Some(GoExecError {
        location,
        name,
        at,
        message,
    })
}

/// The `fail`/`required` message inside Go's error text, if there is one.
fn helm_failure(go_text: &str) -> Option<&str> {
    let start = go_text.find(funcs::ERR_START)?;
    let body = &go_text[start + funcs::ERR_START.len()..];
    let end = body.find(funcs::ERR_END)?;
    Some(&body[..end])
}

/// Helm's error text (without its `Error: ` prefix) for Go's text of a failed execution:
/// `fail`/`required` become `execution error at (<file>:<line>:<col>): <msg>`; errors
/// raised by a function other than `include` keep Go's one-line text; every other error
/// is laid out as Helm 4's `reformatExecErrorMsg` does (location, `executing` line,
/// message, chained through `include`).
pub fn helm_error_text(go_text: &str) -> String {
    if let Some(msg) = helm_failure(go_text) {
        let location = go_text.split(": ").nth(1).unwrap_or("");
        return format!("execution error at ({location}): {msg}");
    }
    reformat_chain(go_text).unwrap_or_else(|| go_text.to_string())
}

/// `None` when Helm leaves the whole text as Go wrote it (a function other than
/// `include` failed somewhere in the chain).
fn reformat_chain(text: &str) -> Option<String> {
    let Some(e) = split_exec_error(text) else {
        return Some(text.to_string());
    };
    let message = if let Some(inner) = e.message.strip_prefix("error calling include: ") {
        format!("error calling include:\n{}", reformat_chain(inner)?)
    } else if e.message.starts_with("error calling ") {
        return None;
    } else {
        e.message.to_string()
    };
    Some(format!(
        "{}\n  executing \"{}\" at <{}>:\n    {message}",
        e.location, e.name, e.at
    ))
}

fn exec_error(file: &str, go_text: &str) -> RenderError {
    let Some(e) = split_exec_error(go_text) else {
        return RenderError::Template {
            location: Location::file(file),
            message: go_text.to_string(),
        };
    };
    let location = parse_location(e.location);
    if location.line.is_none() {
        return RenderError::Template {
            location,
            message: helm_error_text(go_text),
        };
    }
    let message = match helm_failure(go_text) {
        Some(msg) => format!("{FAIL_PREFIX}{msg}"),
        None => go_text[format!("template: {}: ", e.location).len()..].to_string(),
    };
    RenderError::Template { location, message }
}

/// Helm's full error text (what follows `Error: `) for an error of this engine; the
/// display text for other errors.
pub fn helm_message(err: &RenderError) -> String {
    match err {
        RenderError::Template { location, message } if location.line.is_some() => {
            if let Some(msg) = message.strip_prefix(PARSE_PREFIX) {
                let at = Location {
                    column: None,
                    ..location.clone()
                };
                format!("parse error at ({at}): {msg}")
            } else if let Some(msg) = message.strip_prefix(FAIL_PREFIX) {
                format!("execution error at ({location}): {msg}")
            } else {
                helm_error_text(&format!("template: {location}: {message}"))
            }
        }
        RenderError::Template { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_rewrites_exec_errors() {
        assert_eq!(
            helm_error_text(
                "template: c/t.yaml:1:3: executing \"c/t.yaml\" at <fail \"x\">: error calling fail: HELM_ERR_STARTboomHELM_ERR_END"
            ),
            "execution error at (c/t.yaml:1:3): boom"
        );
        assert_eq!(
            helm_error_text(
                "template: c/t.yaml:1:8: executing \"c/t.yaml\" at <1>: undefined variable: $x"
            ),
            "c/t.yaml:1:8\n  executing \"c/t.yaml\" at <1>:\n    undefined variable: $x"
        );
        let raw = "template: c/t.yaml:1:3: executing \"c/t.yaml\" at <div 1 0>: error calling div: runtime error: integer divide by zero";
        assert_eq!(helm_error_text(raw), raw);
        // A function error at the end of an include chain keeps the whole chain raw.
        let chain = "template: c/t.yaml:2:6: executing \"c/t.yaml\" at <include \"l\" .>: error calling include: template: c/t.yaml:1:24: executing \"l\" at <div 1 0>: error calling div: boom";
        assert_eq!(helm_error_text(chain), chain);
    }

    #[test]
    fn parse_order_is_deepest_then_reverse_alphabetical() {
        let mut names = vec![
            "c/templates/_a.tpl",
            "c/charts/s/templates/x",
            "c/templates/_b.tpl",
        ];
        names.sort_by(|a, b| helm_parse_order(a, b));
        assert_eq!(
            names,
            [
                "c/charts/s/templates/x",
                "c/templates/_b.tpl",
                "c/templates/_a.tpl"
            ]
        );
    }
}
