//! `upgrade`: move a release to a new revision rendered from a chart (Helm 4 semantics).
//!
//! Steps: refuse while the newest record is `pending-*` (Helm's "another operation … is in
//! progress") → pick the user values (`--reuse-values`, `--reset-values`,
//! `--reset-then-reuse-values`, or Helm's default of reusing the old values when none are
//! given) → render with a cluster-backed `lookup` → record `pending-upgrade` →
//! `pre-upgrade` hooks → server-side apply → delete objects that left the chart (present in
//! the deployed manifest, absent now; `helm.sh/resource-policy: keep` is honoured) → wait →
//! `post-upgrade` hooks → the previously deployed revisions become `superseded`, the new one
//! `deployed`. A handled error marks the new record `failed`; with `rollback_on_failure`
//! (Helm's `--atomic`) the revision deployed before the upgrade is then rolled back to.
//!
//! [`deploy_revision`] is the apply → prune → wait → hooks core that `rollback` shares.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rudder_kube::wait::WaitObserver;
use rudder_kube::{ApplyOptions, DeleteOptions, DeleteOutcome, Kube, ObjectRef};
use rudder_release::{HookEvent, Info, Release, Status, Time};
use rudder_render::{Capabilities, EmptyLookup, Lookup, ReleaseInfo};
use rudder_values::Map;

use crate::ActionError;
use crate::install::{
    DEFAULT_TIMEOUT, DryRun, InstallOptions, RenderContext, manifest_objects, one_line,
    render_with_lookup,
};
use crate::kube_lookup::KubeLookup;
use crate::release_ops::{
    FIELD_MANAGER, HookRun, NewRecord, Owner, PhaseRun, RESOURCE_POLICY_ANNOTATION, Readiness,
    ReleaseClient, WaitMode, apply_options, apply_owned_with, apply_phases, default_namespace,
    final_timeout, new_record, parse_objects, run_hooks, wait_ready,
};
use crate::rollback::RollbackOptions;
use crate::values::ValueSources;

/// How the previous revision's values combine with the new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValuesPolicy {
    /// Helm's default: the new values alone, except that when none are given the previous
    /// revision's values are reused.
    #[default]
    Default,
    /// `--reuse-values`: the new values merged over the previous revision's values.
    ///
    /// Difference from Helm: the new chart's defaults are rendered underneath; Helm
    /// renders under the *previous* chart's coalesced values instead.
    Reuse,
    /// `--reset-values`: the new values alone (chart defaults underneath).
    Reset,
    /// `--reset-then-reuse-values`: the chart's new defaults, the previous revision's values
    /// over them, the new values on top.
    ResetThenReuse,
}

impl ValuesPolicy {
    /// The policy of Helm's three flags (`--reset-values` wins, then
    /// `--reset-then-reuse-values`, then `--reuse-values`).
    pub fn from_flags(reuse: bool, reset: bool, reset_then_reuse: bool) -> Self {
        if reset {
            Self::Reset
        } else if reset_then_reuse {
            Self::ResetThenReuse
        } else if reuse {
            Self::Reuse
        } else {
            Self::Default
        }
    }

    /// The user values of the new revision from the new ones and the previous revision's.
    pub fn combine(self, new: Map, previous: &Map) -> Map {
        match self {
            Self::Reset => new,
            Self::Default if new.is_empty() => previous.clone(),
            Self::Default => new,
            Self::Reuse | Self::ResetThenReuse => {
                let mut merged = previous.clone();
                rudder_values::coalesce::merge_maps(&mut merged, new);
                merged
            }
        }
    }
}

/// Options of [`upgrade`].
#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// Release name.
    pub release_name: String,
    /// Chart directory or archive.
    pub chart: PathBuf,
    /// User values.
    pub values: ValueSources,
    /// How previous values are combined with `values`.
    pub values_policy: ValuesPolicy,
    /// Install when the release does not exist (`--install`).
    pub install: bool,
    /// What to wait for.
    pub wait: WaitMode,
    /// Timeout of each wait.
    pub timeout: Duration,
    /// Dry-run mode.
    pub dry_run: DryRun,
    /// Custom description of the revision.
    pub description: Option<String>,
    /// Take over fields owned by other field managers.
    pub force_conflicts: bool,
    /// On failure, roll back to the revision deployed before the upgrade (Helm's `--atomic`).
    pub rollback_on_failure: bool,
    /// Do not run hooks.
    pub no_hooks: bool,
    /// With `install`, when installing: do not install CRDs from `crds/` (an upgrade never
    /// applies `crds/`, as in Helm).
    pub skip_crds: bool,
    /// Do not validate values against `values.schema.json`.
    pub skip_schema_validation: bool,
    /// Version and registry settings for an `oci://` chart reference.
    pub oci: Option<crate::oci::OciSource>,
    /// Jobs count as ready only once complete (`--wait-for-jobs`).
    pub wait_for_jobs: bool,
    /// Adopt existing objects whatever their ownership markers say (`--take-ownership`).
    pub take_ownership: bool,
    /// Release labels merged over the previous revision's (`--labels`; the value `null`
    /// removes a label, as Helm).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Mark a `pending-*` newest record `failed` even without an expired rudder lease showing
    /// that its operation died (`--force-pending`; see [`crate::lease`]).
    pub force_pending: bool,
}

