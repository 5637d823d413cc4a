//! kstatus `Compute`: the generic steps, the per-kind rule, the `Ready` condition, the fallback.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::fields::{self, IntLookup};
use crate::rules::{GroupKind, RuleContext, RuleSet};
use crate::{Error, ObjectStatus};

/// Rudder's default grace period for a new custom resource without status (see
/// [`NewResourcePolicy::WaitForStatus`]).
pub const DEFAULT_STATUS_GRACE: Duration = Duration::from_secs(10);

/// How a non-integer `metadata.generation` or `status.observedGeneration` is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationPolicy {
    /// kstatus: reading it with `NestedInt64` fails, so the status is an error (`Unknown`
    /// forever: helm #32615, Argo Rollouts write a string).
    Strict,
    /// Rudder: integers, integral floats (`3.0`) and numeric strings (`"3"`) are read as
    /// integers; any other value is treated as absent, which skips the generation check
    /// exactly as kstatus skips it when the field is missing.
    Lenient,
}

/// How an object of a non-built-in group (a custom resource) without `status` is treated
/// when no per-kind rule and no `Ready` condition decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewResourcePolicy {
    /// kstatus: the fallback says `Current` (cli-utils #632, helm #32066).
    Current,
    /// Rudder: `InProgress` ("Waiting for the controller to write status") until the grace
    /// period has passed since `metadata.creationTimestamp`, then the kstatus fallback.
    /// A status of `{}` counts as no status. Built-in kinds are not affected.
    WaitForStatus {
        /// How long after creation a status-less custom resource is still assumed to be
        /// waiting for its controller.
        grace: Duration,
    },
}

/// How a suspended `batch/Job` is treated by the kstatus Job rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspendedJobPolicy {
    /// Helm 4 (fluxcd/cli-utils fork): the `Suspended` condition is ignored, so a suspended
    /// Job that never started is `InProgress` "Job not started".
    Ignore,
    /// Upstream cli-utils: `Suspended=True` (in condition order, with `spec.suspend: true`)
    /// is `Current` "Job is suspended".
    Current,
}

/// Options of one status computation. There is deliberately no `Default`: the caller chooses
/// between kstatus's exact behaviour ([`ComputeOptions::kstatus`]) and Rudder's fixes
/// ([`ComputeOptions::rudder`]) and always supplies the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeOptions {
    /// The current time; rules never read the clock themselves.
    pub now: SystemTime,
    /// Non-integer generation handling.
    pub generation: GenerationPolicy,
    /// Status-less custom resource handling.
    pub new_resource: NewResourcePolicy,
    /// Suspended Job handling.
    pub suspended_job: SuspendedJobPolicy,
}

impl ComputeOptions {
    /// Exactly what Helm 4.1 computes (fluxcd/cli-utils kstatus).
    pub fn kstatus(now: SystemTime) -> Self {
        Self {
            now,
            generation: GenerationPolicy::Strict,
            new_resource: NewResourcePolicy::Current,
            suspended_job: SuspendedJobPolicy::Ignore,
        }
    }

    /// Rudder's defaults: lenient generations, a [`DEFAULT_STATUS_GRACE`] wait for the status
    /// of new custom resources, suspended Jobs `Current`.
    pub fn rudder(now: SystemTime) -> Self {
        Self {
            now,
            generation: GenerationPolicy::Lenient,
            new_resource: NewResourcePolicy::WaitForStatus {
                grace: DEFAULT_STATUS_GRACE,
            },
            suspended_job: SuspendedJobPolicy::Current,
        }
    }
}

/// Computes the status of `obj` in kstatus's order:
///
/// 1. `metadata.deletionTimestamp` set → `Terminating`;
/// 2. `status.observedGeneration` present and ≠ `metadata.generation` → `InProgress`
///    (`LatestGenerationNotObserved`), unless the kind's rule opts out;
/// 3. first `Reconciling=True` → `InProgress`, or `Stalled=True` → `Failed`;
/// 4. the per-kind rule from `rules`, whose result is final;
/// 5. the first `Ready` condition: `True` → `Current`, `False`/`Unknown` → `InProgress`;
/// 6. (Rudder, optional) a custom resource without status → `InProgress` for a grace period;
/// 7. `Current`, "Resource is current".
///
/// # Errors
/// When a field the rules read has the wrong JSON type (see [`Error`]); a reader reports this
/// as [`Status::Unknown`](crate::Status::Unknown).
pub fn compute(
    obj: &Value,
    rules: &RuleSet,
    options: &ComputeOptions,
) -> Result<ObjectStatus, Error> {
    let gk = GroupKind::of(obj);
    let rule = rules.get(&gk);

    let generation = rule
        .is_none_or(|r| r.checks_generation())
        .then_some(options.generation);
    if let Some(status) = deletion_and_generation(obj, generation)? {
        return Ok(status);
    }
    // Decoded only now, as kstatus does: a deleted object with malformed conditions is still
    // Terminating.
    let conds = fields::conditions(obj)?;
    for cond in &conds {
        if cond.is("Reconciling", "True") {
            return Ok(ObjectStatus::in_progress(&cond.reason, &cond.message));
        }
        if cond.is("Stalled", "True") {
            return Ok(ObjectStatus::failed(&cond.reason, &cond.message));
        }
    }
    if let Some(rule) = rule {
        return rule.evaluate(obj, &RuleContext { options });
    }
    if let Some(status) = ready_condition(&conds) {
        return Ok(status);
    }
    if let NewResourcePolicy::WaitForStatus { grace } = options.new_resource
        && !gk.is_built_in()
        && fields::status_is_empty(obj)
        && let Some(left) = fields::remaining(fields::creation_time(obj), grace, options.now)
    {
        return Ok(no_status().with_recheck_after(left));
    }
    Ok(ObjectStatus::current("Resource is current"))
}

