//! End-to-end tests of `upgrade`, `rollback`, `history` and `get` on the local control plane
//! (rudder-testkit), each test in a namespace of its own, plus history interop with real
//! Helm 4.1.4 (`../shared/tools/helm-peer`, or `RUDDER_HELM` naming a helm binary).
//!
//! Run: `cargo test -p rudder-action --test upgrade_e2e`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use rudder_action::ActionError;
use rudder_action::get;
use rudder_action::history::{self, HistoryOptions};
use rudder_action::install::{self, InstallOptions};
use rudder_action::release_ops::{Kube, ObjectRef, ObjectStatus, ReleaseClient, StorageChoice};
use rudder_action::rollback::{self, RollbackOptions};
use rudder_action::upgrade::{self, LifecycleError, UpgradeOptions, ValuesPolicy};
use rudder_release::Status;
use rudder_testkit::{ControlPlane, TestNamespace};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/charts/e2e-upgrade")
}

async fn setup(hint: &str) -> (TestNamespace, ReleaseClient) {
    let plane = ControlPlane::shared().expect("control plane");
    let ns = TestNamespace::create(plane, hint).await.expect("namespace");
    let kube = Kube::new(ns.client(), ns.name());
    let client = ReleaseClient::new(kube, Some(ns.name()), StorageChoice::default());
    (ns, client)
}

fn quiet(_: &ObjectRef, _: &ObjectStatus) {}

async fn install(client: &ReleaseClient, name: &str) {
    let mut o = InstallOptions::new(name, chart());
    o.timeout = Duration::from_secs(60);
    install::install(client, &o, &quiet).await.expect("install");
}

fn upgrade_opts(name: &str, set: &[&str]) -> UpgradeOptions {
    let mut o = UpgradeOptions::new(name, chart());
    o.timeout = Duration::from_secs(60);
    o.values.set = set.iter().map(|s| (*s).to_owned()).collect();
    o
}

