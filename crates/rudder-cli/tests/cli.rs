//! End-to-end tests of the `rudder` binary on the charts under `testdata/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rudder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rudder"))
        .args(args)
        .current_dir(repo_root())
        .env_remove("RUDDER_LOG")
        .output()
        .expect("the rudder binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a failure with exit code 1 and exactly one `Error: …` line containing `needle`.
fn assert_one_line_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {err}");
    assert!(lines[0].starts_with("Error: "), "{err}");
    assert!(lines[0].contains(needle), "expected {needle:?} in {err}");
}

const EXAMPLE: &str = "testdata/charts/hello-v3";

#[test]
fn template_renders_the_v3_example_chart() {
    let out = rudder(&["template", "demo", EXAMPLE, "--namespace", "apps"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for kind in ["ConfigMap", "Service", "Deployment"] {
        assert!(
            text.contains(&format!("kind: {kind}\n")),
            "no {kind} in:\n{text}"
        );
    }
    // The subchart renders with its own scoped values, and hooks come after manifests.
    assert!(
        text.contains("# Source: hello-v3/charts/greeter/templates/"),
        "{text}"
    );
    let hook = text.find("helm.sh/hook").expect("a hook is rendered");
    let deployment = text.find("kind: Deployment").expect("a Deployment");
    assert!(hook > deployment, "hooks are printed after the manifests");
    assert!(text.starts_with("---\n# Source: "), "{text}");
}

#[test]
fn template_applies_set_and_show_only() {
    let out = rudder(&[
        "template",
        "demo",
        EXAMPLE,
        "--set",
        "greeting=changed by --set",
        "-s",
        "templates/configmap.yaml",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("greeting: \"changed by --set\""), "{text}");
    assert_eq!(text.matches("# Source: ").count(), 1, "{text}");

    let out = rudder(&["template", "demo", EXAMPLE, "-s", "templates/nope.yaml"]);
    assert_one_line_error(&out, "could not find template templates/nope.yaml in chart");
}

#[test]
fn lint_passes_the_v3_example_chart() {
    let out = rudder(&["lint", EXAMPLE, "--strict"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("1 chart(s) linted, 0 chart(s) failed"));
}

#[test]
fn broken_charts_fail_with_one_line_errors() {
    let cases = [
        (
            "testdata/broken/bad-chart-yaml",
            "bad-chart-yaml/Chart.yaml:4:14: ",
        ),
        ("testdata/broken/bad-values", "bad-values/values.yaml:4:7: "),
        (
            "testdata/broken/v3-missing-value",
            "v3-missing-value/templates/pod.yaml:8:48: undefined value `Values.image.tag`",
        ),
        (
            "testdata/broken/v3-schema-violation",
            "at '/replicas': \"three\" is not of type \"integer\"",
        ),
        (
            "testdata/broken/v3-bad-template-syntax",
            "v3-bad-template-syntax/templates/cm.yaml:6:",
        ),
        (
            "testdata/broken/v3-infinite-loop",
            "v3-infinite-loop/templates/cm.yaml:",
        ),
        (
            "testdata/broken/path-escape.tgz",
            "entry \"evil/../../evil.txt\" escapes the chart directory",
        ),
        (
            "testdata/broken/bomb-default.tgz",
            "chart is larger than the maximum decompressed size",
        ),
    ];
    for (chart, needle) in cases {
        let out = rudder(&["template", "x", chart]);
        assert_one_line_error(&out, needle);
    }
}

#[test]
fn lint_reports_broken_charts_and_fails() {
    let out = rudder(&["lint", "testdata/broken/v3-missing-value"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "[ERROR] templates/: v3-missing-value/templates/pod.yaml:8:48: undefined value"
        ),
        "{text}"
    );
    assert!(stderr(&out).contains("1 chart(s) linted, 1 chart(s) failed"));
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    let data = std::fs::read(path).expect("archive readable");
    assert!(!data.is_empty(), "{} is empty", path.display());
    hex::encode(sha2::Sha256::digest(&data))
}

#[test]
fn package_is_reproducible_and_loads_back() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    for dir in [a.path(), b.path()] {
        let out = rudder(&["package", EXAMPLE, "-d", dir.to_str().expect("utf-8 path")]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("Successfully packaged chart and saved it to: "));
    }
    let name = "hello-v3-0.1.0.tgz";
    let (pa, pb) = (a.path().join(name), b.path().join(name));
    assert_eq!(sha256_of(&pa), sha256_of(&pb), "same input, same bytes");

    // The archive renders exactly as the directory does.
    let from_dir = rudder(&["template", "demo", EXAMPLE]);
    let from_tgz = rudder(&["template", "demo", pa.to_str().expect("utf-8 path")]);
    assert!(from_tgz.status.success(), "{}", stderr(&from_tgz));
    assert_eq!(stdout(&from_dir), stdout(&from_tgz));
}

#[test]
fn create_makes_a_chart_that_lints_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("webapp");
    let chart = chart.to_str().expect("utf-8 path");
    let out = rudder(&["create", chart]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = rudder(&["lint", chart, "--strict"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let out = rudder(&["template", "web", chart]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("kind: Deployment"),
        "{}",
        stdout(&out)
    );
    // Creating over an existing directory is refused and keeps it.
    let out = rudder(&["create", chart]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(Path::new(chart).join("Chart.yaml").exists());
}

#[test]
fn show_prints_chart_values_and_readme() {
    let out = rudder(&["show", "chart", EXAMPLE]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("name: hello-v3\n"));
    let out = rudder(&["show", "values", EXAMPLE]);
    let values = std::fs::read_to_string(repo_root().join(EXAMPLE).join("values.yaml"))
        .expect("values.yaml");
    assert_eq!(stdout(&out), format!("{values}\n"));
}

#[test]
fn usage_errors_exit_with_two_and_completion_works() {
    let out = rudder(&["template"]);
    assert_eq!(out.status.code(), Some(2));
    let out = rudder(&["completion", "bash"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("_rudder()"), "{}", stdout(&out));
    let out = rudder(&["version", "--short"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
}
