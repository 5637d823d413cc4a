//! The local control plane behaves like a cluster: Deployments become Available through the
//! real controllers and scheduler, and the kwok stages' image markers decide pod outcomes.
//!
//! These tests need the control plane from `scripts/cluster`; they fail (never skip) when it
//! cannot be started, with the script's output in the message.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::Api;
use kube::api::{ListParams, PostParams};
use kube::runtime::wait::await_condition;
use rudder_testkit::{ControlPlane, TestNamespace};
use serde_json::json;

/// Long enough for a loaded 2-core CI machine; a healthy plane needs a few seconds.
const TIMEOUT: Duration = Duration::from_secs(120);

fn plane() -> &'static ControlPlane {
    match ControlPlane::shared() {
        Ok(plane) => plane,
        Err(error) => panic!("{}", chain(&error)),
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

async fn namespace(hint: &str) -> TestNamespace {
    match TestNamespace::create(plane(), hint).await {
        Ok(ns) => ns,
        Err(error) => panic!("{}", chain(&error)),
    }
}

/// Waits for `future` at most [`TIMEOUT`], failing the test with `what` on time-out.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(TIMEOUT, future).await {
        Ok(value) => value,
        Err(_) => panic!("timed out after {TIMEOUT:?} waiting for {what}"),
    }
}

fn deployment(name: &str, image: &str, replicas: i32) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [{ "name": "main", "image": image }] }
            }
        }
    }))
    .expect("the Deployment literal matches the k8s-openapi type")
}

fn job(name: &str, image: &str) -> Job {
    serde_json::from_value(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": name },
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{ "name": "main", "image": image }]
                }
            }
        }
    }))
    .expect("the Job literal matches the k8s-openapi type")
}

fn deployment_condition<'a>(d: &'a Deployment, type_: &str) -> Option<(&'a str, Option<&'a str>)> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.as_str(), c.reason.as_deref()))
}

fn job_condition<'a>(j: &'a Job, type_: &str) -> Option<(&'a str, Option<&'a str>)> {
    j.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.as_str(), c.reason.as_deref()))
}

fn pod_ready(pod: &Pod) -> Option<&str> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.as_str())
}

#[tokio::test]
async fn deployment_with_three_replicas_becomes_available() {
    let ns = namespace("deploy-available").await;
    let api: Api<Deployment> = ns.api();
    api.create(
        &PostParams::default(),
        &deployment("web", "registry.invalid/web:1", 3),
    )
    .await
    .expect("create Deployment");

    let available = |d: Option<&Deployment>| {
        d.is_some_and(|d| {
            deployment_condition(d, "Available").map(|(s, _)| s) == Some("True")
                && d.status.as_ref().and_then(|s| s.ready_replicas) == Some(3)
        })
    };
    let done = within(
        "Deployment web to be Available",
        await_condition(api.clone(), "web", available),
    )
    .await
    .expect("watch Deployment")
    .expect("Deployment exists");
    let status = done.status.expect("Available Deployment has a status");
    assert_eq!(status.ready_replicas, Some(3));
    assert_eq!(status.available_replicas, Some(3));

    // The pods were really scheduled onto the fake nodes and made Ready by kwok.
    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list pods");
    assert_eq!(pods.items.len(), 3);
    for pod in &pods.items {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        assert!(
            node.is_some_and(|n| n.starts_with("rudder-node-")),
            "pod not on a fake node: {node:?}"
        );
        assert_eq!(pod_ready(pod), Some("True"));
    }
}

