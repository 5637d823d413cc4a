//! Readiness rules for the Kubeflow stack's custom resources (and the Argo Workflows that
//! Kubeflow Pipelines runs), after `shared/reference/mlstack.md` §2.
//!
//! None of these controllers sets `Reconciling`/`Stalled`, and job-like kinds would be
//! `Current` the moment they are created under plain kstatus. Every rule here therefore:
//!
//! - reports a resource whose `status` is absent or `{}` as `InProgress` `NoStatus`
//!   ("Waiting for the controller to write status"), with no grace period: never `Current`;
//! - reports job-like kinds `Current` only when finished (`Complete`, `Completed`,
//!   `Succeeded`, `COMPLETED`), `Failed` on their failure signal, and also `Current` when
//!   suspended (as kstatus does for a suspended `batch/Job`), so a wait does not hang on a
//!   workload that is deliberately parked;
//! - uses the object's own condition or state message where there is one.
//!
//! | group / kind | Current | Failed |
//! |---|---|---|
//! | `trainer.kubeflow.org/TrainJob` | `Complete=True`, `Suspended=True` | `Failed=True` |
//! | `jobset.x-k8s.io/JobSet` | `Completed=True`, `Suspended=True`, `terminalState: Completed` | `Failed=True`, `terminalState: Failed` |
//! | `leaderworkerset.x-k8s.io/LeaderWorkerSet` | `Available=True` and no `UpdateInProgress=True` | — |
//! | `serving.kserve.io/InferenceService` (observedGeneration ignored) | `Ready=True`, `Stopped=True` | `modelStatus.transitionStatus` ∈ {`BlockedByFailedLoad`, `InvalidSpec`}, `modelStatus.states.targetModelState: FailedToLoad` |
//! | `serving.kserve.io/{InferenceGraph,TrainedModel,LLMInferenceService}` (observedGeneration ignored) | `Ready=True` | — |
//! | `sparkoperator.k8s.io/SparkApplication` | `applicationState.state` `COMPLETED`, `SUSPENDED` | `FAILED`, `SUBMISSION_FAILED` |
//! | `sparkoperator.k8s.io/ScheduledSparkApplication` | `scheduleState: Scheduled` | `FailedValidation` |
//! | `sparkoperator.k8s.io/SparkConnect` | `state: Ready` | `state: Failed` |
//! | `kubeflow.org/Experiment` (Katib) | `Succeeded=True` | `Failed=True` |
//! | `kubeflow.org/Trial` (Katib) | `Succeeded=True`, `EarlyStopped=True` | `Failed=True`, `Killed=True`, `MetricsUnavailable=True` |
//! | `kubeflow.org/Suggestion` (Katib) | `Succeeded=True`, or `Running=True` with `DeploymentReady=True` | `Failed=True` |
//! | `kubeflow.org/Notebook` | `Ready=True` | — |
//! | `kubeflow.org/Workspace` | `state` `Running`, `Paused` | `state: Error` |
//! | `pipelines.kubeflow.org/PipelineVersion` | `PipelineVersionStatus` reason `READY` | — |
//! | `kubeflow.org/ScheduledWorkflow` (KFP) | `Enabled`, `Disabled`, `Running` or `Succeeded` `=True` | `Error=True` |
//! | `argoproj.io/Workflow` | `phase: Succeeded` | `phase` `Failed`, `Error` |
//!
//! Kinds that never get a status (`TrainingRuntime`, `ClusterTrainingRuntime`,
//! `ServingRuntime`, `ClusterServingRuntime`, `ClusterStorageContainer`) are `Current` as soon
//! as they exist ("Resource is always ready").

use serde_json::Value;

use crate::compute::no_status;
use crate::core::always_ready;
use crate::fields::{self, Condition, find, status_is_empty, string_field};
use crate::rules::{GroupKind, Rule, RuleContext, RuleSet};
use crate::{Error, ObjectStatus};

