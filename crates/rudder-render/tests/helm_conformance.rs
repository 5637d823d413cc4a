//! Differential conformance against real Helm 4.1.4: every case of
//! `testdata/helm-conformance/cases/*.yaml` is materialised as the chart
//! `scripts/goldens/helm.sh` builds, rendered, and compared byte for byte with
//! `goldens/<group>.json`.
//!
//! Output cases are rendered through [`GoTemplateEngine`] directly with the case in a
//! `define` and a file `{{ include "conf.case.<name>" . }}` (Helm's per-file
//! `<no value>` removal then gives exactly the script's `replace "<no value>" ""`);
//! error cases go through the whole pipeline (`rudder_render::render`) with the raw
//! template. Cases that do not match yet are listed in
//! `tests/helm_conformance/known_failures.txt`; the test fails on any other mismatch and
//! on a listed case that now passes.

#[path = "helm_conformance/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use rudder_render::gotmpl::GoTemplateEngine;
use rudder_render::{TemplateEngine, TemplateSet, render};
use serde_json::Value;

use support::{Flags, first_difference, helm_error, load_prepared, parse_flags, repo_root};

struct Case {
    name: String,
    tpl: String,
    values: String,
    flags: Vec<String>,
    files: BTreeMap<String, String>,
    chart: String,
    expect: String,
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn load_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("case file");
    let doc: Value = serde_saphyr::from_str(&text).expect("case file is YAML");
    let g_values = str_field(&doc, "values").unwrap_or_default();
    let list = |v: &Value| -> Option<Vec<String>> {
        v.get("flags").and_then(Value::as_array).map(|a| {
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .collect()
        })
    };
    let files = |v: &Value| -> Option<BTreeMap<String, String>> {
        v.get("files").and_then(Value::as_object).map(|m| {
            m.iter()
                .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
                .collect()
        })
    };
    let g_flags = list(&doc).unwrap_or_default();
    let g_files = files(&doc).unwrap_or_default();
    let g_chart = str_field(&doc, "chart").unwrap_or_default();
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: str_field(c, "name").expect("name"),
            tpl: str_field(c, "tpl").expect("tpl"),
            values: str_field(c, "values").unwrap_or_else(|| g_values.clone()),
            flags: list(c).unwrap_or_else(|| g_flags.clone()),
            files: files(c).unwrap_or_else(|| g_files.clone()),
            chart: str_field(c, "chart").unwrap_or_else(|| g_chart.clone()),
            expect: str_field(c, "expect").unwrap_or_else(|| {
                if c.get("shape").is_some() {
                    "shape".into()
                } else {
                    "output".into()
                }
            }),
        })
        .collect()
}

/// Writes the case's chart `conf` and returns its directory.
fn materialise(root: &Path, case: &Case, template: &str) -> std::path::PathBuf {
    let dir = root.join(&case.name).join("conf");
    std::fs::create_dir_all(dir.join("templates")).expect("mkdir");
    let chart = format!("apiVersion: v2\nname: conf\nversion: 0.1.0\n{}", case.chart);
    std::fs::write(dir.join("Chart.yaml"), chart).expect("write");
    std::fs::write(dir.join("values.yaml"), &case.values).expect("write");
    for (path, text) in &case.files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    std::fs::write(
        dir.join("templates").join(format!("{}.yaml", case.name)),
        template,
    )
    .expect("write");
    dir
}

/// Renders one case; `Ok(output)` or `Err(Helm's error text)`.
fn run(root: &Path, case: &Case) -> Result<Result<String, String>, String> {
    let probe = materialise(root, case, "");
    let flags: Flags = parse_flags(&case.flags, &probe)?;
    let options = match flags.render_options() {
        Ok(options) => options,
        Err(flag_error) if case.expect == "error" => return Ok(Err(flag_error)),
        Err(flag_error) => return Err(flag_error),
    };
    if case.expect == "error" {
        let dir = materialise(root, case, &case.tpl);
        let (chart, values) = load_prepared(&dir, &flags)?;
        return Ok(match render(&chart, &values, &options) {
            Ok(r) => Ok(r.template_output(&flags.output_options())),
            Err(e) => Err(helm_error(&e)),
        });
    }
    let define = format!("conf.case.{}", case.name);
    let text = format!(
        "{{{{ define \"{define}\" }}}}{}{{{{ end }}}}{{{{ include \"{define}\" . }}}}",
        case.tpl
    );
    let dir = materialise(root, case, &text);
    let (chart, values) = load_prepared(&dir, &flags)?;
    let set = TemplateSet::from_chart(&chart, &values);
    let want = format!("conf/templates/{}.yaml", case.name);
    Ok(match GoTemplateEngine.render(&set, &options) {
        Ok(files) => Ok(files
            .into_iter()
            .find(|f| f.name == want)
            .map(|f| f.content)
            .unwrap_or_default()),
        Err(e) => Err(helm_error(&e)),
    })
}

