//! Integration tests against the real local control plane (rudder-testkit). They fail, never
//! skip, when the control plane cannot start.

use std::sync::Mutex;
use std::time::Duration;

use kube::api::DynamicObject;
use rudder_kstatus::{ObjectStatus, RuleSet, Status, Strategy};
use rudder_kube::wait::{self, Desired, NoProgress, WaitOptions};
use rudder_kube::{
    ApplyMethod, ApplyOptions, DeleteOptions, DeleteOutcome, Error, Kube, ObjectRef, Propagation,
    dynamic_object,
};
use rudder_testkit::{ControlPlane, TestNamespace};
use serde_json::{Value, json};

async fn setup(hint: &str) -> (TestNamespace, Kube) {
    let plane = ControlPlane::shared().expect("the local control plane must start");
    let ns = TestNamespace::create(plane, hint)
        .await
        .expect("a test namespace");
    let kube = Kube::new(ns.client(), ns.name());
    (ns, kube)
}

fn obj(value: Value) -> DynamicObject {
    dynamic_object(value).expect("a valid manifest")
}

fn deployment(name: &str, replicas: i64, image: &str) -> DynamicObject {
    obj(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]}
            }
        }
    }))
}

fn job(name: &str, image: &str, ttl: Option<i64>) -> DynamicObject {
    let mut job = json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": image}]
            }}
        }
    });
    if let Some(ttl) = ttl {
        job["spec"]["ttlSecondsAfterFinished"] = json!(ttl);
    }
    obj(job)
}

fn configmap(name: &str, color: &str) -> DynamicObject {
    obj(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"color": color}
    }))
}

fn id_in(o: &DynamicObject, ns: &str) -> ObjectRef {
    let mut id = ObjectRef::of(o).expect("an id");
    id.namespace = Some(ns.to_owned());
    id
}

#[tokio::test]
async fn server_side_apply_records_the_field_manager_and_is_idempotent() {
    let (ns, kube) = setup("ssa").await;
    let objects = [configmap("settings", "blue"), deployment("web", 1, "nginx")];
    let first: Vec<DynamicObject> = kube
        .apply_all(&objects, &ApplyOptions::default(), 4)
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("first apply");
    for stored in &first {
        assert_eq!(stored.metadata.namespace.as_deref(), Some(ns.name()));
        let managers = stored.metadata.managed_fields.clone().unwrap_or_default();
        assert!(
            managers
                .iter()
                .any(|m| m.manager.as_deref() == Some("rudder")
                    && m.operation.as_deref() == Some("Apply")),
            "managedFields: {managers:?}"
        );
    }
    let second = kube.apply_all(&objects, &ApplyOptions::default(), 4).await;
    let second: Vec<DynamicObject> = second
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("second apply");
    // The ConfigMap is untouched by controllers: an identical apply is a no-op, so its
    // resourceVersion stays. The Deployment's status moves on, but its spec (generation) stays.
    assert_eq!(
        first[0].metadata.resource_version,
        second[0].metadata.resource_version
    );
    assert_eq!(first[1].metadata.generation, Some(1));
    assert_eq!(second[1].metadata.generation, Some(1));
    let live = kube
        .get(&ObjectRef::new("v1", "ConfigMap", None, "settings"))
        .await
        .expect("get")
        .expect("the ConfigMap exists");
    assert_eq!(live.data["data"]["color"], "blue");
}

#[tokio::test]
async fn conflicts_fail_without_force_and_are_taken_over_with_force() {
    let (_ns, kube) = setup("conflict").await;
    kube.apply(&configmap("shared", "blue"), &ApplyOptions::default())
        .await
        .expect("first manager applies");
    let other = ApplyOptions {
        field_manager: "someone-else".into(),
        ..ApplyOptions::default()
    };
    let err = kube
        .apply(&configmap("shared", "red"), &other)
        .await
        .expect_err("a conflicting apply must fail");
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("conflict applying ConfigMap/"),
        "{err}"
    );

    let forced = ApplyOptions {
        force_conflicts: true,
        ..other
    };
    let stored = kube
        .apply(&configmap("shared", "red"), &forced)
        .await
        .expect("a forced apply takes the field over");
    assert_eq!(stored.data["data"]["color"], "red");
}