impl UpgradeOptions {
    /// Options with Rudder's defaults for `release_name` and `chart`.
    pub fn new(release_name: impl Into<String>, chart: impl Into<PathBuf>) -> Self {
        Self {
            release_name: release_name.into(),
            chart: chart.into(),
            values: ValueSources::default(),
            values_policy: ValuesPolicy::Default,
            install: false,
            wait: WaitMode::Watcher,
            timeout: DEFAULT_TIMEOUT,
            dry_run: DryRun::None,
            description: None,
            force_conflicts: false,
            rollback_on_failure: false,
            no_hooks: false,
            skip_crds: false,
            skip_schema_validation: false,
            oci: None,
            wait_for_jobs: false,
            take_ownership: false,
            labels: std::collections::BTreeMap::new(),
            force_pending: false,
        }
    }
}

/// Errors specific to `upgrade` and `rollback`.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// `upgrade` without `--install` of a release that has no revision.
    #[error("\"{name}\" has no deployed releases")]
    NoDeployedRelease {
        /// Release name.
        name: String,
    },
    /// `rollback` to a revision that does not exist.
    #[error("release {name:?} has no revision {revision}")]
    NoSuchRevision {
        /// Release name.
        name: String,
        /// The revision asked for.
        revision: i64,
    },
    /// The upgrade failed and `--rollback-on-failure` could not roll back either.
    #[error("an error occurred while rolling back the release ({upgrade_error})")]
    RollbackFailed {
        /// The upgrade's error, on one line.
        upgrade_error: String,
        /// Why the rollback failed.
        #[source]
        source: Box<ActionError>,
    },
    /// The upgrade failed; `--rollback-on-failure` restored the previous revision.
    #[error("release {name} failed, and has been rolled back due to rollback-on-failure being set")]
    RolledBack {
        /// Release name.
        name: String,
        /// Why the upgrade failed.
        #[source]
        source: Box<ActionError>,
    },
}

/// Upgrades a release as the [module docs](self) describe and returns the new record, or with
/// `install` set and no release yet, installs it.
///
/// # Errors
/// Load, values, render, storage and Kubernetes errors; [`rudder_release::StorageError`]
/// `OperationInProgress` while another operation holds the release;
/// [`ActionError::ReleaseFailed`] once the record was marked `failed`;
/// [`LifecycleError::RolledBack`] when `rollback_on_failure` restored the previous revision.
pub async fn upgrade(
    client: &ReleaseClient,
    opts: &UpgradeOptions,
    observer: &dyn WaitObserver,
) -> Result<Release, ActionError> {
    crate::install::validate_release_name(&opts.release_name)?;
    let name = opts.release_name.clone();
    let history = client.storage.history(&name).await?;
    let missing = history
        .last()
        .is_none_or(|r| r.status() == Status::Uninstalled);
    if missing {
        if opts.install {
            return crate::install::install(client, &install_options(opts), observer).await;
        }
        return Err(LifecycleError::NoDeployedRelease { name }.into());
    }
    if opts.dry_run != DryRun::None {
        return upgrade_held(client, opts, observer, history).await;
    }
    let lease = crate::lease::acquire(client, &name, "upgrade").await?;
    let outcome = async {
        let history = lease
            .settle_pending(client, &name, opts.force_pending)
            .await?;
        upgrade_held(client, opts, observer, history).await
    }
    .await;
    lease.release().await;
    outcome
}

