//! The rendering pipeline shared by every chart apiVersion.
//!
//! This crate owns what happens between a *prepared* chart (subcharts pruned, aliases
//! applied; see `rudder_chart::values_tree`) with its final coalesced values, and the
//! ordered manifests Helm would print:
//!
//! 1. [`TemplateSet::from_chart`] collects every template of the chart tree under its full
//!    name (`parent/charts/sub/templates/x.yaml`) with a per-chart [`Scope`] (scoped
//!    values, `Chart`, `Files`).
//! 2. A [`TemplateEngine`] renders every non-partial template. [`jinja::MinijinjaEngine`]
//!    renders apiVersion v3 charts; the Go-template engine for v1/v2 plugs in through
//!    [`RenderOptions::go_engine`].
//! 3. [`manifest`] extracts `NOTES.txt`, splits multi-document output exactly like Helm,
//!    drops empty documents, reads each document's head, separates hooks and sorts
//!    manifests in Helm's install order ([`manifest::INSTALL_ORDER`]).
//! 4. For v3 charts, [`v3`] validates resource groups, the CRD upgrade policy and
//!    readiness overrides (see `charts-v3-spec/`).
//!
//! It must not coalesce values, read files from disk, talk to a cluster or print: cluster
//! access goes through the [`Lookup`] trait (empty by default, like Helm's client mode) and
//! post-rendering through [`PostRenderer`], both owned here and implemented elsewhere.

use std::sync::Arc;

use rudder_chart::{ApiVersion, Chart};
use rudder_values::Value;

mod engine;
mod error;
pub mod gotmpl;
pub mod jinja;
pub mod manifest;
pub mod postrender;
pub mod v3;

pub use engine::{RenderedFile, Scope, TemplateEngine, TemplateSet, TemplateSource};
pub use error::{Location, LookupError, PostRenderError, RenderError};
pub use manifest::{Crd, Head, Hook, HookEvent, Manifest, OutputOptions, Rendered};

/// Facts about the release being rendered (`Release` in templates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// Release name.
    pub name: String,
    /// Target namespace.
    pub namespace: String,
    /// Revision number (1 on install).
    pub revision: u64,
    /// Whether this render is for an install.
    pub is_install: bool,
    /// Whether this render is for an upgrade or rollback.
    pub is_upgrade: bool,
    /// `.Release.Service`. Rudder reports `Helm`, as Helm does, for every chart version:
    /// charts put it in `app.kubernetes.io/managed-by`/`heritage` labels, Helm's ownership
    /// check requires `managed-by: Helm` on objects it adopts, and v1/v2 output must be
    /// byte-identical to Helm's.
    pub service: String,
}

impl Default for ReleaseInfo {
    fn default() -> Self {
        ReleaseInfo {
            name: "release-name".to_string(),
            namespace: "default".to_string(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            service: "Helm".to_string(),
        }
    }
}

/// What the target cluster supports (`Capabilities` in templates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Kubernetes version, e.g. `v1.34.0` (a leading `v` is added when missing).
    pub kube_version: String,
    /// Available API versions, as `group/version` and `group/version/Kind` strings.
    pub api_versions: Vec<String>,
}

