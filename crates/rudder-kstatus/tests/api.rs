//! Tests of the public API beyond single-object fixtures: pod-controller escalation, the
//! clock-dependent recheck hints, rule registration and precedence, declarative overrides.

use std::time::{Duration, SystemTime};

use rudder_kstatus::{
    ComputeOptions, Error, GenerationPolicy, GroupKind, NewResourcePolicy, ObjectStatus,
    PodFailureFilter, PodObservation, ReadinessOverride, RuleContext, RuleSet, Status, Strategy,
    compute, escalate_failed_pods, parse_rfc3339,
};
use serde_json::{Value, json};

fn at(ts: &str) -> SystemTime {
    parse_rfc3339(ts).expect("valid timestamp")
}

fn unschedulable_pod(deleting: bool) -> Value {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "creationTimestamp": "2024-01-01T00:00:00Z"},
        "status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}
    });
    if deleting {
        pod["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:01:00Z");
    }
    pod
}

#[test]
fn failed_pods_escalate_an_in_progress_controller() {
    let own = ObjectStatus::in_progress("LessReady", "Ready: 1/3");
    let crashing = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}});
    let pods = [
        PodObservation {
            status: Status::Failed,
            pod: Some(&crashing),
        },
        PodObservation {
            status: Status::Current,
            pod: None,
        },
    ];
    let escalated = escalate_failed_pods(own.clone(), &pods, PodFailureFilter::SkipTransient);
    assert_eq!(
        (escalated.status, escalated.message.as_str()),
        (Status::Failed, "1 pods have failed")
    );

    // A Current controller is never escalated.
    let current = ObjectStatus::current("ReplicaSet is available. Replicas: 3");
    assert_eq!(
        escalate_failed_pods(current.clone(), &pods, PodFailureFilter::CountAll),
        current
    );
}

#[test]
fn transient_pod_failures_are_skipped_only_by_the_fluxcd_filter() {
    let own = ObjectStatus::in_progress("LessReady", "Ready: 0/2");
    let unschedulable = unschedulable_pod(false);
    let deleting = unschedulable_pod(true);
    let pods = [
        PodObservation {
            status: Status::Failed,
            pod: Some(&unschedulable),
        },
        PodObservation {
            status: Status::Failed,
            pod: Some(&deleting),
        },
        PodObservation {
            status: Status::Failed,
            pod: None,
        },
    ];
    assert_eq!(
        escalate_failed_pods(own.clone(), &pods, PodFailureFilter::SkipTransient),
        own
    );
    let upstream = escalate_failed_pods(own, &pods, PodFailureFilter::CountAll);
    assert_eq!(upstream.message, "3 pods have failed");
}

#[test]
fn time_dependent_results_say_when_to_look_again() {
    let rules = RuleSet::rudder();
    let pod = unschedulable_pod(false);
    let young = compute(
        &pod,
        &rules,
        &ComputeOptions::rudder(at("2024-01-01T00:00:05Z")),
    )
    .unwrap();
    assert_eq!(young.status, Status::InProgress);
    assert_eq!(young.recheck_after, Some(Duration::from_secs(10)));
    let old = compute(
        &pod,
        &rules,
        &ComputeOptions::rudder(at("2024-01-01T00:00:15Z")),
    )
    .unwrap();
    assert_eq!((old.status, old.recheck_after), (Status::Failed, None));

    let cr = json!({"apiVersion": "example.com/v1", "kind": "Widget",
                    "metadata": {"name": "w", "creationTimestamp": "2024-01-01T00:00:00Z"}});
    let mut options = ComputeOptions::rudder(at("2024-01-01T00:00:03Z"));
    options.new_resource = NewResourcePolicy::WaitForStatus {
        grace: Duration::from_secs(30),
    };
    let waiting = compute(&cr, &rules, &options).unwrap();
    assert_eq!(waiting.reason.as_deref(), Some("NoStatus"));
    assert_eq!(waiting.recheck_after, Some(Duration::from_secs(27)));
}

#[test]
fn daemon_set_generation_presence_follows_the_generation_policy() {
    let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "d", "generation": 1},
        "status": {"observedGeneration": "1", "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                   "updatedNumberScheduled": 1, "numberAvailable": 1, "numberReady": 1}});
    let rules = RuleSet::kstatus();
    let now = at("2024-01-01T00:00:00Z");
    let strict = compute(&ds, &rules, &ComputeOptions::kstatus(now)).unwrap_err();
    assert!(
        matches!(strict, Error::FieldType { ref path, .. } if path == "status.observedGeneration"),
        "{strict}"
    );
    let mut lenient = ComputeOptions::kstatus(now);
    lenient.generation = GenerationPolicy::Lenient;
    let status = compute(&ds, &rules, &lenient).unwrap();
    assert_eq!(
        status.message,
        "All replicas scheduled as expected. Replicas: 1"
    );
}

