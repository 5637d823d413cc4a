//! Real-chart suite: every `testdata/charts/v2-*` chart rendered with each of its
//! `ci/*.yaml` values files (plus the `# helm-flags:` of the file's first line) through
//! loader, prepare and render, compared with `helm template` output from Helm 4.1.4 in
//! `testdata/helm-conformance/charts-goldens/`. A golden line `<prefix><<RANDOM>>` matches
//! a line starting with `<prefix>` whose rest fully matches the chart's `random.yaml`
//! shape. Mismatches not listed in `tests/helm_conformance/known_chart_failures.txt` fail
//! the test, as do listed renders that now match.

#[path = "helm_conformance/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use rudder_render::render;
use support::{first_difference, helm_error, load_prepared, parse_flags, repo_root};

const MARKER: &str = "<<RANDOM>>";

fn random_rules(chart: &Path) -> Vec<(String, regex::Regex)> {
    let Ok(text) = std::fs::read_to_string(chart.join("random.yaml")) else {
        return Vec::new();
    };
    let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("random.yaml");
    doc.as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let line = r["line"].as_str().unwrap_or_default().to_string();
                    let shape = r["shape"].as_str().unwrap_or_default();
                    (
                        line,
                        regex::Regex::new(&format!("^(?:{shape})$")).expect("shape regex"),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Replaces random parts of `got` that satisfy the chart's shapes with the marker, so a
/// byte comparison with the golden checks everything else exactly.
fn mark_random(got: &str, rules: &[(String, regex::Regex)]) -> String {
    got.split('\n')
        .map(|line| {
            for (prefix, shape) in rules {
                if let Ok(re) = regex::Regex::new(&format!("^({prefix})(.*)$"))
                    && let Some(c) = re.captures(line)
                    && shape.is_match(&c[2])
                {
                    return format!("{}{MARKER}", &c[1]);
                }
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_one(chart_dir: &Path, values_file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(values_file).map_err(|e| e.to_string())?;
    let mut args: Vec<String> = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# helm-flags:"))
        .map(|f| f.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    args.push("-f".into());
    args.push(values_file.display().to_string());
    let flags = parse_flags(&args, Path::new("/"))?;
    let (chart, values) = load_prepared(chart_dir, &flags)?;
    Ok(match render(&chart, &values, &flags.render_options()?) {
        Ok(r) => r.template_output(&flags.output_options()),
        Err(e) => {
            format!("# error\n{}\n", helm_error(&e))
        }
    })
}

#[test]
fn helm_real_charts() {
    let root = repo_root();
    let goldens = root.join("testdata/helm-conformance/charts-goldens");
    let mut charts: Vec<_> = std::fs::read_dir(&goldens)
        .expect("charts-goldens")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    charts.sort();
    let mut failures = BTreeMap::new();
    let mut total = 0;
    for chart in charts {
        let chart_dir = root.join("testdata/charts").join(&chart);
        let rules = random_rules(&chart_dir);
        let mut files: Vec<_> = std::fs::read_dir(goldens.join(&chart))
            .expect("golden dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for golden in files {
            total += 1;
            let values = chart_dir.join("ci").join(golden.file_name().expect("name"));
            let id = format!("{chart}/{}", golden.file_name().unwrap().to_string_lossy());
            let want = std::fs::read_to_string(&golden).expect("golden");
            match render_one(&chart_dir, &values) {
                Ok(got) => {
                    let got = mark_random(&got, &rules);
                    if got != want {
                        let reason = match got.strip_prefix("# error\n") {
                            Some(err) if !want.starts_with("# error") => {
                                format!("error: {}", err.lines().next().unwrap_or(""))
                            }
                            _ => first_difference(&want, &got),
                        };
                        failures.insert(id, reason.replace('\t', " "));
                    }
                }
                Err(e) => {
                    failures.insert(id, format!("setup: {e}").replace(['\t', '\n'], " "));
                }
            }
        }
    }
    support::check_known_failures(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/helm_conformance/known_chart_failures.txt"),
        "helm real charts",
        total,
        &failures,
    );
}