#[tokio::test]
async fn client_side_apply_creates_then_replaces() {
    let (_ns, kube) = setup("csa").await;
    let csa = ApplyOptions {
        method: ApplyMethod::ClientSide,
        ..ApplyOptions::default()
    };
    let created = kube
        .apply(&configmap("c", "blue"), &csa)
        .await
        .expect("create");
    let replaced = kube
        .apply(&configmap("c", "green"), &csa)
        .await
        .expect("replace");
    assert_eq!(replaced.data["data"]["color"], "green");
    assert_eq!(created.metadata.uid, replaced.metadata.uid);
    assert_ne!(
        created.metadata.resource_version,
        replaced.metadata.resource_version
    );
}

#[tokio::test]
async fn a_three_replica_deployment_becomes_current() {
    let (ns, kube) = setup("ready").await;
    let web = deployment("web", 3, "nginx");
    kube.apply(&web, &ApplyOptions::default())
        .await
        .expect("apply");
    let seen: Mutex<Vec<ObjectStatus>> = Mutex::new(Vec::new());
    let observer = |_: &ObjectRef, status: &ObjectStatus| {
        seen.lock().unwrap().push(status.clone());
    };
    let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(90));
    let report = wait::wait(
        &kube,
        &[ObjectRef::of(&web).unwrap()],
        &RuleSet::rudder(),
        &options,
        &observer,
    )
    .await
    .expect("the Deployment becomes ready");
    assert_eq!(report.statuses.len(), 1);
    assert_eq!(report.statuses[0].0, id_in(&web, ns.name()));
    assert_eq!(report.statuses[0].1.status, Status::Current);
    let last = seen.lock().unwrap().last().map(|s| s.status);
    assert_eq!(last, Some(Status::Current));
    let live = kube
        .get(&ObjectRef::of(&web).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.data["status"]["readyReplicas"], 3);
}

#[tokio::test]
async fn a_never_ready_deployment_times_out_with_helms_message() {
    let (ns, kube) = setup("never-ready").await;
    let stuck = deployment("stuck", 1, "example/never-ready:1");
    let fine = configmap("fine", "blue");
    for o in [&stuck, &fine] {
        kube.apply(o, &ApplyOptions::default())
            .await
            .expect("apply");
    }
    let ids = [
        ObjectRef::of(&stuck).unwrap(),
        ObjectRef::of(&fine).unwrap(),
    ];
    let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(8));
    let err = wait::wait(&kube, &ids, &RuleSet::rudder(), &options, &NoProgress)
        .await
        .expect_err("a never-ready Deployment cannot become Current");
    let Error::WaitTimedOut { objects, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert_eq!(objects.len(), 1, "only the Deployment is not ready: {err}");
    let text = err.to_string();
    eprintln!("{text}");
    let prefix = format!(
        "resource Deployment/{}/stuck not ready. status: InProgress, message: ",
        ns.name()
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.ends_with("\ntimed out after 8s"), "{text}");
}

