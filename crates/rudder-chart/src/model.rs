//! The chart model, shared by every chart apiVersion.
//!
//! Field names in serde follow Chart.yaml (and Helm's JSON release record, which uses the
//! same names), so a [`Metadata`] round-trips through both.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use rudder_values::Value;

/// Chart apiVersion. v1 and v2 are Helm's; v3 is Rudder's (see `charts-v3-spec/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiVersion {
    /// Helm 2 charts (`requirements.yaml`). Go templates.
    #[serde(rename = "v1")]
    V1,
    /// Helm 3 charts. Go templates.
    #[serde(rename = "v2")]
    V2,
    /// Rudder v3 charts. Jinja templates rendered with minijinja.
    #[serde(rename = "v3")]
    V3,
}

impl ApiVersion {
    /// The string written in Chart.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
            ApiVersion::V3 => "v3",
        }
    }

    /// Whether templates are Go `text/template` (v1, v2) rather than Jinja (v3).
    pub fn uses_go_templates(self) -> bool {
        !matches!(self, ApiVersion::V3)
    }
}

/// Chart type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartType {
    /// Installable chart (the default).
    #[default]
    Application,
    /// Library chart: provides helpers, renders no manifests.
    Library,
}

/// A chart maintainer.
///
/// Unknown keys are ignored, as Helm ignores them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Maintainer {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
}

/// A dependency declared in Chart.yaml (or requirements.yaml for v1).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Version or semver range.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Repository URL, `@alias`, `file://…` or `oci://…`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    /// Values path (or comma-separated paths) that enable this dependency.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Tags that enable this dependency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Whether the dependency is enabled (computed; Helm serialises it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enabled: bool,
    /// `import-values`: strings or `{child, parent}` maps.
    #[serde(
        rename = "import-values",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    /// Alias under which the subchart is used.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alias: String,
}

/// Chart.yaml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Chart apiVersion.
    pub api_version: ApiVersion,
    /// Chart name.
    pub name: String,
    /// Chart version (SemVer 2; strict for v3).
    pub version: String,
    /// Home page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub home: String,
    /// Source URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// One-line description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Maintainers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    /// Version of the packaged application.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_version: String,
    /// Deprecated flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Annotations.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// Kubernetes version constraint (Masterminds semver syntax).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kube_version: String,
    /// Dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// Chart type.
    #[serde(default, rename = "type", skip_serializing_if = "is_application")]
    pub chart_type: ChartType,
    /// Whether Chart.yaml spelled out `type` (Helm writes it back only then).
    #[serde(skip)]
    pub type_explicit: bool,
    /// Helm 2's chart-level `condition` (deprecated; kept so packaging round-trips it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub condition: String,
    /// Helm 2's chart-level `tags` (deprecated; kept so packaging round-trips it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tags: String,
}

fn is_application(t: &ChartType) -> bool {
    *t == ChartType::Application
}

/// Chart.lock (or requirements.lock for v1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// When the lock was generated (RFC 3339).
    pub generated: String,
    /// Digest of the dependency declarations.
    pub digest: String,
    /// Resolved dependencies.
    pub dependencies: Vec<Dependency>,
}

/// A file of the chart, with its path relative to the chart root (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the chart root, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Contents (a leading UTF-8 byte-order mark is removed on load, as Helm does).
    pub data: Vec<u8>,
    /// Modification time: the file's mtime in a directory, the header mtime in an archive,
    /// `None` for files built in memory. Packaging writes it into the tar header.
    pub modified: Option<SystemTime>,
}

impl File {
    /// A file built in memory (no modification time).
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        File {
            name: name.into(),
            data: data.into(),
            modified: None,
        }
    }
}

/// A loaded chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Chart.yaml.
    pub metadata: Metadata,
    /// Chart.lock, if present.
    pub lock: Option<Lock>,
    /// Parsed `values.yaml` (an empty map when absent).
    pub values: Value,
    /// The raw text of `values.yaml`, for `show values`.
    pub raw_values: Option<Vec<u8>>,
    /// `values.schema.json`, if present.
    pub schema: Option<Vec<u8>>,
    /// Files under `templates/`, in load order (Helm's: a directory walk in byte order of
    /// names, or archive order).
    pub templates: Vec<File>,
    /// Every other file (including `crds/`, README, `.helmignore`, `charts/*.prov`, and
    /// for v1 charts `requirements.yaml`/`requirements.lock`), in load order. This is what
    /// templates see as `.Files`. Chart.yaml, Chart.lock, values.yaml, values.schema.json,
    /// `templates/` and the subcharts under `charts/` are not in it.
    pub files: Vec<File>,
    /// Subcharts loaded from `charts/` (directories and nested archives), in the order
    /// their first file was loaded.
    pub dependencies: Vec<Chart>,
    /// Modification times of Chart.yaml, values.yaml and values.schema.json (used by
    /// packaging; `None` when built in memory).
    pub modified: ModTimes,
}

/// Modification times of the chart files that are not kept as [`File`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModTimes {
    /// Chart.yaml.
    pub chart_yaml: Option<SystemTime>,
    /// values.yaml.
    pub values: Option<SystemTime>,
    /// values.schema.json.
    pub schema: Option<SystemTime>,
}

impl Chart {
    /// Files under `crds/` (CRDs installed before the chart's objects).
    pub fn crd_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().filter(|f| {
            f.name.starts_with("crds/")
                && (f.name.ends_with(".yaml")
                    || f.name.ends_with(".yml")
                    || f.name.ends_with(".json"))
        })
    }

    /// The chart name (from Chart.yaml).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this is a library chart.
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type == ChartType::Library
    }
}
