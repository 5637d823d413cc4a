//! Deliberately broken charts (testdata/broken/, archives made by make.py) each fail with
//! one exact line naming the file with line and column, or the archive and the entry.

use std::path::{Path, PathBuf};

use rudder_chart::{ArchiveError, LoadError, LoadOptions, load_with};

fn broken(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/broken")
        .join(name)
}

/// Loads `name` and returns its error with the testdata directory shortened to `broken/`.
fn fail(name: &str, opts: &LoadOptions) -> (LoadError, String) {
    let err = load_with(broken(name), opts).expect_err(name);
    let text = err.to_string();
    assert!(!text.contains('\n'), "not one line: {text}");
    let root = broken("").display().to_string();
    (err, text.replace(&root, "broken/"))
}

fn message(name: &str) -> String {
    fail(name, &LoadOptions::default()).1
}

#[test]
fn bad_yaml_in_chart_yaml_names_file_line_column() {
    assert_eq!(
        message("bad-chart-yaml"),
        "broken/bad-chart-yaml/Chart.yaml:4:14: unclosed quote"
    );
}

#[test]
fn bad_yaml_in_values_names_file_line_column() {
    assert_eq!(
        message("bad-values"),
        "broken/bad-values/values.yaml:4:7: mapping values are not allowed in this context"
    );
}

#[test]
fn bad_yaml_inside_an_archive_names_archive_entry_line_column() {
    assert_eq!(
        message("bad-values.tgz"),
        "broken/bad-values.tgz:evil/values.yaml:2:8: unclosed bracket '['"
    );
}

#[test]
fn invalid_schema_json_names_line_column() {
    assert_eq!(
        message("bad-schema"),
        "broken/bad-schema/values.schema.json:4:36: invalid JSON: key must be a string"
    );
}

#[test]
fn chart_structure_errors() {
    assert_eq!(
        message("missing-chart-yaml"),
        "broken/missing-chart-yaml: Chart.yaml file is missing"
    );
    assert_eq!(
        message("not-a-chart-in-charts"),
        "broken/not-a-chart-in-charts/charts/README.md: not a chart: Chart.yaml file is missing"
    );
    assert_eq!(
        message("unsupported-api-version"),
        "broken/unsupported-api-version/Chart.yaml: unsupported chart apiVersion \"v9\" (expected v1, v2 or v3)"
    );
}

#[test]
fn v3_rules() {
    assert_eq!(
        message("v3-requirements"),
        "broken/v3-requirements/requirements.yaml: not allowed in an apiVersion v3 chart (declare dependencies in Chart.yaml)"
    );
    assert_eq!(
        message("v3-loose-version"),
        "broken/v3-loose-version/Chart.yaml: validation: chart.metadata.version \"1.2\" is not strict SemVer (MAJOR.MINOR.PATCH[-PRE][+BUILD]), required by apiVersion v3"
    );
}

#[test]
fn path_escape_is_rejected() {
    let (err, text) = fail("path-escape.tgz", &LoadOptions::default());
    assert!(matches!(
        err,
        LoadError::Archive(ArchiveError::PathEscape { .. })
    ));
    assert_eq!(
        text,
        "broken/path-escape.tgz: entry \"evil/../../evil.txt\" escapes the chart directory"
    );
}

#[test]
fn absolute_path_is_rejected() {
    let (err, text) = fail("absolute-path.tgz", &LoadOptions::default());
    assert!(matches!(
        err,
        LoadError::Archive(ArchiveError::AbsolutePath { .. })
    ));
    assert_eq!(
        text,
        "broken/absolute-path.tgz: entry \"/etc/evil.txt\" has an absolute path"
    );
}

#[test]
fn link_entries_are_rejected() {
    assert_eq!(
        message("symlink.tgz"),
        "broken/symlink.tgz: entry \"evil/templates/passwd.yaml\" is a symlink to \"/etc/passwd\"; links are not allowed in chart archives"
    );
    assert_eq!(
        message("hardlink.tgz"),
        "broken/hardlink.tgz: entry \"evil/values.yaml\" is a hard link to \"/etc/shadow\"; links are not allowed in chart archives"
    );
}

#[test]
fn entries_outside_the_chart_directory_are_rejected() {
    assert_eq!(
        message("two-top-dirs.tgz"),
        "broken/two-top-dirs.tgz: entry \"other/values.yaml\" is outside the chart directory \"evil/\""
    );
    assert_eq!(
        message("no-chart-dir.tgz"),
        "broken/no-chart-dir.tgz: entry \"Chart.yaml\" is not inside a chart directory"
    );
}

#[test]
fn small_gzip_bomb_over_a_lowered_limit() {
    let mut opts = LoadOptions::default();
    opts.max_decompressed_bytes = 1024 * 1024;
    let (err, text) = fail("bomb-small.tgz", &opts);
    assert!(matches!(
        err,
        LoadError::TooLarge {
            limit: 1_048_576,
            ..
        }
    ));
    assert_eq!(
        text,
        "broken/bomb-small.tgz:evil/zeros.bin: chart is larger than the maximum decompressed size of 1048576 bytes"
    );
    // The same archive loads under the default limits.
    assert!(load_with(broken("bomb-small.tgz"), &LoadOptions::default()).is_ok());
}

#[test]
fn archive_over_the_default_limit_is_rejected() {
    let size = std::fs::metadata(broken("bomb-default.tgz")).unwrap().len();
    assert!(
        size < 200 * 1024,
        "fixture should be tiny compressed, is {size}"
    );
    assert_eq!(
        message("bomb-default.tgz"),
        "broken/bomb-default.tgz:evil/zeros-19.bin: chart is larger than the maximum decompressed size of 104857600 bytes"
    );
}

#[test]
fn file_over_the_per_file_limit_is_rejected() {
    assert_eq!(
        message("file-too-large.tgz"),
        "broken/file-too-large.tgz:evil/big.bin: file is larger than the maximum file size of 5242880 bytes"
    );
}

#[test]
fn not_gzip_and_truncated_archives() {
    assert_eq!(
        message("not-gzip.tgz"),
        "broken/not-gzip.tgz: not a gzip-compressed chart archive"
    );
    let (err, text) = fail("truncated.tgz", &LoadOptions::default());
    assert_eq!(text, "broken/truncated.tgz: truncated or corrupt archive");
    let source = std::error::Error::source(&err).expect("the decoder error is the source");
    assert!(!source.to_string().is_empty());
}