type RuleFn = fn(&Value, &RuleContext<'_>) -> Result<ObjectStatus, Error>;

/// Registers the Kubeflow rules into `set`.
pub(crate) fn register(set: &mut RuleSet) {
    let table: [(&str, &str, RuleFn); 18] = [
        ("trainer.kubeflow.org", "TrainJob", train_job),
        ("trainer.kubeflow.org", "TrainingRuntime", always_ready),
        (
            "trainer.kubeflow.org",
            "ClusterTrainingRuntime",
            always_ready,
        ),
        ("jobset.x-k8s.io", "JobSet", job_set),
        (
            "leaderworkerset.x-k8s.io",
            "LeaderWorkerSet",
            leader_worker_set,
        ),
        ("serving.kserve.io", "ServingRuntime", always_ready),
        ("serving.kserve.io", "ClusterServingRuntime", always_ready),
        ("serving.kserve.io", "ClusterStorageContainer", always_ready),
        (
            "sparkoperator.k8s.io",
            "SparkApplication",
            spark_application,
        ),
        (
            "sparkoperator.k8s.io",
            "ScheduledSparkApplication",
            scheduled_spark_application,
        ),
        ("sparkoperator.k8s.io", "SparkConnect", spark_connect),
        ("kubeflow.org", "Experiment", experiment),
        ("kubeflow.org", "Trial", trial),
        ("kubeflow.org", "Suggestion", suggestion),
        ("kubeflow.org", "Workspace", workspace),
        ("argoproj.io", "Workflow", argo_workflow),
        (
            "pipelines.kubeflow.org",
            "PipelineVersion",
            pipeline_version,
        ),
        ("kubeflow.org", "ScheduledWorkflow", scheduled_workflow),
    ];
    for (group, kind, rule) in table {
        set.register_built_in(GroupKind::new(group, kind), rule);
    }
    set.register_built_in(
        GroupKind::new("serving.kserve.io", "InferenceService"),
        InferenceService,
    );
    for kind in ["InferenceGraph", "TrainedModel", "LLMInferenceService"] {
        set.register_built_in(
            GroupKind::new("serving.kserve.io", kind),
            ReadyCondition {
                checks_generation: false,
            },
        );
    }
    set.register_built_in(
        GroupKind::new("kubeflow.org", "Notebook"),
        ReadyCondition {
            checks_generation: true,
        },
    );
}

fn or<'a>(message: &'a str, default: &'a str) -> &'a str {
    if message.is_empty() { default } else { message }
}

fn reason_or(cond: &Condition, default: &str) -> String {
    or(&cond.reason, default).to_owned()
}

/// Shared shape of job-like kinds with `Failed`/`<done>`/`Suspended` conditions.
fn job_like(obj: &Value, kind: &str, done: &str) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    if let Some(c) = find(&conds, "Failed", "True") {
        return Ok(ObjectStatus::failed(
            reason_or(c, "Failed"),
            or(&c.message, &format!("{kind} has failed")),
        ));
    }
    if let Some(c) = find(&conds, done, "True") {
        return Ok(ObjectStatus::current(or(
            &c.message,
            &format!("{kind} has completed"),
        )));
    }
    if find(&conds, "Suspended", "True").is_some() {
        return Ok(ObjectStatus::current(format!("{kind} is suspended")));
    }
    Ok(ObjectStatus::in_progress(
        "Running",
        format!("{kind} is running"),
    ))
}

fn train_job(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    job_like(obj, "TrainJob", "Complete")
}

fn job_set(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    let status = job_like(obj, "JobSet", "Completed")?;
    if status.reason.as_deref() != Some("Running") {
        return Ok(status);
    }
    match string_field(obj, &["status", "terminalState"], "") {
        "Failed" => Ok(ObjectStatus::failed("Failed", "JobSet has failed")),
        "Completed" => Ok(ObjectStatus::current("JobSet has completed")),
        _ => Ok(status),
    }
}

