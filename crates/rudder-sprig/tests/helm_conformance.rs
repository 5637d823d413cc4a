//! Runs every case of `testdata/helm-conformance` whose template needs only Sprig and Go's builtins
//! (no Helm functions or objects) through rudder-gotmpl + rudder-sprig and compares with the golden
//! produced by real Helm 4.1.4.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rudder_gotmpl::{ArgType, Function, Map, Templates, Value};
use rudder_sprig::json::{JsonOptions, encode};
use serde_json::Value as J;

/// Template text that needs Helm (functions, objects or chart files) and is out of scope here.
const HELM_ONLY: &[&str] = &[
    "include",
    "tpl ",
    "tpl(",
    "toYaml",
    "fromYaml",
    "toToml",
    "fromToml",
    "fromJson",
    ".Files",
    ".Capabilities",
    ".Chart",
    ".Release",
    ".Template",
    ".Subcharts",
    "required",
    "lookup",
    "fail",
    "getHostByName",
    "fromJsonArray",
    "toYamlPretty",
    "mustToYaml",
    "mustToJson",
    "$.",
];

/// Cases known to differ, with the reason (kept honest: each one is re-checked and must still fail).
const KNOWN: &[(&str, &str)] = &[(
    "syntax/dot-at-root-keys",
    "Helm's top-level objects (.Chart, .Release, ...) are not in this harness",
)];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/helm-conformance")
}

/// YAML 1.1 reads these keys as booleans; sigs.k8s.io/yaml then turns them into "true"/"false".
fn yaml11_key(k: &str) -> String {
    match k {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            "true".into()
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            "false".into()
        }
        other => other.to_string(),
    }
}

fn to_value(j: &J) -> Value {
    match j {
        J::Null => Value::Nil,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::list(a.iter().map(to_value).collect()),
        J::Object(o) => {
            let m: BTreeMap<String, Value> = o
                .iter()
                .map(|(k, v)| (yaml11_key(k), to_value(v)))
                .collect();
            Value::Map(Map::from(m))
        }
    }
}

/// Values as Helm decodes a values file (numbers become float64). `None` when serde-saphyr cannot
/// read the file the way Helm does (those cases belong to the values layer, not to Sprig).
fn decode_values(text: &str) -> Option<Value> {
    let opts = serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::LastWins,
    };
    let j: J = if text.trim().is_empty() {
        J::Null
    } else {
        serde_saphyr::from_str_with_options(text, opts).ok()?
    };
    Some(match to_value(&j) {
        Value::Nil => Value::Map(Map::new()),
        v => v,
    })
}

fn templates() -> Templates {
    let mut t = Templates::new("conf");
    rudder_sprig::register(&mut t);
    // Helm's toJson (json.Marshal; errors print as ""), needed by many Sprig cases to show structure.
    t.add_func(
        "toJson",
        Function::new(vec![ArgType::Any], None, |_, a| {
            Ok(Value::from(
                encode(
                    &a[0],
                    JsonOptions {
                        escape_html: true,
                        pretty: false,
                    },
                )
                .unwrap_or_default(),
            ))
        }),
    );
    t
}

enum Outcome {
    Pass,
    Fail(String),
}

fn error_part(s: &str) -> Option<String> {
    let i = s.find("error calling ")?;
    Some(s[i..].lines().next().unwrap_or("").to_string())
}

fn run_case(name: &str, tpl: &str, values: &Value, golden: &J) -> Outcome {
    let file = format!("conf/templates/{name}.yaml");
    let mut t = templates();
    let mut dot = BTreeMap::new();
    // `.` and `.Values` are Helm's named map type `common.Values`.
    let values = match values {
        Value::Map(m) => Value::Map(m.named("common.Values")),
        other => other.clone(),
    };
    dot.insert("Values".to_string(), values);
    let dot = Value::Map(Map::from(dot).named("common.Values"));
    let result = t
        .parse(&file, tpl)
        .map_err(|e| e.to_string())
        .and_then(|t| t.execute(&file, &dot).map_err(|e| e.to_string()))
        .map(|s| s.replace("<no value>", ""));
    if let Some(want) = golden.get("output").and_then(J::as_str) {
        return match result {
            Ok(got) if got == want => Outcome::Pass,
            Ok(got) => Outcome::Fail(format!("got {got:?}, want {want:?}")),
            Err(e) => Outcome::Fail(format!("error {e}")),
        };
    }
    if let Some(re) = golden.pointer("/shape/regex").and_then(J::as_str) {
        let re = regex::Regex::new(&format!("^(?:{re})$")).expect("shape regex");
        return match result {
            Ok(got) if re.is_match(&got) => Outcome::Pass,
            Ok(got) => Outcome::Fail(format!("{got:?} does not match {re}")),
            Err(e) => Outcome::Fail(format!("error {e}")),
        };
    }
    let want = golden.get("error").and_then(J::as_str).unwrap_or("");
    let want = error_part(want).unwrap_or_default();
    match result {
        Ok(got) => Outcome::Fail(format!("rendered {got:?}, want error {want:?}")),
        Err(e) => match error_part(&e) {
            Some(g) if g == want => Outcome::Pass,
            _ => Outcome::Fail(format!("error {e:?}, want {want:?}")),
        },
    }
}