/// The part of [`upgrade`] that runs under the release lease (or for a dry run).
async fn upgrade_held(
    client: &ReleaseClient,
    opts: &UpgradeOptions,
    observer: &dyn WaitObserver,
    history: Vec<Release>,
) -> Result<Release, ActionError> {
    let name = opts.release_name.clone();
    let last = client
        .storage
        .ensure_idle(&name)
        .await?
        .ok_or_else(|| ActionError::ReleaseNotFound { name: name.clone() })?;
    // Helm: the deployed revision, or the newest one when none is deployed (a failed
    // install or upgrade).
    let current = history
        .iter()
        .rev()
        .find(|r| r.status() == Status::Deployed)
        .cloned();
    let base = current.clone().unwrap_or_else(|| last.clone());
    let namespace = client.release_namespace().to_owned();
    let revision = last.version + 1;

    let chart = crate::plugin::load_chart(&opts.chart, None, opts.oci.as_ref())?;
    let user = opts.values_policy.combine(
        opts.values
            .load(rudder_chart::values_tree::value_model(&chart))?,
        &crate::values::stored_config(&base.config, rudder_chart::values_tree::value_model(&chart)),
    );
    let lookup: Arc<dyn Lookup> = match opts.dry_run {
        DryRun::Client => Arc::new(EmptyLookup),
        DryRun::None | DryRun::Server => Arc::new(KubeLookup::new(
            client.kube.clone(),
            tokio::runtime::Handle::current(),
        )),
    };
    let mut capabilities = Capabilities::default();
    if opts.dry_run != DryRun::Client
        && let Ok(info) = client.kube.client().apiserver_version().await
    {
        capabilities.kube_version = info.git_version;
    }
    let ctx = RenderContext {
        release: ReleaseInfo {
            name: name.clone(),
            namespace: namespace.clone(),
            revision: u64::try_from(revision).unwrap_or(1),
            is_install: false,
            is_upgrade: true,
            ..ReleaseInfo::default()
        },
        capabilities,
        lookup,
        skip_schema_validation: opts.skip_schema_validation,
    };
    let chart_for_render = chart.clone();
    let (rendered, user) = tokio::task::spawn_blocking(move || {
        render_with_lookup(&chart_for_render, user.clone(), ctx).map(|r| (r, user))
    })
    .await
    .map_err(|e| ActionError::Task(e.to_string()))??;

    let mut release = new_record(NewRecord {
        name: &name,
        namespace: &namespace,
        revision,
        chart: &chart,
        config: user,
        rendered: &rendered,
        now: Time::now(),
        first_deployed: base.info.as_ref().map(|i| i.first_deployed),
        status: Status::PendingUpgrade,
        description: "Preparing upgrade",
        hooks: !opts.no_hooks,
    });
    let mut labels = base.labels.clone();
    for (k, v) in &opts.labels {
        if v == "null" {
            labels.remove(k);
        } else {
            labels.insert(k.clone(), v.clone());
        }
    }
    rudder_release::validate_user_labels(&labels)
        .map_err(crate::ops_error::ReleaseOpError::from)?;
    release.labels = labels;
    match opts.dry_run {
        DryRun::Client => {
            release.set_status(Status::PendingUpgrade, "Dry run complete");
            return Ok(release);
        }
        DryRun::Server => {
            let objects = manifest_objects(&rendered)?;
            let options = ApplyOptions {
                force_conflicts: opts.force_conflicts,
                ..apply_options(true)
            };
            apply_owned_with(&client.kube, objects, &name, &namespace, &options).await?;
            release.set_status(Status::PendingUpgrade, "Dry run complete");
            return Ok(release);
        }
        DryRun::None => {}
    }

    let v3 = crate::install::is_v3(&rendered, &release.chart);
    if v3 && !opts.skip_crds {
        // CRD-3: `upgrade`-policy CRDs, checked against their stored versions first.
        crate::crd_policy::upgrade_crds(
            &client.kube,
            &rendered.crds,
            &rendered.v3,
            opts.force_conflicts,
            opts.timeout,
        )
        .await?;
    }
    if let Some(info) = release.info.as_mut() {
        info.last_deployed = Time::now();
    }
    client.storage.create(&release).await?;
    let steps = DeploySteps {
        pre: HookEvent::PreUpgrade,
        post: HookEvent::PostUpgrade,
        readiness: Readiness {
            rules: if v3 {
                crate::resource_groups::readiness_rules(&rendered.v3.readiness)?
            } else {
                rudder_kstatus::RuleSet::rudder()
            },
            wait: opts.wait,
            wait_for_jobs: opts.wait_for_jobs,
            timeout: opts.timeout,
        },
        subcharts: v3.then(|| rendered.v3.subchart_depends_on.clone()),
        force_conflicts: opts.force_conflicts,
        take_ownership: opts.take_ownership,
        no_hooks: opts.no_hooks,
    };
    // As Helm: `crds/` is applied on install only, never on upgrade.
    let outcome =
        deploy_revision(client, &mut release, Some(&base.manifest), &steps, observer).await;
    let description = opts
        .description
        .clone()
        .unwrap_or_else(|| "Upgrade complete".to_owned());
    match outcome {
        Ok(()) => {
            finish_deployed(client, &mut release, description).await?;
            Ok(release)
        }
        Err(cause) => {
            mark_failed(
                client,
                &mut release,
                format!("Upgrade \"{name}\" failed: {}", one_line(&cause)),
            )
            .await;
            let Some(previous) = current.filter(|_| opts.rollback_on_failure) else {
                return Err(ActionError::ReleaseFailed {
                    name,
                    source: Box::new(cause),
                });
            };
            let mut back = RollbackOptions::new(name.clone());
            back.revision = Some(previous.version);
            back.wait = opts.wait;
            back.timeout = opts.timeout;
            back.force_conflicts = opts.force_conflicts;
            back.no_hooks = opts.no_hooks;
            match crate::rollback::rollback_held(client, &back, observer).await {
                Ok(_) => Err(LifecycleError::RolledBack {
                    name,
                    source: Box::new(cause),
                }
                .into()),
                Err(e) => Err(LifecycleError::RollbackFailed {
                    upgrade_error: one_line(&cause),
                    source: Box::new(e),
                }
                .into()),
            }
        }
    }
}