fn leader_worker_set(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    if let Some(c) = find(&conds, "UpdateInProgress", "True") {
        return Ok(ObjectStatus::in_progress(
            reason_or(c, "UpdateInProgress"),
            or(&c.message, "Rolling update in progress"),
        ));
    }
    if let Some(c) = find(&conds, "Available", "True") {
        return Ok(ObjectStatus::current(or(
            &c.message,
            "LeaderWorkerSet is available",
        )));
    }
    if let Some(c) = conds.iter().find(|c| c.type_ == "Available") {
        return Ok(ObjectStatus::in_progress(
            reason_or(c, "NotAvailable"),
            or(&c.message, "LeaderWorkerSet is not available"),
        ));
    }
    Ok(ObjectStatus::in_progress(
        "NotAvailable",
        "Waiting for the Available condition",
    ))
}

/// The `Ready` condition decides; no `Ready` condition (or no status) is `InProgress`.
struct ReadyCondition {
    checks_generation: bool,
}

impl Rule for ReadyCondition {
    fn evaluate(&self, obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
        if status_is_empty(obj) {
            return Ok(no_status());
        }
        ready(obj, &fields::conditions(obj)?)
    }

    fn checks_generation(&self) -> bool {
        self.checks_generation
    }
}

fn ready(obj: &Value, conds: &[Condition]) -> Result<ObjectStatus, Error> {
    let kind = fields::kind(obj);
    for c in conds.iter().filter(|c| c.type_ == "Ready") {
        match c.status.as_str() {
            "True" => return Ok(ObjectStatus::current(format!("{kind} is Ready"))),
            "False" | "Unknown" => {
                return Ok(ObjectStatus::in_progress(
                    reason_or(c, "NotReady"),
                    or(&c.message, &format!("{kind} is not Ready")),
                ));
            }
            _ => {}
        }
    }
    Ok(ObjectStatus::in_progress(
        "NoReadyCondition",
        "Waiting for the Ready condition",
    ))
}

/// KServe InferenceService: its observedGeneration is copied from a child object
/// (kserve/kserve#6081), so the generation check is skipped.
struct InferenceService;

impl Rule for InferenceService {
    fn evaluate(&self, obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
        if status_is_empty(obj) {
            return Ok(no_status());
        }
        let conds = fields::conditions(obj)?;
        let failure = string_field(
            obj,
            &["status", "modelStatus", "lastFailureInfo", "message"],
            "",
        );
        let transition = string_field(obj, &["status", "modelStatus", "transitionStatus"], "");
        if matches!(transition, "BlockedByFailedLoad" | "InvalidSpec") {
            return Ok(ObjectStatus::failed(
                transition,
                or(failure, &format!("Model transition status is {transition}")),
            ));
        }
        if string_field(
            obj,
            &["status", "modelStatus", "states", "targetModelState"],
            "",
        ) == "FailedToLoad"
        {
            return Ok(ObjectStatus::failed(
                "FailedToLoad",
                or(failure, "Target model failed to load"),
            ));
        }
        if find(&conds, "Stopped", "True").is_some() {
            return Ok(ObjectStatus::current("InferenceService is stopped"));
        }
        ready(obj, &conds)
    }

    fn checks_generation(&self) -> bool {
        false
    }
}

/// A rule over one string state field.
fn state_rule(
    obj: &Value,
    path: &[&str],
    message_path: &[&str],
    current: &[&str],
    failed: &[&str],
) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let kind = fields::kind(obj);
    let state = string_field(obj, path, "");
    let own = string_field(obj, message_path, "");
    let described = format!("{kind} {} is {state}", path[1..].join("."));
    if state.is_empty() {
        return Ok(ObjectStatus::in_progress(
            "NoState",
            format!("Waiting for {kind} {}", path[1..].join(".")),
        ));
    }
    if failed.contains(&state) {
        return Ok(ObjectStatus::failed(state, or(own, &described)));
    }
    if current.contains(&state) {
        return Ok(ObjectStatus::current(described));
    }
    Ok(ObjectStatus::in_progress(state, or(own, &described)))
}

fn spark_application(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    state_rule(
        obj,
        &["status", "applicationState", "state"],
        &["status", "applicationState", "errorMessage"],
        &["COMPLETED", "SUSPENDED"],
        &["FAILED", "SUBMISSION_FAILED"],
    )
}

