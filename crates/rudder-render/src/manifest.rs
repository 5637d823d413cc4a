//! From rendered template files to Helm's ordered manifests, hooks and notes.
//!
//! Everything here reproduces Helm 4.1 (`pkg/action/action.go` `renderResources` and
//! `pkg/release/v1/util/manifest_sorter.go`), checked against real `helm template`
//! output (`charts-v3-spec/tools/helm-order-check.sh`, summarised in
//! `charts-v3-spec/ordering.md`):
//!
//! * files are visited in byte order of their full name (so `app/charts/…` sorts before
//!   `app/templates/…`); partials and whitespace-only outputs are skipped;
//! * each file is split on Helm's separator regex `(?:^|\s*\n)---\s*`, documents are
//!   trimmed and empty ones dropped;
//! * documents with a `helm.sh/hook` annotation become [`Hook`]s (unknown hook events drop
//!   the document, as Helm does); all others become [`Manifest`]s;
//! * both lists are stable-sorted by [`INSTALL_ORDER`]; kinds not in the list come last,
//!   sorted by kind name; equal kinds keep file order, then document order.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rudder_chart::Chart;
use rudder_values::Value;

use crate::{Location, RenderError, RenderedFile};

/// Helm's install order of kinds (`releaseutil.InstallOrder`, Helm 4.1.4).
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The hook annotation.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// The hook weight annotation.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// The hook delete policy annotation.
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// The hook output log policy annotation.
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";

/// The identifying head of a rendered document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    /// `apiVersion` (empty when absent).
    pub api_version: String,
    /// `kind` (empty when absent).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A rendered, non-hook Kubernetes document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Full template name, printed as `# Source:`.
    pub source: String,
    /// The document text, trimmed.
    pub content: String,
    /// Its head.
    pub head: Head,
}

/// A lifecycle event a hook runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// `pre-install`
    PreInstall,
    /// `post-install`
    PostInstall,
    /// `pre-delete`
    PreDelete,
    /// `post-delete`
    PostDelete,
    /// `pre-upgrade`
    PreUpgrade,
    /// `post-upgrade`
    PostUpgrade,
    /// `pre-rollback`
    PreRollback,
    /// `post-rollback`
    PostRollback,
    /// `test` (also spelled `test-success`)
    Test,
}

impl HookEvent {
    /// Parses an annotation item (already trimmed and lower-cased).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            _ => return None,
        })
    }

    /// The annotation spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreInstall => "pre-install",
            HookEvent::PostInstall => "post-install",
            HookEvent::PreDelete => "pre-delete",
            HookEvent::PostDelete => "post-delete",
            HookEvent::PreUpgrade => "pre-upgrade",
            HookEvent::PostUpgrade => "post-upgrade",
            HookEvent::PreRollback => "pre-rollback",
            HookEvent::PostRollback => "post-rollback",
            HookEvent::Test => "test",
        }
    }
}

/// A hook document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Full template name.
    pub source: String,
    /// The document text, trimmed.
    pub content: String,
    /// Its head.
    pub head: Head,
    /// Events it runs on, in annotation order.
    pub events: Vec<HookEvent>,
    /// `helm.sh/hook-weight` (0 when absent or not an integer, as in Helm).
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` items, trimmed and lower-cased.
    pub delete_policies: Vec<String>,
    /// `helm.sh/hook-output-log-policy` items, trimmed and lower-cased.
    pub output_log_policies: Vec<String>,
}

impl Hook {
    /// Whether this is a test hook.
    pub fn is_test(&self) -> bool {
        self.events.contains(&HookEvent::Test)
    }
}

/// A CRD file from a chart's `crds/` directory (installed before everything else, never
/// templated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crd {
    /// `<chart_path>/crds/<file>`.
    pub source: String,
    /// Raw file contents.
    pub content: String,
}

/// The result of rendering a chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// Non-hook documents in install order.
    pub manifests: Vec<Manifest>,
    /// Hook documents, sorted by kind (as Helm stores them; execution sorts by weight).
    pub hooks: Vec<Hook>,
    /// Rendered `NOTES.txt` of the top-level chart (and of subcharts when asked).
    pub notes: Option<String>,
    /// CRD files of the whole tree, parent first.
    pub crds: Vec<Crd>,
    /// v3 extras (resource groups, CRD policies, readiness); empty for v1/v2 charts.
    pub v3: crate::v3::V3Info,
}

/// What [`Rendered::template_output`] prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputOptions {
    /// Print CRD files first (`--include-crds`).
    pub include_crds: bool,
    /// Leave out test hooks (`--skip-tests`).
    pub skip_tests: bool,
    /// Leave out all hooks (`--no-hooks`).
    pub no_hooks: bool,
}

impl Rendered {
    /// The release manifest: every non-hook document as `---\n# Source: …\n<doc>\n`.
    pub fn manifest_text(&self) -> String {
        let mut out = String::new();
        for m in &self.manifests {
            push_doc(&mut out, &m.source, &m.content);
        }
        out
    }

    /// The text `helm template` prints: CRDs (when asked), manifests, then hooks.
    pub fn template_output(&self, options: &OutputOptions) -> String {
        let mut out = String::new();
        if options.include_crds {
            for c in &self.crds {
                push_doc(&mut out, &c.source, &c.content);
            }
        }
        out.push_str(&self.manifest_text());
        if !options.no_hooks {
            for h in &self.hooks {
                if options.skip_tests && h.is_test() {
                    continue;
                }
                push_doc(&mut out, &h.source, &h.content);
            }
        }
        out
    }
}

