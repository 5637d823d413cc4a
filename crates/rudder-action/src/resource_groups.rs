//! Install phases of v3 charts (`charts-v3-spec/resource-groups.md`) and their readiness
//! overrides (`charts-v3-spec/readiness.md`), as the install layer enforces them.
//!
//! [`plan`] turns the release objects into ordered [`Phase`]s from two inputs: each object's
//! `helm.sh/resource-group` / `helm.sh/depends-on/resource-groups` annotations, and the
//! charts' `helm.sh/depends-on/subcharts` lists. The units being ordered are the resource
//! groups and, per chart, the resources of that chart without a group. A unit comes after:
//! - the groups its group depends on (GRP-1);
//! - for a group, the ungrouped resources of every chart that has a member in it ("resources
//!   without a group first");
//! - for a unit holding resources of chart `P`, every unit holding resources of the subcharts
//!   `P` waits for (GRP-5), subcharts of those included.
//!
//! Each unit's phase is the length of the longest chain of units before it; units of the same
//! phase are applied together, and the operation waits until every object of a phase is
//! ready (kstatus) before applying the next. Charts of apiVersion v1/v2 have one phase: Helm
//! ignores these annotations.
//!
//! [`readiness_rules`] maps a chart's `readiness.yaml` overrides onto
//! [`rudder_kstatus::ReadinessOverride`]s registered over Rudder's rules.

use std::collections::{BTreeMap, BTreeSet};

use kube::api::DynamicObject;
use rudder_kstatus::{Matcher, Otherwise, ReadinessOverride, RuleSet};
use rudder_render::v3::{
    DEPENDS_ON_ANNOTATION, GROUP_ANNOTATION, ReadinessCheck, ReadinessRule, V3Info,
};

use crate::ActionError;
use crate::ops_error::ReleaseOpError;
use crate::release_ops::parse_objects;

/// One step of an install: objects applied together, then waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// What the phase holds, for messages: group names and `(ungrouped)` parts.
    pub label: String,
    /// Indices of its objects, ascending (install order).
    pub members: Vec<usize>,
}

/// One release object with where it came from.
#[derive(Debug, Clone)]
pub struct SourcedObject {
    /// The template (`chart/templates/x.yaml`, `chart/charts/sub/templates/y.yaml`).
    pub source: String,
    /// The object.
    pub object: DynamicObject,
}

/// Splits a release manifest (`---\n# Source: <path>\n<doc>\n` per document, as Helm and
/// Rudder store it) into objects that remember their template.
///
/// # Errors
/// [`ActionError::InvalidManifest`] for a document that is not a Kubernetes object.
pub fn sourced_objects(manifest: &str) -> Result<Vec<SourcedObject>, ActionError> {
    let mut docs: Vec<(String, String)> = Vec::new();
    let mut lines = manifest.lines().peekable();
    let mut pending_separator = false;
    while let Some(line) = lines.next() {
        if line == "---" {
            if let Some(source) = lines.peek().and_then(|l| l.strip_prefix("# Source: ")) {
                docs.push((source.to_owned(), String::new()));
                lines.next();
                pending_separator = false;
                continue;
            }
            pending_separator = true;
            continue;
        }
        if docs.is_empty() {
            docs.push(("release manifest".to_owned(), String::new()));
        }
        let last = docs.last_mut().map(|(_, text)| text);
        if let Some(text) = last {
            if pending_separator {
                text.push_str("---\n");
                pending_separator = false;
            }
            text.push_str(line);
            text.push('\n');
        }
    }
    let mut out = Vec::new();
    for (source, text) in docs {
        for object in parse_objects(&source, &text)? {
            out.push(SourcedObject {
                source: source.clone(),
                object,
            });
        }
    }
    Ok(out)
}

/// The chart path of a template name: `a/charts/b/templates/x.yaml` → `a/charts/b`.
pub fn chart_of(source: &str) -> String {
    let parts: Vec<&str> = source.split('/').collect();
    let mut end = 1.min(parts.len());
    while end + 1 < parts.len() && parts[end] == "charts" {
        end += 2;
    }
    parts[..end.min(parts.len())].join("/")
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    /// The resources of a chart without a group (sorts before every group).
    Ungrouped(String),
    /// A resource group.
    Group(String),
}