impl Default for Capabilities {
    /// Helm 4.1.4's client-mode defaults (`helm template` without a cluster): Kubernetes
    /// v1.35.0 and [`DEFAULT_API_VERSIONS`].
    fn default() -> Self {
        Capabilities {
            kube_version: "v1.35.0".to_string(),
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Capabilities {
    /// Parses a `--kube-version` flag as Helm 4 does (k8s.io/apimachinery's generic
    /// versions: an optional `v`, at least two dot-separated numbers, the first without a
    /// leading zero, then anything). The result keeps what follows the numbers and gets a
    /// leading `v`: `1.29.3` → `v1.29.3`, `v1.30.0-gke.100` stays as it is.
    ///
    /// # Errors
    /// [`RenderError::InvalidKubeVersion`] with Helm's reason text.
    pub fn parse_kube_version(given: &str) -> Result<String, RenderError> {
        let invalid = |reason: String| RenderError::InvalidKubeVersion {
            given: given.to_string(),
            reason,
        };
        let body = given.trim_start();
        let body = body.strip_prefix('v').unwrap_or(body);
        let numbers_end = body
            .char_indices()
            .scan(false, |after_dot, (i, c)| {
                let ok = c.is_ascii_digit() || (c == '.' && !*after_dot);
                *after_dot = c == '.';
                ok.then_some(i + c.len_utf8())
            })
            .last()
            .unwrap_or(0);
        // The numbers end on a digit: a trailing dot belongs to the rest.
        let numbers = body[..numbers_end].trim_end_matches('.');
        if numbers.is_empty() || numbers.starts_with('.') {
            return Err(invalid(format!("could not parse {given:?} as version")));
        }
        let components: Vec<&str> = numbers.split('.').collect();
        if components.len() < 2 {
            return Err(invalid(format!("illegal version string {given:?}")));
        }
        let first = components[0];
        if first.len() > 1 && first.starts_with('0') {
            return Err(invalid(format!(
                "illegal zero-prefixed version component {first:?} in {given:?}"
            )));
        }
        let trimmed = given.trim_start();
        Ok(if trimmed.starts_with('v') {
            trimmed.to_string()
        } else {
            format!("v{trimmed}")
        })
    }
}

/// The API versions Helm 4.1.4 reports without a cluster (its client-go scheme), as
/// printed by `helm template` with `{{ .Capabilities.APIVersions }}`.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Reads live objects for the `lookup` template function.
///
/// Implementations live in the cluster layer. The renderer only calls this trait; it never
/// opens a connection itself.
pub trait Lookup: Send + Sync {
    /// Returns the object `apiVersion/kind namespace/name` as a JSON-like value, an empty
    /// map when it does not exist, or (when `name` is empty) a list object with `items`.
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, LookupError>;
}

/// The client-mode lookup: every object is absent (an empty map), as in `helm template`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyLookup;

impl Lookup for EmptyLookup {
    fn lookup(&self, _: &str, _: &str, _: &str, _: &str) -> Result<Value, LookupError> {
        Ok(Value::Object(Default::default()))
    }
}

/// Rewrites the rendered manifest stream (Helm 4's post-renderer plugins).
pub trait PostRenderer: Send + Sync {
    /// Receives every document (manifests and hooks) as one YAML stream and returns the
    /// rewritten stream.
    fn run(&self, manifests: &str) -> Result<String, PostRenderError>;
}

/// Resource limits for template evaluation, so a runaway template stops with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Instruction budget per template render (minijinja fuel). `None` disables it.
    pub fuel: Option<u64>,
    /// Maximum nesting of includes and macro calls (minijinja recursion limit).
    pub recursion: usize,
    /// Maximum nesting of `tpl` calls (each starts a fresh render, so it has its own cap).
    pub tpl_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: Some(50_000_000),
            recursion: 200,
            tpl_depth: 16,
        }
    }
}

/// Everything a render needs besides the chart and its values.
#[derive(Clone)]
pub struct RenderOptions<'a> {
    /// The release (`Release`).
    pub release: ReleaseInfo,
    /// The cluster capabilities (`Capabilities`).
    pub capabilities: Capabilities,
    /// Source of `lookup` results. [`EmptyLookup`] outside a cluster.
    pub lookup: Arc<dyn Lookup>,
    /// Template evaluation limits.
    pub limits: Limits,
    /// Collect `NOTES.txt` of subcharts too (Helm's `--render-subchart-notes`).
    pub render_subchart_notes: bool,
    /// Engine for apiVersion v1/v2 charts (Go templates). Without one, such charts fail
    /// with [`RenderError::NoEngine`].
    pub go_engine: Option<&'a dyn TemplateEngine>,
    /// Post-renderer applied to every rendered document before hooks are separated and
    /// manifests sorted (Helm 4: see [`postrender`]).
    pub post_renderer: Option<&'a dyn PostRenderer>,
}

impl Default for RenderOptions<'_> {
    fn default() -> Self {
        RenderOptions {
            release: ReleaseInfo::default(),
            capabilities: Capabilities::default(),
            lookup: Arc::new(EmptyLookup),
            limits: Limits::default(),
            render_subchart_notes: false,
            go_engine: None,
            post_renderer: None,
        }
    }
}

impl std::fmt::Debug for RenderOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderOptions")
            .field("release", &self.release)
            .field("capabilities", &self.capabilities)
            .field("limits", &self.limits)
            .field("render_subchart_notes", &self.render_subchart_notes)
            .field("go_engine", &self.go_engine.map(|e| e.name()))
            .field("post_renderer", &self.post_renderer.is_some())
            .finish_non_exhaustive()
    }
}

