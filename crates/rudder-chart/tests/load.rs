//! Loading charts from directories and archives: file classification, `.helmignore`,
//! subcharts (directories and nested `.tgz`), v1 `requirements.yaml`, v3 rules, symlinks.

use std::fs;
use std::path::Path;

use rudder_chart::{ApiVersion, LoadError, LoadOptions, PackageOptions, load, load_dir, package};
use serde_json::json;

fn write(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

fn names(files: &[rudder_chart::File]) -> Vec<&str> {
    files.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn files_are_classified_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path();
    write(
        c,
        "Chart.yaml",
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    );
    write(c, "values.yaml", "\u{feff}a: 1\n---\nb: {c: yes}\n");
    write(c, "values.schema.json", "{\"type\": \"object\"}");
    write(
        c,
        "Chart.lock",
        "generated: \"2026-01-01T00:00:00Z\"\ndigest: sha256:ab\ndependencies: []\n",
    );
    write(c, "templates/a.yaml", "kind: A\n");
    write(c, "templates/.hidden.yaml", "kind: Hidden\n");
    write(c, "crds/crd.yaml", "kind: CustomResourceDefinition\n");
    write(c, "a.txt", "x");
    write(c, "a/b.txt", "y");
    write(c, "charts/sub.tgz.prov", "signature");
    let chart = load(c).unwrap();
    assert_eq!(chart.metadata.api_version, ApiVersion::V2);
    assert_eq!(chart.values, json!({"a": 1, "b": {"c": true}}));
    assert!(
        chart.raw_values.as_ref().unwrap().starts_with(b"a: 1"),
        "BOM removed"
    );
    assert!(chart.schema.is_some());
    assert_eq!(chart.lock.as_ref().unwrap().digest, "sha256:ab");
    assert_eq!(names(&chart.templates), ["templates/a.yaml"]);
    // Directory walk order: `a/` sorts before `a.txt` because each directory is read in
    // name order, as Go's filepath.Walk does.
    assert_eq!(
        names(&chart.files),
        ["a/b.txt", "a.txt", "charts/sub.tgz.prov", "crds/crd.yaml"]
    );
    assert_eq!(chart.crd_files().count(), 1);
}

#[test]
fn absent_values_are_an_empty_map() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    );
    let chart = load(tmp.path()).unwrap();
    assert_eq!(chart.values, json!({}));
    assert!(chart.raw_values.is_none());
}

#[test]
fn helmignore_uses_gitignore_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path();
    write(
        c,
        "Chart.yaml",
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    );
    write(
        c,
        ".helmignore",
        "# comment\n*.txt\n!keep.txt\nsecret/\n/top-only.md\n",
    );
    write(c, "notes.txt", "ignored");
    write(c, "keep.txt", "kept");
    write(c, "docs/deep.txt", "ignored at any depth");
    write(c, "secret/key.pem", "ignored dir");
    write(c, "top-only.md", "anchored: ignored");
    write(
        c,
        "docs/top-only.md",
        "anchored pattern does not match here",
    );
    let chart = load(c).unwrap();
    assert_eq!(
        names(&chart.files),
        [".helmignore", "docs/top-only.md", "keep.txt"]
    );
}

#[test]
fn subcharts_from_directories_and_nested_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = tmp.path().join("inner");
    write(
        &inner,
        "Chart.yaml",
        "apiVersion: v2\nname: inner\nversion: 1.0.0\n",
    );
    write(&inner, "values.yaml", "x: 1\n");
    let tgz = package(&inner, tmp.path().join("pkg"), &PackageOptions::default()).unwrap();

    let c = tmp.path().join("parent");
    write(
        &c,
        "Chart.yaml",
        "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
    );
    write(
        &c,
        "charts/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.2.0\n",
    );
    write(&c, "charts/sub/templates/t.yaml", "kind: T\n");
    write(&c, "charts/_skipped/Chart.yaml", "not: loaded\n");
    write(&c, "charts/.hidden/Chart.yaml", "not: loaded\n");
    fs::copy(&tgz, c.join("charts/inner-1.0.0.tgz")).unwrap();
    let chart = load(&c).unwrap();
    let deps: Vec<_> = chart.dependencies.iter().map(|d| d.name()).collect();
    assert_eq!(deps, ["inner", "sub"]);
    assert_eq!(chart.dependencies[0].values, json!({"x": 1}));
    assert_eq!(
        names(&chart.dependencies[1].templates),
        ["templates/t.yaml"]
    );

    // The parent, packaged and loaded back, still has both (now expanded) subcharts.
    let parent_tgz = package(&c, tmp.path().join("pkg"), &PackageOptions::default()).unwrap();
    let again = load(&parent_tgz).unwrap();
    let deps: Vec<_> = again.dependencies.iter().map(|d| d.name()).collect();
    assert_eq!(deps, ["inner", "sub"]);
}

