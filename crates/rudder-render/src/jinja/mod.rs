//! The apiVersion v3 template engine: Jinja templates rendered with minijinja.
//!
//! Settings (normative in `charts-v3-spec/templates.md`): strict undefined, no
//! auto-escaping, `trim_blocks` and `lstrip_blocks` on, trailing newline kept, a fuel
//! budget and a recursion limit ([`crate::Limits`]). One environment is built per chart
//! scope: `Values`, `Chart`, `Release`, `Capabilities` and `Files` are globals of that
//! environment, so macros imported from any file (`{% import "_helpers.j2" as h %}`) see
//! the importing chart's context; `Template` is passed per render.

mod files;
mod functions;
pub mod semver;

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::{Serde, Value as JValue};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, context};

use crate::engine::{RenderedFile, Scope, TemplateEngine, TemplateSet};
use crate::{Limits, Location, RenderError, RenderOptions};

/// Renders apiVersion v3 charts, with the limits of [`RenderOptions::limits`].
#[derive(Debug, Clone, Copy, Default)]
pub struct MinijinjaEngine;

/// An error raised on purpose by a chart (`fail`, `required`); its text is shown as is.
#[derive(Debug)]
pub(crate) struct ChartFailure(pub String);

impl std::fmt::Display for ChartFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ChartFailure {}

/// Builds a minijinja error carrying a chart-defined message.
pub(crate) fn chart_failure(message: impl Into<String>) -> minijinja::Error {
    let message = message.into();
    minijinja::Error::new(ErrorKind::InvalidOperation, message.clone())
        .with_source(ChartFailure(message))
}

type Sources = Arc<HashMap<String, String>>;

/// Resolves an `import`/`include` name relative to the including template.
///
/// `"x.j2"` means `<chart>/templates/x.j2` of the including template's chart;
/// `"/charts/lib/templates/_x.j2"` is relative to that chart's root. `..` is not allowed.
pub fn resolve_template_name(name: &str, parent: &str) -> String {
    let chart = chart_path_of(parent);
    if name.split('/').any(|s| s == "..") {
        return name.to_string();
    }
    match name.strip_prefix('/') {
        Some(rest) => format!("{chart}/{rest}"),
        None => format!("{chart}/templates/{name}"),
    }
}

/// The chart path of a full template name (`a/charts/b/templates/x.yaml` → `a/charts/b`).
pub(crate) fn chart_path_of(template: &str) -> &str {
    let mut segments = template.split('/');
    let mut end = segments.next().map(str::len).unwrap_or(0);
    let rest: Vec<&str> = segments.collect();
    let mut i = 0;
    while i + 1 < rest.len() && rest[i] == "charts" {
        end += 1 + rest[i].len() + 1 + rest[i + 1].len();
        i += 2;
    }
    &template[..end]
}