/// (revision, status, description) of every stored revision, oldest first.
async fn statuses(client: &ReleaseClient, name: &str) -> Vec<(i64, String, String)> {
    let opts = HistoryOptions {
        release_name: name.to_owned(),
        max: 0,
    };
    history::history(client, &opts)
        .await
        .expect("history")
        .iter()
        .map(|r| {
            (
                r.version,
                r.status().to_string(),
                r.info
                    .as_ref()
                    .map(|i| i.description.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn row(revision: i64, status: &str, description: &str) -> (i64, String, String) {
    (revision, status.to_owned(), description.to_owned())
}

async fn greeting(ns: &TestNamespace, name: &str) -> Option<String> {
    ns.api::<ConfigMap>()
        .get(&format!("{name}-config"))
        .await
        .expect("config map")
        .data
        .and_then(|d| d.get("greeting").cloned())
}

async fn exists(ns: &TestNamespace, name: &str) -> bool {
    ns.api::<ConfigMap>()
        .get_opt(name)
        .await
        .expect("get config map")
        .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_changes_a_value_and_removes_a_dropped_object() {
    let (ns, client) = setup("upgrade-prune").await;
    install(&client, "app").await;
    assert!(exists(&ns, "app-extra").await);

    let o = upgrade_opts("app", &["greeting=bye", "extra=false"]);
    let release = upgrade::upgrade(&client, &o, &quiet)
        .await
        .expect("upgrade");
    assert_eq!(release.version, 2);
    assert_eq!(greeting(&ns, "app").await.as_deref(), Some("bye"));
    assert!(
        !exists(&ns, "app-extra").await,
        "the ConfigMap that left the chart is still there"
    );
    assert_eq!(
        statuses(&client, "app").await,
        vec![
            row(1, "superseded", "Install complete"),
            row(2, "deployed", "Upgrade complete"),
        ]
    );

    // No values given: Helm reuses the previous revision's values.
    let release = upgrade::upgrade(&client, &upgrade_opts("app", &[]), &quiet)
        .await
        .expect("upgrade without values");
    assert_eq!(greeting(&ns, "app").await.as_deref(), Some("bye"));
    assert_eq!(
        get::values(&release, false).get("extra"),
        Some(&false.into())
    );
    // --reset-values drops them: back to the chart's defaults.
    let mut o = upgrade_opts("app", &[]);
    o.values_policy = ValuesPolicy::Reset;
    upgrade::upgrade(&client, &o, &quiet).await.expect("reset");
    assert_eq!(greeting(&ns, "app").await.as_deref(), Some("hello"));
    assert!(exists(&ns, "app-extra").await);
    // --reuse-values merges new values over the previous ones.
    upgrade::upgrade(&client, &upgrade_opts("app", &["greeting=hi"]), &quiet)
        .await
        .expect("set greeting");
    let mut o = upgrade_opts("app", &["extra=false"]);
    o.values_policy = ValuesPolicy::Reuse;
    let release = upgrade::upgrade(&client, &o, &quiet).await.expect("reuse");
    assert_eq!(greeting(&ns, "app").await.as_deref(), Some("hi"));
    assert!(!exists(&ns, "app-extra").await);
    assert_eq!(
        get::values(&release, true).get("replicaCount"),
        Some(&1.into()),
        "--all includes chart defaults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_restores_a_deleted_configmap() {
    let (ns, client) = setup("rollback").await;
    install(&client, "rb").await;
    upgrade::upgrade(&client, &upgrade_opts("rb", &["extra=false"]), &quiet)
        .await
        .expect("upgrade");
    assert!(!exists(&ns, "rb-extra").await);

    let mut o = RollbackOptions::new("rb");
    o.timeout = Duration::from_secs(60);
    let release = rollback::rollback(&client, &o, &quiet)
        .await
        .expect("rollback");
    assert_eq!(release.version, 3);
    assert!(exists(&ns, "rb-extra").await, "rollback did not restore it");
    assert_eq!(
        statuses(&client, "rb").await,
        vec![
            row(1, "superseded", "Install complete"),
            row(2, "superseded", "Upgrade complete"),
            row(3, "deployed", "Rollback to 1"),
        ]
    );
    // Rolling back to a revision that does not exist is refused.
    o.revision = Some(9);
    let err = rollback::rollback(&client, &o, &quiet).await.unwrap_err();
    assert!(
        matches!(
            err,
            ActionError::Lifecycle(LifecycleError::NoSuchRevision { revision: 9, .. })
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_ready_upgrade_with_rollback_on_failure_restores_the_previous_revision() {
    let (ns, client) = setup("upgrade-atomic").await;
    install(&client, "at").await;
    let mut o = upgrade_opts("at", &["image=registry.example/e2e/never-ready:1"]);
    o.timeout = Duration::from_secs(6);
    o.rollback_on_failure = true;
    let err = upgrade::upgrade(&client, &o, &quiet)
        .await
        .expect_err("the upgrade never becomes ready");
    assert!(
        matches!(
            err,
            ActionError::Lifecycle(LifecycleError::RolledBack { .. })
        ),
        "{err}"
    );
    let history = statuses(&client, "at").await;
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(history[0], row(1, "superseded", "Install complete"));
    assert_eq!(history[1].1, "failed");
    assert!(
        history[1].2.starts_with("Upgrade \"at\" failed: "),
        "{history:?}"
    );
    assert_eq!(history[2], row(3, "deployed", "Rollback to 1"));
    let deployment = ns.api::<Deployment>().get("at-web").await.unwrap();
    let image = deployment
        .spec
        .and_then(|s| s.template.spec)
        .and_then(|s| s.containers.first().and_then(|c| c.image.clone()));
    assert_eq!(image.as_deref(), Some("registry.example/e2e/web:1.0.0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_while_another_operation_is_pending_is_refused() {
    let (_ns, client) = setup("upgrade-pending").await;
    install(&client, "busy").await;
    let mut last = client.storage.last("busy").await.unwrap();
    last.set_status(Status::PendingUpgrade, "Preparing upgrade");
    client.storage.update(&last).await.unwrap();

    let err = upgrade::upgrade(&client, &upgrade_opts("busy", &["greeting=x"]), &quiet)
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("another operation (install/upgrade/rollback) is in progress"),
        "{err}"
    );
    let err = rollback::rollback(&client, &RollbackOptions::new("busy"), &quiet)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("is in progress"), "{err}");
    // Nothing was written.
    assert_eq!(client.storage.history("busy").await.unwrap().len(), 1);
}

fn run_helm(args: &[&str]) -> String {
    let helm = rudder_testkit::helm();
    let out = std::process::Command::new(helm)
        .args(args)
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// (revision, status, description) as `helm history -o json` reports them.
fn helm_history(kubeconfig: &str, ns: &str, name: &str) -> Vec<(i64, String, String)> {
    let text = run_helm(&[
        "history",
        name,
        "-n",
        ns,
        "--kubeconfig",
        kubeconfig,
        "-o",
        "json",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("helm json");
    rows.iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap_or(-1),
                r["status"].as_str().unwrap_or_default().to_owned(),
                r["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_agrees_with_helm_across_rudder_and_helm_operations() {
    let (ns, client) = setup("history-interop").await;
    let plane = ControlPlane::shared().unwrap();
    let kubeconfig = plane.kubeconfig().to_str().unwrap().to_owned();

    install(&client, "mix").await;
    upgrade::upgrade(&client, &upgrade_opts("mix", &["greeting=two"]), &quiet)
        .await
        .expect("rudder upgrade");
    assert_eq!(
        helm_history(&kubeconfig, ns.name(), "mix"),
        statuses(&client, "mix").await
    );

    run_helm(&[
        "rollback",
        "mix",
        "1",
        // No --force-conflicts: rudder applies with Helm's field manager, so the fields
        // rudder set are Helm's to change.
        "-n",
        ns.name(),
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert_eq!(greeting(&ns, "mix").await.as_deref(), Some("hello"));
    let after_helm = statuses(&client, "mix").await;
    assert_eq!(after_helm, helm_history(&kubeconfig, ns.name(), "mix"));
    assert_eq!(after_helm[2], row(3, "deployed", "Rollback to 1"));

    let o = upgrade_opts("mix", &["greeting=four"]);
    upgrade::upgrade(&client, &o, &quiet)
        .await
        .expect("rudder upgrade after helm rollback");
    assert_eq!(greeting(&ns, "mix").await.as_deref(), Some("four"));
    let ours = statuses(&client, "mix").await;
    assert_eq!(ours, helm_history(&kubeconfig, ns.name(), "mix"));
    assert_eq!(
        ours.iter().map(|r| r.1.as_str()).collect::<Vec<_>>(),
        ["superseded", "superseded", "superseded", "deployed"]
    );
}