fn scheduled_spark_application(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    state_rule(
        obj,
        &["status", "scheduleState"],
        &["status", "reason"],
        &["Scheduled"],
        &["FailedValidation"],
    )
}

fn spark_connect(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    state_rule(
        obj,
        &["status", "state"],
        &["status", "message"],
        &["Ready"],
        &["Failed"],
    )
}

fn workspace(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    state_rule(
        obj,
        &["status", "state"],
        &["status", "stateMessage"],
        &["Running", "Paused"],
        &["Error"],
    )
}

fn argo_workflow(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    state_rule(
        obj,
        &["status", "phase"],
        &["status", "message"],
        &["Succeeded"],
        &["Failed", "Error"],
    )
}

fn experiment(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    if let Some(c) = find(&conds, "Failed", "True") {
        return Ok(ObjectStatus::failed(
            reason_or(c, "ExperimentFailed"),
            or(&c.message, "Experiment has failed"),
        ));
    }
    if let Some(c) = find(&conds, "Succeeded", "True") {
        return Ok(ObjectStatus::current(or(
            &c.message,
            "Experiment has succeeded",
        )));
    }
    // The most recent of Restarting, Running, Created (Katib appends conditions in order).
    if let Some(c) = conds.iter().rev().find(|c| {
        c.status == "True" && matches!(c.type_.as_str(), "Restarting" | "Running" | "Created")
    }) {
        return Ok(ObjectStatus::in_progress(
            reason_or(c, &c.type_),
            or(&c.message, &format!("Experiment is {}", c.type_)),
        ));
    }
    Ok(ObjectStatus::in_progress(
        "NotCreated",
        "Waiting for the Created condition",
    ))
}

/// Katib Trial: finished when `Succeeded` or `EarlyStopped`; `Failed`, `Killed` and
/// `MetricsUnavailable` are failures (Katib counts them against `maxFailedTrialCount`).
fn trial(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    for failure in ["Failed", "Killed", "MetricsUnavailable"] {
        if let Some(c) = find(&conds, failure, "True") {
            return Ok(ObjectStatus::failed(
                reason_or(c, failure),
                or(&c.message, &format!("Trial is {failure}")),
            ));
        }
    }
    for done in ["Succeeded", "EarlyStopped"] {
        if let Some(c) = find(&conds, done, "True") {
            return Ok(ObjectStatus::current(or(
                &c.message,
                &format!("Trial is {done}"),
            )));
        }
    }
    Ok(ObjectStatus::in_progress(
        "Running",
        match find(&conds, "Running", "True") {
            Some(c) => or(&c.message, "Trial is running").to_owned(),
            None => "Waiting for the Trial to run".to_owned(),
        },
    ))
}

/// Katib Suggestion: ready once its algorithm Deployment serves (`Running` and
/// `DeploymentReady`), done when `Succeeded`; `Failed` is a failure.
fn suggestion(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    if let Some(c) = find(&conds, "Failed", "True") {
        return Ok(ObjectStatus::failed(
            reason_or(c, "SuggestionFailed"),
            or(&c.message, "Suggestion has failed"),
        ));
    }
    if let Some(c) = find(&conds, "Succeeded", "True") {
        return Ok(ObjectStatus::current(or(
            &c.message,
            "Suggestion has succeeded",
        )));
    }
    if find(&conds, "Running", "True").is_some()
        && let Some(c) = find(&conds, "DeploymentReady", "True")
    {
        return Ok(ObjectStatus::current(or(
            &c.message,
            "Suggestion is running",
        )));
    }
    Ok(ObjectStatus::in_progress(
        "DeploymentNotReady",
        "Waiting for the suggestion Deployment",
    ))
}