/// `InProgress` `NoStatus`: the controller has not written any status yet.
pub(crate) fn no_status() -> ObjectStatus {
    ObjectStatus::in_progress("NoStatus", "Waiting for the controller to write status")
}

/// Steps 1–2 (the first half of kstatus `checkGenericProperties`); `generation` is `None`
/// when the kind's rule opts out of the generation check.
fn deletion_and_generation(
    obj: &Value,
    generation: Option<GenerationPolicy>,
) -> Result<Option<ObjectStatus>, Error> {
    if let Some(ts) = fields::nested_string(obj, &["metadata", "deletionTimestamp"])?
        && !ts.is_empty()
    {
        return Ok(Some(ObjectStatus::terminating()));
    }
    match generation {
        Some(policy) => generation_check(obj, policy),
        None => Ok(None),
    }
}

/// kstatus `checkGeneration`.
fn generation_check(obj: &Value, policy: GenerationPolicy) -> Result<Option<ObjectStatus>, Error> {
    const GEN: [&str; 2] = ["metadata", "generation"];
    const OBSERVED: [&str; 2] = ["status", "observedGeneration"];
    let (generation, observed) = match policy {
        GenerationPolicy::Strict => {
            let IntLookup::Int(generation) = fields::nested_int(obj, &GEN)? else {
                return Ok(None);
            };
            let IntLookup::Int(observed) = fields::nested_int(obj, &OBSERVED)? else {
                return Ok(None);
            };
            (generation, observed)
        }
        GenerationPolicy::Lenient => {
            let Some(Some(generation)) = fields::lenient_int(obj, &GEN)? else {
                return Ok(None);
            };
            let Some(Some(observed)) = fields::lenient_int(obj, &OBSERVED)? else {
                return Ok(None);
            };
            (generation, observed)
        }
    };
    if generation == observed {
        return Ok(None);
    }
    let message = format!(
        "{} generation is {generation}, but latest observed generation is {observed}",
        fields::kind(obj)
    );
    Ok(Some(ObjectStatus::in_progress(
        "LatestGenerationNotObserved",
        message,
    )))
}

/// kstatus `checkReadyCondition` over already decoded conditions.
pub(crate) fn ready_condition(conds: &[fields::Condition]) -> Option<ObjectStatus> {
    for cond in conds.iter().filter(|c| c.type_ == "Ready") {
        match cond.status.as_str() {
            "True" => return Some(ObjectStatus::current("Resource is Ready")),
            "False" | "Unknown" => {
                return Some(ObjectStatus::in_progress(&cond.reason, &cond.message));
            }
            _ => {}
        }
    }
    None
}

/// kstatus `checkGenerationSet` (the strict presence check the DaemonSet rule applies).
pub(crate) fn generation_set(
    obj: &Value,
    policy: GenerationPolicy,
) -> Result<Option<ObjectStatus>, Error> {
    let kind = fields::kind(obj);
    let present = |path: &[&str]| -> Result<bool, Error> {
        match policy {
            GenerationPolicy::Strict => Ok(fields::nested_int(obj, path)? != IntLookup::Missing),
            GenerationPolicy::Lenient => Ok(fields::lenient_int(obj, path)?.is_some()),
        }
    };
    if !present(&["metadata", "generation"])? {
        return Ok(Some(ObjectStatus::in_progress(
            "NoGeneration",
            format!("{kind} metadata.generation not found"),
        )));
    }
    if !present(&["status", "observedGeneration"])? {
        return Ok(Some(ObjectStatus::in_progress(
            "NoObservedGeneration",
            format!("{kind} status.observedGeneration not found"),
        )));
    }
    Ok(None)
}