fn make_env(
    sources: &Sources,
    scope: &Scope<'_>,
    options: &RenderOptions<'_>,
    limits: Limits,
) -> Environment<'static> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("default delimiters are valid");
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_formatter(|out, state, value| {
        if value.kind() == minijinja::value::ValueKind::Bool || value.is_none() {
            out.write_str(&functions::scalar_string(value))
                .map_err(minijinja::Error::from)
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_fuel(limits.fuel);
    env.set_recursion_limit(limits.recursion);
    let loader_sources = Arc::clone(sources);
    env.set_loader(move |name| Ok(loader_sources.get(name).cloned()));
    env.set_path_join_callback(|name, parent| resolve_template_name(name, parent).into());
    functions::register(&mut env, options, limits);

    let release = &options.release;
    env.add_global(
        "Release",
        context! {
            Name => release.name.clone(),
            Namespace => release.namespace.clone(),
            Revision => release.revision,
            IsInstall => release.is_install,
            IsUpgrade => release.is_upgrade,
            Service => release.service.clone(),
        },
    );
    env.add_global("Capabilities", capabilities_value(&options.capabilities));
    env.add_global("Values", JValue::from(Serde(&scope.values)));
    env.add_global("Chart", JValue::from(Serde(scope.chart_value())));
    env.add_global(
        "Files",
        JValue::from_object(files::Files::new(
            scope
                .files
                .iter()
                .map(|f| (f.name.clone(), Arc::new(f.data.clone()))),
        )),
    );
    env
}

fn capabilities_value(caps: &crate::Capabilities) -> JValue {
    let version = if caps.kube_version.starts_with('v') {
        caps.kube_version.clone()
    } else {
        format!("v{}", caps.kube_version)
    };
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next().unwrap_or_default().to_string();
    let minor = parts.next().unwrap_or_default().to_string();
    context! {
        KubeVersion => context! {
            Version => version.clone(),
            GitVersion => version,
            Major => major,
            Minor => minor,
        },
        APIVersions => caps.api_versions.clone(),
    }
}

impl TemplateEngine for MinijinjaEngine {
    fn name(&self) -> &'static str {
        "minijinja"
    }

    fn render(
        &self,
        set: &TemplateSet<'_>,
        options: &RenderOptions<'_>,
    ) -> Result<Vec<RenderedFile>, RenderError> {
        let sources: Sources = Arc::new(
            set.templates
                .iter()
                .map(|t| (t.name.clone(), t.text.to_string()))
                .collect(),
        );
        let mut envs: Vec<Option<Environment<'static>>> = set.scopes.iter().map(|_| None).collect();
        let mut out = Vec::new();
        for t in set.templates.iter().filter(|t| t.render) {
            let scope = &set.scopes[t.scope];
            let env = envs[t.scope]
                .get_or_insert_with(|| make_env(&sources, scope, options, options.limits));
            let result = env.get_template(&t.name).and_then(|tmpl| {
                tmpl.render(context! {
                    Template => context! { Name => t.name.clone(), BasePath => scope.base_path() },
                })
            });
            match result {
                Ok(content) => out.push(RenderedFile {
                    name: t.name.clone(),
                    content,
                }),
                Err(err) => return Err(convert_error(&err, &t.name, &sources)),
            }
        }
        Ok(out)
    }
}

/// Turns a minijinja error into a one-line [`RenderError::Template`] naming the innermost
/// template, line and column, and for undefined values the expression that was undefined.
pub(crate) fn convert_error(
    err: &minijinja::Error,
    rendering: &str,
    sources: &HashMap<String, String>,
) -> RenderError {
    // Errors raised inside an included/imported template arrive wrapped: report the
    // innermost one that knows its position.
    let mut innermost = err;
    let mut cur: &dyn std::error::Error = err;
    let mut failure: Option<String> = None;
    while let Some(next) = cur.source() {
        if let Some(e) = next.downcast_ref::<minijinja::Error>()
            && e.name().is_some()
        {
            innermost = e;
        }
        if let Some(f) = next.downcast_ref::<ChartFailure>() {
            failure = Some(f.0.clone());
        }
        cur = next;
    }
    let file = innermost.name().unwrap_or(rendering).to_string();
    let source = sources
        .get(&file)
        .map(String::as_str)
        .or(innermost.template_source());
    let mut column = None;
    let mut snippet = None;
    if let (Some(range), Some(src)) = (innermost.range(), source)
        && range.end <= src.len()
        && src.is_char_boundary(range.start)
        && src.is_char_boundary(range.end)
    {
        let line_start = src[..range.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        column = Some(src[line_start..range.start].chars().count() + 1);
        snippet = Some(src[range].to_string());
    }
    let message = if let Some(f) = failure {
        f
    } else {
        let detail = innermost.detail();
        match innermost.kind() {
            ErrorKind::UndefinedError => {
                let path = detail
                    .and_then(|d| d.strip_prefix('`'))
                    .and_then(|d| d.strip_suffix("` is undefined"))
                    .map(str::to_string)
                    .or_else(|| snippet.as_ref().map(|s| s.trim().to_string()));
                match path {
                    Some(p) => format!("undefined value `{p}`"),
                    None => "undefined value".to_string(),
                }
            }
            ErrorKind::OutOfFuel => {
                "template ran out of fuel (endless loop or too much work; see Limits::fuel)"
                    .to_string()
            }
            kind => match detail {
                Some(d) => format!("{kind}: {d}"),
                None => kind.to_string(),
            },
        }
    };
    let message = message.replace('\n', " ");
    RenderError::Template {
        location: Location {
            file,
            line: innermost.line(),
            column,
        },
        message,
    }
}
