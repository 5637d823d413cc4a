//! Per-kind rules: the [`Rule`] trait and the [`RuleSet`] registry keyed by [`GroupKind`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::{ComputeOptions, Error, ObjectStatus};

/// An API group and kind; the version is ignored, as kstatus does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKind {
    /// API group, `""` for the core group.
    pub group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
}

impl GroupKind {
    /// Builds a group/kind.
    pub fn new(group: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            kind: kind.into(),
        }
    }

    /// The group/kind of an object, from its `apiVersion` (`apps/v1` → `apps`, `v1` → core)
    /// and `kind`. Missing fields read as empty strings.
    pub fn of(obj: &Value) -> Self {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        Self::new(group, kind)
    }

    /// True for the groups served by kube-apiserver itself (objects of these groups are not
    /// custom resources).
    pub fn is_built_in(&self) -> bool {
        BUILT_IN_GROUPS.contains(&self.group.as_str())
    }
}

impl fmt::Display for GroupKind {
    /// kstatus's key: `group/Kind`, or bare `Kind` for the core group.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}/{}", self.group, self.kind)
        }
    }
}

/// API groups kube-apiserver serves natively (Kubernetes 1.34), plus the aggregator's group.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// What a rule sees besides the object.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// The options of this computation (including `now`).
    pub options: &'a ComputeOptions,
}

/// A per-kind readiness rule: kstatus step 4 ("type-specific rules").
///
/// The generic steps before it (deletion, generation, `Reconciling`/`Stalled`) have already
/// run when `evaluate` is called, and its result is final: the `Ready` condition and the
/// fallback are not consulted.
pub trait Rule: Send + Sync {
    /// Computes the status of `obj`.
    ///
    /// # Errors
    /// When the object is malformed for this kind; readers report that as `Unknown`.
    fn evaluate(&self, obj: &Value, ctx: &RuleContext<'_>) -> Result<ObjectStatus, Error>;

    /// Whether the generic `metadata.generation` / `status.observedGeneration` check applies
    /// to this kind. Return `false` for controllers that write a wrong observedGeneration.
    fn checks_generation(&self) -> bool {
        true
    }
}

impl<F> Rule for F
where
    F: Fn(&Value, &RuleContext<'_>) -> Result<ObjectStatus, Error> + Send + Sync,
{
    fn evaluate(&self, obj: &Value, ctx: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
        self(obj, ctx)
    }
}

/// Where a registered rule came from; strategies treat them differently (Helm puts custom
/// status readers in front of its own, even when waiting for hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOrigin {
    /// Shipped with this crate (kstatus's core rules, the Kubeflow rules).
    BuiltIn,
    /// Registered by the user: a chart's readiness override or an embedding program.
    Custom,
}

#[derive(Clone)]
struct Entry {
    rule: Arc<dyn Rule>,
    origin: RuleOrigin,
}

/// A map from [`GroupKind`] to the [`Rule`] that computes its status.
#[derive(Clone, Default)]
pub struct RuleSet {
    rules: BTreeMap<GroupKind, Entry>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.rules.keys().map(ToString::to_string))
            .finish()
    }
}

impl RuleSet {
    /// A set with no rules at all: every object gets only the generic kstatus steps.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Exactly kstatus's `legacyTypes` (the rules Helm 4 uses).
    pub fn kstatus() -> Self {
        let mut set = Self::empty();
        crate::core::register(&mut set);
        set
    }

    /// kstatus's rules plus the Kubeflow kinds (see [`crate::kubeflow`]); Rudder's default.
    pub fn rudder() -> Self {
        let mut set = Self::kstatus();
        crate::kubeflow::register(&mut set);
        set
    }

    /// Registers a custom rule for `gk`, replacing any rule registered before; returns whether
    /// one was replaced.
    pub fn register(&mut self, gk: GroupKind, rule: impl Rule + 'static) -> bool {
        self.insert(gk, Arc::new(rule), RuleOrigin::Custom)
    }

    pub(crate) fn register_built_in(&mut self, gk: GroupKind, rule: impl Rule + 'static) {
        self.insert(gk, Arc::new(rule), RuleOrigin::BuiltIn);
    }

    fn insert(&mut self, gk: GroupKind, rule: Arc<dyn Rule>, origin: RuleOrigin) -> bool {
        self.rules.insert(gk, Entry { rule, origin }).is_some()
    }

    /// Removes the rule for `gk`; returns whether there was one.
    pub fn remove(&mut self, gk: &GroupKind) -> bool {
        self.rules.remove(gk).is_some()
    }

    /// The rule for `gk`, if any.
    pub fn get(&self, gk: &GroupKind) -> Option<&dyn Rule> {
        self.rules.get(gk).map(|e| e.rule.as_ref())
    }

    /// Where the rule for `gk` came from, if there is one.
    pub fn origin(&self, gk: &GroupKind) -> Option<RuleOrigin> {
        self.rules.get(gk).map(|e| e.origin)
    }

    /// The group/kinds that have a rule, sorted.
    pub fn group_kinds(&self) -> impl Iterator<Item = &GroupKind> {
        self.rules.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_kind_ignores_version() {
        let gk = GroupKind::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment"}));
        assert_eq!(gk.to_string(), "apps/Deployment");
        assert_eq!(
            GroupKind::of(&json!({"apiVersion": "v1", "kind": "Pod"})).to_string(),
            "Pod"
        );
        assert!(GroupKind::new("batch", "Job").is_built_in());
        assert!(!GroupKind::new("gateway.networking.k8s.io", "Gateway").is_built_in());
        assert!(!GroupKind::new("jobset.x-k8s.io", "JobSet").is_built_in());
    }

    #[test]
    fn register_replaces_and_reports_origin() {
        let mut set = RuleSet::kstatus();
        let gk = GroupKind::new("apps", "Deployment");
        assert_eq!(set.origin(&gk), Some(RuleOrigin::BuiltIn));
        let replaced = set.register(gk.clone(), |_: &Value, _: &RuleContext<'_>| {
            Ok(ObjectStatus::current("mine"))
        });
        assert!(replaced);
        assert_eq!(set.origin(&gk), Some(RuleOrigin::Custom));
        assert!(set.remove(&gk));
        assert!(set.get(&gk).is_none());
    }
}
