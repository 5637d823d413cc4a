//! Interop with records written by Helm 4.1.4's own code (testdata/release/golden, regenerated
//! by scripts/goldens/release.sh from testdata/release/gen).

use std::path::PathBuf;

use base64::Engine as _;
use rudder_release::{
    ApplyMethod, HookDeletePolicy, HookEvent, HookOutputLogPolicy, HookPhase, MemoryDriver,
    Release, Status, Storage, StorageOptions, Time, decode, decode_to_json, encode, from_json,
    to_json,
};
use serde_json::Value;

const FIXTURES: [&str; 4] = [
    "deployed-ssa-hooks",
    "superseded-csa",
    "uninstalled-offsets",
    "pending-install-bare",
];

fn golden(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/release/golden")
        .join(file)
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(golden(file)).unwrap_or_else(|e| panic!("{}: {e}", golden(file).display()))
}

fn helm_json(id: &str) -> String {
    String::from_utf8(read(&format!("{id}.json"))).unwrap()
}

fn helm_data(id: &str) -> String {
    String::from_utf8(read(&format!("{id}.release"))).unwrap()
}

fn load(id: &str) -> Release {
    decode(&helm_data(id)).unwrap_or_else(|e| panic!("{id}: {e}"))
}

#[test]
fn helm_json_is_rewritten_byte_for_byte() {
    for id in FIXTURES {
        let json = helm_json(id);
        let release = from_json(json.as_bytes()).unwrap();
        let ours = String::from_utf8(to_json(&release).unwrap()).unwrap();
        assert_eq!(ours, json, "{id}");
    }
}

#[test]
fn helm_encoded_records_decode_to_helms_json() {
    for id in FIXTURES {
        let data = helm_data(id);
        assert_eq!(
            decode_to_json(&data).unwrap(),
            helm_json(id).into_bytes(),
            "{id}"
        );
        let ours = to_json(&decode(&data).unwrap()).unwrap();
        assert_eq!(String::from_utf8(ours).unwrap(), helm_json(id), "{id}");
    }
}

#[test]
fn our_encoding_holds_helms_json_with_helms_gzip_header() {
    let b64 = base64::engine::general_purpose::STANDARD;
    for id in FIXTURES {
        let release = load(id);
        let data = encode(&release).unwrap();
        assert_eq!(
            decode_to_json(&data).unwrap(),
            helm_json(id).into_bytes(),
            "{id}"
        );
        let ours = b64.decode(&data).unwrap();
        let helms = b64.decode(helm_data(id)).unwrap();
        // Header (magic, flags, mtime, XFL, OS) is identical; the deflate stream is not.
        assert_eq!(ours[..10], helms[..10], "{id}");
    }
}