fn install_options(opts: &UpgradeOptions) -> InstallOptions {
    let mut o = InstallOptions::new(opts.release_name.clone(), opts.chart.clone());
    o.values = opts.values.clone();
    o.wait = opts.wait;
    o.timeout = opts.timeout;
    o.dry_run = opts.dry_run;
    o.description.clone_from(&opts.description);
    o.skip_crds = opts.skip_crds;
    o.no_hooks = opts.no_hooks;
    o.skip_schema_validation = opts.skip_schema_validation;
    o.oci.clone_from(&opts.oci);
    o.wait_for_jobs = opts.wait_for_jobs;
    o.take_ownership = opts.take_ownership;
    o.labels.clone_from(&opts.labels);
    o.force_pending = opts.force_pending;
    o
}

/// The events and limits of one [`deploy_revision`].
pub(crate) struct DeploySteps {
    pub(crate) pre: HookEvent,
    pub(crate) post: HookEvent,
    /// Rules, `--wait`, `--wait-for-jobs`, `--timeout`.
    pub(crate) readiness: Readiness,
    /// v3 charts: the subcharts each chart waits for (resource groups come from the
    /// objects' annotations). `None`: one phase, as Helm.
    pub(crate) subcharts: Option<std::collections::BTreeMap<String, Vec<String>>>,
    pub(crate) force_conflicts: bool,
    pub(crate) take_ownership: bool,
    pub(crate) no_hooks: bool,
}

/// Pre hooks → apply `release.manifest` → delete the objects of `previous_manifest` that are
/// not in it (unless kept by policy) → wait → post hooks.
pub(crate) async fn deploy_revision(
    client: &ReleaseClient,
    release: &mut Release,
    previous_manifest: Option<&str>,
    steps: &DeploySteps,
    observer: &dyn WaitObserver,
) -> Result<(), ActionError> {
    let kube = &client.kube;
    let readiness = &steps.readiness;
    let hooks = |event| HookRun {
        event,
        timeout: readiness.timeout,
        observer,
        rules: &readiness.rules,
    };
    if !steps.no_hooks {
        run_hooks(kube, release, hooks(steps.pre.clone())).await?;
    }
    let sourced = crate::resource_groups::sourced_objects(&release.manifest)?;
    let phases = match &steps.subcharts {
        Some(subcharts) => crate::resource_groups::plan(&sourced, subcharts)?,
        None => crate::resource_groups::plan_for(&sourced, None)?,
    };
    let objects = sourced.into_iter().map(|s| s.object).collect();
    let options = ApplyOptions {
        force_conflicts: steps.force_conflicts,
        field_manager: FIELD_MANAGER.to_owned(),
        ..apply_options(false)
    };
    let owner = Owner {
        release: &release.name,
        namespace: &release.namespace,
        take_ownership: steps.take_ownership,
    };
    let deadline = tokio::time::Instant::now() + readiness.timeout;
    let refs = apply_phases(
        kube,
        objects,
        &phases,
        &owner,
        &options,
        &PhaseRun {
            readiness,
            deadline,
            observer,
        },
    )
    .await?;
    if let Some(previous) = previous_manifest {
        delete_stale(kube, previous, &refs, &release.namespace).await?;
    }
    if readiness.wait.waits_for_resources() {
        wait_ready(
            kube,
            &refs,
            final_timeout(&phases, deadline, readiness.timeout),
            readiness,
            observer,
        )
        .await?;
    }
    if !steps.no_hooks {
        run_hooks(kube, release, hooks(steps.post.clone())).await?;
    }
    Ok(())
}

