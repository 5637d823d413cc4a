//! End-to-end tests of the v3 install rules on the local control plane: resource groups
//! applied and waited for phase by phase, `readiness.yaml` overrides, the CRD upgrade policy.
//!
//! Run: `cargo test -p rudder-action --test groups_e2e` (after `scripts/cluster up` and `eval "$(scripts/cluster env)"`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use rudder_action::install::{self, InstallOptions};
use rudder_action::release_ops::{Kube, ObjectRef, ObjectStatus, ReleaseClient, StorageChoice};
use rudder_action::upgrade::{self, UpgradeOptions};
use rudder_release::Status;
use rudder_testkit::{ControlPlane, TestNamespace};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/charts/e2e-groups")
}

async fn setup(hint: &str) -> (TestNamespace, ReleaseClient) {
    let plane = ControlPlane::shared().expect("control plane");
    let ns = TestNamespace::create(plane, hint).await.expect("namespace");
    let kube = Kube::new(ns.client(), ns.name());
    let client = ReleaseClient::new(kube, Some(ns.name()), StorageChoice::default());
    (ns, client)
}

/// Every status the wait reports, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, rudder_kstatus::Status)>>);

impl Recorder {
    fn on(&self, id: &ObjectRef, status: &ObjectStatus) {
        self.0
            .lock()
            .unwrap()
            .push((format!("{}/{}", id.kind, id.name), status.status));
    }
    fn first(&self, object: &str, status: Option<rudder_kstatus::Status>) -> Option<usize> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .position(|(o, s)| o == object && status.is_none_or(|w| w == *s))
    }
}

fn quiet(_: &ObjectRef, _: &ObjectStatus) {}

fn chain(err: &dyn std::error::Error) -> String {
    let mut out = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        out.push(s.to_string());
        source = s.source();
    }
    out.join(" | ")
}

/// charts-v3-spec GRP-6: phases in order, a phase that never gets ready stops the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_applied_in_order_and_a_group_that_never_gets_ready_stops_the_rest() {
    let (ns, client) = setup("groups-order").await;

    // The controllers group never becomes ready: the samples group is never applied.
    let mut o = InstallOptions::new("stuck", chart());
    o.values.set = vec!["controllerImage=registry.example/e2e/never-ready:1".to_owned()];
    o.timeout = Duration::from_secs(8);
    let err = install::install(&client, &o, &quiet)
        .await
        .expect_err("the controllers never get ready");
    let text = chain(&err);
    assert!(
        text.contains("resource group controllers did not become ready"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "resource Deployment/{}/stuck-controller not ready",
            ns.name()
        )),
        "{text}"
    );
    let deployments: Api<Deployment> = ns.api();
    assert!(
        deployments
            .get_opt("stuck-controller")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        deployments.get_opt("stuck-sample").await.unwrap().is_none(),
        "a later group was applied before its dependency was ready"
    );
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("stuck-config")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        client.storage.last("stuck").await.unwrap().status(),
        Status::Failed
    );

    // With a ready controller: ungrouped → controllers (ready) → samples, in that order.
    let recorder = Recorder::default();
    let observer = |id: &ObjectRef, s: &ObjectStatus| recorder.on(id, s);
    let mut o = InstallOptions::new("web", chart());
    o.timeout = Duration::from_secs(60);
    let release = install::install(&client, &o, &observer)
        .await
        .expect("install");
    assert_eq!(release.status(), Status::Deployed);
    let current = Some(rudder_kstatus::Status::Current);
    let config_ready = recorder.first("ConfigMap/web-config", current).unwrap();
    let controller_seen = recorder.first("Deployment/web-controller", None).unwrap();
    let controller_ready = recorder
        .first("Deployment/web-controller", current)
        .unwrap();
    let sample_seen = recorder.first("Deployment/web-sample", None).unwrap();
    assert!(config_ready < controller_seen, "{:?}", recorder.0);
    assert!(controller_ready < sample_seen, "{:?}", recorder.0);
    let controller = deployments.get("web-controller").await.unwrap();
    let sample = deployments.get("web-sample").await.unwrap();
    assert!(
        sample.metadata.creation_timestamp.unwrap().0
            >= controller.metadata.creation_timestamp.unwrap().0
    );
    // The Gadget was judged by the chart's readiness.yaml (spec.mode == "ready").
    assert!(recorder.first("Gadget/web-gadget", current).is_some());

    // An upgrade keeps the order too (the controllers' pods are replaced first).
    let recorder = Recorder::default();
    let observer = |id: &ObjectRef, s: &ObjectStatus| recorder.on(id, s);
    let mut u = UpgradeOptions::new("web", chart());
    u.timeout = Duration::from_secs(60);
    // The CRD test may have moved the shared Gadget CRD's storage to v2 (cluster-scoped);
    // re-applying this chart's v1-only definition would rightly be refused.
    u.skip_crds = true;
    u.values.set = vec![
        "controllerImage=registry.example/e2e/controller:2.0.0".to_owned(),
        "sampleImage=registry.example/e2e/sample:2.0.0".to_owned(),
    ];
    let upgraded = upgrade::upgrade(&client, &u, &observer)
        .await
        .expect("upgrade");
    assert_eq!((upgraded.version, upgraded.status()), (2, Status::Deployed));
    let controller_ready = recorder
        .first("Deployment/web-controller", current)
        .unwrap();
    let sample_seen = recorder.first("Deployment/web-sample", None).unwrap();
    assert!(controller_ready < sample_seen, "{:?}", recorder.0);
}