#[tokio::test]
async fn a_failing_job_fails_the_wait_with_jobs() {
    let (ns, kube) = setup("job-fail").await;
    let failing = job("migrate", "example/job-fail:1", None);
    kube.apply(&failing, &ApplyOptions::default())
        .await
        .expect("apply");
    let options = WaitOptions::rudder(
        Strategy::WaitWithJobs,
        Desired::Current,
        Duration::from_secs(90),
    );
    let err = wait::wait(
        &kube,
        &[ObjectRef::of(&failing).unwrap()],
        &RuleSet::rudder(),
        &options,
        &NoProgress,
    )
    .await
    .expect_err("the Job fails");
    let Error::WaitFailed { objects, .. } = &err else {
        panic!("Failed is terminal and must end the wait early, got {err:?}");
    };
    assert_eq!(objects[0].status.status, Status::Failed);
    eprintln!("{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "resource Job/{}/migrate not ready. status: Failed, message: ",
            ns.name()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn a_hook_job_with_a_zero_ttl_is_waited_to_completion() {
    // The deletion-after-completion path itself is covered by the unit tests of `wait`: here the
    // wait ends on `Complete=True`, before or while the TTL controller deletes the Job.
    let (_ns, kube) = setup("hook-ttl").await;
    let hook = job("post-install", "busybox", Some(0));
    kube.apply(&hook, &ApplyOptions::default())
        .await
        .expect("apply");
    let seen: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let observer = |_: &ObjectRef, status: &ObjectStatus| {
        seen.lock().unwrap().push(status.message.clone());
    };
    let options = WaitOptions::rudder(Strategy::Hooks, Desired::Current, Duration::from_secs(90));
    wait::wait(
        &kube,
        &[ObjectRef::of(&hook).unwrap()],
        &RuleSet::rudder(),
        &options,
        &observer,
    )
    .await
    .expect("the hook completes");
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|m| m.starts_with("Job Completed")),
        "statuses seen: {seen:?}"
    );
}

#[tokio::test]
async fn delete_then_wait_until_gone() {
    let (_ns, kube) = setup("delete").await;
    let web = deployment("web", 1, "nginx");
    let cm = configmap("settings", "blue");
    for o in [&web, &cm] {
        kube.apply(o, &ApplyOptions::default())
            .await
            .expect("apply");
    }
    let ids = [ObjectRef::of(&web).unwrap(), ObjectRef::of(&cm).unwrap()];
    let foreground = DeleteOptions {
        propagation: Propagation::Foreground,
        dry_run: false,
    };
    for id in &ids {
        assert_eq!(
            kube.delete(id, &foreground).await.expect("delete"),
            DeleteOutcome::Deleted
        );
    }
    let options = WaitOptions::rudder(Strategy::Wait, Desired::NotFound, Duration::from_secs(60));
    let report = wait::wait(&kube, &ids, &RuleSet::rudder(), &options, &NoProgress)
        .await
        .expect("both objects disappear");
    assert!(
        report
            .statuses
            .iter()
            .all(|(_, s)| s.status == Status::NotFound),
        "{:?}",
        report.statuses
    );
    for id in &ids {
        assert!(kube.get(id).await.expect("get").is_none());
        assert_eq!(
            kube.delete(id, &DeleteOptions::default())
                .await
                .expect("delete"),
            DeleteOutcome::NotFound
        );
    }
}

#[tokio::test]
async fn a_crd_created_in_the_same_operation_resolves() {
    let (ns, kube) = setup("crd").await;
    // CRDs are cluster-scoped: name the group after the test namespace.
    let group = format!("{}.rudder.test", ns.name());
    let crd = obj(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    }));
    let widget = obj(json!({
        "apiVersion": format!("{group}/v1"), "kind": "Widget",
        "metadata": {"name": "w"}, "spec": {"size": 3}
    }));
    // Resolve (and cache) the group version before the CRD exists: unknown.
    let err = kube
        .resolve(&format!("{group}/v1"), "Widget")
        .await
        .expect_err("not served yet");
    assert!(matches!(err, Error::UnknownKind { .. }), "{err:?}");

    kube.apply(&crd, &ApplyOptions::default())
        .await
        .expect("apply CRD");
    let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(60));
    wait::wait(
        &kube,
        &[ObjectRef::of(&crd).unwrap()],
        &RuleSet::rudder(),
        &options,
        &NoProgress,
    )
    .await
    .expect("the CRD becomes Established");
    let stored = kube
        .apply(&widget, &ApplyOptions::default())
        .await
        .expect("the new kind resolves after a discovery refresh");
    assert_eq!(stored.metadata.namespace.as_deref(), Some(ns.name()));

    kube.delete(&ObjectRef::of(&crd).unwrap(), &DeleteOptions::default())
        .await
        .expect("delete CRD");
}

