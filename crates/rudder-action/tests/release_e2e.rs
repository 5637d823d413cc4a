//! End-to-end tests of `install`, `list`, `status` and `uninstall` on the local control plane
//! (rudder-testkit), each test in a namespace of its own, plus interop with real Helm 4.1.4
//! (`../shared/tools/helm-peer`, or `RUDDER_HELM` naming a helm binary).
//!
//! Run: `cargo test -p rudder-action --test release_e2e` (starts a control plane unless
//! `RUDDER_TEST_KUBECONFIG` or a `rudder-testenv` `KUBECONFIG` names a running one).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;
use rudder_action::ActionError;
use rudder_action::install::{self, InstallOptions};
use rudder_action::list::{self, ListOptions};
use rudder_action::release_ops::{
    Kube, ObjectRef, ObjectStatus, ReleaseClient, StorageChoice, WaitMode,
};
use rudder_action::status::{self, StatusOptions};
use rudder_action::template::{self, TemplateOptions};
use rudder_action::uninstall::{self, UninstallOptions};
use rudder_release::{HookPhase, Status};
use rudder_testkit::{ControlPlane, TestNamespace};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/charts/e2e-basic")
}

async fn setup(hint: &str) -> (TestNamespace, ReleaseClient) {
    let plane = ControlPlane::shared().expect("control plane");
    let ns = TestNamespace::create(plane, hint).await.expect("namespace");
    let kube = Kube::new(ns.client(), ns.name());
    let client = ReleaseClient::new(kube, Some(ns.name()), StorageChoice::default());
    (ns, client)
}

/// Records every status the wait reports.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, ObjectStatus)>>);

impl Recorder {
    fn on(&self, id: &ObjectRef, status: &ObjectStatus) {
        self.0
            .lock()
            .unwrap()
            .push((format!("{}/{}", id.kind, id.name), status.clone()));
    }
    fn saw(&self, object: &str, status: rudder_kstatus::Status) -> bool {
        self.0
            .lock()
            .unwrap()
            .iter()
            .any(|(o, s)| o == object && s.status == status)
    }
}

fn opts(name: &str) -> InstallOptions {
    let mut o = InstallOptions::new(name, chart());
    o.timeout = Duration::from_secs(60);
    o
}

