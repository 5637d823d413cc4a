//! Typed render errors. Every variant prints on one line and names the template (or chart
//! file) it concerns, with line and column when known.

use std::fmt;

/// A position in a chart file: `name[:line[:column]]` (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Full template name (`chart/templates/x.yaml`) or chart file path.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
}

impl Location {
    /// A location naming only a file.
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        Ok(())
    }
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed to parse or evaluate (syntax error, undefined value, `fail`,
    /// `required`, exhausted fuel, ...).
    #[error("{location}: {message}")]
    Template {
        /// Where it failed (innermost template when includes are involved).
        location: Location,
        /// One-line description.
        message: String,
    },
    /// A rendered document is not valid YAML (Helm: "YAML parse error on ...").
    #[error("YAML parse error on {location}: {message}")]
    ManifestYaml {
        /// The template and the position inside the rendered document.
        location: Location,
        /// The parser's message.
        message: String,
    },
    /// No engine is available for the chart's apiVersion.
    #[error(
        "chart {chart}: apiVersion {api_version} needs the Go template engine, which is not configured"
    )]
    NoEngine {
        /// Chart name.
        chart: String,
        /// Its apiVersion.
        api_version: String,
    },
    /// A subchart uses a different template language than its parent (v3 under v1/v2 or
    /// the reverse).
    #[error(
        "{chart}: subchart apiVersion {api_version} cannot be rendered under a parent chart with apiVersion {parent_api_version}"
    )]
    MixedApiVersions {
        /// Full path of the subchart.
        chart: String,
        /// Its apiVersion.
        api_version: String,
        /// The parent's apiVersion.
        parent_api_version: String,
    },
    /// The top-level chart's `kubeVersion` constraint rejects the target Kubernetes
    /// version (Helm's wording; only the top-level chart is checked, so no name).
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {kube_version}"
    )]
    KubeVersion {
        /// Chart name.
        chart: String,
        /// The Chart.yaml constraint.
        constraint: String,
        /// The target version.
        kube_version: String,
    },
    /// `--kube-version` is not a Kubernetes version (Helm's wording).
    #[error("invalid kube version '{given}': {reason}")]
    InvalidKubeVersion {
        /// The flag's value.
        given: String,
        /// Why it does not parse (k8s.io/apimachinery's generic version rules).
        reason: String,
    },
    /// Library charts render nothing and cannot be installed.
    #[error("chart {chart}: library charts are not installable")]
    LibraryChart {
        /// Chart name.
        chart: String,
    },
    /// The post-renderer failed.
    #[error("post-rendering failed")]
    PostRender(#[source] PostRenderError),
    /// The post-renderer returned something that is not a YAML stream of objects.
    #[error("post-renderer output: {message}")]
    PostRenderOutput {
        /// What was wrong, naming the document.
        message: String,
    },
    /// A v3 rule about annotations or chart files was broken (resource groups, CRD
    /// upgrade policy, readiness overrides).
    #[error("{location}: {message}")]
    Invalid {
        /// The offending file (and position when known).
        location: Location,
        /// One-line description, naming the rule.
        message: String,
    },
}

/// A `lookup` could not be answered.
#[derive(Debug, thiserror::Error)]
#[error("lookup failed: {message}")]
pub struct LookupError {
    /// One-line description.
    pub message: String,
}

/// A post-renderer failed.
#[derive(Debug, thiserror::Error)]
#[error("post-renderer failed: {message}")]
pub struct PostRenderError {
    /// One-line description.
    pub message: String,
}