/// charts-v3-spec RDY-4: `readiness.yaml` overrides decide the waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_overrides_decide_when_a_custom_resource_is_ready() {
    let (ns, client) = setup("groups-readiness").await;
    // Without the override, a status-less Gadget is ready after the 10 s grace period; the
    // override keeps it waiting while spec.mode is not "ready".
    let mut o = InstallOptions::new("gadget", chart());
    o.values.set = vec!["gadgetMode=pending".to_owned()];
    o.timeout = Duration::from_secs(20);
    let err = install::install(&client, &o, &quiet)
        .await
        .expect_err("the Gadget is never ready");
    let text = chain(&err);
    assert!(
        text.contains(&format!(
            "resource Gadget/{}/gadget-gadget not ready. status: InProgress",
            ns.name()
        )),
        "{text}"
    );
    assert!(!text.contains("Deployment/"), "{text}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

const V2_VERSION: &str = "    - name: v2
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
";

fn versions(crd: &CustomResourceDefinition) -> Vec<(String, bool, bool)> {
    crd.spec
        .versions
        .iter()
        .map(|v| (v.name.clone(), v.served, v.storage))
        .collect()
}

/// charts-v3-spec CRD-4: the CRD upgrade policy on `upgrade`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crd_upgrade_policy_applies_opted_in_crds_and_refuses_dropping_stored_versions() {
    let (_ns, client) = setup("groups-crds").await;
    let mut o = InstallOptions::new("crds", chart());
    o.timeout = Duration::from_secs(60);
    install::install(&client, &o, &quiet)
        .await
        .expect("install");
    let crds: Api<CustomResourceDefinition> = Api::all(client.kube.client().clone());

    // A new chart version: both CRDs gain v2 (the storage version), v1 stays served.
    let dir = tempfile::tempdir().unwrap();
    let next = dir.path().join("e2e-groups");
    copy_dir(&chart(), &next);
    for file in ["gadgets.yaml", "gizmos.yaml"] {
        let path = next.join("crds").join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("      storage: true\n", "      storage: false\n");
        std::fs::write(&path, format!("{text}{V2_VERSION}")).unwrap();
    }
    let mut u = UpgradeOptions::new("crds", &next);
    u.timeout = Duration::from_secs(60);
    upgrade::upgrade(&client, &u, &quiet)
        .await
        .expect("upgrade");
    let gadgets = crds.get("gadgets.groups.rudder.dev").await.unwrap();
    assert_eq!(
        versions(&gadgets),
        [("v1".into(), true, false), ("v2".into(), true, true)],
        "the `upgrade` CRD is applied"
    );
    let gizmos = crds.get("gizmos.groups.rudder.dev").await.unwrap();
    assert!(
        versions(&gizmos).iter().all(|(name, _, _)| name == "v1"),
        "a create-only CRD is never touched by an upgrade: {:?}",
        versions(&gizmos)
    );

    // Dropping v1, which objects are still stored in, is refused before anything changes.
    let path = next.join("crds/gadgets.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("    - name: v1").unwrap();
    let end = text.find("    - name: v2").unwrap();
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let err = upgrade::upgrade(&client, &u, &quiet)
        .await
        .expect_err("dropping a stored version is refused");
    assert_eq!(
        err.to_string(),
        "refusing to upgrade CRD gadgets.groups.rudder.dev: version \"v1\" is listed in status.storedVersions but the new definition does not contain it"
    );
    let gadgets = crds.get("gadgets.groups.rudder.dev").await.unwrap();
    assert!(versions(&gadgets).iter().any(|(name, _, _)| name == "v1"));
    // Refused before a record was written: the release is still at revision 2, deployed.
    let last = client.storage.last("crds").await.unwrap();
    assert_eq!((last.version, last.status()), (2, Status::Deployed));
}