#[test]
fn helm_conformance_cases() {
    let base = repo_root().join("testdata/helm-conformance");
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut groups: Vec<_> = std::fs::read_dir(base.join("cases"))
        .expect("cases dir")
        .map(|e| e.expect("entry").path())
        .collect();
    groups.sort();
    let mut failures = BTreeMap::new();
    let mut total = 0;
    for path in groups {
        let group = path.file_stem().unwrap().to_string_lossy().to_string();
        let goldens: Value = serde_json::from_str(
            &std::fs::read_to_string(base.join("goldens").join(format!("{group}.json")))
                .expect("golden"),
        )
        .expect("golden JSON");
        let cases = load_cases(&path);
        let mut group_fail = 0;
        for case in &cases {
            total += 1;
            let id = format!("{group}/{}", case.name);
            let golden = &goldens[&case.name];
            let root = tmp.path().join(&group);
            let result = run(&root, case);
            let reason = match (result, golden) {
                (Err(setup), _) => Some(format!("setup: {setup}")),
                (Ok(got), g) if g.get("output").is_some() => {
                    let want = g["output"].as_str().unwrap_or_default();
                    match got {
                        Ok(out) if out == want => None,
                        Ok(out) => Some(first_difference(want, &out)),
                        Err(e) => Some(format!("error: {}", e.lines().next().unwrap_or(""))),
                    }
                }
                (Ok(got), g) if g.get("error").is_some() => {
                    let want = g["error"].as_str().unwrap_or_default();
                    match got {
                        Err(e) if e == want => None,
                        Err(e) => Some(first_difference(want, &e)),
                        Ok(_) => Some("rendered, Helm fails".to_string()),
                    }
                }
                (Ok(got), g) => {
                    let re = g["shape"]["regex"].as_str().unwrap_or_default();
                    let re = regex::Regex::new(&format!("^(?:{re})$")).expect("shape regex");
                    match got {
                        Ok(out) if re.is_match(&out) => None,
                        Ok(out) => Some(format!(
                            "shape mismatch: {:?}",
                            out.chars().take(60).collect::<String>()
                        )),
                        Err(e) => Some(format!("error: {}", e.lines().next().unwrap_or(""))),
                    }
                }
            };
            if let Some(r) = reason {
                group_fail += 1;
                failures.insert(id, r.replace(['\t', '\n'], " "));
            }
        }
        eprintln!("{group}: {}/{} pass", cases.len() - group_fail, cases.len());
    }
    support::check_known_failures(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm_conformance/known_failures.txt"),
        "helm conformance",
        total,
        &failures,
    );
}

/// Every function Helm 4.1.4 registers (`functions.txt`: Sprig, Helm's additions, Go's
/// builtins) is defined in Rudder's Go engine, and is called by at least one case.
#[test]
fn every_helm_function_is_registered_and_exercised() {
    let base = repo_root().join("testdata/helm-conformance");
    let inventory = std::fs::read_to_string(base.join("functions.txt")).expect("functions.txt");
    let names: Vec<&str> = inventory
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|n| !n.is_empty())
        .collect();
    assert!(names.len() >= 230, "only {} functions listed", names.len());

    // Registered: a template calling each one (never executed) must parse.
    let calls: String = names.iter().map(|n| format!("{{{{ {n} }}}}")).collect();
    let case = Case {
        name: "registry".into(),
        tpl: String::new(),
        values: String::new(),
        flags: Vec::new(),
        files: BTreeMap::new(),
        chart: String::new(),
        expect: "output".into(),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = materialise(
        tmp.path(),
        &case,
        &format!("{{{{ if false }}}}{calls}{{{{ end }}}}"),
    );
    let flags = Flags::default();
    let (chart, values) = load_prepared(&dir, &flags).expect("chart");
    let set = TemplateSet::from_chart(&chart, &values);
    if let Err(e) = GoTemplateEngine.render(&set, &flags.render_options().expect("options")) {
        panic!("not every Helm function is defined: {}", helm_error(&e));
    }

    // Exercised: each name appears as a call inside an action of some case.
    let mut actions = String::new();
    for entry in std::fs::read_dir(base.join("cases")).expect("cases dir") {
        for c in load_cases(&entry.expect("entry").path()) {
            let text = c.tpl + &c.files.into_values().collect::<String>();
            for part in text.split("{{").skip(1) {
                actions.push_str(part.split("}}").next().unwrap_or(""));
                actions.push(' ');
            }
        }
    }
    let unused: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            let re = regex::Regex::new(&format!(r"(^|[^\w.$]){}($|\W)", regex::escape(n)))
                .expect("regex");
            !re.is_match(&actions)
        })
        .collect();
    assert!(unused.is_empty(), "functions without a case: {unused:?}");
}