/// One case selected to run.
struct Job {
    group: String,
    name: String,
    tpl: String,
    values: Value,
    golden: J,
}

/// The cases of one group file that need only Sprig and Go's builtins.
fn select(path: &std::path::Path) -> Vec<Job> {
    let group = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let text = std::fs::read_to_string(path).expect("case file");
    let doc: J = serde_saphyr::from_str(&text).expect("case yaml");
    let goldens: J = serde_json::from_str(
        &std::fs::read_to_string(root().join("goldens").join(format!("{group}.json")))
            .expect("golden"),
    )
    .expect("golden json");
    let empty = |v: Option<&J>| match v {
        None | Some(J::Null) => true,
        Some(J::Array(a)) => a.is_empty(),
        Some(J::Object(o)) => o.is_empty(),
        Some(J::String(s)) => s.trim().is_empty(),
        _ => false,
    };
    let mut jobs = Vec::new();
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let tpl = case["tpl"].as_str().expect("tpl");
        let field = |k: &str| case.get(k).or_else(|| doc.get(k));
        if !empty(field("flags")) || !empty(field("files")) || !empty(field("chart")) {
            continue;
        }
        if HELM_ONLY.iter().any(|h| tpl.contains(h)) || tpl.contains("{{ . }}") {
            continue;
        }
        let golden = &goldens[name];
        if let Some(err) = golden.get("error").and_then(J::as_str)
            && error_part(err).is_none()
        {
            continue; // engine/Helm error shapes, not a Sprig function's error
        }
        let Some(values) = decode_values(field("values").and_then(J::as_str).unwrap_or("")) else {
            continue;
        };
        jobs.push(Job {
            group: group.clone(),
            name: name.to_string(),
            tpl: tpl.to_string(),
            values,
            golden: golden.clone(),
        });
    }
    jobs
}

#[test]
fn sprig_cases_match_helm() {
    let mut groups: Vec<PathBuf> = std::fs::read_dir(root().join("cases"))
        .expect("cases dir")
        .map(|e| e.expect("entry").path())
        .collect();
    groups.sort();
    let jobs: Vec<Job> = groups.iter().flat_map(|p| select(p)).collect();
    // Key generation (RSA 4096, DSA) and scrypt are slow in debug builds: run cases on 4 threads.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        done.push((i, run_case(&job.name, &job.tpl, &job.values, &job.golden)));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    outcomes.sort_by_key(|(i, _)| *i);
    let mut per_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let (mut failures, mut known_hit) = (Vec::new(), Vec::new());
    for (i, outcome) in outcomes {
        let job = &jobs[i];
        let id = format!("{}/{}", job.group, job.name);
        let known = KNOWN.iter().any(|(k, _)| *k == id);
        let entry = per_group.entry(job.group.as_str()).or_default();
        entry.1 += 1;
        match outcome {
            Outcome::Pass => {
                entry.0 += 1;
                assert!(!known, "{id} is listed as known but passes");
            }
            Outcome::Fail(why) if known => known_hit.push(format!("{id}: {why}")),
            Outcome::Fail(why) => failures.push(format!("{id}: {why}")),
        }
    }
    for (group, (passed, ran)) in &per_group {
        eprintln!("{group}: {passed}/{ran}");
    }
    eprintln!(
        "known differences ({}):\n{}",
        known_hit.len(),
        known_hit.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_sprig_function_of_helm_is_registered() {
    let inventory = std::fs::read_to_string(root().join("functions.txt")).expect("functions.txt");
    let have: std::collections::BTreeSet<&str> =
        rudder_sprig::functions().iter().map(|(n, _)| *n).collect();
    let missing: Vec<&str> = inventory
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let name = parts.next()?;
            (parts.next() == Some("sprig")).then_some(name)
        })
        .filter(|n| !have.contains(n))
        .collect();
    assert!(missing.is_empty(), "not registered: {missing:?}");
}