#[test]
fn nested_archives_share_the_size_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = tmp.path().join("inner");
    write(
        &inner,
        "Chart.yaml",
        "apiVersion: v2\nname: inner\nversion: 1.0.0\n",
    );
    write(&inner, "zeros.txt", &"0".repeat(600 * 1024));
    let tgz = package(&inner, tmp.path().join("pkg"), &PackageOptions::default()).unwrap();
    let c = tmp.path().join("parent");
    write(
        &c,
        "Chart.yaml",
        "apiVersion: v2\nname: parent\nversion: 0.1.0\n",
    );
    fs::create_dir_all(c.join("charts")).unwrap();
    fs::copy(&tgz, c.join("charts/inner-1.0.0.tgz")).unwrap();
    let mut opts = LoadOptions::default();
    opts.max_decompressed_bytes = 512 * 1024;
    let err = load_dir(&c, &opts).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, LoadError::TooLarge { .. }), "{text}");
    assert!(
        text.ends_with("charts/inner-1.0.0.tgz:inner/zeros.txt: chart is larger than the maximum decompressed size of 524288 bytes"),
        "{text}"
    );
}

#[test]
fn v1_requirements_supply_dependencies_and_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path();
    // No apiVersion at all: Helm treats the chart as v1.
    write(c, "Chart.yaml", "name: old\nversion: 1.0.0\n");
    write(
        c,
        "requirements.yaml",
        "dependencies:\n- name: db\n  version: ~1.2\n  repository: https://charts.example.invalid\n  condition: db.enabled\n",
    );
    write(
        c,
        "requirements.lock",
        "generated: 2019-01-01T00:00:00Z\ndigest: sha256:cd\ndependencies:\n- name: db\n  version: 1.2.3\n  repository: https://charts.example.invalid\n",
    );
    let chart = load(c).unwrap();
    assert_eq!(chart.metadata.api_version, ApiVersion::V1);
    assert_eq!(chart.metadata.dependencies.len(), 1);
    assert_eq!(chart.metadata.dependencies[0].condition, "db.enabled");
    assert_eq!(
        chart.lock.as_ref().unwrap().dependencies[0].version,
        "1.2.3"
    );
    // v1 keeps both files in .Files (Helm does too).
    assert_eq!(
        names(&chart.files),
        ["requirements.lock", "requirements.yaml"]
    );
}

#[test]
fn v2_requirements_are_read_but_not_kept_as_files() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: mid\nversion: 1.0.0\n",
    );
    write(
        tmp.path(),
        "requirements.yaml",
        "dependencies:\n- name: db\n  repository: https://x.invalid\n",
    );
    let chart = load(tmp.path()).unwrap();
    assert_eq!(chart.metadata.dependencies[0].name, "db");
    assert!(chart.files.is_empty());
}

#[test]
fn v3_requires_strict_semver_and_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v3\nname: new\nversion: 1.2.3-rc.1+build.7\n",
    );
    let chart = load(tmp.path()).unwrap();
    assert_eq!(chart.metadata.api_version, ApiVersion::V3);
    for bad in ["v1.2.3", "1.2", "01.2.3"] {
        write(
            tmp.path(),
            "Chart.yaml",
            &format!("apiVersion: v3\nname: new\nversion: {bad}\n"),
        );
        let err = load(tmp.path()).unwrap_err();
        assert!(
            matches!(err, LoadError::NotStrictSemver { .. }),
            "{bad}: {err}"
        );
    }
    // v2 accepts the loose forms, as Helm does.
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: old\nversion: v1.2\n",
    );
    assert_eq!(load(tmp.path()).unwrap().metadata.version, "v1.2");
}