#[tokio::test]
async fn apply_all_keeps_order_and_names_the_object_that_failed() {
    let (_ns, kube) = setup("batch").await;
    let gizmo = obj(json!({
        "apiVersion": "nope.example/v1", "kind": "Gizmo", "metadata": {"name": "g"}
    }));
    let objects = [configmap("one", "a"), gizmo, configmap("two", "b")];
    let results = kube.apply_all(&objects, &ApplyOptions::default(), 2).await;
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().expect("first").metadata.name.as_deref(),
        Some("one")
    );
    let err = results[1].as_ref().expect_err("unknown kind");
    assert_eq!(
        err.to_string(),
        "no matches for kind \"Gizmo\" in version \"nope.example/v1\""
    );
    assert_eq!(
        results[2].as_ref().expect("third").metadata.name.as_deref(),
        Some("two")
    );
}

#[tokio::test]
async fn a_replicaset_with_crashing_pods_fails_through_its_pods() {
    let (ns, kube) = setup("rs-crash").await;
    let rs = obj(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "crashy"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "crashy"}},
            "template": {
                "metadata": {"labels": {"app": "crashy"}},
                "spec": {"containers": [{"name": "main", "image": "example/crashloop:1"}]}
            }
        }
    }));
    kube.apply(&rs, &ApplyOptions::default())
        .await
        .expect("apply");
    let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(60));
    let err = wait::wait(
        &kube,
        &[ObjectRef::of(&rs).unwrap()],
        &RuleSet::rudder(),
        &options,
        &NoProgress,
    )
    .await
    .expect_err("crash-looping pods never become ready");
    eprintln!("{err}");
    let Error::WaitFailed { objects, .. } = &err else {
        panic!("failed pods must escalate the ReplicaSet to Failed, got {err}");
    };
    assert_eq!(objects[0].status.status, Status::Failed);
    assert!(
        err.to_string().starts_with(&format!(
            "resource ReplicaSet/{}/crashy not ready. status: Failed, message: ",
            ns.name()
        )),
        "{err}"
    );
    assert!(err.to_string().ends_with("pods have failed"), "{err}");
}

#[tokio::test]
async fn many_objects_apply_concurrently_and_become_ready_together() {
    let (_ns, kube) = setup("many").await;
    let mut objects = Vec::new();
    for i in 0..20 {
        objects.push(deployment(&format!("web-{i}"), 2, "nginx"));
        objects.push(configmap(&format!("cm-{i}"), "blue"));
        objects.push(obj(json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": format!("svc-{i}")},
            "spec": {"selector": {"app": format!("web-{i}")}, "ports": [{"port": 80}]}
        })));
    }
    let started = std::time::Instant::now();
    let results = kube.apply_all(&objects, &ApplyOptions::default(), 16).await;
    let applied = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let ids: Vec<ObjectRef> = objects.iter().map(|o| ObjectRef::of(o).unwrap()).collect();
    let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(120));
    let report = wait::wait(&kube, &ids, &RuleSet::rudder(), &options, &NoProgress)
        .await
        .expect("everything becomes ready");
    assert_eq!(report.statuses.len(), 60);
    assert!(
        report
            .statuses
            .iter()
            .all(|(_, s)| s.status == Status::Current)
    );
    eprintln!(
        "60 objects: apply_all(16) {applied:?}, wait {:?}",
        report.elapsed
    );
}

#[tokio::test]
async fn connect_reads_the_kubeconfig_and_applies_the_namespace_override() {
    let plane = ControlPlane::shared().expect("the local control plane must start");
    let ns = TestNamespace::create(plane, "connect")
        .await
        .expect("a test namespace");
    let options = rudder_kube::ClientOptions {
        kubeconfig: vec![plane.kubeconfig().to_path_buf()],
        namespace: Some(ns.name().to_owned()),
        ..rudder_kube::ClientOptions::default()
    };
    let kube = Kube::connect(&options).await.expect("connect");
    assert_eq!(kube.namespace(), ns.name());
    let stored = kube
        .apply(&configmap("via-connect", "blue"), &ApplyOptions::default())
        .await
        .expect("apply over TLS with the kubeconfig's credentials");
    assert_eq!(stored.metadata.namespace.as_deref(), Some(ns.name()));
}