#[test]
fn deployed_record_fields() {
    let r = load("deployed-ssa-hooks");
    assert_eq!(
        (r.name.as_str(), r.version, r.namespace.as_str()),
        ("web", 2, "team-a")
    );
    assert_eq!(r.status(), Status::Deployed);
    assert_eq!(r.apply_method, Some(ApplyMethod::ServerSide));
    assert!(r.labels.is_empty(), "labels are not part of the JSON");
    let info = r.info.as_ref().unwrap();
    assert_eq!(
        info.first_deployed.to_string(),
        "2025-03-14T15:09:26.535897932Z"
    );
    assert_eq!(
        info.last_deployed,
        Time::from_unix(1_741_965_000, 500_000_000)
    );
    assert!(info.deleted.is_zero());
    assert_eq!(info.notes, "Visit <http://web> & enjoy\n");

    assert_eq!(r.hooks.len(), 3);
    let migrate = &r.hooks[0];
    assert_eq!(
        migrate.events,
        [HookEvent::PreInstall, HookEvent::PreUpgrade]
    );
    assert_eq!(migrate.weight, -5);
    assert_eq!(
        migrate.delete_policies,
        [
            HookDeletePolicy::BeforeHookCreation,
            HookDeletePolicy::HookSucceeded
        ]
    );
    assert_eq!(migrate.output_log_policies, [HookOutputLogPolicy::OnFailed]);
    assert_eq!(migrate.last_run.phase, Some(HookPhase::Succeeded));
    assert_eq!(r.hooks[1].last_run.phase, None);
    assert!(r.hooks[1].last_run.started_at.is_zero());
    assert_eq!(r.hooks[2].last_run.started_at.offset_seconds(), 3600);
    assert_eq!(r.hooks[2].events.len(), 6);
    assert!(
        r.hooks[2]
            .events
            .iter()
            .all(|e| !matches!(e, HookEvent::Other(_)))
    );

    let chart = r.chart.as_ref().unwrap();
    let meta = chart.metadata.as_ref().unwrap();
    assert_eq!(
        (meta.name.as_str(), meta.version.as_str()),
        ("web", "1.2.3")
    );
    assert_eq!(meta.api_version, "v2");
    assert_eq!(meta.kube_version, ">=1.29.0-0");
    assert!(meta.deprecated);
    assert_eq!(meta.dependencies[0].alias, "cache");
    assert_eq!(meta.dependencies[0].import_values.len(), 2);
    let templates = chart.templates.as_ref().unwrap();
    assert_eq!(templates.len(), 3);
    assert_eq!(templates[2].data.as_deref(), Some(&[][..]));
    let files = chart.files.as_ref().unwrap();
    assert_eq!(
        files[1].data.as_deref(),
        Some(&[0x00, 0xff, 0xfe, 0x1f, 0x8b, 0x08, 0x80][..])
    );
    assert!(files[1].modtime.is_zero());
    assert!(chart.schema.as_ref().unwrap().starts_with(b"{\"$schema\""));
    assert_eq!(
        chart.lock.as_ref().unwrap().digest,
        "sha256:0123456789abcdef"
    );

    assert_eq!(r.config["big"].as_f64(), Some(1e21));
    assert_eq!(r.config["tiny"].as_f64(), Some(1e-7));
    assert_eq!(r.config["seps"], "a\u{2028}b\u{2029}c");
    assert_eq!(r.config["replicaCount"].as_u64(), Some(5));
}

#[test]
fn uninstalled_and_bare_records() {
    let old = load("uninstalled-offsets");
    assert_eq!(old.status(), Status::Uninstalled);
    assert_eq!(old.apply_method, None);
    assert_eq!(old.effective_apply_method(), ApplyMethod::ClientSide);
    let info = old.info.as_ref().unwrap();
    assert_eq!(info.deleted.offset_seconds(), -(3 * 3600 + 30 * 60));
    assert_eq!(info.deleted.subsec_nanos(), 120_000);
    assert!(old.config.is_empty());

    let sup = load("superseded-csa");
    assert_eq!(sup.status(), Status::Superseded);
    assert_eq!(sup.apply_method, Some(ApplyMethod::ClientSide));

    let bare = load("pending-install-bare");
    assert!(bare.status().is_pending());
    let chart = bare.chart.as_ref().unwrap();
    assert!(chart.metadata.is_none() && chart.templates.is_none() && chart.values.is_none());
    assert!(chart.schemamodtime.is_zero());
    assert!(bare.hooks.is_empty());
}

/// Adds `"x-future-<depth>"` fields at every object level Rudder models.
fn add_unknown_fields(v: &mut Value) {
    let paths: &[&[&str]] = &[
        &[],
        &["info"],
        &["chart"],
        &["chart", "metadata"],
        &["chart", "metadata", "maintainers", "0"],
        &["chart", "metadata", "dependencies", "0"],
        &["chart", "lock"],
        &["chart", "templates", "0"],
        &["chart", "files", "1"],
        &["hooks", "0"],
        &["hooks", "0", "last_run"],
    ];
    for path in paths {
        let mut node = &mut *v;
        for step in *path {
            node = match step.parse::<usize>() {
                Ok(i) => &mut node[i],
                Err(_) => &mut node[*step],
            };
        }
        node.as_object_mut().unwrap().insert(
            format!("x-future-{}", path.len()),
            serde_json::json!({"kept": [1, "<&>"], "depth": path.len()}),
        );
    }
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let mut doc: Value = serde_json::from_str(&helm_json("deployed-ssa-hooks")).unwrap();
    add_unknown_fields(&mut doc);
    let mut release = from_json(serde_json::to_string(&doc).unwrap().as_bytes()).unwrap();
    let written: Value = serde_json::from_slice(&to_json(&release).unwrap()).unwrap();
    assert_eq!(written, doc);

    // Without the unknown fields the bytes are Helm's again.
    assert!(release.extra.contains_key("x-future-0"));
    release.extra.clear();
    release.info.as_mut().unwrap().extra.clear();
    let chart = release.chart.as_mut().unwrap();
    chart.extra.clear();
    let meta = chart.metadata.as_mut().unwrap();
    meta.extra.clear();
    meta.maintainers[0].extra.clear();
    meta.dependencies[0].extra.clear();
    chart.lock.as_mut().unwrap().extra.clear();
    chart.templates.as_mut().unwrap()[0].extra.clear();
    chart.files.as_mut().unwrap()[1].extra.clear();
    release.hooks[0].extra.clear();
    release.hooks[0].last_run.extra.clear();
    assert_eq!(
        String::from_utf8(to_json(&release).unwrap()).unwrap(),
        helm_json("deployed-ssa-hooks")
    );
}