fn push_doc(out: &mut String, source: &str, content: &str) {
    out.push_str("---\n# Source: ");
    out.push_str(source);
    out.push('\n');
    out.push_str(content);
    out.push('\n');
}

static SEPARATOR: LazyLock<regex::Regex> = LazyLock::new(|| {
    // Go's `\s` is ASCII whitespace: [\t\n\f\r ].
    regex::Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").expect("valid regex")
});

/// Splits a rendered file into trimmed, non-empty documents, exactly as Helm's
/// `releaseutil.SplitManifests` does.
pub fn split_manifests(text: &str) -> Vec<String> {
    SEPARATOR
        .split(text.trim())
        .filter(|d| !d.is_empty())
        .map(|d| d.trim().to_string())
        .collect()
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind`: known kinds by install order, unknown kinds after them by name.
pub fn kind_less(a: &str, b: &str) -> bool {
    match (kind_rank(a), kind_rank(b)) {
        (Some(x), Some(y)) => x < y,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => a < b,
    }
}

fn kind_ordering(a: &str, b: &str) -> std::cmp::Ordering {
    if kind_less(a, b) {
        std::cmp::Ordering::Less
    } else if kind_less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

#[derive(serde::Deserialize)]
struct RawHead {
    #[serde(rename = "apiVersion")]
    api_version: Option<Value>,
    kind: Option<Value>,
    metadata: Option<Value>,
}

/// Parses the head of one document (`index` is 0-based, for messages). Only `apiVersion`,
/// `kind` and `metadata` are materialised; a comment-only document gives an empty head.
pub fn parse_head(doc: &str, source: &str, index: usize) -> Result<Head, RenderError> {
    let mut head = Head::default();
    let blank = doc
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---");
    if blank {
        return Ok(head);
    }
    let yaml_error = |message: String, pos: String| RenderError::ManifestYaml {
        location: Location::file(source),
        message: format!("document {}{pos}: {message}", index + 1),
    };
    let raw: RawHead = rudder_values::yaml::from_str_typed(doc, source).map_err(|e| {
        let pos = e
            .location
            .as_ref()
            .map(|l| format!(", line {}, column {}", l.line, l.column))
            .unwrap_or_default();
        yaml_error(e.message, pos)
    })?;
    let bad = |what: String| yaml_error(what, String::new());
    let string_field = |v: Option<&Value>, path: &str| -> Result<String, RenderError> {
        match v {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(bad(format!(
                "{path} must be a string, found {}",
                json_type(other)
            ))),
        }
    };
    head.api_version = string_field(raw.api_version.as_ref(), "apiVersion")?;
    head.kind = string_field(raw.kind.as_ref(), "kind")?;
    match raw.metadata {
        None | Some(Value::Null) => {}
        Some(Value::Object(meta)) => {
            head.name = string_field(meta.get("name"), "metadata.name")?;
            head.namespace = string_field(meta.get("namespace"), "metadata.namespace")?;
            match meta.get("annotations") {
                None | Some(Value::Null) => {}
                Some(Value::Object(ann)) => {
                    for (k, v) in ann {
                        let v = string_field(Some(v), &format!("metadata.annotations.{k}"))?;
                        head.annotations.insert(k.clone(), v);
                    }
                }
                Some(other) => {
                    return Err(bad(format!(
                        "metadata.annotations must be a mapping, found {}",
                        json_type(other)
                    )));
                }
            }
        }
        Some(other) => {
            return Err(bad(format!(
                "metadata must be a mapping, found {}",
                json_type(&other)
            )));
        }
    }
    Ok(head)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn annotation_items(head: &Head, key: &str) -> Vec<String> {
    head.annotations
        .get(key)
        .map(|v| v.split(',').map(|s| s.trim().to_lowercase()).collect())
        .unwrap_or_default()
}

/// Builds [`Rendered`] from the engine output: notes, split, heads, hooks, order, CRDs.
pub(crate) fn assemble(
    chart: &Chart,
    mut files: Vec<RenderedFile>,
    render_subchart_notes: bool,
) -> Result<Rendered, RenderError> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let root_notes = format!("{}/templates/NOTES.txt", chart.metadata.name);
    let mut notes: Option<String> = None;
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for file in files {
        if file.name.ends_with("NOTES.txt") {
            if file.name == root_notes || render_subchart_notes {
                let n = notes.get_or_insert_with(String::new);
                if !n.is_empty() {
                    n.push('\n');
                }
                n.push_str(&file.content);
            }
            continue;
        }
        let base = file.name.rsplit('/').next().unwrap_or(&file.name);
        if base.starts_with('_') || file.content.trim().is_empty() {
            continue;
        }
        for (index, doc) in split_manifests(&file.content).into_iter().enumerate() {
            let head = parse_head(&doc, &file.name, index)?;
            let Some(hook_spec) = head.annotations.get(HOOK_ANNOTATION) else {
                manifests.push(Manifest {
                    source: file.name.clone(),
                    content: doc,
                    head,
                });
                continue;
            };
            let mut events = Vec::new();
            let mut unknown = false;
            for item in hook_spec.split(',') {
                match HookEvent::parse(&item.trim().to_lowercase()) {
                    Some(e) => events.push(e),
                    None => {
                        unknown = true;
                        break;
                    }
                }
            }
            if unknown {
                tracing::info!(template = %file.name, hook = %hook_spec, "skipping unknown hooks");
                continue;
            }
            let weight = head
                .annotations
                .get(HOOK_WEIGHT_ANNOTATION)
                .and_then(|w| w.parse::<i64>().ok())
                .unwrap_or(0);
            hooks.push(Hook {
                source: file.name.clone(),
                delete_policies: annotation_items(&head, HOOK_DELETE_ANNOTATION),
                output_log_policies: annotation_items(&head, HOOK_OUTPUT_LOG_ANNOTATION),
                content: doc,
                head,
                events,
                weight,
            });
        }
    }
    manifests.sort_by(|a, b| kind_ordering(&a.head.kind, &b.head.kind));
    hooks.sort_by(|a, b| kind_ordering(&a.head.kind, &b.head.kind));
    let mut crds = Vec::new();
    collect_crds(chart, &chart.metadata.name, &mut crds);
    Ok(Rendered {
        manifests,
        hooks,
        notes,
        crds,
        v3: Default::default(),
    })
}

fn collect_crds(chart: &Chart, path: &str, out: &mut Vec<Crd>) {
    for f in chart.crd_files() {
        out.push(Crd {
            source: format!("{path}/{}", f.name),
            content: String::from_utf8_lossy(&f.data).into_owned(),
        });
    }
    for dep in &chart.dependencies {
        collect_crds(dep, &format!("{path}/charts/{}", dep.metadata.name), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_helm() {
        assert_eq!(split_manifests("---\na: 1\n---\nb: 2\n"), ["a: 1", "b: 2"]);
        // The separator must start a line.
        assert_eq!(
            split_manifests("a: 1\n   ---\nb: 2"),
            ["a: 1\n   ---\nb: 2"]
        );
        // Helm's regex eats the whitespace after `---`, so an empty document leaves the
        // next separator in the document (verified with helm template 4.1.4).
        assert_eq!(
            split_manifests("a: 1\n---\n\n---\nb: 2"),
            ["a: 1", "---\nb: 2"]
        );
        assert!(split_manifests("   \n").is_empty());
    }

    #[test]
    fn kind_order_unknown_last_alphabetical() {
        assert!(kind_less("Namespace", "Deployment"));
        assert!(kind_less("ValidatingWebhookConfiguration", "Alpha"));
        assert!(kind_less("", "Alpha"));
        assert!(kind_less("Alpha", "Zebra"));
        assert!(!kind_less("Zebra", "Zebra"));
    }

    #[test]
    fn head_rejects_non_string_annotation() {
        let doc = "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook-weight: 5\n";
        let err = parse_head(doc, "c/templates/j.yaml", 0).unwrap_err();
        assert!(
            err.to_string()
                .contains("metadata.annotations.helm.sh/hook-weight"),
            "{err}"
        );
    }
}
