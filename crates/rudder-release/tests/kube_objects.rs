//! The Secret and ConfigMap objects Rudder writes equal the ones Helm 4.1.4's drivers write
//! (testdata/release/golden/*.secret.json, *.configmap.json), apart from the `createdAt`
//! timestamp and the gzip bytes inside `data.release`.

use std::path::PathBuf;

use base64::Engine as _;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use rudder_release::{
    Stamp, StorageObject, Time, decode, decode_to_json, release_from_object, storage_key,
    storage_object, user_labels,
};
use serde_json::Value;

const FIXTURES: [&str; 4] = [
    "deployed-ssa-hooks",
    "superseded-csa",
    "uninstalled-offsets",
    "pending-install-bare",
];

fn read(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/release/golden")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The encoded record inside an object's JSON `data.release`.
fn encoded_record(object: &Value, base64_wrapped: bool) -> String {
    let text = object["data"]["release"].as_str().unwrap();
    if base64_wrapped {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        String::from_utf8(raw).unwrap()
    } else {
        text.to_owned()
    }
}

fn check<K: StorageObject>(id: &str, suffix: &str, base64_wrapped: bool) {
    let helm: Value = serde_json::from_str(&read(&format!("{id}.{suffix}.json"))).unwrap();

    // Reading Helm's object gives Helm's record and its user labels.
    let helm_object: K = serde_json::from_value(helm.clone()).unwrap();
    let release = release_from_object(&helm_object).unwrap();
    let helm_labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(helm["metadata"]["labels"].clone()).unwrap();
    assert_eq!(release.labels, user_labels(&helm_labels), "{id}");
    assert_eq!(
        release,
        decode(&read(&format!("{id}.release")))
            .unwrap()
            .with_labels(&release.labels)
    );

    // Writing it again gives Helm's object.
    let key = storage_key(&release.name, release.version);
    let ours: K = storage_object(&key, &release, Stamp::Created(Time::now())).unwrap();
    let mut ours = serde_json::to_value(&ours).unwrap();
    let created = ours["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("createdAt")
        .expect("createdAt label");
    assert!(created.as_str().unwrap().parse::<i64>().unwrap() > 1_700_000_000);

    assert_eq!(
        decode_to_json(&encoded_record(&ours, base64_wrapped)).unwrap(),
        read(&format!("{id}.json")).into_bytes(),
        "{id}.{suffix}: data.release"
    );
    let mut helm = helm;
    for object in [&mut ours, &mut helm] {
        object["data"]["release"] = Value::Null;
    }
    // k8s-openapi always writes the type meta; client-go adds the same when it sends Helm's.
    let type_meta = ours.as_object_mut().unwrap();
    assert_eq!(type_meta.remove("apiVersion"), Some(Value::from("v1")));
    assert!(type_meta.remove("kind").is_some());
    assert_eq!(ours, helm, "{id}.{suffix}");
}

trait WithLabels {
    fn with_labels(self, labels: &std::collections::BTreeMap<String, String>) -> Self;
}

impl WithLabels for rudder_release::Release {
    fn with_labels(mut self, labels: &std::collections::BTreeMap<String, String>) -> Self {
        self.labels = labels.clone();
        self
    }
}

#[test]
fn secrets_match_helms() {
    for id in FIXTURES {
        check::<Secret>(id, "secret", true);
    }
}

#[test]
fn config_maps_match_helms() {
    for id in FIXTURES {
        check::<ConfigMap>(id, "configmap", false);
    }
}

#[test]
fn secret_shape() {
    let mut release = decode(&read("deployed-ssa-hooks.release")).unwrap();
    release.labels.insert("team".into(), "core".into());
    let secret: Secret = storage_object(
        "sh.helm.release.v1.web.v2",
        &release,
        Stamp::Modified(Time::from_unix(1_750_000_000, 0)),
    )
    .unwrap();
    assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
    assert_eq!(
        secret.metadata.name.as_deref(),
        Some("sh.helm.release.v1.web.v2")
    );
    assert_eq!(
        secret.metadata.namespace, None,
        "the API handle sets the namespace"
    );
    let labels = secret.metadata.labels.as_ref().unwrap();
    assert_eq!(labels["modifiedAt"], "1750000000");
    assert!(!labels.contains_key("createdAt"));
    assert_eq!(labels["status"], "deployed");
    assert_eq!(labels["version"], "2");
    assert_eq!(labels["owner"], "helm");
    assert_eq!(labels["team"], "core");
    let data = secret.release_data().unwrap();
    assert_eq!(
        decode(&data).unwrap().labels.len(),
        0,
        "labels never enter the JSON"
    );
}
