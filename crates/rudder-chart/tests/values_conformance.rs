//! Values conformance against real Helm 4.1.4.
//!
//! Every case in `testdata/values-conformance/cases.yaml` is run through the chart loader,
//! the user-values assembly (`-f`, `--set` family) and [`prepare`], and compared with the
//! golden that `scripts/goldens/values.sh` recorded from `helm template`: the values each
//! rendered chart saw (keyed `parent`, `parent/charts/sub`, ...) and so which subcharts
//! were enabled, or the fact that Helm failed. Numbers compare numerically (Helm holds
//! them as float64, Rudder keeps integers). Cases with a `rudder` entry are deliberate,
//! documented differences from Helm (Helm bugs); they assert Rudder's result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rudder_chart::values_tree::{PrepareError, prepare};
use rudder_values::options::{ValueOptions, ValuesFile};
use rudder_values::{Map, Value};

fn base() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/values-conformance")
}

#[derive(Debug, serde::Deserialize)]
struct Input {
    name: String,
    text: String,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    name: String,
    chart: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    inputs: Vec<Input>,
    #[serde(default)]
    rudder: Option<Value>,
}

/// The values each chart saw, keyed by chart path, or Helm's error.
#[derive(Debug)]
enum Outcome {
    Charts(BTreeMap<String, Value>),
    Error(String),
}

fn options(case: &Case) -> Result<ValueOptions, String> {
    let mut opts = ValueOptions::default();
    let mut args = case.args.iter();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} without a value"))?
            .clone();
        match flag.as_str() {
            "-f" | "--values" => {
                let input = case
                    .inputs
                    .iter()
                    .find(|i| i.name == value)
                    .ok_or_else(|| format!("no input named {value}"))?;
                opts.files.push(ValuesFile {
                    origin: value,
                    text: input.text.clone(),
                });
            }
            "--set" => opts.set.push(value),
            "--set-string" => opts.set_string.push(value),
            "--set-json" => opts.set_json.push(value),
            "--set-file" => opts.set_file.push(value),
            "--set-literal" => opts.set_literal.push(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(opts)
}

fn collect(
    chart: &rudder_chart::Chart,
    values: &Map,
    path: &str,
    out: &mut BTreeMap<String, Value>,
) {
    out.insert(path.to_string(), Value::Object(values.clone()));
    let empty = Map::new();
    for sub in &chart.dependencies {
        let name = &sub.metadata.name;
        let sub_values = match values.get(name) {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        collect(sub, sub_values, &format!("{path}/charts/{name}"), out);
    }
}

fn run(case: &Case) -> Outcome {
    let opts = match options(case) {
        Ok(o) => o,
        Err(e) => panic!("{}: bad case: {e}", case.name),
    };
    let mut reader = |path: &str| -> Result<Value, String> {
        case.inputs
            .iter()
            .find(|i| i.name == path)
            .map(|i| Value::String(i.text.clone()))
            .ok_or_else(|| format!("open {path}: no such file or directory"))
    };
    let user = match opts.merge(&mut reader) {
        Ok(u) => u,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let chart = rudder_chart::load(base().join("charts").join(&case.chart))
        .unwrap_or_else(|e| panic!("{}: loading chart: {e}", case.name));
    match prepare(&chart, &Value::Object(user)) {
        Ok(p) => {
            let mut out = BTreeMap::new();
            collect(&p.chart, &p.values, &p.chart.metadata.name, &mut out);
            Outcome::Charts(out)
        }
        Err(e @ (PrepareError::Values(_) | PrepareError::Schema(_))) => {
            Outcome::Error(e.to_string())
        }
        Err(e) => panic!("{}: unexpected error: {e}", case.name),
    }
}

/// Equality with numbers compared as f64 (Helm's view of every number).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn expected(case: &Case) -> Outcome {
    let path = base().join("goldens").join(format!("{}.json", case.name));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/goldens/values.sh)", path.display()));
    let golden: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let same_as = case
        .rudder
        .as_ref()
        .and_then(|r| r.get("rule"))
        .and_then(Value::as_str)
        == Some("same-as");
    if let Some(Value::String(e)) = golden.get("error")
        && !same_as
    {
        return Outcome::Error(e.clone());
    }
    let mut charts: BTreeMap<String, Value> = match golden.get("charts") {
        Some(Value::Object(m)) => m.clone().into_iter().collect(),
        _ if same_as => BTreeMap::new(),
        _ => panic!("{}: golden has neither charts nor error", case.name),
    };
    if let Some(rudder) = &case.rudder {
        if rudder.get("rule").and_then(Value::as_str) == Some("same-as") {
            let other = rudder["case"].as_str().unwrap_or_default();
            return expected(&Case {
                name: other.to_string(),
                chart: case.chart.clone(),
                args: vec![],
                inputs: vec![],
                rudder: None,
            });
        }
        apply_rule(&case.name, rudder, &mut charts);
    }
    Outcome::Charts(charts)
}

/// Turns Helm's golden into Rudder's documented result for a known Helm bug.
fn apply_rule(case: &str, rudder: &Value, charts: &mut BTreeMap<String, Value>) {
    match rudder.get("rule").and_then(Value::as_str) {
        // Nulls of a subchart's values.yaml never reach its values: strip nulls from every
        // subchart's view, and from the subchart keys of the root's view.
        Some("drop-subchart-nulls") => {
            let root = charts
                .keys()
                .min_by_key(|k| k.len())
                .cloned()
                .unwrap_or_default();
            let prefix = format!("{root}/charts/");
            let subcharts: Vec<String> = charts
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter(|rest| !rest.contains('/'))
                .map(str::to_string)
                .collect();
            for (k, v) in charts.iter_mut() {
                if *k != root {
                    strip_nulls(v);
                } else if let Value::Object(m) = v {
                    for s in &subcharts {
                        if let Some(sv) = m.get_mut(s) {
                            strip_nulls(sv);
                        }
                    }
                }
            }
        }
        // Keys stay as written: undo Helm's YAML 1.1 bool-key conversion.
        Some("rename-key") => {
            let from = rudder["from"].as_str().unwrap_or_default();
            let to = rudder["to"].as_str().unwrap_or_default();
            for v in charts.values_mut() {
                rename_key(v, from, to);
            }
        }
        // Explicit replacements, each at a chart's view and a JSON pointer.
        Some("patch") => {
            let patches = rudder["patches"].as_array().cloned().unwrap_or_default();
            for p in patches {
                let chart = p["chart"].as_str().unwrap_or_default();
                let pointer = p["pointer"].as_str().unwrap_or_default();
                let slot = charts
                    .get_mut(chart)
                    .and_then(|v| v.pointer_mut(pointer))
                    .unwrap_or_else(|| panic!("{case}: no {pointer} in {chart}"));
                *slot = p["value"].clone();
            }
        }
        other => panic!("{case}: unknown rudder rule {other:?}"),
    }
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        m.values_mut().for_each(strip_nulls);
    }
}