#[test]
fn custom_rules_are_final_and_win_in_every_strategy() {
    let mut rules = RuleSet::rudder();
    let gk = GroupKind::new("example.com", "Widget");
    let replaced = rules.register(gk, |obj: &Value, _: &RuleContext<'_>| {
        let phase = obj
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        Ok(if phase == "Done" {
            ObjectStatus::current("widget done")
        } else {
            ObjectStatus::in_progress("Working", format!("phase {phase:?}"))
        })
    });
    assert!(!replaced);
    // Ready=True alone does not override a per-kind rule (kstatus step 4 is final).
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                        "status": {"phase": "Busy", "conditions": [{"type": "Ready", "status": "True"}]}});
    let now = ComputeOptions::rudder(at("2024-01-01T00:00:00Z"));
    for strategy in [Strategy::Wait, Strategy::WaitWithJobs, Strategy::Hooks] {
        let status = strategy.read(&widget, &rules, &now);
        assert_eq!(
            (status.status, status.message.as_str()),
            (Status::InProgress, "phase \"Busy\""),
            "{strategy:?}"
        );
    }
    // Built-in rules (here: TrainJob) do not apply to hooks: Helm's hook wait treats them as
    // ready at once.
    let train_job = json!({"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": {"name": "t"}});
    assert_eq!(
        Strategy::Hooks.read(&train_job, &rules, &now).status,
        Status::Current
    );
    assert_eq!(
        Strategy::Wait.read(&train_job, &rules, &now).status,
        Status::InProgress
    );
}

/// The YAML block documented in the crate docs under "Declarative readiness overrides".
fn documented_yaml() -> String {
    let lib = include_str!("../src/lib.rs");
    let start = lib
        .find("//! ```yaml\n")
        .expect("crate docs have a yaml example")
        + "//! ```yaml\n".len();
    let end = start
        + lib[start..]
            .find("//! ```\n")
            .expect("yaml example is closed");
    lib[start..end]
        .lines()
        .map(|l| {
            l.strip_prefix("//! ")
                .unwrap_or(l.trim_start_matches("//!"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(serde::Deserialize)]
struct ChartReadiness {
    readiness: Vec<ReadinessOverride>,
}

#[test]
fn documented_override_shape_deserializes_and_behaves() {
    let doc: ChartReadiness =
        serde_saphyr::from_str(&documented_yaml()).expect("documented YAML parses");
    assert_eq!(doc.readiness.len(), 1);
    let mut rules = RuleSet::rudder();
    doc.readiness[0].register_into(&mut rules).unwrap();
    let now = ComputeOptions::rudder(at("2024-01-01T00:00:00Z"));
    let widget = |status: Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "status": status});

    let degraded = widget(
        json!({"conditions": [{"type": "Degraded", "status": "True", "reason": "CrashLoop", "message": "boom"}]}),
    );
    let s = compute(&degraded, &rules, &now).unwrap();
    assert_eq!(
        (s.status, s.message.as_str(), s.reason.as_deref()),
        (Status::Failed, "boom", Some("CrashLoop"))
    );

    let running = widget(json!({"phase": "Running", "message": "serving"}));
    assert_eq!(
        compute(&running, &rules, &now).unwrap(),
        ObjectStatus::current("serving")
    );

    let failed = widget(json!({"phase": "Failed"}));
    assert_eq!(
        compute(&failed, &rules, &now).unwrap().status,
        Status::Failed
    );

    let starting = widget(json!({"phase": "Starting"}));
    assert_eq!(
        compute(&starting, &rules, &now).unwrap().status,
        Status::InProgress
    );
}

#[test]
fn bad_overrides_are_rejected_with_their_location() {
    let unknown_field =
        serde_json::from_value::<ReadinessOverride>(json!({"kind": "W", "ready": []}));
    assert!(
        unknown_field
            .unwrap_err()
            .to_string()
            .contains("unknown field `ready`")
    );

    let two_tests: ReadinessOverride =
        serde_json::from_value(json!({"group": "g.io", "kind": "W", "current": [{"field": "status.x", "equals": 1, "exists": true}]}))
            .unwrap();
    assert_eq!(
        two_tests.compile().unwrap_err().to_string(),
        "readiness override for g.io/W: a field matcher needs exactly one of `equals`, `in`, `exists`"
    );

    let bad_path: ReadinessOverride = serde_json::from_value(
        json!({"kind": "W", "failed": [{"field": "status.items[x]", "exists": true}]}),
    )
    .unwrap();
    assert_eq!(
        bad_path.compile().unwrap_err().to_string(),
        "invalid field path \"status.items[x]\": index is not a non-negative integer"
    );

    let no_kind: ReadinessOverride = serde_json::from_value(json!({"kind": ""})).unwrap();
    assert!(no_kind.compile().is_err());
}
