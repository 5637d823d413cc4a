//! Data-driven test of the readiness rules: every `testdata/kstatus/<kind>/<case>.json`.
//!
//! A fixture holds the object, the options (`kstatus` = Helm 4's exact rules, `rudder` =
//! Rudder's defaults with the Kubeflow rules), an optional strategy (`wait`,
//! `wait-with-jobs`, `hooks`; absent = `compute` itself), `now`, optional readiness
//! `overrides`, the rule it exercises, and the expected status/message/reason (or an
//! `error` substring). Fixtures with `"oracle": "kstatus"` must also agree with
//! `testdata/kstatus/oracle/expected.json`, which real Go kstatus (fluxcd/cli-utils, as
//! used by Helm 4) produces: regenerate it with `testdata/kstatus/oracle/regenerate.sh`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rudder_kstatus::{
    ComputeOptions, ReadinessOverride, RuleSet, Strategy, compute, parse_rfc3339,
};
use serde_json::Value;

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/kstatus")
}

fn fixtures() -> Vec<(String, Value)> {
    let root = fixture_root();
    let mut out = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("testdata/kstatus exists")
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs
        .into_iter()
        .filter(|d| d.is_dir() && !d.ends_with("oracle"))
    {
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
        {
            let rel = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&file).unwrap();
            let value: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{rel}:{}:{}: {e}", e.line(), e.column()));
            out.push((rel, value));
        }
    }
    out
}

/// What a run produced, in the fixture's `expected` shape.
fn run(fixture: &Value) -> Result<Value, String> {
    let str_of = |key: &str| fixture.get(key).and_then(Value::as_str);
    let now = parse_rfc3339(str_of("now").ok_or("missing now")?).ok_or("bad now")?;
    let (mut rules, options) = match str_of("options").ok_or("missing options")? {
        "kstatus" => (RuleSet::kstatus(), ComputeOptions::kstatus(now)),
        "rudder" => (RuleSet::rudder(), ComputeOptions::rudder(now)),
        other => return Err(format!("unknown options {other}")),
    };
    for o in fixture
        .get("overrides")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let o: ReadinessOverride =
            serde_json::from_value(o.clone()).map_err(|e| format!("override: {e}"))?;
        o.register_into(&mut rules).map_err(|e| e.to_string())?;
    }
    let object = fixture.get("object").ok_or("missing object")?;
    let result = match str_of("strategy") {
        None => compute(object, &rules, &options),
        Some("wait") => Ok(Strategy::Wait.read(object, &rules, &options)),
        Some("wait-with-jobs") => Ok(Strategy::WaitWithJobs.read(object, &rules, &options)),
        Some("hooks") => Ok(Strategy::Hooks.read(object, &rules, &options)),
        Some(other) => return Err(format!("unknown strategy {other}")),
    };
    Ok(match result {
        Ok(s) => {
            let mut v = serde_json::json!({"status": s.status.as_str(), "message": s.message});
            if let Some(r) = s.reason {
                v["reason"] = Value::String(r);
            }
            v
        }
        Err(e) => serde_json::json!({"error": e.to_string()}),
    })
}

/// Compares `got` with `want`: `reason` only when the fixture names one, `error` as substring.
fn matches(got: &Value, want: &Value) -> bool {
    if let Some(err) = want.get("error").and_then(Value::as_str) {
        return got
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|g| g.contains(err));
    }
    got.get("status") == want.get("status")
        && got.get("message") == want.get("message")
        && (want.get("reason").is_none() || got.get("reason") == want.get("reason"))
}

#[test]
fn every_fixture_matches_its_rule() {
    let all = fixtures();
    assert!(
        all.len() >= 80,
        "expected at least 80 fixtures, found {}",
        all.len()
    );
    let mut failures = Vec::new();
    for (name, fixture) in &all {
        let want = &fixture["expected"];
        assert!(
            fixture
                .get("rule")
                .and_then(Value::as_str)
                .is_some_and(|r| !r.is_empty()),
            "{name}: no rule cited"
        );
        match run(fixture) {
            Ok(got) if matches(&got, want) => {}
            Ok(got) => failures.push(format!("{name}\n    want {want}\n    got  {got}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn kstatus_fixtures_agree_with_go_kstatus() {
    let path = fixture_root().join("oracle/expected.json");
    let text =
        fs::read_to_string(&path).expect("oracle/expected.json exists (run oracle/regenerate.sh)");
    let oracle: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, fixture) in fixtures() {
        if fixture.get("oracle").and_then(Value::as_str) != Some("kstatus") {
            continue;
        }
        checked += 1;
        let want = &fixture["expected"];
        match oracle.get(&name) {
            None => failures.push(format!("{name}: not in oracle/expected.json (regenerate)")),
            Some(go) if want.get("error").is_some() => {
                if go.get("error").is_none() {
                    failures.push(format!("{name}: Go kstatus did not fail: {go}"));
                }
            }
            Some(go)
                if go == want
                    || (want.get("reason").is_none()
                        && go.get("status") == want.get("status")
                        && go.get("message") == want.get("message")) => {}
            Some(go) => failures.push(format!("{name}\n    fixture {want}\n    Go      {go}")),
        }
    }
    assert!(
        checked >= 80,
        "expected at least 80 oracle-checked fixtures, found {checked}"
    );
    assert!(
        failures.is_empty(),
        "{} fixtures disagree with Go kstatus:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