#[tokio::test]
async fn deployment_whose_pods_never_become_ready_stays_unavailable() {
    let ns = namespace("deploy-never-ready").await;
    let api: Api<Deployment> = ns.api();
    api.create(
        &PostParams::default(),
        &deployment("stuck", "registry.invalid/never-ready:1", 2),
    )
    .await
    .expect("create Deployment");

    // Wait until kwok has run both pods (Running, not Ready), so the check below is not vacuous.
    let pods: Api<Pod> = ns.api();
    within("both never-ready pods to run", async {
        loop {
            let list = pods
                .list(&ListParams::default().labels("app=stuck"))
                .await
                .expect("list pods");
            let running = list
                .items
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .filter(|p| pod_ready(p) == Some("False"))
                .count();
            if running == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await;

    // Give the Deployment controller time to observe the pods, then check it is not Available.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let d = api.get("stuck").await.expect("get Deployment");
    assert_eq!(
        deployment_condition(&d, "Available"),
        Some(("False", Some("MinimumReplicasUnavailable")))
    );
    let status = d.status.expect("Deployment has a status");
    assert_eq!(status.replicas, Some(2));
    assert_eq!(status.ready_replicas.unwrap_or(0), 0);
    assert_eq!(status.unavailable_replicas, Some(2));
}

#[tokio::test]
async fn job_completes() {
    let ns = namespace("job-complete").await;
    let api: Api<Job> = ns.api();
    api.create(
        &PostParams::default(),
        &job("ok", "registry.invalid/task:1"),
    )
    .await
    .expect("create Job");
    let finished = |j: Option<&Job>| {
        j.is_some_and(|j| {
            job_condition(j, "Complete").is_some_and(|(s, _)| s == "True")
                || job_condition(j, "Failed").is_some_and(|(s, _)| s == "True")
        })
    };
    let j = within(
        "Job ok to finish",
        await_condition(api.clone(), "ok", finished),
    )
    .await
    .expect("watch Job")
    .expect("Job exists");
    assert_eq!(job_condition(&j, "Complete").map(|(s, _)| s), Some("True"));
    assert_eq!(j.status.as_ref().and_then(|s| s.succeeded), Some(1));
}

#[tokio::test]
async fn job_whose_pod_exits_1_fails() {
    let ns = namespace("job-fail").await;
    let api: Api<Job> = ns.api();
    api.create(
        &PostParams::default(),
        &job("broken", "registry.invalid/job-fail:1"),
    )
    .await
    .expect("create Job");
    let finished = |j: Option<&Job>| {
        j.is_some_and(|j| {
            job_condition(j, "Complete").is_some_and(|(s, _)| s == "True")
                || job_condition(j, "Failed").is_some_and(|(s, _)| s == "True")
        })
    };
    let j = within(
        "Job broken to finish",
        await_condition(api.clone(), "broken", finished),
    )
    .await
    .expect("watch Job")
    .expect("Job exists");
    assert_eq!(
        job_condition(&j, "Failed"),
        Some(("True", Some("BackoffLimitExceeded")))
    );
    assert_eq!(j.status.as_ref().and_then(|s| s.failed), Some(1));

    let pods = ns
        .api::<Pod>()
        .list(&ListParams::default().labels("job-name=broken"))
        .await
        .expect("list pods");
    let exit_codes: Vec<i32> = pods
        .items
        .iter()
        .flat_map(|p| {
            p.status
                .iter()
                .flat_map(|s| s.container_statuses.iter().flatten())
        })
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref().map(|t| t.exit_code))
        .collect();
    assert_eq!(exit_codes, vec![1]);
}

#[tokio::test]
async fn crashloop_pod_reports_crash_loop_back_off() {
    let ns = namespace("crashloop").await;
    let api: Api<Pod> = ns.api();
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": "crashy" },
        "spec": { "containers": [{ "name": "main", "image": "registry.invalid/crashloop:1" }] }
    }))
    .expect("the Pod literal matches the k8s-openapi type");
    api.create(&PostParams::default(), &pod)
        .await
        .expect("create Pod");
    let waiting_reason = |p: &Pod| -> Option<String> {
        p.status
            .as_ref()?
            .container_statuses
            .as_ref()?
            .first()?
            .state
            .as_ref()?
            .waiting
            .as_ref()?
            .reason
            .clone()
    };
    let crashing = |p: Option<&Pod>| {
        p.and_then(waiting_reason)
            .is_some_and(|r| r == "CrashLoopBackOff")
    };
    let p = within(
        "Pod crashy to crash-loop",
        await_condition(api.clone(), "crashy", crashing),
    )
    .await
    .expect("watch Pod")
    .expect("Pod exists");
    assert_eq!(pod_ready(&p), Some("False"));
}

#[tokio::test]
async fn dropping_a_test_namespace_deletes_it() {
    let plane = plane();
    let ns = namespace("drop").await;
    let name = ns.name().to_owned();
    drop(ns);
    let client = plane.client().await.expect("client");
    let namespaces: Api<Namespace> = Api::all(client);
    let gone_or_terminating =
        |n: Option<&Namespace>| n.is_none_or(|n| n.metadata.deletion_timestamp.is_some());
    within(
        "the dropped namespace to be deleted",
        await_condition(namespaces, &name, gone_or_terminating),
    )
    .await
    .expect("watch Namespace");
}
