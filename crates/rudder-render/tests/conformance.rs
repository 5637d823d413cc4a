//! Charts v3 conformance: every rule of `charts-v3-spec/` has a case under
//! `testdata/v3-conformance/<RULE-ID>[.<variant>]/`:
//!
//! * `chart/` — the chart (loaded with `rudder_chart::loader`);
//! * `values.yaml` — optional user values;
//! * `options.yaml` — optional render options (`releaseName`, `namespace`, `revision`,
//!   `isUpgrade`, `kubeVersion`, `apiVersions`, `renderSubchartNotes`, `fuel`);
//! * `expected.txt` — the expected report (see [`report`]) or `error: <one line>`.
//!
//! These goldens are Rudder's own (there is no Helm for v3). Regenerate them with
//! `UPDATE_GOLDENS=1 cargo test -p rudder-render --test conformance` and review the diff.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use rudder_render::{Limits, OutputOptions, RenderOptions, Rendered, render};

fn report(r: &Rendered) -> String {
    let mut out = r.template_output(&OutputOptions {
        include_crds: true,
        ..Default::default()
    });
    if !r.hooks.is_empty() {
        out.push_str("# === hooks\n");
        for h in &r.hooks {
            let events: Vec<&str> = h.events.iter().map(|e| e.as_str()).collect();
            let _ = writeln!(
                out,
                "{} {}/{} events={} weight={} delete={}",
                h.source,
                h.head.kind,
                h.head.name,
                events.join(","),
                h.weight,
                h.delete_policies.join(",")
            );
        }
    }
    if !r.v3.groups.is_empty() {
        out.push_str("# === resource groups (install order)\n");
        for g in &r.v3.groups {
            let members: Vec<String> = g
                .members
                .iter()
                .map(|i| {
                    format!(
                        "{}/{}",
                        r.manifests[*i].head.kind, r.manifests[*i].head.name
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "{} depends-on=[{}] members=[{}]",
                g.name,
                g.depends_on.join(","),
                members.join(",")
            );
        }
    }
    for (chart, subs) in &r.v3.subchart_depends_on {
        let _ = writeln!(
            out,
            "# === {chart} waits for subcharts [{}]",
            subs.join(",")
        );
    }
    if !r.v3.crds.is_empty() {
        out.push_str("# === crds\n");
        for c in &r.v3.crds {
            let _ = writeln!(out, "{} {} policy={:?}", c.source, c.name, c.policy);
        }
    }
    if !r.v3.readiness.is_empty() {
        out.push_str("# === readiness overrides\n");
        for rule in &r.v3.readiness {
            let _ = writeln!(
                out,
                "{} group={:?} kind={} check={:?}",
                rule.chart, rule.group, rule.kind, rule.check
            );
        }
    }
    if let Some(notes) = &r.notes {
        out.push_str("# === NOTES.txt\n");
        out.push_str(notes);
    }
    out
}

fn run_case(dir: &Path) -> String {
    // Loader errors name absolute paths; goldens keep them relative to the case.
    let prefix = format!("{}/", dir.display());
    let chart = match common::load(&dir.join("chart")) {
        Ok(c) => c,
        Err(e) => return format!("error: {}\n", e.replace(&prefix, "")),
    };
    let read_yaml = |name: &str| -> serde_json::Value {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => rudder_values::yaml::from_str(&text, name)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            Err(_) => serde_json::Value::Null,
        }
    };
    let user = read_yaml("values.yaml");
    let opts = read_yaml("options.yaml");
    let mut options = RenderOptions::default();
    let s = |k: &str| opts.get(k).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(v) = s("releaseName") {
        options.release.name = v;
    }
    if let Some(v) = s("namespace") {
        options.release.namespace = v;
    }
    if let Some(v) = s("kubeVersion") {
        options.capabilities.kube_version = v;
    }
    if let Some(v) = opts.get("revision").and_then(|v| v.as_u64()) {
        options.release.revision = v;
    }
    if opts.get("isUpgrade").and_then(|v| v.as_bool()) == Some(true) {
        options.release.is_upgrade = true;
        options.release.is_install = false;
    }
    if let Some(list) = opts.get("apiVersions").and_then(|v| v.as_array()) {
        options
            .capabilities
            .api_versions
            .extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    options.render_subchart_notes =
        opts.get("renderSubchartNotes").and_then(|v| v.as_bool()) == Some(true);
    if let Some(f) = opts.get("fuel").and_then(|v| v.as_u64()) {
        options.limits = Limits {
            fuel: Some(f),
            ..Limits::default()
        };
    }
    options.lookup = Arc::new(rudder_render::EmptyLookup);
    let (chart, values) = match common::prepare(&chart, &user) {
        Ok(p) => p,
        Err(e) => return format!("error: {}\n", e.replace(&prefix, "")),
    };
    match render(&chart, &values, &options) {
        Ok(r) => report(&r),
        Err(e) => format!("error: {e}\n"),
    }
}

/// Rules about what happens on a cluster (install order, CRD upgrades) cannot be shown by a
/// render case. Their section names the test that shows them, on a line
/// ``Tested by: `path` `` (relative to the repository root); that file must exist and
/// mention the rule ID. Returns the IDs so covered.
fn rules_tested_elsewhere() -> BTreeSet<String> {
    let root = common::repo_root();
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(root.join("charts-v3-spec")).expect("charts-v3-spec exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let mut current: Option<String> = None;
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if let Some(rest) = line.strip_prefix("### ") {
                current = rest.split_once(':').map(|(id, _)| id.to_string());
            } else if line.starts_with("## ") {
                current = None;
            } else if let (Some(id), Some(rest)) = (&current, line.strip_prefix("Tested by: `")) {
                let test = rest.split('`').next().unwrap_or_default();
                let text = std::fs::read_to_string(root.join(test))
                    .unwrap_or_else(|e| panic!("{id}: Tested by {test}: {e}"));
                assert!(text.contains(id.as_str()), "{test} does not mention {id}");
                ids.insert(id.clone());
            }
        }
    }
    ids
}

/// Rule IDs declared in the spec: headings like `### TPL-3: ...`.
fn spec_rule_ids() -> BTreeSet<String> {
    let spec = common::repo_root().join("charts-v3-spec");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(&spec).expect("charts-v3-spec exists") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            if let Some(rest) = line.strip_prefix("### ")
                && let Some((id, _)) = rest.split_once(':')
                && id.contains('-')
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            {
                assert!(ids.insert(id.to_string()), "rule {id} is declared twice");
            }
        }
    }
    ids
}

#[test]
fn v3_conformance() {
    let root = common::repo_root().join("testdata/v3-conformance");
    let update = std::env::var_os("UPDATE_GOLDENS").is_some_and(|v| v == "1");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata/v3-conformance exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let ids = spec_rule_ids();
    assert!(ids.len() >= 20, "spec declares only {} rules", ids.len());
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let id = name.split('.').next().unwrap().to_string();
        assert!(ids.contains(&id), "case {name} names no rule of the spec");
        covered.insert(id);
        let actual = run_case(dir);
        let golden = dir.join("expected.txt");
        if update {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {name}\nexpected:\n{expected}\nactual:\n{actual}"
            ));
        }
    }
    covered.extend(rules_tested_elsewhere());
    let missing: Vec<_> = ids.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "rules without a conformance case: {missing:?}"
    );
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
