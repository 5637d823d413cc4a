//! Packaging: byte-identical tar streams with real `helm package`, reproducibility, and
//! round trips.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rudder_chart::{LoadOptions, PackageOptions, load, load_dir, package};
use sha2::{Digest, Sha256};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/charts/package-fixture")
}

/// Copies a directory tree, setting every file's mtime to `mtime`.
fn copy_tree(from: &Path, to: &Path, mtime: SystemTime) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest, mtime);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
            fs::File::options()
                .write(true)
                .open(&dest)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        }
    }
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The mtime golden/regen.sh gives every file before running `helm package`.
fn golden_mtime() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_700_000_000, 600_000_000)
}

fn packaged_fixture(tmp: &Path) -> PathBuf {
    let chart = tmp.join("package-fixture");
    copy_tree(&fixture(), &chart, golden_mtime());
    package(&chart, tmp.join("out"), &PackageOptions::default()).unwrap()
}

#[test]
fn tar_stream_is_byte_identical_to_helm_package() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = packaged_fixture(tmp.path());
    assert_eq!(ours.file_name().unwrap(), "package-fixture-0.1.0.tgz");
    let helm = fixture().join("golden/helm-package-fixture-0.1.0.tgz");
    let (a, b) = (gunzip(&ours), gunzip(&helm));
    if a != b {
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let block = at / 512 * 512;
        panic!(
            "tar streams differ at byte {at} (lengths {} vs {}); ours: {:?}\nhelm: {:?}",
            a.len(),
            b.len(),
            String::from_utf8_lossy(&a[block..(block + 512).min(a.len())]),
            String::from_utf8_lossy(&b[block..(block + 512).min(b.len())]),
        );
    }
}

#[test]
fn gzip_header_matches_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = fs::read(packaged_fixture(tmp.path())).unwrap();
    let helm = fs::read(fixture().join("golden/helm-package-fixture-0.1.0.tgz")).unwrap();
    // ID, CM, FLG, MTIME, XFL, OS, XLEN, extra field and comment: everything before the
    // deflate stream (which comes from a different compressor).
    let header_len = 10 + 2 + 41 + 5;
    assert_eq!(ours[..header_len], helm[..header_len]);
}

#[test]
fn same_input_gives_same_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("package-fixture");
    copy_tree(&fixture(), &chart, golden_mtime());
    let digest = |dir: &str| {
        let p = package(&chart, tmp.path().join(dir), &PackageOptions::default()).unwrap();
        hex::encode(Sha256::digest(fs::read(p).unwrap()))
    };
    assert_eq!(digest("one"), digest("two"));
}

#[test]
fn archive_loads_back_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("package-fixture");
    copy_tree(&fixture(), &chart, golden_mtime());
    let from_dir = load_dir(&chart, &LoadOptions::default()).unwrap();
    let archive = package(&chart, tmp.path().join("out"), &PackageOptions::default()).unwrap();
    let from_tgz = load(&archive).unwrap();
    // Archives keep whole seconds; everything else must be equal.
    let mut expected = from_dir.clone();
    normalize_times(&mut expected);
    let mut got = from_tgz;
    normalize_times(&mut got);
    assert_eq!(got, expected);
    assert_eq!(got.dependencies.len(), 1);
    assert_eq!(got.dependencies[0].dependencies[0].metadata.name, "inner");
}

fn normalize_times(c: &mut rudder_chart::Chart) {
    let round = |t: &mut Option<SystemTime>| {
        if let Some(v) = t {
            let d = v.duration_since(UNIX_EPOCH).unwrap();
            let secs = d.as_secs() + u64::from(d.subsec_nanos() >= 500_000_000);
            *v = UNIX_EPOCH + Duration::from_secs(secs);
        }
    };
    round(&mut c.modified.chart_yaml);
    round(&mut c.modified.values);
    round(&mut c.modified.schema);
    for f in c.templates.iter_mut().chain(c.files.iter_mut()) {
        round(&mut f.modified);
    }
    for d in &mut c.dependencies {
        normalize_times(d);
    }
}

#[test]
fn version_overrides_apply_and_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("package-fixture");
    copy_tree(&fixture(), &chart, golden_mtime());
    let opts = PackageOptions::default()
        .with_version("1.2.3-rc.1")
        .with_app_version("9.9");
    let p = package(&chart, tmp.path().join("out"), &opts).unwrap();
    assert_eq!(p.file_name().unwrap(), "package-fixture-1.2.3-rc.1.tgz");
    let c = load(&p).unwrap();
    assert_eq!(c.metadata.version, "1.2.3-rc.1");
    assert_eq!(c.metadata.app_version, "9.9");
    let err = package(
        &chart,
        tmp.path().join("out"),
        &PackageOptions::default().with_version("not-a-version"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "package-fixture: version \"not-a-version\" is invalid: not a semantic version"
    );
}

#[test]
fn missing_dependency_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("package-fixture");
    copy_tree(&fixture(), &chart, golden_mtime());
    fs::remove_dir_all(chart.join("charts/sub")).unwrap();
    let err = package(&chart, tmp.path().join("out"), &PackageOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "package-fixture: found in Chart.yaml, but missing in charts/ directory: sub"
    );
}

#[test]
fn metadata_yaml_matches_helm_show_chart() {
    let chart = load(fixture()).unwrap();
    let helm = fs::read_to_string(fixture().join("golden/helm-show-chart.yaml")).unwrap();
    // `helm show chart` prints the marshalled metadata followed by one more newline.
    assert_eq!(
        format!("{}\n", rudder_chart::metadata_yaml(&chart.metadata)),
        helm
    );
}

#[test]
fn variants_are_byte_identical_to_helm_package() {
    let variants = fixture().join("golden/variants");
    let mut checked = 0;
    for entry in fs::read_dir(&variants).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let tmp = tempfile::tempdir().unwrap();
        let chart = tmp.path().join(&name);
        copy_tree(&dir, &chart, golden_mtime());
        let ours = package(&chart, tmp.path().join("out"), &PackageOptions::default()).unwrap();
        let helm = variants.join(format!("{name}.tgz"));
        assert!(gunzip(&ours) == gunzip(&helm), "{name}: tar streams differ");
        checked += 1;
    }
    assert_eq!(checked, 2);
}