fn deployment_available(d: &Deployment) -> bool {
    d.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.type_ == "Available" && c.status == "True")
        })
        && d.status.as_ref().and_then(|s| s.available_replicas) == Some(2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_records_deployed_only_once_the_deployment_is_available() {
    let (ns, client) = setup("install-wait").await;
    let mut o = opts("web");
    o.values.set = vec!["hooks.enabled=true".to_owned()];
    let recorder = Recorder::default();
    let observer = |id: &ObjectRef, s: &ObjectStatus| recorder.on(id, s);
    let release = install::install(&client, &o, &observer)
        .await
        .expect("install");

    // The moment the record says deployed, the Deployment is Available with all replicas.
    let stored = client.storage.last("web").await.unwrap();
    assert_eq!(stored.status(), Status::Deployed);
    let deployment = ns.api::<Deployment>().get("web-web").await.unwrap();
    assert!(
        deployment_available(&deployment),
        "deployed before the Deployment was available: {:?}",
        deployment.status
    );
    // The wait really watched it progress (pods take ~1 s to become ready on kwok).
    assert!(recorder.saw("Deployment/web-web", rudder_kstatus::Status::InProgress));
    assert!(recorder.saw("Deployment/web-web", rudder_kstatus::Status::Current));

    // The record: Helm's fields, SSA, manifest identical to the rendered manifest text.
    assert_eq!(stored, release);
    assert_eq!(stored.version, 1);
    assert_eq!(
        stored.apply_method.as_ref().map(|m| m.as_str()),
        Some("ssa")
    );
    let info = stored.info.as_ref().unwrap();
    assert_eq!(info.description, "Install complete");
    assert!(info.notes.contains("web is installed in"), "{}", info.notes);
    assert!(!info.first_deployed.is_zero());
    let rendered = template::template(&TemplateOptions {
        chart: chart(),
        release_name: "web".to_owned(),
        namespace: ns.name().to_owned(),
        no_hooks: true,
        ..TemplateOptions::default()
    })
    .unwrap();
    assert_eq!(stored.manifest, rendered.to_text());

    // The pre-install hook ran to completion and was deleted (hook-succeeded).
    assert_eq!(stored.hooks.len(), 1);
    assert_eq!(stored.hooks[0].last_run.phase, Some(HookPhase::Succeeded));
    let jobs: Api<k8s_openapi::api::batch::v1::Job> = ns.api();
    assert!(jobs.get_opt("web-pre-install").await.unwrap().is_none());

    // The CRD from crds/ was installed first, and is not part of the release manifest.
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(ns.client());
    assert!(
        crds.get_opt("widgets.e2e.rudder.dev")
            .await
            .unwrap()
            .is_some()
    );
    assert!(!stored.manifest.contains("CustomResourceDefinition"));

    // Ownership markers so that helm can manage the objects.
    let meta = &deployment.metadata;
    let annotations = meta.annotations.clone().unwrap_or_default();
    assert_eq!(annotations["meta.helm.sh/release-name"], "web");
    assert_eq!(annotations["meta.helm.sh/release-namespace"], ns.name());
    assert_eq!(
        meta.labels.clone().unwrap_or_default()["app.kubernetes.io/managed-by"],
        "Helm"
    );
    let managers: Vec<String> = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(managers.contains(&"helm".to_owned()), "{managers:?}");

    // Stored as Helm stores it.
    let secret = ns
        .api::<Secret>()
        .get("sh.helm.release.v1.web.v1")
        .await
        .unwrap();
    assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
    let labels = secret.metadata.labels.unwrap_or_default();
    assert_eq!(labels["status"], "deployed");
    assert_eq!(labels["owner"], "helm");

    // A second install of the same name is refused and changes nothing.
    let again = install::install(&client, &opts("web"), &rudder_kube_noop()).await;
    assert!(
        matches!(again, Err(ActionError::NameInUse { .. })),
        "{again:?}"
    );
    assert_eq!(client.storage.history("web").await.unwrap().len(), 1);
}

fn rudder_kube_noop() -> impl Fn(&ObjectRef, &ObjectStatus) {
    |_: &ObjectRef, _: &ObjectStatus| {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_ready_pod_times_out_naming_the_object_and_records_failed() {
    let (ns, client) = setup("install-timeout").await;
    let mut o = opts("stuck");
    o.values.set = vec!["image=registry.example/e2e/never-ready:1".to_owned()];
    o.timeout = Duration::from_secs(6);
    let err = install::install(&client, &o, &rudder_kube_noop())
        .await
        .expect_err("install must time out");
    let text = format!("{err} | {}", chain(&err));
    let wanted = format!("resource Deployment/{}/stuck-web not ready", ns.name());
    assert!(text.contains(&wanted), "{text}");
    assert!(text.contains("timed out after 6s"), "{text}");

    let stored = client.storage.last("stuck").await.unwrap();
    assert_eq!(stored.status(), Status::Failed);
    let description = &stored.info.as_ref().unwrap().description;
    assert!(
        description.starts_with("Release \"stuck\" failed: "),
        "{description}"
    );
    assert!(description.contains(&wanted), "{description}");

    // A failed first install may be retried (here with a ready image) as revision 2.
    let mut retry = opts("stuck");
    retry.timeout = Duration::from_secs(60);
    let release = install::install(&client, &retry, &rudder_kube_noop())
        .await
        .expect("retry");
    assert_eq!(release.version, 2);
    assert_eq!(release.status(), Status::Deployed);
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut out = Vec::new();
    let mut source = err.source();
    while let Some(s) = source {
        out.push(s.to_string());
        source = s.source();
    }
    out.join(" | ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_status_and_uninstall_with_and_without_history() {
    let (ns, client) = setup("uninstall").await;
    for name in ["alpha", "beta"] {
        let mut o = opts(name);
        o.wait = WaitMode::HookOnly;
        install::install(&client, &o, &rudder_kube_noop())
            .await
            .expect("install");
    }
    let listed = list::list(&client, &ListOptions::default()).await.unwrap();
    let names: Vec<(&str, Status)> = listed
        .iter()
        .map(|r| (r.name.as_str(), r.status()))
        .collect();
    assert_eq!(
        names,
        [("alpha", Status::Deployed), ("beta", Status::Deployed)]
    );
    let shown = status::status(
        &client,
        &StatusOptions {
            release_name: "alpha".to_owned(),
            revision: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((shown.version, shown.status()), (1, Status::Deployed));

    // --keep-history: objects gone, an `uninstalled` record kept, hidden from list.
    let mut u = UninstallOptions::new("alpha");
    u.keep_history = true;
    u.wait = true;
    u.timeout = Duration::from_secs(60);
    let report = uninstall::uninstall(&client, &u, &rudder_kube_noop())
        .await
        .unwrap();
    assert_eq!(report.deleted.len(), 3);
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("alpha-config")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ns.api::<Deployment>()
            .get_opt("alpha-web")
            .await
            .unwrap()
            .is_none()
    );
    let kept = client.storage.last("alpha").await.unwrap();
    assert_eq!(kept.status(), Status::Uninstalled);
    assert_eq!(
        kept.info.as_ref().unwrap().description,
        "Uninstallation complete"
    );
    // As in Helm 4, list shows every status by default; filters narrow it.
    let listed = list::list(&client, &ListOptions::default()).await.unwrap();
    let statuses: Vec<Status> = listed.iter().map(|r| r.status()).collect();
    assert_eq!(statuses, [Status::Uninstalled, Status::Deployed]);
    let deployed = list::list(
        &client,
        &ListOptions {
            statuses: vec![Status::Deployed],
        },
    )
    .await
    .unwrap();
    assert_eq!(deployed.len(), 1);
    assert_eq!(deployed[0].name, "beta");
    // Uninstalling it again with --keep-history is refused.
    assert!(matches!(
        uninstall::uninstall(&client, &u, &rudder_kube_noop()).await,
        Err(ActionError::AlreadyDeleted { .. })
    ));
    // The name can be installed again, as the next revision.
    let mut again = opts("alpha");
    again.wait = WaitMode::HookOnly;
    let r = install::install(&client, &again, &rudder_kube_noop())
        .await
        .unwrap();
    assert_eq!(r.version, 2);

    // Without --keep-history every record goes.
    let report = uninstall::uninstall(&client, &UninstallOptions::new("beta"), &rudder_kube_noop())
        .await
        .unwrap();
    assert_eq!(report.release.status(), Status::Uninstalled);
    assert!(client.storage.history("beta").await.unwrap().is_empty());
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("beta-config")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        status::status(
            &client,
            &StatusOptions {
                release_name: "beta".to_owned(),
                revision: None
            }
        )
        .await,
        Err(ActionError::ReleaseNotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_refuses_to_adopt_objects_of_another_release() {
    let (ns, client) = setup("ownership").await;
    let mut o = opts("first");
    o.wait = WaitMode::HookOnly;
    install::install(&client, &o, &rudder_kube_noop())
        .await
        .unwrap();
    // A ConfigMap named as the second release's, owned by nobody.
    let cm: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "second-config"}, "data": {"x": "y"}
    }))
    .unwrap();
    ns.api::<ConfigMap>()
        .create(&Default::default(), &cm)
        .await
        .unwrap();
    let mut o = opts("second");
    o.wait = WaitMode::HookOnly;
    let err = install::install(&client, &o, &rudder_kube_noop())
        .await
        .expect_err("must refuse");
    let text = format!("{err} | {}", chain(&err));
    assert!(
        text.contains("exists and cannot be imported into the current release"),
        "{text}"
    );
    assert_eq!(
        client.storage.last("second").await.unwrap().status(),
        Status::Failed
    );
    // The foreign object was left untouched.
    let live = ns.api::<ConfigMap>().get("second-config").await.unwrap();
    assert!(live.metadata.annotations.unwrap_or_default().is_empty());
}

fn run_helm(helm: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(helm)
        .args(args)
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_reads_and_uninstalls_a_release_rudder_installed() {
    let helm = rudder_testkit::helm();
    let (ns, client) = setup("helm-interop").await;
    let plane = ControlPlane::shared().unwrap();
    let kubeconfig = plane.kubeconfig().to_str().unwrap().to_owned();
    let mut o = opts("shared");
    o.wait = WaitMode::Watcher;
    install::install(&client, &o, &rudder_kube_noop())
        .await
        .unwrap();

    let listed = run_helm(
        &helm,
        &[
            "list",
            "-n",
            ns.name(),
            "--kubeconfig",
            &kubeconfig,
            "-o",
            "json",
        ],
    );
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed[0]["name"], "shared");
    assert_eq!(listed[0]["status"], "deployed");
    assert_eq!(listed[0]["revision"], "1");
    assert_eq!(listed[0]["chart"], "e2e-basic-0.1.0");

    let status = run_helm(
        &helm,
        &[
            "status",
            "shared",
            "-n",
            ns.name(),
            "--kubeconfig",
            &kubeconfig,
        ],
    );
    assert!(status.contains("STATUS: deployed"), "{status}");
    assert!(status.contains("shared is installed in"), "{status}");

    // Helm can take it from there: its uninstall removes rudder's objects and records.
    run_helm(
        &helm,
        &[
            "uninstall",
            "shared",
            "-n",
            ns.name(),
            "--kubeconfig",
            &kubeconfig,
        ],
    );
    assert!(client.storage.history("shared").await.unwrap().is_empty());
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("shared-config")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudder_lists_shows_and_uninstalls_a_release_helm_installed() {
    let helm = rudder_testkit::helm();
    let (ns, client) = setup("helm-installed").await;
    let plane = ControlPlane::shared().unwrap();
    let kubeconfig = plane.kubeconfig().to_str().unwrap().to_owned();
    // A Helm (apiVersion v2) chart: rudder's uninstall works from the stored manifest alone.
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("helmchart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: helmchart\nversion: 1.2.3\nappVersion: \"9.9\"\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  a: b\n",
    )
    .unwrap();
    run_helm(
        &helm,
        &[
            "install",
            "byhelm",
            chart.to_str().unwrap(),
            "-n",
            ns.name(),
            "--kubeconfig",
            &kubeconfig,
        ],
    );

    let listed = list::list(&client, &ListOptions::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    let summary = rudder_action::release_ops::ReleaseSummary::of(&listed[0]);
    assert_eq!(
        (
            summary.name.as_str(),
            summary.status.as_str(),
            summary.chart.as_str()
        ),
        ("byhelm", "deployed", "helmchart-1.2.3")
    );
    assert_eq!(summary.app_version, "9.9");
    let shown = status::status(
        &client,
        &StatusOptions {
            release_name: "byhelm".to_owned(),
            revision: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(shown.version, 1);

    let report = uninstall::uninstall(
        &client,
        &UninstallOptions::new("byhelm"),
        &rudder_kube_noop(),
    )
    .await
    .unwrap();
    assert_eq!(report.deleted.len(), 1);
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("byhelm-cm")
            .await
            .unwrap()
            .is_none()
    );
    let after = run_helm(
        &helm,
        &["list", "-n", ns.name(), "--kubeconfig", &kubeconfig, "-q"],
    );
    assert_eq!(after.trim(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_reads_the_cluster_except_in_client_dry_run() {
    let (ns, client) = setup("lookup").await;
    let mut o = opts("probe");
    o.values.set = vec!["lookupProbe=true".to_owned()];
    o.wait = WaitMode::HookOnly;

    o.dry_run = install::DryRun::Client;
    let offline = install::install(&client, &o, &rudder_kube_noop())
        .await
        .unwrap();
    assert!(
        offline.manifest.contains("namespaceUid: \"none\""),
        "{}",
        offline.manifest
    );
    assert!(client.storage.history("probe").await.unwrap().is_empty());

    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(ns.client());
    let uid = namespaces
        .get(ns.name())
        .await
        .unwrap()
        .metadata
        .uid
        .unwrap();
    o.dry_run = install::DryRun::Server;
    let server = install::install(&client, &o, &rudder_kube_noop())
        .await
        .unwrap();
    assert!(server.manifest.contains(&uid), "{}", server.manifest);
    // A server dry run persists nothing.
    assert!(client.storage.history("probe").await.unwrap().is_empty());
    assert!(
        ns.api::<ConfigMap>()
            .get_opt("probe-lookup")
            .await
            .unwrap()
            .is_none()
    );

    o.dry_run = install::DryRun::None;
    install::install(&client, &o, &rudder_kube_noop())
        .await
        .unwrap();
    let cm = ns.api::<ConfigMap>().get("probe-lookup").await.unwrap();
    assert_eq!(cm.data.unwrap_or_default()["namespaceUid"], uid);
}