/// KFP PipelineVersion: one `PipelineVersionStatus` condition whose reason is `CREATING`,
/// `READY` or `DELETING`.
fn pipeline_version(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    match conds.iter().find(|c| c.type_ == "PipelineVersionStatus") {
        Some(c) if c.reason == "READY" => Ok(ObjectStatus::current(or(
            &c.message,
            "PipelineVersion is READY",
        ))),
        Some(c) => Ok(ObjectStatus::in_progress(
            reason_or(c, "PipelineVersionStatus"),
            or(
                &c.message,
                &format!("PipelineVersion is {}", or(&c.reason, "not READY")),
            ),
        )),
        None => Ok(ObjectStatus::in_progress(
            "NoPipelineVersionStatus",
            "Waiting for the PipelineVersionStatus condition",
        )),
    }
}

/// KFP ScheduledWorkflow: a schedule is settled once the controller reports it `Enabled` or
/// `Disabled` (or it has run); `Error` is a failure.
fn scheduled_workflow(obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
    if status_is_empty(obj) {
        return Ok(no_status());
    }
    let conds = fields::conditions(obj)?;
    if let Some(c) = find(&conds, "Error", "True") {
        return Ok(ObjectStatus::failed(
            reason_or(c, "Error"),
            or(&c.message, "ScheduledWorkflow reports an error"),
        ));
    }
    if let Some(c) = conds.iter().find(|c| {
        c.status == "True"
            && matches!(
                c.type_.as_str(),
                "Enabled" | "Disabled" | "Running" | "Succeeded"
            )
    }) {
        return Ok(ObjectStatus::current(or(
            &c.message,
            &format!("ScheduledWorkflow is {}", c.type_),
        )));
    }
    Ok(ObjectStatus::in_progress(
        "NotScheduled",
        "Waiting for the ScheduledWorkflow to be enabled",
    ))
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::json;

    use crate::{ComputeOptions, RuleSet, Status, Strategy};

    fn read(obj: serde_json::Value) -> crate::ObjectStatus {
        Strategy::Wait.read(
            &obj,
            &RuleSet::rudder(),
            &ComputeOptions::rudder(SystemTime::UNIX_EPOCH),
        )
    }

    fn katib(kind: &str, conditions: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion": "kubeflow.org/v1beta1", "kind": kind,
               "metadata": {"name": "x", "generation": 1},
               "status": {"conditions": conditions}})
    }

    #[test]
    fn trials() {
        let t = read(
            json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "Trial",
                            "metadata": {"name": "x"}}),
        );
        assert_eq!(
            (t.status, t.reason.as_deref()),
            (Status::InProgress, Some("NoStatus"))
        );
        let t = read(katib(
            "Trial",
            json!([
            {"type": "Created", "status": "True"},
            {"type": "Running", "status": "False"},
            {"type": "MetricsUnavailable", "status": "True", "reason": "TrialMetricsUnavailable",
             "message": "Metrics are not available"}]),
        ));
        assert_eq!(t.status, Status::Failed);
        assert_eq!(t.message, "Metrics are not available");
        let t = read(katib(
            "Trial",
            json!([{"type": "EarlyStopped", "status": "True"}]),
        ));
        assert_eq!(
            (t.status, t.message.as_str()),
            (Status::Current, "Trial is EarlyStopped")
        );
        let t = read(katib(
            "Trial",
            json!([{"type": "Running", "status": "True", "message": "Trial is running"}]),
        ));
        assert_eq!(t.status, Status::InProgress);
    }

    #[test]
    fn suggestions() {
        let s = read(katib(
            "Suggestion",
            json!([
            {"type": "Created", "status": "True"},
            {"type": "DeploymentReady", "status": "False"},
            {"type": "Running", "status": "True"}]),
        ));
        assert_eq!(s.status, Status::InProgress);
        let s = read(katib(
            "Suggestion",
            json!([
            {"type": "DeploymentReady", "status": "True", "message": "Deployment is ready"},
            {"type": "Running", "status": "True"}]),
        ));
        assert_eq!(
            (s.status, s.message.as_str()),
            (Status::Current, "Deployment is ready")
        );
        let s = read(katib(
            "Suggestion",
            json!([
            {"type": "Failed", "status": "True", "reason": "DeploymentFailed", "message": "no image"}]),
        ));
        assert_eq!(
            (s.status, s.reason.as_deref()),
            (Status::Failed, Some("DeploymentFailed"))
        );
    }
}