impl Unit {
    fn label(&self) -> String {
        match self {
            Unit::Ungrouped(chart) => format!("(ungrouped in {chart})"),
            Unit::Group(name) => name.clone(),
        }
    }
}

fn annotation<'a>(obj: &'a DynamicObject, key: &str) -> Option<&'a str> {
    obj.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

fn parse_group_list(text: &str, at: &str) -> Result<Vec<String>, ReleaseOpError> {
    let value = rudder_values::yaml::from_str(text, at)
        .map_err(|e| ReleaseOpError::InvalidGroups(format!("{at}: {e}")))?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                serde_json::Value::String(s) => Ok(s),
                other => Err(ReleaseOpError::InvalidGroups(format!(
                    "{at}: {DEPENDS_ON_ANNOTATION} holds {other}, not a group name"
                ))),
            })
            .collect(),
        other => Err(ReleaseOpError::InvalidGroups(format!(
            "{at}: {DEPENDS_ON_ANNOTATION} must be a list, got {other}"
        ))),
    }
}

/// Orders `objects` into phases as the [module docs](self) describe. `subcharts` maps a chart
/// path to the subcharts its own resources wait for ([`V3Info::subchart_depends_on`]).
///
/// # Errors
/// [`ReleaseOpError::InvalidGroups`] for a dependency on an unknown group, a malformed list,
/// or a cycle (listing the units involved).
pub fn plan(
    objects: &[SourcedObject],
    subcharts: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Phase>, ReleaseOpError> {
    let mut unit_of = Vec::with_capacity(objects.len());
    let mut group_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut members: BTreeMap<Unit, Vec<usize>> = BTreeMap::new();
    for (i, o) in objects.iter().enumerate() {
        let chart = chart_of(&o.source);
        let unit = match annotation(&o.object, GROUP_ANNOTATION) {
            Some(group) => {
                let deps = group_deps.entry(group.to_owned()).or_default();
                if let Some(list) = annotation(&o.object, DEPENDS_ON_ANNOTATION) {
                    deps.extend(parse_group_list(list, &o.source)?);
                }
                Unit::Group(group.to_owned())
            }
            None => Unit::Ungrouped(chart.clone()),
        };
        members.entry(unit.clone()).or_default().push(i);
        unit_of.push((unit, chart));
    }
    if group_deps.is_empty() && subcharts.is_empty() {
        return Ok(vec![Phase {
            label: "(all)".to_owned(),
            members: (0..objects.len()).collect(),
        }]);
    }

    // Edges: unit → the units it comes after.
    let mut after: BTreeMap<Unit, BTreeSet<Unit>> = members
        .keys()
        .map(|u| (u.clone(), BTreeSet::new()))
        .collect();
    for (group, deps) in &group_deps {
        let unit = Unit::Group(group.clone());
        for d in deps {
            if !group_deps.contains_key(d) {
                return Err(ReleaseOpError::InvalidGroups(format!(
                    "resource group {group:?} depends on unknown group {d:?}"
                )));
            }
            after
                .entry(unit.clone())
                .or_default()
                .insert(Unit::Group(d.clone()));
        }
    }
    for (unit, chart) in &unit_of {
        if let Unit::Group(_) = unit {
            let ungrouped = Unit::Ungrouped(chart.clone());
            if members.contains_key(&ungrouped) {
                after.entry(unit.clone()).or_default().insert(ungrouped);
            }
        }
    }
    for (parent, subs) in subcharts {
        let waiting: BTreeSet<&Unit> = unit_of
            .iter()
            .filter(|(_, chart)| chart == parent)
            .map(|(u, _)| u)
            .collect();
        for sub in subs {
            let prefix = format!("{parent}/charts/{sub}");
            let awaited: BTreeSet<&Unit> = unit_of
                .iter()
                .filter(|(_, chart)| chart == &prefix || chart.starts_with(&format!("{prefix}/")))
                .map(|(u, _)| u)
                .collect();
            for w in &waiting {
                for a in &awaited {
                    after.entry((*w).clone()).or_default().insert((*a).clone());
                }
            }
        }
    }

    // Longest chain of predecessors, with cycle detection.
    let mut level: BTreeMap<Unit, usize> = BTreeMap::new();
    for unit in members.keys() {
        let mut visiting = Vec::new();
        depth(unit, &after, &mut level, &mut visiting)?;
    }
    let phases_count = level.values().copied().max().map_or(0, |m| m + 1);
    let mut phases = Vec::with_capacity(phases_count);
    for n in 0..phases_count {
        let units: Vec<&Unit> = level
            .iter()
            .filter(|(_, l)| **l == n)
            .map(|(u, _)| u)
            .collect();
        let mut idx: Vec<usize> = units
            .iter()
            .flat_map(|u| members[*u].iter().copied())
            .collect();
        idx.sort_unstable();
        phases.push(Phase {
            label: units
                .iter()
                .map(|u| u.label())
                .collect::<Vec<_>>()
                .join(", "),
            members: idx,
        });
    }
    Ok(phases)
}

fn depth(
    unit: &Unit,
    after: &BTreeMap<Unit, BTreeSet<Unit>>,
    level: &mut BTreeMap<Unit, usize>,
    visiting: &mut Vec<Unit>,
) -> Result<usize, ReleaseOpError> {
    if let Some(l) = level.get(unit) {
        return Ok(*l);
    }
    if let Some(start) = visiting.iter().position(|u| u == unit) {
        let cycle: Vec<String> = visiting[start..].iter().map(Unit::label).collect();
        return Err(ReleaseOpError::InvalidGroups(format!(
            "the install order has a cycle: {} -> {}",
            cycle.join(" -> "),
            unit.label()
        )));
    }
    visiting.push(unit.clone());
    let mut l = 0;
    for before in after.get(unit).into_iter().flatten() {
        if before == unit {
            return Err(ReleaseOpError::InvalidGroups(format!(
                "{} must wait for itself (a group spans a chart and a subchart it waits for)",
                unit.label()
            )));
        }
        l = l.max(depth(before, after, level, visiting)? + 1);
    }
    visiting.pop();
    level.insert(unit.clone(), l);
    Ok(l)
}

/// The phases of a render: [`plan`] for a v3 chart, one phase otherwise.
///
/// # Errors
/// As [`plan`].
pub fn plan_for(
    objects: &[SourcedObject],
    v3: Option<&V3Info>,
) -> Result<Vec<Phase>, ReleaseOpError> {
    match v3 {
        Some(info) => plan(objects, &info.subchart_depends_on),
        None => Ok(vec![Phase {
            label: "(all)".to_owned(),
            members: (0..objects.len()).collect(),
        }]),
    }
}

/// The readiness override of one `readiness.yaml` entry (RDY-1):
/// - `condition: X` → `Current` when `status.conditions[type=X].status == "True"`;
/// - `field` / `equals` → `Current` when the field equals the string (a field holding the
///   number or boolean that the string spells matches too, "compared as a string");
/// - `skip: true` → `Current` as soon as the object exists (no generation check).
///
/// Anything else keeps the object `InProgress`.
pub fn readiness_override(rule: &ReadinessRule) -> ReadinessOverride {
    let matcher = |m: Matcher| vec![m];
    let empty = Matcher {
        condition: None,
        status: None,
        reasons: None,
        field: None,
        equals: None,
        one_of: None,
        exists: None,
    };
    let (current, otherwise, ignore_generation) = match &rule.check {
        ReadinessCheck::Condition(c) => (
            matcher(Matcher {
                condition: Some(c.clone()),
                status: Some("True".to_owned()),
                ..empty
            }),
            Otherwise::InProgress,
            false,
        ),
        ReadinessCheck::FieldEquals { field, equals } => {
            let mut values = vec![serde_json::Value::String(equals.clone())];
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(equals)
                && (v.is_number() || v.is_boolean())
            {
                values.push(v);
            }
            (
                matcher(Matcher {
                    field: Some(field.clone()),
                    one_of: Some(values),
                    ..empty
                }),
                Otherwise::InProgress,
                false,
            )
        }
        ReadinessCheck::Skip => (Vec::new(), Otherwise::Current, true),
    };
    ReadinessOverride {
        group: rule.group.clone(),
        kind: rule.kind.clone(),
        ignore_observed_generation: ignore_generation,
        failed: Vec::new(),
        current,
        message_field: None,
        otherwise,
    }
}

/// Rudder's rules with the chart's readiness overrides registered over them (RDY-3: the
/// renderer already kept the parent's rule where a subchart overrides the same kind).
///
/// # Errors
/// [`ActionError::InvalidManifest`] naming `readiness.yaml` when an override does not compile
/// (an unparsable field path).
pub fn readiness_rules(rules: &[ReadinessRule]) -> Result<RuleSet, ActionError> {
    let mut set = RuleSet::rudder();
    for rule in rules {
        readiness_override(rule)
            .register_into(&mut set)
            .map_err(|e| ActionError::InvalidManifest {
                source_path: format!("{}/{}", rule.chart, rudder_render::v3::READINESS_FILE),
                reason: e.to_string(),
            })?;
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(source: &str, name: &str, group: Option<&str>, deps: Option<&str>) -> SourcedObject {
        let mut annotations = serde_json::Map::new();
        if let Some(g) = group {
            annotations.insert(GROUP_ANNOTATION.into(), json!(g));
        }
        if let Some(d) = deps {
            annotations.insert(DEPENDS_ON_ANNOTATION.into(), json!(d));
        }
        SourcedObject {
            source: source.to_owned(),
            object: rudder_kube::dynamic_object(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "annotations": annotations}
            }))
            .unwrap(),
        }
    }

    fn names(objects: &[SourcedObject], phases: &[Phase]) -> Vec<Vec<String>> {
        phases
            .iter()
            .map(|p| {
                p.members
                    .iter()
                    .map(|&i| objects[i].object.metadata.name.clone().unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn chart_paths_of_templates() {
        assert_eq!(chart_of("top/templates/a.yaml"), "top");
        assert_eq!(chart_of("top/charts/db/templates/a.yaml"), "top/charts/db");
        assert_eq!(
            chart_of("top/charts/db/charts/x/templates/t/a.yaml"),
            "top/charts/db/charts/x"
        );
        assert_eq!(chart_of("top/templates/charts/a.yaml"), "top");
    }

    #[test]
    fn ungrouped_first_then_groups_by_dependency() {
        let objects = vec![
            obj(
                "c/templates/a.yaml",
                "sample",
                Some("samples"),
                Some(r#"["controllers"]"#),
            ),
            obj("c/templates/a.yaml", "plain", None, None),
            obj("c/templates/b.yaml", "ctl", Some("controllers"), None),
            obj("c/templates/b.yaml", "other", Some("other"), None),
        ];
        let phases = plan(&objects, &BTreeMap::new()).unwrap();
        assert_eq!(
            names(&objects, &phases),
            [vec!["plain"], vec!["ctl", "other"], vec!["sample"]]
        );
        assert_eq!(phases[1].label, "controllers, other");
    }

    #[test]
    fn no_annotations_is_one_phase() {
        let objects = vec![
            obj("c/templates/a.yaml", "a", None, None),
            obj("c/charts/s/templates/a.yaml", "b", None, None),
        ];
        let phases = plan(&objects, &BTreeMap::new()).unwrap();
        assert_eq!(names(&objects, &phases), [vec!["a", "b"]]);
    }

    #[test]
    fn subchart_order_waits_for_the_whole_subtree() {
        let objects = vec![
            obj("c/templates/a.yaml", "app", None, None),
            obj("c/charts/db/templates/a.yaml", "db", None, None),
            obj(
                "c/charts/db/charts/disk/templates/a.yaml",
                "disk",
                None,
                None,
            ),
            obj("c/charts/cache/templates/a.yaml", "cache", None, None),
        ];
        let subcharts = BTreeMap::from([("c".to_owned(), vec!["db".to_owned()])]);
        let phases = plan(&objects, &subcharts).unwrap();
        assert_eq!(
            names(&objects, &phases),
            [vec!["db", "disk", "cache"], vec!["app"]]
        );
    }

    #[test]
    fn cycles_and_unknown_groups_are_errors() {
        let objects = vec![
            obj("c/templates/a.yaml", "a", Some("a"), Some(r#"["b"]"#)),
            obj("c/templates/a.yaml", "b", Some("b"), Some(r#"["a"]"#)),
        ];
        let err = plan(&objects, &BTreeMap::new()).unwrap_err().to_string();
        assert!(err.contains("cycle: a -> b -> a"), "{err}");
        let objects = vec![obj("c/templates/a.yaml", "a", Some("a"), Some(r#"["zz"]"#))];
        let err = plan(&objects, &BTreeMap::new()).unwrap_err().to_string();
        assert!(err.contains("unknown group \"zz\""), "{err}");
        // A group spanning a chart and the subchart it waits for.
        let objects = vec![
            obj("c/templates/a.yaml", "a", Some("g"), None),
            obj("c/charts/s/templates/a.yaml", "b", Some("g"), None),
        ];
        let subcharts = BTreeMap::from([("c".to_owned(), vec!["s".to_owned()])]);
        let err = plan(&objects, &subcharts).unwrap_err().to_string();
        assert!(err.contains("g must wait for itself"), "{err}");
    }

    #[test]
    fn stored_manifests_split_back_into_sourced_objects() {
        let text = "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: c/charts/s/templates/b.yaml\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
        let objects = sourced_objects(text).unwrap();
        let got: Vec<(String, String)> = objects
            .iter()
            .map(|o| (o.source.clone(), o.object.metadata.name.clone().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("c/templates/a.yaml".to_owned(), "a".to_owned()),
                ("c/charts/s/templates/b.yaml".to_owned(), "b".to_owned())
            ]
        );
    }

    #[test]
    fn readiness_entries_map_onto_overrides() {
        use rudder_kstatus::{ComputeOptions, Status, Strategy};
        let rules = readiness_rules(&[
            ReadinessRule {
                chart: "c".into(),
                group: "example.com".into(),
                kind: "Widget".into(),
                check: ReadinessCheck::Condition("Synced".into()),
            },
            ReadinessRule {
                chart: "c".into(),
                group: "example.com".into(),
                kind: "Task".into(),
                check: ReadinessCheck::FieldEquals {
                    field: "status.count".into(),
                    equals: "3".into(),
                },
            },
            ReadinessRule {
                chart: "c".into(),
                group: "".into(),
                kind: "Pod".into(),
                check: ReadinessCheck::Skip,
            },
        ])
        .unwrap();
        let options = ComputeOptions::rudder(std::time::SystemTime::UNIX_EPOCH);
        let read = |v: serde_json::Value| Strategy::Wait.read(&v, &rules, &options).status;
        let widget = |status: &str| {
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                   "status": {"conditions": [{"type": "Synced", "status": status}]}})
        };
        assert_eq!(read(widget("True")), Status::Current);
        assert_eq!(read(widget("False")), Status::InProgress);
        let task = |count: serde_json::Value| {
            json!({"apiVersion": "example.com/v1", "kind": "Task", "metadata": {"name": "t"},
                   "status": {"count": count}})
        };
        assert_eq!(read(task(json!(3))), Status::Current);
        assert_eq!(read(task(json!("3"))), Status::Current);
        assert_eq!(read(task(json!(2))), Status::InProgress);
        let pending_pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                 "status": {"phase": "Pending"}});
        assert_eq!(read(pending_pod), Status::Current);
    }
}
