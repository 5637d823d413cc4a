//! Readiness of Kubernetes objects: kstatus's rules as pure functions over JSON objects.
//!
//! This crate owns the answer to "is this object ready?" for Rudder's `--wait`: a port of
//! kstatus `Compute` (the generic steps and the per-kind rules of cli-utils, with their exact
//! messages and reasons), Helm 4's three reader stacks as [`Strategy`], the aggregation rules
//! of kstatus and Helm ([`aggregate`], [`aggregate_for_wait`]), the pod-controller escalation
//! ([`escalate_failed_pods`]), a pluggable [`RuleSet`] keyed by group/kind with rules for the
//! Kubeflow kinds ([`kubeflow`]), and declarative per-kind overrides
//! ([`ReadinessOverride`]).
//!
//! It must not do I/O, read the clock or the environment, or depend on a Kubernetes client:
//! objects come in as [`serde_json::Value`], `now` comes in through [`ComputeOptions`], and
//! results that depend on time say when to look again ([`ObjectStatus::recheck_after`]).
//! Watching, listing Pods of a controller and timeouts belong to the caller.
//!
//! # Example
//! ```
//! use std::time::SystemTime;
//! use rudder_kstatus::{ComputeOptions, RuleSet, Status, Strategy};
//!
//! let deployment = serde_json::json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "generation": 2},
//!     "spec": {"replicas": 3, "progressDeadlineSeconds": 600},
//!     "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
//!                "readyReplicas": 2, "availableReplicas": 2}
//! });
//! let rules = RuleSet::rudder();
//! let options = ComputeOptions::rudder(SystemTime::UNIX_EPOCH);
//! let status = Strategy::Wait.read(&deployment, &rules, &options);
//! assert_eq!(status.status, Status::InProgress);
//! assert_eq!(status.message, "Available: 2/3");
//! ```
//!
//! # Rudder's deliberate differences from kstatus
//! Each is an option; [`ComputeOptions::kstatus`] turns all of them off.
//!
//! - [`NewResourcePolicy::WaitForStatus`]: a custom resource (an object whose API group is
//!   not served by kube-apiserver itself) with no `status` (absent, `null` or `{}`), no
//!   per-kind rule and no `Ready` condition is `InProgress` `NoStatus` "Waiting for the
//!   controller to write status" until [`DEFAULT_STATUS_GRACE`] (10 s) has passed since its
//!   `creationTimestamp`; after that the kstatus fallback (`Current`) applies, so kinds that
//!   never get a status cost at most the grace period. 10 s covers a controller that is
//!   running (they write status within a second or two) without making charts full of
//!   status-less kinds slow; register a rule for a kind to decide it precisely.
//! - [`GenerationPolicy::Lenient`]: a string or float `observedGeneration`/`generation` no
//!   longer makes the status an error (`Unknown` until the timeout, helm #32615): numeric
//!   strings and integral floats are compared as integers, anything else skips the check as
//!   if the field were absent.
//! - [`SuspendedJobPolicy::Current`]: a suspended Job is `Current` as in upstream cli-utils
//!   (Helm's fork waits for it forever).
//! - [`hook`]: a hook Job last seen `Complete=True` that disappears (TTL controller) is done
//!   ([`DeletedHookPolicy::DoneIfCompleted`]) instead of `NotFound` (helm #31786).
//!
//! # Declarative readiness overrides
//! A v3 chart can declare, per group/kind, when its objects are ready. Each entry is a
//! [`ReadinessOverride`]; it replaces the built-in rule for that kind (it runs as kstatus
//! step 4, after the deletion, generation and `Reconciling`/`Stalled` checks):
//!
//! ```yaml
//! readiness:
//!   - group: example.com          # API group; omit or "" for the core group
//!     kind: Widget
//!     ignoreObservedGeneration: false   # skip the observedGeneration check (default false)
//!     failed:                     # any match ⇒ Failed (checked first)
//!       - condition: Degraded     # condition type; status defaults to "True"
//!         reasons: [CrashLoop]    # optional: reason must be one of these
//!       - field: status.phase     # dotted path, `[n]` indexes lists, leading `.` optional
//!         in: [Error, Failed]     # exactly one of: equals / in / exists
//!     current:                    # any match ⇒ Current
//!       - condition: Available
//!         status: "True"
//!       - field: status.phase
//!         equals: Running
//!     messageField: status.message   # message used when a field matcher decides
//!     otherwise: InProgress       # no match: InProgress (default) or Current
//! ```
//!
//! A matched condition's own message (and reason) becomes the status message; a status-less
//! object that matches nothing is `InProgress` `NoStatus`.

mod aggregate;
mod compute;
mod core;
mod declarative;
mod error;
mod fields;
pub mod hook;
pub mod kubeflow;
mod rules;
mod status;
mod strategy;

pub use aggregate::{aggregate, aggregate_for_wait, wait_is_done};
pub use compute::{
    ComputeOptions, DEFAULT_STATUS_GRACE, GenerationPolicy, NewResourcePolicy, SuspendedJobPolicy,
    compute,
};
pub use core::SCHEDULE_WINDOW;
pub use declarative::{Matcher, Otherwise, OverrideRule, ReadinessOverride};
pub use error::Error;
pub use fields::{Condition, conditions, parse_rfc3339, status_is_empty};
pub use hook::{DeletedHookPolicy, HookEvent, HookState};
pub use rules::{GroupKind, Rule, RuleContext, RuleOrigin, RuleSet};
pub use status::{ObjectStatus, Status};
pub use strategy::{PodFailureFilter, PodObservation, Strategy, escalate_failed_pods};