/// Renders a prepared chart with its final values.
///
/// `chart` must already be prepared (disabled subcharts removed, aliases applied) and
/// `values` must be the final coalesced values of the top-level chart (each subchart's
/// values under its name, `global` propagated). The engine is chosen by the chart's
/// apiVersion: minijinja for v3, [`RenderOptions::go_engine`] for v1/v2.
pub fn render(
    chart: &Chart,
    values: &Value,
    options: &RenderOptions<'_>,
) -> Result<Rendered, RenderError> {
    let engine: &dyn TemplateEngine = match chart.metadata.api_version {
        ApiVersion::V3 => &jinja::MinijinjaEngine,
        api @ (ApiVersion::V1 | ApiVersion::V2) => {
            options.go_engine.ok_or_else(|| RenderError::NoEngine {
                chart: chart.metadata.name.clone(),
                api_version: api.as_str().to_string(),
            })?
        }
    };
    render_with(engine, chart, values, options)
}

/// Helm's `IsCompatibleRange` check of the top-level chart's `kubeVersion`.
fn check_kube_version(chart: &Chart, caps: &Capabilities) -> Result<(), RenderError> {
    let constraint = chart.metadata.kube_version.trim();
    if constraint.is_empty() {
        return Ok(());
    }
    let incompatible = || RenderError::KubeVersion {
        chart: chart.metadata.name.clone(),
        constraint: constraint.to_string(),
        kube_version: caps.kube_version.clone(),
    };
    match jinja::semver::semver_compare(constraint, &caps.kube_version) {
        Ok(true) => Ok(()),
        Ok(false) => Err(incompatible()),
        Err(e) => Err(RenderError::Invalid {
            location: Location::file(format!("{}/Chart.yaml", chart.metadata.name)),
            message: format!("kubeVersion: {e}"),
        }),
    }
}

/// Every chart of a tree must use the same template language as the top-level chart.
fn check_engines(chart: &Chart, path: &str) -> Result<(), RenderError> {
    let go = chart.metadata.api_version.uses_go_templates();
    for dep in &chart.dependencies {
        let sub_path = format!("{path}/charts/{}", dep.metadata.name);
        if dep.metadata.api_version.uses_go_templates() != go {
            return Err(RenderError::MixedApiVersions {
                chart: sub_path,
                api_version: dep.metadata.api_version.as_str().to_string(),
                parent_api_version: chart.metadata.api_version.as_str().to_string(),
            });
        }
        check_engines(dep, &sub_path)?;
    }
    Ok(())
}

/// Renders with an explicit engine (see [`render`] for the contract on `chart` and
/// `values`).
pub fn render_with(
    engine: &dyn TemplateEngine,
    chart: &Chart,
    values: &Value,
    options: &RenderOptions<'_>,
) -> Result<Rendered, RenderError> {
    if chart.is_library() {
        return Err(RenderError::LibraryChart {
            chart: chart.metadata.name.clone(),
        });
    }
    check_engines(chart, &chart.metadata.name)?;
    check_kube_version(chart, &options.capabilities)?;
    let set = TemplateSet::from_chart(chart, values);
    let mut files = engine.render(&set, options)?;
    if let Some(post) = options.post_renderer {
        files = postrender::run(post, files, &chart.metadata.name)?;
    }
    let is_v3 = chart.metadata.api_version == ApiVersion::V3;
    let mut rendered = manifest::assemble(chart, files, options.render_subchart_notes)?;
    if is_v3 {
        v3::check(chart, &mut rendered)?;
    }
    Ok(rendered)
}

#[cfg(test)]
mod kube_version_tests {
    use super::Capabilities;

    #[test]
    fn kube_version_flags_parse_like_helm() {
        let ok = |s: &str| Capabilities::parse_kube_version(s).unwrap();
        assert_eq!(ok("1.29.3"), "v1.29.3");
        assert_eq!(ok("v1.30.0-gke.100"), "v1.30.0-gke.100");
        assert_eq!(ok("1.30"), "v1.30");
        let err = |s: &str| Capabilities::parse_kube_version(s).unwrap_err().to_string();
        assert_eq!(
            err("banana"),
            r#"invalid kube version 'banana': could not parse "banana" as version"#
        );
        assert_eq!(
            err("1"),
            r#"invalid kube version '1': illegal version string "1""#
        );
        assert_eq!(
            err("01.2"),
            r#"invalid kube version '01.2': illegal zero-prefixed version component "01" in "01.2""#
        );
    }
}