fn rename_key(v: &mut Value, from: &str, to: &str) {
    if let Value::Object(m) = v {
        if let Some(x) = m.remove(from) {
            m.insert(to.to_string(), x);
        }
        for x in m.values_mut() {
            rename_key(x, from, to);
        }
    }
}

#[test]
fn values_conformance() {
    let text = std::fs::read_to_string(base().join("cases.yaml")).expect("cases.yaml");
    let cases: Vec<Case> =
        rudder_values::yaml::from_str_typed(&text, "cases.yaml").expect("parse cases");
    assert!(cases.len() >= 70, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = run(case);
        let want = expected(case);
        let ok = match (&got, &want) {
            (Outcome::Charts(g), Outcome::Charts(w)) => {
                g.len() == w.len() && g.iter().all(|(k, v)| w.get(k).is_some_and(|x| same(v, x)))
            }
            (Outcome::Error(g), Outcome::Error(w)) => same_error(g, w),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "case {}:\n  got:  {}\n  want: {}",
                case.name,
                render(&got),
                render(&want)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Rudder's error must name what Helm's names: the flag, quoted keys and schema paths.
fn same_error(ours: &str, helm: &str) -> bool {
    let helm = helm.strip_prefix("Error: ").unwrap_or(helm);
    if let Some(flag) = helm
        .strip_prefix("failed parsing ")
        .and_then(|r| r.split_whitespace().next())
        && !ours.starts_with(&format!("failed parsing {flag} "))
    {
        return false;
    }
    let quoted = helm.split('"').skip(1).step_by(2);
    let paths = helm
        .split("at '")
        .skip(1)
        .filter_map(|r| r.split('\'').next());
    quoted.chain(paths).all(|t| ours.contains(t))
        && (!helm.contains("type mismatch on ")
            || helm
                .rsplit("type mismatch on ")
                .next()
                .and_then(|r| r.split(':').next())
                .is_some_and(|name| ours.contains(name)))
}

fn render(o: &Outcome) -> String {
    match o {
        Outcome::Error(e) => format!("error: {e}"),
        Outcome::Charts(c) => serde_json::to_string(c).unwrap_or_default(),
    }
}

#[test]
fn error_comparison_is_strict() {
    let helm = r#"Error: failed parsing --set data: key "tag" has no value"#;
    assert!(same_error(
        r#"failed parsing --set data "image.tag": key "tag" has no value"#,
        helm
    ));
    assert!(!same_error(
        r#"failed parsing --set data "x": key "x" has no value"#,
        helm
    ));
    assert!(!same_error(
        r#"failed parsing --set-string data "tag""#,
        helm
    ));
    let schema = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nschema:\n- at '/port': got string, want integer";
    assert!(same_error(
        "schema: at '/port': \"abc\" is not of type \"integer\"",
        schema
    ));
    assert!(!same_error("schema: at '/name': missing", schema));
}
