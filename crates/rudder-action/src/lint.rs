//! `lint`: examine a chart for problems without a cluster.
//!
//! Checks, in order: the chart loads (Chart.yaml, values.yaml, archive safety); Chart.yaml
//! fields (apiVersion, name, `version` is a string and SemVer — strict SemVer 2 is an error
//! for v3 and a warning for v1/v2, as in Helm 4 —, icon recommended); values against
//! `values.schema.json`; every template renders; every rendered document is a Kubernetes
//! object with `apiVersion`, `kind` and `metadata.name`. Findings are data; the CLI prints
//! them as `[SEVERITY] file:line: message`.

use std::fmt;
use std::path::Path;

use rudder_chart::values_tree::PrepareError;
use rudder_chart::{ApiVersion, Chart, ChartType};
use rudder_values::Value;

use crate::ActionError;
use crate::template::{TemplateOptions, render_prepared};
use crate::values::ValueSources;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A suggestion.
    Info,
    /// A problem that `--strict` turns into a failure.
    Warning,
    /// The chart is broken.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Error => "ERROR",
        })
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// The file concerned, relative to the chart (e.g. `Chart.yaml`, `templates/cm.yaml`);
    /// empty when the finding is about the chart as a whole. Messages that come from a
    /// parser or the renderer already carry `file:line:column`.
    pub path: String,
    /// One-line message.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "[{}] {}", self.severity, self.message)
        } else {
            write!(f, "[{}] {}: {}", self.severity, self.path, self.message)
        }
    }
}

/// The findings for one chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Findings, in the order the checks ran.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// Whether the chart fails: any error, or any warning when `strict`.
    pub fn failed(&self, strict: bool) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == Severity::Error || (strict && f.severity == Severity::Warning))
    }

    fn push(&mut self, severity: Severity, path: &str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity,
            path: path.to_string(),
            message: message.into(),
        });
    }
}

/// Options of [`lint`].
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// User values to lint with.
    pub values: ValueSources,
    /// Namespace for `.Release.Namespace`.
    pub namespace: String,
    /// Treat warnings as failures.
    pub strict: bool,
    /// `.Capabilities.KubeVersion`.
    pub kube_version: Option<String>,
    /// Do not validate values against `values.schema.json`.
    pub skip_schema_validation: bool,
}

/// Lints the chart at `path`. Problems are findings, never an `Err`.
pub fn lint(path: &Path, opts: &LintOptions) -> LintReport {
    let mut report = LintReport::default();
    if path.is_dir() {
        lint_raw_chart_yaml(path, &mut report);
    }
    let chart = match rudder_chart::loader::load(path) {
        Ok(chart) => chart,
        Err(err) => {
            report.push(Severity::Error, "", format!("unable to load chart: {err}"));
            return report;
        }
    };
    lint_metadata(&chart, &mut report);
    if !chart
        .templates
        .iter()
        .any(|t| t.name.starts_with("templates/"))
    {
        report.push(
            Severity::Warning,
            "templates/",
            "directory does not exist or is empty",
        );
    }
    let template_opts = TemplateOptions {
        chart: path.to_path_buf(),
        release_name: "release-name".to_string(),
        namespace: opts.namespace.clone(),
        kube_version: opts.kube_version.clone(),
        skip_schema_validation: opts.skip_schema_validation,
        ..TemplateOptions::default()
    };
    let user = match opts
        .values
        .load(rudder_chart::values_tree::value_model(&chart))
    {
        Ok(v) => v,
        Err(err) => {
            report.push(Severity::Error, "", err.to_string());
            return report;
        }
    };
    if chart.metadata.chart_type == ChartType::Library {
        return report;
    }
    match render_prepared(&chart, user, &template_opts) {
        Ok(rendered) => {
            for m in &rendered.manifests {
                lint_object(&m.source, &m.head, &mut report);
            }
            for h in &rendered.hooks {
                lint_object(&h.source, &h.head, &mut report);
            }
        }
        Err(ActionError::Prepare(err @ PrepareError::Schema(_))) => {
            report.push(Severity::Error, "values.yaml", err.to_string());
        }
        Err(err) => report.push(Severity::Error, "templates/", err.to_string()),
    }
    report
}

/// Checks Chart.yaml as written (types the typed model cannot see, such as `version: 1.0`,
/// which YAML reads as a number).
fn lint_raw_chart_yaml(dir: &Path, report: &mut LintReport) {
    let Ok(text) = std::fs::read_to_string(dir.join("Chart.yaml")) else {
        return; // the loader reports a missing Chart.yaml
    };
    let Ok(Value::Object(map)) = rudder_values::yaml::from_str(&text, "Chart.yaml") else {
        return; // the loader reports the parse error with its position
    };
    for key in ["version", "appVersion", "name"] {
        match map.get(key) {
            Some(Value::String(_)) | None => {}
            Some(other) => report.push(
                Severity::Error,
                "Chart.yaml",
                format!(
                    "{key} should be of type string but it's of type {}",
                    go_type_name(other)
                ),
            ),
        }
    }
}

fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn lint_metadata(chart: &Chart, report: &mut LintReport) {
    let md = &chart.metadata;
    if md.name.is_empty() {
        report.push(Severity::Error, "Chart.yaml", "name is required");
    }
    if md.version.is_empty() {
        report.push(Severity::Error, "Chart.yaml", "version is required");
    } else if !rudder_chart::version::is_strict_semver(&md.version) {
        let severity = if md.api_version == ApiVersion::V3 {
            Severity::Error
        } else {
            Severity::Warning
        };
        report.push(
            severity,
            "Chart.yaml",
            format!("version '{}' is not a valid SemVerV2", md.version),
        );
    }
    if md.icon.is_empty() {
        report.push(Severity::Info, "Chart.yaml", "icon is recommended");
    }
    if md.api_version == ApiVersion::V1 {
        report.push(
            Severity::Warning,
            "Chart.yaml",
            "apiVersion v1 is deprecated; use v2 (Go templates) or v3 (Rudder's format)",
        );
    }
}

fn lint_object(source: &str, head: &rudder_render::Head, report: &mut LintReport) {
    let mut missing = Vec::new();
    if head.api_version.is_empty() {
        missing.push("apiVersion");
    }
    if head.kind.is_empty() {
        missing.push("kind");
    }
    if head.name.is_empty() {
        missing.push("metadata.name");
    }
    if !missing.is_empty() {
        report.push(
            Severity::Error,
            source,
            format!("object is missing {}", missing.join(", ")),
        );
    }
}
