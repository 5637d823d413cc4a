//! Rules that only apiVersion v3 charts follow (normative text in `charts-v3-spec/`):
//! resource groups ([`GROUP_ANNOTATION`], [`DEPENDS_ON_ANNOTATION`], HIP-0025 style),
//! subchart ordering ([`SUBCHART_DEPENDS_ON_ANNOTATION`]), the CRD upgrade policy
//! ([`CRD_UPGRADE_ANNOTATION`]) and readiness overrides (`readiness.yaml`).
//!
//! The renderer only validates and records them; the install layer acts on them.

use std::collections::{BTreeMap, BTreeSet};

use rudder_chart::Chart;
use serde::Deserialize;

use crate::manifest::{parse_head, split_manifests};
use crate::{Location, RenderError, Rendered};

/// Names the resource group of a manifest.
pub const GROUP_ANNOTATION: &str = "helm.sh/resource-group";
/// The groups a resource's group waits for: a YAML/JSON flow list, `["a", "b"]`.
pub const DEPENDS_ON_ANNOTATION: &str = "helm.sh/depends-on/resource-groups";
/// Chart.yaml annotation: the subcharts this chart waits for, `["db"]`.
pub const SUBCHART_DEPENDS_ON_ANNOTATION: &str = "helm.sh/depends-on/subcharts";
/// CRD annotation selecting the upgrade policy.
pub const CRD_UPGRADE_ANNOTATION: &str = "rudder.dev/crd-upgrade";
/// The readiness override file at a chart's root.
pub const READINESS_FILE: &str = "readiness.yaml";

/// A resource group, with its members (indices into [`Rendered::manifests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroup {
    /// Group name.
    pub name: String,
    /// Groups that must be ready first (sorted).
    pub depends_on: Vec<String>,
    /// Member manifests.
    pub members: Vec<usize>,
}

/// What happens to a CRD from `crds/` when the release is upgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrdUpgradePolicy {
    /// Created on install when absent, never changed afterwards (Helm's behaviour; default).
    CreateOnly,
    /// Applied on install and upgrade, unless the new definition drops a version still
    /// listed in the live CRD's `status.storedVersions`.
    Upgrade,
}

/// A CRD document and its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdPolicy {
    /// `<chart_path>/crds/<file>`.
    pub source: String,
    /// `metadata.name`.
    pub name: String,
    /// The policy.
    pub policy: CrdUpgradePolicy,
}

/// How readiness of a kind is decided instead of the built-in kstatus rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadinessCheck {
    /// Ready when `status.conditions[type=<name>].status == "True"`.
    Condition(String),
    /// Ready when the field at the dotted path equals the string.
    FieldEquals {
        /// Dotted path, e.g. `status.phase`.
        field: String,
        /// Expected value, compared as a string.
        equals: String,
    },
    /// Ready as soon as it exists.
    Skip,
}

/// A readiness override for one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessRule {
    /// Chart that declared it (`parent/charts/sub`).
    pub chart: String,
    /// API group (`""` for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// The check.
    pub check: ReadinessCheck,
}

/// The v3 information recorded by the renderer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V3Info {
    /// Resource groups in install order (dependencies first, ties by name). Resources
    /// without a group are installed before every group.
    pub groups: Vec<ResourceGroup>,
    /// Per chart path, the subcharts it waits for.
    pub subchart_depends_on: BTreeMap<String, Vec<String>>,
    /// CRDs of the tree with their upgrade policy.
    pub crds: Vec<CrdPolicy>,
    /// Readiness overrides of the tree (the parent's rule wins for the same kind).
    pub readiness: Vec<ReadinessRule>,
}

