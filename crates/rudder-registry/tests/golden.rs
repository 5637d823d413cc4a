//! Helm 4.1.4's manifest and config for testdata/registry/demo (from
//! testdata/registry/regen-golden) rebuilt byte for byte without a registry or Helm.

use std::path::Path;

use rudder_registry::manifest;

#[test]
fn manifest_and_config_match_helm_goldens() {
    check("manifest.json", None);
}

#[test]
fn manifest_with_provenance_matches_helm_golden() {
    check("manifest-prov.json", Some("demo-0.1.0+build.7.tgz.prov"));
}

fn check(manifest_file: &str, prov_file: Option<&str>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/registry");
    let golden = root.join("golden");
    let archive = std::fs::read(golden.join("demo-0.1.0+build.7.tgz")).unwrap();
    let helm_manifest = std::fs::read_to_string(golden.join(manifest_file)).unwrap();
    let prov = prov_file.map(|p| std::fs::read(golden.join(p)).unwrap());
    let helm_config = std::fs::read_to_string(golden.join("config.json")).unwrap();

    let chart = rudder_chart::load_archive(
        archive.as_slice(),
        "demo-0.1.0+build.7.tgz",
        &rudder_chart::LoadOptions::default(),
    )
    .unwrap();
    let config = manifest::config_json(&chart.metadata);
    assert_eq!(String::from_utf8_lossy(&config), helm_config);

    let m = manifest::build_manifest(
        &config,
        &archive,
        prov.as_deref(),
        manifest::annotations(&chart.metadata, "2020-01-02T03:04:05Z"),
    );
    assert_eq!(serde_json::to_string(&m).unwrap(), helm_manifest);
}

#[test]
fn helm_manifest_parses_and_round_trips() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/registry/golden");
    let text = std::fs::read_to_string(golden.join("manifest.json")).unwrap();
    let m: manifest::Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(m.config.media_type, manifest::CONFIG_MEDIA_TYPE);
    assert_eq!(serde_json::to_string(&m).unwrap(), text);
}