#[test]
fn unknown_enum_strings_are_kept() {
    let json = br#"{"name":"x","info":{"status":"paused"},"hooks":[{"events":["pre-frobnicate"],"last_run":{"phase":"Queued"}}],"apply_method":"kapp"}"#;
    let r = from_json(json).unwrap();
    assert_eq!(r.status(), Status::Other("paused".into()));
    assert_eq!(
        r.hooks[0].events,
        [HookEvent::Other("pre-frobnicate".into())]
    );
    assert_eq!(to_json(&r).unwrap(), json.to_vec());
}

#[test]
fn empty_time_strings_read_as_zero_like_helm() {
    let r = from_json(br#"{"info":{"first_deployed":"","deleted":null,"status":"failed"},"hooks":[{"last_run":{"started_at":"","phase":"Running"}}]}"#).unwrap();
    assert!(r.info.as_ref().unwrap().first_deployed.is_zero());
    assert_eq!(
        String::from_utf8(to_json(&r).unwrap()).unwrap(),
        r#"{"info":{"status":"failed"},"hooks":[{"last_run":{"phase":"Running"}}]}"#
    );
}

#[derive(serde::Deserialize)]
struct PruneScenario {
    max_history: usize,
    steps: Vec<PruneStep>,
}

#[derive(serde::Deserialize)]
struct PruneStep {
    version: i64,
    status: String,
    remaining: Vec<i64>,
}

/// Replays what Helm's Storage (with the Secret driver) kept under `--history-max`.
#[tokio::test]
async fn history_max_prunes_like_helm() {
    let scenarios: Vec<PruneScenario> = serde_json::from_slice(&read("history-max.json")).unwrap();
    assert_eq!(scenarios.len(), 3);
    for scenario in scenarios {
        let storage = Storage::new(
            MemoryDriver::new(Some("team-a")),
            StorageOptions {
                max_history: scenario.max_history,
            },
        );
        for step in &scenario.steps {
            let mut rel = Release {
                name: "app".into(),
                namespace: "team-a".into(),
                version: step.version,
                ..Release::default()
            };
            rel.set_status(Status::parse(&step.status), "");
            storage.create(&rel).await.unwrap();
            let left: Vec<i64> = storage
                .history("app")
                .await
                .unwrap()
                .iter()
                .map(|r| r.version)
                .collect();
            assert_eq!(
                left, step.remaining,
                "max_history {} after creating v{}",
                scenario.max_history, step.version
            );
        }
    }
}

/// A chart archive loaded by rudder-chart gives the stored chart Helm's loader gives.
#[test]
fn loaded_chart_is_stored_like_helm() {
    let chart = rudder_chart::load(golden("web-0.1.0.tgz")).unwrap();
    assert_eq!(
        chart.dependencies.len(),
        1,
        "the subchart is loaded but not stored"
    );
    let release = Release {
        chart: Some(rudder_release::Chart::from_loaded(&chart)),
        ..Release::default()
    };
    let json = String::from_utf8(to_json(&release).unwrap()).unwrap();
    let stored = json
        .strip_prefix(r#"{"chart":"#)
        .and_then(|s| s.strip_suffix('}'))
        .unwrap();
    let helm = String::from_utf8(read("loaded-chart.json")).unwrap();
    assert_eq!(stored, helm);
}
