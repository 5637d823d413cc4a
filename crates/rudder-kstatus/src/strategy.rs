//! Helm 4's status readers as selectable strategies, and the pod-controller escalation its
//! ReplicaSet/StatefulSet readers apply.

use serde_json::Value;

use crate::fields::{self, find, int_field, string_field};
use crate::rules::{GroupKind, RuleOrigin, RuleSet};
use crate::{ComputeOptions, Error, ObjectStatus, Status, compute};

/// Which of Helm 4's reader stacks computes statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `Waiter.Wait`: the upstream rules ([`compute`]); a started Job is `Current`.
    Wait,
    /// `Waiter.WaitWithJobs` (`--wait-for-jobs`): like `Wait`, but a `batch/Job` is `Current`
    /// only once `Complete=True` (Helm's custom Job reader).
    WaitWithJobs,
    /// `Waiter.WatchUntilReady` (hooks): Helm's custom Job and Pod readers; every other kind is
    /// `Current` as soon as it is seen.
    Hooks,
}

impl Strategy {
    /// Computes the status of `obj` under this strategy.
    ///
    /// Rules registered with [`RuleSet::register`] (custom rules) take precedence over the
    /// strategy's own readers, as Helm's custom status readers do. Helm's Job and Pod readers
    /// bypass the generic checks (deletion, generation, `Reconciling`/`Stalled`), as Helm's
    /// generic reader with a custom status function does.
    ///
    /// # Errors
    /// As [`compute`].
    pub fn compute(
        self,
        obj: &Value,
        rules: &RuleSet,
        options: &ComputeOptions,
    ) -> Result<ObjectStatus, Error> {
        let gk = GroupKind::of(obj);
        if rules.origin(&gk) == Some(RuleOrigin::Custom) {
            return compute(obj, rules, options);
        }
        let is_job = gk.group == "batch" && gk.kind == "Job";
        let is_pod = gk.group.is_empty() && gk.kind == "Pod";
        match self {
            Strategy::Wait => compute(obj, rules, options),
            Strategy::WaitWithJobs if is_job => helm_job(obj),
            Strategy::WaitWithJobs => compute(obj, rules, options),
            Strategy::Hooks if is_job => helm_job(obj),
            Strategy::Hooks if is_pod => Ok(helm_pod(obj)),
            Strategy::Hooks => Ok(ObjectStatus::current("Resource is current")),
        }
    }

    /// Like [`compute`](Self::compute), but an error becomes `Unknown` with the error as
    /// message, as kstatus's readers report it.
    pub fn read(self, obj: &Value, rules: &RuleSet, options: &ComputeOptions) -> ObjectStatus {
        self.compute(obj, rules, options)
            .unwrap_or_else(|e| ObjectStatus::unknown(&e))
    }
}

/// Helm's custom Job reader: `Current` only on `Complete=True`.
fn helm_job(obj: &Value) -> Result<ObjectStatus, Error> {
    let parallelism = int_field(obj, &["spec", "parallelism"], 1);
    let completions = int_field(obj, &["spec", "completions"], parallelism);
    let succeeded = int_field(obj, &["status", "succeeded"], 0);
    let failed = int_field(obj, &["status", "failed"], 0);
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
            _ => {}
        }
    }
    Ok(ObjectStatus::in_progress(
        "JobInProgress",
        "Job in progress",
    ))
}

/// Helm's custom Pod reader (hooks): the Pod must run to completion.
fn helm_pod(obj: &Value) -> ObjectStatus {
    let name = fields::name(obj);
    match string_field(obj, &["status", "phase"], "") {
        "Succeeded" => ObjectStatus::current(format!("pod {name} succeeded")),
        "Failed" => ObjectStatus::failed("PodFailed", format!("pod {name} failed")),
        _ => ObjectStatus::in_progress("PodInProgress", "Pod in progress"),
    }
}

/// A Pod owned by a ReplicaSet or StatefulSet, with the status computed for it.
#[derive(Debug, Clone, Copy)]
pub struct PodObservation<'a> {
    /// The Pod's computed status.
    pub status: Status,
    /// The Pod object, if the reader has it.
    pub pod: Option<&'a Value>,
}

/// Whether transient Pod failures escalate a controller's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodFailureFilter {
    /// Upstream cli-utils: every `Failed` Pod counts.
    CountAll,
    /// fluxcd/cli-utils (Helm 4): Pods being deleted, unschedulable Pods and Pods whose object
    /// is unavailable do not count.
    SkipTransient,
}

/// kstatus's `podControllerStatusReader` escalation for ReplicaSets and StatefulSets: if the
/// controller is `InProgress` and at least one of its Pods is `Failed`, the controller is
/// `Failed` with "N pods have failed". Any other status is returned unchanged.
pub fn escalate_failed_pods(
    own: ObjectStatus,
    pods: &[PodObservation<'_>],
    filter: PodFailureFilter,
) -> ObjectStatus {
    if own.status != Status::InProgress {
        return own;
    }
    let failed = pods
        .iter()
        .filter(|p| p.status == Status::Failed)
        .filter(|p| filter == PodFailureFilter::CountAll || !is_transient_pod_failure(p.pod))
        .count();
    if failed == 0 {
        return own;
    }
    ObjectStatus {
        status: Status::Failed,
        message: format!("{failed} pods have failed"),
        reason: None,
        recheck_after: None,
    }
}

fn is_transient_pod_failure(pod: Option<&Value>) -> bool {
    let Some(pod) = pod else { return true };
    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    let unschedulable = GroupKind::of(pod) == GroupKind::new("", "Pod")
        && fields::conditions(pod)
            .map(|c| find(&c, "PodScheduled", "False").is_some_and(|c| c.reason == "Unschedulable"))
            .unwrap_or(false);
    deleting || unschedulable
}