/// The identity of an object across API versions: (group, kind, namespace, name).
fn identity(id: &ObjectRef) -> (String, String, Option<String>, String) {
    let group = id
        .api_version
        .rsplit_once('/')
        .map_or(String::new(), |(g, _)| g.to_owned());
    (
        group,
        id.kind.clone(),
        id.namespace.clone(),
        id.name.clone(),
    )
}

/// Deletes the objects of `previous` that are not among `kept_refs`, skipping those annotated
/// `helm.sh/resource-policy: keep`, in reverse install order. Returns the deleted references.
async fn delete_stale(
    kube: &Kube,
    previous: &str,
    current: &[ObjectRef],
    namespace: &str,
) -> Result<Vec<ObjectRef>, ActionError> {
    let mut wanted = HashSet::new();
    for id in current {
        let id = match kube.normalize(id).await {
            Ok((id, _)) => id,
            Err(_) => id.clone(),
        };
        wanted.insert(identity(&id));
    }
    let mut deleted = Vec::new();
    for mut obj in parse_objects("previous release manifest", previous)?
        .into_iter()
        .rev()
    {
        default_namespace(&mut obj, namespace);
        let keep = obj
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(RESOURCE_POLICY_ANNOTATION))
            .is_some_and(|p| p == "keep");
        let id = ObjectRef::of(&obj)?;
        let id = match kube.normalize(&id).await {
            Ok((id, _)) => id,
            // A kind no longer served: nothing left to delete.
            Err(rudder_kube::Error::UnknownKind { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        if keep || wanted.contains(&identity(&id)) {
            continue;
        }
        if kube.delete(&id, &DeleteOptions::default()).await? == DeleteOutcome::NotFound {
            tracing::debug!(object = %id, "already gone");
        }
        tracing::debug!(object = %id, "deleted: no longer in the release");
        deleted.push(id);
    }
    Ok(deleted)
}

/// Marks every other `deployed` revision `superseded` and `release` `deployed`.
pub(crate) async fn finish_deployed(
    client: &ReleaseClient,
    release: &mut Release,
    description: String,
) -> Result<(), ActionError> {
    for mut old in client.storage.deployed_all(&release.name).await? {
        if old.version != release.version {
            // Helm keeps the superseded revision's description.
            old.info.get_or_insert_with(Info::default).status = Some(Status::Superseded);
            client.storage.update(&old).await?;
        }
    }
    release.set_status(Status::Deployed, description);
    if let Some(info) = release.info.as_mut() {
        info.last_deployed = Time::now();
    }
    client.storage.update(release).await?;
    Ok(())
}

/// Rewrites `release` as `failed` (logging, not returning, a storage error: the operation's
/// own error is the one to report).
pub(crate) async fn mark_failed(
    client: &ReleaseClient,
    release: &mut Release,
    description: String,
) {
    release.set_status(Status::Failed, description);
    if let Err(e) = client.storage.update(release).await {
        tracing::error!(release = %release.name, error = %e, "could not mark the release failed");
    }
}

#[cfg(test)]
mod tests {
    use super::ValuesPolicy;
    use serde_json::json;

    fn map(v: serde_json::Value) -> rudder_values::Map {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn values_policies_follow_helm() {
        let previous = map(json!({"a": 1, "nested": {"x": 1, "y": 2}}));
        let new = map(json!({"nested": {"y": 3}}));
        assert_eq!(
            ValuesPolicy::Default.combine(new.clone(), &previous),
            new,
            "new values replace the old ones"
        );
        assert_eq!(
            ValuesPolicy::Default.combine(Default::default(), &previous),
            previous,
            "no new values: the old ones are reused"
        );
        assert!(
            ValuesPolicy::Reset
                .combine(Default::default(), &previous)
                .is_empty()
        );
        let merged = map(json!({"a": 1, "nested": {"x": 1, "y": 3}}));
        assert_eq!(ValuesPolicy::Reuse.combine(new.clone(), &previous), merged);
        assert_eq!(ValuesPolicy::ResetThenReuse.combine(new, &previous), merged);
        assert_eq!(
            ValuesPolicy::from_flags(true, true, true),
            ValuesPolicy::Reset
        );
        assert_eq!(
            ValuesPolicy::from_flags(true, false, true),
            ValuesPolicy::ResetThenReuse
        );
    }
}