#[test]
fn chart_yaml_strings_are_decoded_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    // sigs.k8s.io/yaml turns numbers into strings for string fields: floats through
    // FormatFloat(f, 'g', -1, 32), so 1.10 becomes "1.1".
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: nums\nversion: 1.10\nappVersion: 2\ndescription: \"tab\\there\"\nunknownField: ignored\nmaintainers:\n- name: a\n  extra: ignored\n",
    );
    let md = load(tmp.path()).unwrap().metadata;
    assert_eq!(md.version, "1.1");
    assert_eq!(md.app_version, "2");
    assert_eq!(
        md.description, "tab here",
        "whitespace sanitised as Helm does"
    );
    assert_eq!(md.maintainers[0].name, "a");
}

#[test]
fn metadata_validation_messages_are_helms() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "apiVersion: v2\nversion: 1.0.0\n",
            "validation: chart.metadata.name is required",
        ),
        (
            "apiVersion: v2\nname: x\n",
            "validation: chart.metadata.version is required",
        ),
        (
            "apiVersion: v2\nname: x\nversion: one\n",
            "validation: chart.metadata.version \"one\" is invalid",
        ),
        (
            "apiVersion: v2\nname: x\nversion: 1.0.0\ntype: plugin\n",
            "validation: chart.metadata.type must be application or library",
        ),
        (
            "apiVersion: v2\nname: ../x\nversion: 1.0.0\n",
            "validation: chart.metadata.name \"../x\" is invalid",
        ),
        (
            "apiVersion: v2\nname: x\nversion: 1.0.0\ndependencies:\n- name: a\n- name: b\n  alias: a\n",
            "validation: more than one dependency with name or alias \"a\"",
        ),
    ];
    for (yaml, want) in cases {
        write(tmp.path(), "Chart.yaml", yaml);
        let err = load(tmp.path()).unwrap_err().to_string();
        assert!(err.ends_with(&format!("/Chart.yaml: {want}")), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn symlinks_are_followed_inside_the_chart_only() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("chart");
    write(
        &c,
        "Chart.yaml",
        "apiVersion: v2\nname: links\nversion: 0.1.0\n",
    );
    write(&c, "shared/cm.yaml", "kind: ConfigMap\n");
    symlink("shared/cm.yaml", c.join("linked.yaml")).unwrap();
    fs::create_dir_all(c.join("templates")).unwrap();
    symlink("../shared/cm.yaml", c.join("templates/cm.yaml")).unwrap();
    let chart = load(&c).unwrap();
    assert_eq!(names(&chart.templates), ["templates/cm.yaml"]);
    assert_eq!(chart.templates[0].data, b"kind: ConfigMap\n");
    assert_eq!(names(&chart.files), ["linked.yaml", "shared/cm.yaml"]);

    write(tmp.path(), "outside.txt", "secret");
    symlink("../outside.txt", c.join("escape.txt")).unwrap();
    let err = load(&c).unwrap_err();
    assert!(matches!(err, LoadError::SymlinkEscape { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: symlink resolves to ",
            c.join("escape.txt").display()
        )),
        "{text}"
    );
    fs::remove_file(c.join("escape.txt")).unwrap();

    symlink(".", c.join("loop")).unwrap();
    let err = load(&c).unwrap_err();
    assert!(matches!(err, LoadError::SymlinkLoop { .. }), "{err}");
}

#[test]
fn directory_files_over_the_limit_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: big\nversion: 0.1.0\n",
    );
    write(tmp.path(), "big.bin", &"x".repeat(2048));
    let mut opts = LoadOptions::default();
    opts.max_file_bytes = 1024;
    let err = load_dir(tmp.path(), &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: file is larger than the maximum file size of 1024 bytes",
            tmp.path().join("big.bin").display()
        )
    );
}