fn invalid(file: &str, message: String) -> RenderError {
    RenderError::Invalid {
        location: Location::file(file),
        message,
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn parse_list(text: &str, file: &str, annotation: &str) -> Result<Vec<String>, RenderError> {
    let v = rudder_values::yaml::from_str(text, file)
        .map_err(|e| invalid(file, format!("{annotation}: {}", e.message)))?;
    let items = match v {
        serde_json::Value::Array(items) => items,
        _ => {
            return Err(invalid(
                file,
                format!("{annotation} must be a list such as [\"a\", \"b\"], got {text:?}"),
            ));
        }
    };
    items
        .into_iter()
        .map(|i| match i {
            serde_json::Value::String(s) if valid_name(&s) => Ok(s),
            other => Err(invalid(
                file,
                format!(
                    "{annotation}: {other} is not a valid name (lowercase letters, digits, '-')"
                ),
            )),
        })
        .collect()
}

/// Validates and records the v3 rules on a freshly assembled render.
pub(crate) fn check(chart: &Chart, rendered: &mut Rendered) -> Result<(), RenderError> {
    rendered.v3.groups = resource_groups(rendered)?;
    let mut subcharts = BTreeMap::new();
    subchart_order(chart, &chart.metadata.name, &mut subcharts)?;
    rendered.v3.subchart_depends_on = subcharts;
    let mut crds = Vec::new();
    for crd in &rendered.crds {
        for (index, doc) in split_manifests(&crd.content).into_iter().enumerate() {
            let head = parse_head(&doc, &crd.source, index)?;
            if head.kind != "CustomResourceDefinition" {
                return Err(invalid(
                    &crd.source,
                    format!(
                        "document {}: crds/ may only hold CustomResourceDefinitions, found kind {:?}",
                        index + 1,
                        head.kind
                    ),
                ));
            }
            let policy = match head
                .annotations
                .get(CRD_UPGRADE_ANNOTATION)
                .map(String::as_str)
            {
                None | Some("create-only") => CrdUpgradePolicy::CreateOnly,
                Some("upgrade") => CrdUpgradePolicy::Upgrade,
                Some(other) => {
                    return Err(invalid(
                        &crd.source,
                        format!(
                            "document {}: {CRD_UPGRADE_ANNOTATION} must be create-only or upgrade, got {other:?}",
                            index + 1
                        ),
                    ));
                }
            };
            crds.push(CrdPolicy {
                source: crd.source.clone(),
                name: head.name,
                policy,
            });
        }
    }
    rendered.v3.crds = crds;
    let mut readiness = Vec::new();
    readiness_rules(chart, &chart.metadata.name, &mut readiness)?;
    rendered.v3.readiness = readiness;
    Ok(())
}

fn resource_groups(rendered: &Rendered) -> Result<Vec<ResourceGroup>, RenderError> {
    for h in &rendered.hooks {
        for a in [GROUP_ANNOTATION, DEPENDS_ON_ANNOTATION] {
            if h.head.annotations.contains_key(a) {
                return Err(invalid(
                    &h.source,
                    format!(
                        "hook {}/{} cannot carry {a}: hooks are ordered by weight",
                        h.head.kind, h.head.name
                    ),
                ));
            }
        }
    }
    let mut groups: BTreeMap<String, (BTreeSet<String>, Vec<usize>, String)> = BTreeMap::new();
    for (i, m) in rendered.manifests.iter().enumerate() {
        let group = m.head.annotations.get(GROUP_ANNOTATION);
        let deps = m.head.annotations.get(DEPENDS_ON_ANNOTATION);
        let Some(group) = group else {
            if deps.is_some() {
                return Err(invalid(
                    &m.source,
                    format!(
                        "{}/{} has {DEPENDS_ON_ANNOTATION} but no {GROUP_ANNOTATION}",
                        m.head.kind, m.head.name
                    ),
                ));
            }
            continue;
        };
        if !valid_name(group) {
            return Err(invalid(
                &m.source,
                format!(
                    "{GROUP_ANNOTATION}: {group:?} is not a valid name (lowercase letters, digits, '-')"
                ),
            ));
        }
        let entry = groups
            .entry(group.clone())
            .or_insert_with(|| (BTreeSet::new(), Vec::new(), m.source.clone()));
        entry.1.push(i);
        if let Some(d) = deps {
            entry
                .0
                .extend(parse_list(d, &m.source, DEPENDS_ON_ANNOTATION)?);
        }
    }
    for (name, (deps, _, source)) in &groups {
        for d in deps {
            if d == name {
                return Err(invalid(
                    source,
                    format!("resource group {name:?} depends on itself"),
                ));
            }
            if !groups.contains_key(d) {
                return Err(invalid(
                    source,
                    format!("resource group {name:?} depends on unknown group {d:?}"),
                ));
            }
        }
    }
    // Kahn's algorithm; ready groups are taken in name order.
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    while done.len() < groups.len() {
        let next = groups
            .iter()
            .find(|(n, (deps, _, _))| !done.contains(*n) && deps.iter().all(|d| done.contains(d)));
        let Some((name, (deps, members, _))) = next else {
            let stuck: Vec<&str> = groups
                .keys()
                .filter(|n| !done.contains(*n))
                .map(String::as_str)
                .collect();
            let source = &groups[stuck[0]].2;
            return Err(invalid(
                source,
                format!(
                    "resource groups form a dependency cycle: {}",
                    stuck.join(", ")
                ),
            ));
        };
        done.insert(name.clone());
        order.push(ResourceGroup {
            name: name.clone(),
            depends_on: deps.iter().cloned().collect(),
            members: members.clone(),
        });
    }
    Ok(order)
}

fn subchart_order(
    chart: &Chart,
    path: &str,
    out: &mut BTreeMap<String, Vec<String>>,
) -> Result<(), RenderError> {
    if let Some(text) = chart
        .metadata
        .annotations
        .get(SUBCHART_DEPENDS_ON_ANNOTATION)
    {
        let file = format!("{path}/Chart.yaml");
        let mut names = parse_list(text, &file, SUBCHART_DEPENDS_ON_ANNOTATION)?;
        // The chart is prepared: disabled subcharts are gone, and there is nothing to wait
        // for. Names matching no declared dependency at all are lint's business.
        names.retain(|n| {
            let present = chart.dependencies.iter().any(|d| &d.metadata.name == n);
            if !present {
                tracing::debug!(chart = %path, subchart = %n, "depends-on names an absent subchart; ignored");
            }
            present
        });
        if !names.is_empty() {
            out.insert(path.to_string(), names);
        }
    }
    for dep in &chart.dependencies {
        subchart_order(dep, &format!("{path}/charts/{}", dep.metadata.name), out)?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadinessFile {
    #[serde(default)]
    overrides: Vec<ReadinessEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadinessEntry {
    kind: String,
    #[serde(default)]
    group: String,
    condition: Option<String>,
    field: Option<String>,
    equals: Option<String>,
    #[serde(default)]
    skip: bool,
}

fn readiness_rules(
    chart: &Chart,
    path: &str,
    out: &mut Vec<ReadinessRule>,
) -> Result<(), RenderError> {
    if let Some(f) = chart.files.iter().find(|f| f.name == READINESS_FILE) {
        let file = format!("{path}/{READINESS_FILE}");
        let text = String::from_utf8_lossy(&f.data);
        let parsed: ReadinessFile =
            rudder_values::yaml::from_str_typed(&text, &file).map_err(|e| {
                RenderError::Invalid {
                    location: Location {
                        file: file.clone(),
                        line: e
                            .location
                            .as_ref()
                            .and_then(|l| usize::try_from(l.line).ok()),
                        column: e
                            .location
                            .as_ref()
                            .and_then(|l| usize::try_from(l.column).ok()),
                    },
                    message: e.message.clone(),
                }
            })?;
        let mut seen = BTreeSet::new();
        for (i, e) in parsed.overrides.into_iter().enumerate() {
            let at = format!("overrides[{i}] ({})", e.kind);
            if e.kind.is_empty() {
                return Err(invalid(&file, format!("overrides[{i}]: kind is required")));
            }
            if !seen.insert((e.group.clone(), e.kind.clone())) {
                return Err(invalid(
                    &file,
                    format!("{at}: duplicate override for this group and kind"),
                ));
            }
            let check = match (e.condition, e.field, e.equals, e.skip) {
                (Some(c), None, None, false) if !c.is_empty() => ReadinessCheck::Condition(c),
                (None, Some(field), Some(equals), false) if !field.is_empty() => {
                    ReadinessCheck::FieldEquals { field, equals }
                }
                (None, None, None, true) => ReadinessCheck::Skip,
                _ => {
                    return Err(invalid(
                        &file,
                        format!(
                            "{at}: give exactly one of `condition`, `field` with `equals`, or `skip: true`"
                        ),
                    ));
                }
            };
            if out.iter().any(|r| r.group == e.group && r.kind == e.kind) {
                continue; // a parent chart's rule wins
            }
            out.push(ReadinessRule {
                chart: path.to_string(),
                group: e.group,
                kind: e.kind,
                check,
            });
        }
    }
    for dep in &chart.dependencies {
        readiness_rules(dep, &format!("{path}/charts/{}", dep.metadata.name), out)?;
    }
    Ok(())
}
