//! The Secret and ConfigMap drivers against a real kube-apiserver (rudder-testkit's local
//! control plane), including records written by Helm 4.1.4 (testdata/release/golden).

use std::path::PathBuf;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::PostParams;
use rudder_release::{
    Driver, DriverError, KubeDriver, Release, Status, Storage, StorageError, StorageObject,
    StorageOptions, decode,
};
use rudder_testkit::{ControlPlane, TestNamespace};

fn golden(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/release/golden")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rel(ns: &str, version: i64, status: Status) -> Release {
    let mut r = Release {
        name: "web".into(),
        namespace: ns.into(),
        version,
        manifest: format!("# revision {version}\n"),
        ..Release::default()
    };
    r.set_status(status, format!("revision {version}"));
    r.labels.insert("team".into(), "core".into());
    r
}

async fn lifecycle<K: StorageObject>(hint: &str) {
    let plane = ControlPlane::shared().expect("test control plane");
    let ns = TestNamespace::create(plane, hint)
        .await
        .expect("test namespace");
    let name = ns.name().to_owned();
    let driver = KubeDriver::<K>::new(ns.client(), Some(&name));
    let storage = Storage::new(driver.clone(), StorageOptions { max_history: 2 });
    let api = ns.api::<K>();

    // Install: pending, then deployed; a second upgrade is refused while one is pending.
    let mut v1 = rel(&name, 1, Status::PendingInstall);
    storage.create(&v1).await.unwrap();
    assert!(matches!(
        storage.ensure_idle("web").await,
        Err(StorageError::OperationInProgress { version: 1, .. })
    ));
    let raw = api.get("sh.helm.release.v1.web.v1").await.unwrap();
    let labels = raw.meta().labels.clone().unwrap();
    assert!(labels.contains_key("createdAt"));
    assert_eq!(
        (labels["owner"].as_str(), labels["status"].as_str()),
        ("helm", "pending-install")
    );
    v1.set_status(Status::Deployed, "Install complete");
    storage.update(&v1).await.unwrap();
    let labels = api
        .get("sh.helm.release.v1.web.v1")
        .await
        .unwrap()
        .meta()
        .labels
        .clone()
        .unwrap();
    assert!(labels.contains_key("modifiedAt"));
    assert_eq!(labels["status"], "deployed");
    assert_eq!(storage.get("web", 1).await.unwrap(), v1);

    // Two racing creators of one revision: the second gets AlreadyExists.
    assert!(matches!(
        driver.create(&v1.storage_key(), &v1).await,
        Err(DriverError::AlreadyExists { .. })
    ));

    // Upgrades with history-max 2 prune the oldest revision.
    for version in 2..=3 {
        let mut previous = storage.deployed("web").await.unwrap();
        previous.set_status(Status::Superseded, "superseded");
        storage.update(&previous).await.unwrap();
        storage
            .create(&rel(&name, version, Status::Deployed))
            .await
            .unwrap();
    }
    let history: Vec<(i64, Status)> = storage
        .history("web")
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.version, r.status()))
        .collect();
    assert_eq!(history, [(2, Status::Superseded), (3, Status::Deployed)]);
    assert_eq!(storage.next_revision("web").await.unwrap(), 4);
    assert!(
        storage
            .get("web", 1)
            .await
            .unwrap_err()
            .to_string()
            .contains("not found")
    );

    // Deleting returns the record.
    let removed = storage.delete("web", 3).await.unwrap();
    assert_eq!(removed.version, 3);
    assert!(
        storage
            .delete("web", 3)
            .await
            .unwrap_err()
            .to_string()
            .contains("not found")
    );
    ns.delete().await.unwrap();
}

/// A record written by Helm 4.1.4's driver, stored through the API server, reads back as Helm's
/// release with its user labels, and Rudder can supersede it and add the next revision.
async fn reads_and_upgrades_helm_records<K: StorageObject>(hint: &str, suffix: &str) {
    let plane = ControlPlane::shared().expect("test control plane");
    let ns = TestNamespace::create(plane, hint)
        .await
        .expect("test namespace");
    let name = ns.name().to_owned();
    let api = ns.api::<K>();
    let helm_object: K =
        serde_json::from_str(&golden(&format!("deployed-ssa-hooks.{suffix}.json"))).unwrap();
    api.create(&PostParams::default(), &helm_object)
        .await
        .unwrap();

    let mut want = decode(&golden("deployed-ssa-hooks.release")).unwrap();
    want.labels = [("example.com/tier", "gold"), ("team", "core")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let storage = Storage::new(
        KubeDriver::<K>::new(ns.client(), Some(&name)),
        StorageOptions::default(),
    );
    assert_eq!(storage.deployed("web").await.unwrap(), want);
    assert_eq!(storage.next_revision("web").await.unwrap(), 3);

    // The all-namespaces driver finds it by key and by user label.
    let all = KubeDriver::<K>::new(ns.client(), None);
    let found = all.get("sh.helm.release.v1.web.v2").await.unwrap();
    assert_eq!(
        found.namespace, "team-a",
        "the record's own namespace field is kept"
    );
    let by_label = all
        .query(&[("example.com/tier".to_owned(), "gold".to_owned())].into())
        .await
        .unwrap();
    assert_eq!(by_label, [want.clone()]);

    // Rudder supersedes Helm's revision and records the next one.
    let mut previous = want;
    previous.set_status(Status::Superseded, "superseded by rudder");
    storage.update(&previous).await.unwrap();
    storage
        .create(&rel(&name, 3, Status::Deployed))
        .await
        .unwrap();
    let raw = api.get("sh.helm.release.v1.web.v2").await.unwrap();
    let labels = raw.meta().labels.clone().unwrap();
    assert_eq!(labels["status"], "superseded");
    assert_eq!(labels["team"], "core");
    assert_eq!(storage.deployed("web").await.unwrap().version, 3);
    ns.delete().await.unwrap();
}

#[tokio::test]
async fn secrets_driver_lifecycle() {
    lifecycle::<Secret>("release-secrets").await;
}

#[tokio::test]
async fn config_maps_driver_lifecycle() {
    lifecycle::<ConfigMap>("release-configmaps").await;
}

#[tokio::test]
async fn secrets_driver_reads_and_upgrades_helm_records() {
    reads_and_upgrades_helm_records::<Secret>("release-helm-secrets", "secret").await;
}

#[tokio::test]
async fn config_maps_driver_reads_and_upgrades_helm_records() {
    reads_and_upgrades_helm_records::<ConfigMap>("release-helm-configmaps", "configmap").await;
}
