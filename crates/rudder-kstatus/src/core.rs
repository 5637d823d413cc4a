//! kstatus's type-specific rules for built-in kinds (cli-utils `core.go` `legacyTypes`),
//! with kstatus's exact messages and reasons.

use std::time::Duration;

use serde_json::Value;

use crate::compute::generation_set;
use crate::fields::{self, bool_field, find, int_field, string_field};
use crate::rules::{GroupKind, RuleContext, RuleSet};
use crate::{Error, ObjectStatus, SuspendedJobPolicy};

/// How long a Pod may be unschedulable before it is reported `Failed` (kstatus
/// `ScheduleWindow`).
pub const SCHEDULE_WINDOW: Duration = Duration::from_secs(15);

type RuleFn = fn(&Value, &RuleContext<'_>) -> Result<ObjectStatus, Error>;

/// Registers kstatus's `legacyTypes` into `set`.
pub(crate) fn register(set: &mut RuleSet) {
    let table: [(&str, &str, RuleFn); 16] = [
        ("", "Service", service),
        ("", "Pod", pod),
        ("", "Secret", always_ready),
        ("", "PersistentVolumeClaim", pvc),
        ("apps", "StatefulSet", stateful_set),
        ("apps", "DaemonSet", daemon_set),
        ("extensions", "DaemonSet", daemon_set),
        ("apps", "Deployment", deployment),
        ("extensions", "Deployment", deployment),
        ("apps", "ReplicaSet", replica_set),
        ("extensions", "ReplicaSet", replica_set),
        ("policy", "PodDisruptionBudget", pdb),
        ("batch", "CronJob", always_ready),
        ("", "ConfigMap", always_ready),
        ("batch", "Job", job),
        ("apiextensions.k8s.io", "CustomResourceDefinition", crd),
    ];
    for (group, kind, rule) in table {
        set.register_built_in(GroupKind::new(group, kind), rule);
    }
}

/// Secret, ConfigMap, batch/CronJob.
pub(crate) fn always_ready(_: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    Ok(ObjectStatus::current("Resource is always ready"))
}

fn service(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    let spec_type = string_field(obj, &["spec", "type"], "ClusterIP");
    let cluster_ip = string_field(obj, &["spec", "clusterIP"], "");
    if spec_type == "LoadBalancer" && cluster_ip.is_empty() {
        return Ok(ObjectStatus::in_progress(
            "NoIPAssigned",
            "ClusterIP not set. Service type: LoadBalancer",
        ));
    }
    Ok(ObjectStatus::current("Service is ready"))
}

fn pod(obj: &Value, ctx: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    let conds = fields::conditions(obj)?;
    match string_field(obj, &["status", "phase"], "") {
        "Succeeded" => Ok(ObjectStatus::current("Pod has completed successfully")),
        "Failed" => Ok(ObjectStatus::current(
            "Pod has completed, but not successfully",
        )),
        "Running" => {
            if find(&conds, "Ready", "True").is_some() {
                return Ok(ObjectStatus::current("Pod is Ready"));
            }
            let crashing = crash_looping_containers(obj)?;
            if !crashing.is_empty() {
                return Ok(ObjectStatus::failed(
                    "ContainerCrashLooping",
                    format!("Containers in CrashLoop state: {}", crashing.join(",")),
                ));
            }
            Ok(ObjectStatus::in_progress(
                "PodRunningNotReady",
                "Pod is running but is not Ready",
            ))
        }
        "Pending" => {
            if find(&conds, "PodScheduled", "False").is_some_and(|c| c.reason == "Unschedulable") {
                let created = fields::creation_time(obj);
                if let Some(left) = fields::remaining(created, SCHEDULE_WINDOW, ctx.options.now) {
                    return Ok(ObjectStatus::in_progress(
                        "PodNotScheduled",
                        "Pod has not been scheduled",
                    )
                    .with_recheck_after(left));
                }
                return Ok(ObjectStatus::failed(
                    "PodUnschedulable",
                    "Pod could not be scheduled",
                ));
            }
            Ok(ObjectStatus::in_progress(
                "PodPending",
                "Pod is in the Pending phase",
            ))
        }
        "" => Ok(ObjectStatus::in_progress(
            "PodNotObserved",
            "Pod phase not available",
        )),
        other => Err(Error::UnknownPodPhase {
            phase: other.to_owned(),
        }),
    }
}

/// Names of containers whose `state.waiting.reason` is `CrashLoopBackOff`. Where kstatus's
/// unchecked Go type assertions would panic, this returns an error.
fn crash_looping_containers(obj: &Value) -> Result<Vec<String>, Error> {
    let statuses = match fields::nested(obj, &["status", "containerStatuses"])? {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(type_error("status.containerStatuses", "array", other)),
    };
    let mut names = Vec::new();
    for (i, item) in statuses.iter().enumerate() {
        let path = format!("status.containerStatuses[{i}]");
        let Value::Object(cs) = item else {
            return Err(type_error(&path, "object", item));
        };
        let Some(name) = cs.get("name") else { continue };
        let Value::String(name) = name else {
            return Err(type_error(&format!("{path}.name"), "string", name));
        };
        let Some(state) = cs.get("state") else {
            continue;
        };
        let Value::Object(state) = state else {
            return Err(type_error(&format!("{path}.state"), "object", state));
        };
        let Some(waiting) = state.get("waiting") else {
            continue;
        };
        let Value::Object(waiting) = waiting else {
            return Err(type_error(
                &format!("{path}.state.waiting"),
                "object",
                waiting,
            ));
        };
        let Some(reason) = waiting.get("reason") else {
            continue;
        };
        let Value::String(reason) = reason else {
            return Err(type_error(
                &format!("{path}.state.waiting.reason"),
                "string",
                reason,
            ));
        };
        if reason == "CrashLoopBackOff" {
            names.push(name.clone());
        }
    }
    Ok(names)
}

fn type_error(path: &str, expected: &'static str, found: &Value) -> Error {
    Error::FieldType {
        path: path.to_owned(),
        expected,
        found: fields::describe(found),
    }
}

fn pvc(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    let phase = string_field(obj, &["status", "phase"], "unknown");
    if phase != "Bound" {
        return Ok(ObjectStatus::in_progress(
            "NotBound",
            format!("PVC is not Bound. phase: {phase}"),
        ));
    }
    Ok(ObjectStatus::current("PVC is Bound"))
}

fn stateful_set(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if string_field(obj, &["spec", "updateStrategy", "type"], "") == "OnDelete" {
        return Ok(ObjectStatus::current(
            "StatefulSet is using the ondelete update strategy",
        ));
    }
    let spec = int_field(obj, &["spec", "replicas"], 1);
    let ready = int_field(obj, &["status", "readyReplicas"], 0);
    let current = int_field(obj, &["status", "currentReplicas"], 0);
    let updated = int_field(obj, &["status", "updatedReplicas"], 0);
    let replicas = int_field(obj, &["status", "replicas"], 0);
    let partition = int_field(
        obj,
        &["spec", "updateStrategy", "rollingUpdate", "partition"],
        -1,
    );

    if spec > replicas {
        return Ok(ObjectStatus::in_progress(
            "LessReplicas",
            format!("Replicas: {replicas}/{spec}"),
        ));
    }
    if spec > ready {
        return Ok(ObjectStatus::in_progress(
            "LessReady",
            format!("Ready: {ready}/{spec}"),
        ));
    }
    if replicas > spec {
        return Ok(ObjectStatus::in_progress(
            "ExtraPods",
            format!("Pending termination: {}", replicas - spec),
        ));
    }
    if partition != -1 {
        if updated < spec - partition {
            return Ok(ObjectStatus::in_progress(
                "PartitionRollout",
                format!("updated: {updated}/{}", spec - partition),
            ));
        }
        return Ok(ObjectStatus::current(format!(
            "Partition rollout complete. updated: {updated}"
        )));
    }
    if spec > current {
        return Ok(ObjectStatus::in_progress(
            "LessCurrent",
            format!("current: {current}/{spec}"),
        ));
    }
    let current_revision = string_field(obj, &["status", "currentRevision"], "");
    let update_revision = string_field(obj, &["status", "updateRevision"], "");
    if current_revision != update_revision {
        return Ok(ObjectStatus::in_progress(
            "RevisionMismatch",
            "Waiting for updated revision to match current",
        ));
    }
    Ok(ObjectStatus::current(format!(
        "All replicas scheduled as expected. Replicas: {replicas}"
    )))
}

fn daemon_set(obj: &Value, ctx: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if let Some(status) = generation_set(obj, ctx.options.generation)? {
        return Ok(status);
    }
    let desired = int_field(obj, &["status", "desiredNumberScheduled"], -1);
    let current = int_field(obj, &["status", "currentNumberScheduled"], 0);
    let updated = int_field(obj, &["status", "updatedNumberScheduled"], 0);
    let available = int_field(obj, &["status", "numberAvailable"], 0);
    let ready = int_field(obj, &["status", "numberReady"], 0);

    if desired == -1 {
        return Ok(ObjectStatus::in_progress(
            "NoDesiredNumber",
            "Missing .status.desiredNumberScheduled",
        ));
    }
    if desired > current {
        return Ok(ObjectStatus::in_progress(
            "LessCurrent",
            format!("Current: {current}/{desired}"),
        ));
    }
    if desired > updated {
        return Ok(ObjectStatus::in_progress(
            "LessUpdated",
            format!("Updated: {updated}/{desired}"),
        ));
    }
    if desired > available {
        return Ok(ObjectStatus::in_progress(
            "LessAvailable",
            format!("Available: {available}/{desired}"),
        ));
    }
    if desired > ready {
        return Ok(ObjectStatus::in_progress(
            "LessReady",
            format!("Ready: {ready}/{desired}"),
        ));
    }
    Ok(ObjectStatus::current(format!(
        "All replicas scheduled as expected. Replicas: {desired}"
    )))
}

fn deployment(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    const MAX_INT32: i64 = i32::MAX as i64;
    let mut progressing =
        int_field(obj, &["spec", "progressDeadlineSeconds"], MAX_INT32) == MAX_INT32;
    let mut available = false;
    for cond in fields::conditions(obj)? {
        match cond.type_.as_str() {
            "Progressing" => {
                if cond.reason == "ProgressDeadlineExceeded" {
                    return Ok(ObjectStatus::failed(
                        cond.reason,
                        "Progress deadline exceeded",
                    ));
                }
                if cond.status == "True" && cond.reason == "NewReplicaSetAvailable" {
                    progressing = true;
                }
            }
            "Available" if cond.status == "True" => available = true,
            _ => {}
        }
    }
    let spec = int_field(obj, &["spec", "replicas"], 1);
    let replicas = int_field(obj, &["status", "replicas"], 0);
    let updated = int_field(obj, &["status", "updatedReplicas"], 0);
    let ready = int_field(obj, &["status", "readyReplicas"], 0);
    let avail = int_field(obj, &["status", "availableReplicas"], 0);

    if spec > replicas {
        return Ok(ObjectStatus::in_progress(
            "LessReplicas",
            format!("Replicas: {replicas}/{spec}"),
        ));
    }
    if spec > updated {
        return Ok(ObjectStatus::in_progress(
            "LessUpdated",
            format!("Updated: {updated}/{spec}"),
        ));
    }
    if replicas > spec {
        return Ok(ObjectStatus::in_progress(
            "ExtraPods",
            format!("Pending termination: {}", replicas - spec),
        ));
    }
    if updated > avail {
        return Ok(ObjectStatus::in_progress(
            "LessAvailable",
            format!("Available: {avail}/{updated}"),
        ));
    }
    if spec > ready {
        return Ok(ObjectStatus::in_progress(
            "LessReady",
            format!("Ready: {ready}/{spec}"),
        ));
    }
    if !progressing {
        return Ok(ObjectStatus::in_progress(
            "ReplicaSetNotAvailable",
            "ReplicaSet not Available",
        ));
    }
    if !available {
        return Ok(ObjectStatus::in_progress(
            "DeploymentNotAvailable",
            "Deployment not Available",
        ));
    }
    Ok(ObjectStatus::current(format!(
        "Deployment is available. Replicas: {replicas}"
    )))
}

fn replica_set(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if find(&fields::conditions(obj)?, "ReplicaFailure", "True").is_some() {
        return Ok(ObjectStatus::in_progress(
            "ReplicaFailure",
            "Replica Failure condition. Check Pods",
        ));
    }
    let spec = int_field(obj, &["spec", "replicas"], 1);
    let replicas = int_field(obj, &["status", "replicas"], 0);
    let ready = int_field(obj, &["status", "readyReplicas"], 0);
    let available = int_field(obj, &["status", "availableReplicas"], 0);
    let labelled = int_field(obj, &["status", "fullyLabeledReplicas"], 0);

    if spec > labelled {
        return Ok(ObjectStatus::in_progress(
            "LessLabelled",
            format!("Labelled: {labelled}/{spec}"),
        ));
    }
    if spec > available {
        return Ok(ObjectStatus::in_progress(
            "LessAvailable",
            format!("Available: {available}/{spec}"),
        ));
    }
    if spec > ready {
        return Ok(ObjectStatus::in_progress(
            "LessReady",
            format!("Ready: {ready}/{spec}"),
        ));
    }
    if replicas > spec {
        return Ok(ObjectStatus::in_progress(
            "ExtraPods",
            format!("Pending termination: {}", replicas - spec),
        ));
    }
    Ok(ObjectStatus::current(format!(
        "ReplicaSet is available. Replicas: {replicas}"
    )))
}

fn pdb(_: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    Ok(ObjectStatus::current(
        "AllowedDisruptions has been computed.",
    ))
}

fn job(obj: &Value, ctx: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    let parallelism = int_field(obj, &["spec", "parallelism"], 1);
    let completions = int_field(obj, &["spec", "completions"], parallelism);
    let succeeded = int_field(obj, &["status", "succeeded"], 0);
    let active = int_field(obj, &["status", "active"], 0);
    let failed = int_field(obj, &["status", "failed"], 0);
    let start_time = string_field(obj, &["status", "startTime"], "");
    let suspend_counts = ctx.options.suspended_job == SuspendedJobPolicy::Current;

    for cond in fields::conditions(obj)? {
        match cond.type_.as_str() {
            "Complete" if cond.status == "True" => {
                return Ok(ObjectStatus::current(format!(
                    "Job Completed. succeeded: {succeeded}/{completions}"
                )));
            }
            "Failed" if cond.status == "True" => {
                return Ok(ObjectStatus::failed(
                    "JobFailed",
                    format!("Job Failed. failed: {failed}/{completions}"),
                ));
            }
            "Suspended"
                if suspend_counts
                    && cond.status == "True"
                    && bool_field(obj, &["spec", "suspend"], false) =>
            {
                return Ok(ObjectStatus::current("Job is suspended"));
            }
            _ => {}
        }
    }
    if start_time.is_empty() {
        return Ok(ObjectStatus::in_progress(
            "JobNotStarted",
            "Job not started",
        ));
    }
    Ok(ObjectStatus::current(format!(
        "Job in progress. success:{succeeded}, active: {active}, failed: {failed}"
    )))
}

fn crd(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    for cond in fields::conditions(obj)? {
        if cond.is("NamesAccepted", "False") {
            return Ok(ObjectStatus::failed(cond.reason, cond.message));
        }
        if cond.type_ == "Established" {
            if cond.status == "False" && cond.reason != "Installing" {
                return Ok(ObjectStatus::failed(cond.reason, cond.message));
            }
            if cond.status == "True" {
                return Ok(ObjectStatus::current("CRD is established"));
            }
        }
    }
    Ok(ObjectStatus::in_progress(
        "Installing",
        "Install in progress",
    ))
}
