//! Differential tests against goldens produced by the real Masterminds/semver v3.4.0
//! (`scripts/goldens/semver.sh`, tables in `testdata/semver/oracle/main.go`).

use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;

use rudder_semver::{Constraints, Lookup, Version, VersionError, first_match, semver_compare};
use serde::Deserialize;

fn golden<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/semver")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/goldens/semver.sh)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[derive(Deserialize, Debug, PartialEq)]
struct VersionOut {
    string: String,
    original: String,
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: String,
    metadata: String,
}

#[derive(Deserialize, Debug)]
struct ParseOut {
    ok: Option<VersionOut>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct VersionCase {
    input: String,
    loose: ParseOut,
    strict: ParseOut,
}

#[derive(Deserialize)]
struct CompareCase {
    a: String,
    b: String,
    compare: i8,
}

#[derive(Deserialize)]
struct ConstraintCase {
    constraint: String,
    version: String,
    parse_error: Option<String>,
    string: Option<String>,
    version_error: Option<String>,
    check: Option<bool>,
    check_include_prerelease: Option<bool>,
    validate: Option<bool>,
    #[serde(default)]
    validate_errors: Vec<String>,
}

fn describe(result: &Result<Version, VersionError>) -> (Option<VersionOut>, Option<String>) {
    match result {
        Ok(v) => (
            Some(VersionOut {
                string: v.to_string(),
                original: v.original().to_owned(),
                major: v.major(),
                minor: v.minor(),
                patch: v.patch(),
                prerelease: v.prerelease().to_owned(),
                metadata: v.metadata().to_owned(),
            }),
            None,
        ),
        Err(e) => (None, Some(e.to_string())),
    }
}

#[test]
fn version_parsing_matches_masterminds() {
    let cases: Vec<VersionCase> = golden("versions.json");
    assert!(cases.len() >= 80, "too few version cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        for (mode, want, got) in [
            ("loose", &case.loose, describe(&Version::parse(&case.input))),
            (
                "strict",
                &case.strict,
                describe(&Version::parse_strict(&case.input)),
            ),
        ] {
            if want.ok != got.0 || want.error != got.1 {
                failures.push(format!(
                    "{mode} {:?}: want {:?} / {:?}, got {:?} / {:?}",
                    case.input, want.ok, want.error, got.0, got.1
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn hash(v: &Version) -> u64 {
    // DefaultHasher::new() uses fixed keys, so hashes of equal values agree across calls.
    let mut hasher = DefaultHasher::new();
    v.hash(&mut hasher);
    hasher.finish()
}

#[test]
fn version_ordering_matches_masterminds() {
    let cases: Vec<CompareCase> = golden("compare.json");
    assert!(
        cases.len() >= 60,
        "too few comparison cases: {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let (Ok(a), Ok(b)) = (Version::parse(&case.a), Version::parse(&case.b)) else {
            failures.push(format!("{:?} or {:?} did not parse", case.a, case.b));
            continue;
        };
        let want = case.compare.cmp(&0);
        let got = a.cmp(&b);
        if want == Ordering::Equal && hash(&a) != hash(&b) {
            failures.push(format!("{} == {} but their hashes differ", case.a, case.b));
        }
        if got != want || (a == b) != (want == Ordering::Equal) {
            failures.push(format!(
                "{} vs {}: want {want:?}, got {got:?}",
                case.a, case.b
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_constraint_case(case: &ConstraintCase) -> Result<(), String> {
    // Sprig's semverCompare parses the constraint, then the version, and reports the first error.
    if let Err(e) = semver_compare(&case.constraint, &case.version) {
        let want = case.parse_error.as_ref().or(case.version_error.as_ref());
        if want != Some(&e.to_string()) {
            return Err(format!(
                "semver_compare: want {want:?}, got {:?}",
                e.to_string()
            ));
        }
    }
    let mut constraints = match Constraints::parse(&case.constraint) {
        Err(e) => {
            return match &case.parse_error {
                Some(want) if *want == e.to_string() => Ok(()),
                want => Err(format!(
                    "parse error: want {want:?}, got {:?}",
                    e.to_string()
                )),
            };
        }
        Ok(c) => c,
    };
    if let Some(want) = &case.parse_error {
        return Err(format!("parsed as {constraints}, want error {want:?}"));
    }
    let shown = constraints.to_string();
    if case.string.as_deref() != Some(shown.as_str()) {
        return Err(format!("String(): want {:?}, got {shown:?}", case.string));
    }
    let version = match Version::parse(&case.version) {
        Err(e) => {
            return match &case.version_error {
                Some(want) if *want == e.to_string() => Ok(()),
                want => Err(format!(
                    "version error: want {want:?}, got {:?}",
                    e.to_string()
                )),
            };
        }
        Ok(v) => v,
    };
    let check = constraints.check(&version);
    if case.check != Some(check) {
        return Err(format!("check: want {:?}, got {check}", case.check));
    }
    let (valid, errors) = match constraints.validate(&version) {
        Ok(()) => (true, Vec::new()),
        Err(reasons) => (false, reasons.iter().map(ToString::to_string).collect()),
    };
    if case.validate != Some(valid) || case.validate_errors != errors {
        return Err(format!(
            "validate: want {:?} {:?}, got {valid} {errors:?}",
            case.validate, case.validate_errors
        ));
    }
    constraints.set_include_prerelease(true);
    let with_pre = constraints.check(&version);
    if case.check_include_prerelease != Some(with_pre) {
        return Err(format!(
            "check with IncludePrerelease: want {:?}, got {with_pre}",
            case.check_include_prerelease
        ));
    }
    // Sprig's semverCompare is parse + parse + Check.
    if semver_compare(&case.constraint, &case.version).ok() != Some(check) {
        return Err("semver_compare disagrees with check".to_owned());
    }
    Ok(())
}

#[test]
fn constraints_match_masterminds() {
    let cases: Vec<ConstraintCase> = golden("constraints.json");
    assert!(
        cases.len() >= 400,
        "too few constraint cases: {}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            check_constraint_case(case)
                .err()
                .map(|e| format!("{:?} vs {:?}: {e}", case.constraint, case.version))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} mismatches:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[derive(Deserialize, Debug, PartialEq)]
struct LookupOut {
    #[serde(rename = "match")]
    found: Option<String>,
    #[serde(default)]
    none: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LookupCase {
    candidates: Vec<String>,
    requested: String,
    oci: LookupOut,
    index: LookupOut,
}

#[test]
fn version_lookups_match_helm() {
    let cases: Vec<LookupCase> = golden("lookups.json");
    assert!(cases.len() >= 100, "too few lookup cases: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        for (lookup, want) in [
            (Lookup::OciTags, &case.oci),
            (Lookup::RepositoryIndex, &case.index),
        ] {
            let got = match first_match(&case.candidates, &case.requested, lookup) {
                Ok(Some(found)) => LookupOut {
                    found: Some(found.to_owned()),
                    none: false,
                    error: None,
                },
                Ok(None) => LookupOut {
                    found: None,
                    none: true,
                    error: None,
                },
                Err(e) => LookupOut {
                    found: None,
                    none: false,
                    error: Some(e.to_string()),
                },
            };
            if got != *want {
                failures.push(format!(
                    "{lookup:?} {:?} in {:?}: want {want:?}, got {got:?}",
                    case.requested, case.candidates
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn constructed_and_from_str_versions_agree_with_parse() {
    // Masterminds' New(1, 2, 3, "", "") sets Original() to String().
    let built = Version::new(1, 2, 3);
    assert_eq!(built.original(), "1.2.3");
    let parsed: Version = "v1.2.3+meta".parse().expect("valid version");
    assert_eq!(built, parsed);
    assert_eq!(hash(&built), hash(&parsed));
    assert_eq!(parsed.original(), "v1.2.3+meta");
    let bad: Result<Constraints, _> = "^1.2 | ^2".parse();
    assert_eq!(
        bad.map_err(|e| e.to_string()).err().as_deref(),
        Some("constraint parser error")
    );
}
