//! `rollback`: a new revision carrying an older revision's manifest, values, chart and hooks.
//!
//! Steps: refuse while the newest record is `pending-*` → pick the target (the revision given,
//! else the one before the newest) → record `pending-rollback` described `Rollback to N` →
//! `pre-rollback` hooks → server-side apply of the target manifest → delete objects of the
//! newest revision that are not in the target → wait → `post-rollback` hooks → other
//! `deployed` revisions become `superseded`, the new one `deployed` (or `failed`).

use std::time::Duration;

use rudder_kube::wait::WaitObserver;
use rudder_release::{ApplyMethod, HookEvent, HookExecution, Release, Status, Time};

use crate::ActionError;
use crate::install::{DEFAULT_TIMEOUT, one_line};
use crate::release_ops::{Readiness, ReleaseClient, WaitMode};
use crate::upgrade::{DeploySteps, LifecycleError, deploy_revision, finish_deployed, mark_failed};

/// Options of [`rollback`].
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Release name.
    pub release_name: String,
    /// Target revision (`None`: the one before the newest).
    pub revision: Option<i64>,
    /// What to wait for.
    pub wait: WaitMode,
    /// Timeout of each wait.
    pub timeout: Duration,
    /// Only build the record that would be stored; change nothing.
    pub dry_run: bool,
    /// Take over fields owned by other field managers.
    pub force_conflicts: bool,
    /// Do not run hooks.
    pub no_hooks: bool,
    /// Jobs count as ready only once complete (`--wait-for-jobs`).
    pub wait_for_jobs: bool,
    /// Mark a `pending-*` newest record `failed` even without an expired rudder lease showing
    /// that its operation died (`--force-pending`; see [`crate::lease`]).
    pub force_pending: bool,
}

impl RollbackOptions {
    /// Options with Rudder's defaults for `release_name`.
    pub fn new(release_name: impl Into<String>) -> Self {
        Self {
            release_name: release_name.into(),
            revision: None,
            wait: WaitMode::Watcher,
            timeout: DEFAULT_TIMEOUT,
            dry_run: false,
            force_conflicts: false,
            no_hooks: false,
            wait_for_jobs: false,
            force_pending: false,
        }
    }
}

/// Rolls a release back as the [module docs](self) describe and returns the new record.
///
/// # Errors
/// Storage and Kubernetes errors; `OperationInProgress` while another operation holds the
/// release; [`LifecycleError::NoSuchRevision`]; [`ActionError::ReleaseFailed`] once the new
/// record was marked `failed`.
pub async fn rollback(
    client: &ReleaseClient,
    opts: &RollbackOptions,
    observer: &dyn WaitObserver,
) -> Result<Release, ActionError> {
    if opts.dry_run {
        return rollback_held(client, opts, observer).await;
    }
    let name = &opts.release_name;
    let lease = crate::lease::acquire(client, name, "rollback").await?;
    let outcome = async {
        lease
            .settle_pending(client, name, opts.force_pending)
            .await?;
        rollback_held(client, opts, observer).await
    }
    .await;
    lease.release().await;
    outcome
}

/// [`rollback`] for a caller that holds the release lease (or a dry run).
pub(crate) async fn rollback_held(
    client: &ReleaseClient,
    opts: &RollbackOptions,
    observer: &dyn WaitObserver,
) -> Result<Release, ActionError> {
    let name = opts.release_name.clone();
    let current = client
        .storage
        .ensure_idle(&name)
        .await?
        .ok_or_else(|| ActionError::ReleaseNotFound { name: name.clone() })?;
    let target_version = opts.revision.unwrap_or(current.version - 1);
    let no_such = || LifecycleError::NoSuchRevision {
        name: name.clone(),
        revision: target_version,
    };
    if target_version < 1 || target_version > current.version {
        return Err(no_such().into());
    }
    let target = client
        .storage
        .get(&name, target_version)
        .await
        .map_err(|_| no_such())?;

    let now = Time::now();
    let mut release = target.clone();
    release.version = current.version + 1;
    release.apply_method = Some(ApplyMethod::ServerSide);
    for hook in &mut release.hooks {
        hook.last_run = HookExecution::default();
    }
    let info = release.info.get_or_insert_with(Default::default);
    info.first_deployed = current.info.as_ref().map_or(now, |i| i.first_deployed);
    info.last_deployed = now;
    info.deleted = Time::ZERO;
    release.set_status(
        Status::PendingRollback,
        format!("Rollback to {target_version}"),
    );
    if opts.dry_run {
        return Ok(release);
    }

    client.storage.create(&release).await?;
    // v3: resource groups come back from the stored objects' annotations. The subcharts'
    // `depends-on/subcharts` lists and `readiness.yaml` overrides are not part of Helm's
    // record, so a rollback orders by groups only and judges readiness with Rudder's rules.
    let v3 = release
        .chart
        .as_ref()
        .and_then(|c| c.metadata.as_ref())
        .is_some_and(|m| m.api_version == "v3");
    let steps = DeploySteps {
        pre: HookEvent::PreRollback,
        post: HookEvent::PostRollback,
        readiness: Readiness {
            rules: rudder_kstatus::RuleSet::rudder(),
            wait: opts.wait,
            wait_for_jobs: opts.wait_for_jobs,
            timeout: opts.timeout,
        },
        subcharts: v3.then(std::collections::BTreeMap::new),
        force_conflicts: opts.force_conflicts,
        take_ownership: false,
        no_hooks: opts.no_hooks,
    };
    match deploy_revision(
        client,
        &mut release,
        Some(&current.manifest),
        &steps,
        observer,
    )
    .await
    {
        Ok(()) => {
            finish_deployed(
                client,
                &mut release,
                format!("Rollback to {target_version}"),
            )
            .await?;
            Ok(release)
        }
        Err(cause) => {
            mark_failed(
                client,
                &mut release,
                format!("Rollback \"{name}\" failed: {}", one_line(&cause)),
            )
            .await;
            Err(ActionError::ReleaseFailed {
                name,
                source: Box::new(cause),
            })
        }
    }
}
