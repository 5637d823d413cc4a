//! `uninstall`: remove a release's objects and its records (or keep them as `uninstalled`).
//!
//! Steps: mark the newest revision `uninstalling` → `pre-delete` hooks → delete the objects of
//! the stored manifest in reverse install order (except those annotated
//! `helm.sh/resource-policy: keep`) → wait until they are gone (when asked) → `post-delete`
//! hooks → mark `uninstalled` (`--keep-history`) or delete every record.

use std::time::Duration;

use rudder_kstatus::{RuleSet, Strategy};
use rudder_kube::wait::{self, Desired, WaitObserver, WaitOptions};
use rudder_kube::{DeleteOptions, DeleteOutcome, ObjectRef};
use rudder_release::{HookEvent, Release, Status, Time};

use crate::ActionError;
use crate::install::one_line;
use crate::release_ops::{
    HookRun, RESOURCE_POLICY_ANNOTATION, ReleaseClient, default_namespace, parse_objects, run_hooks,
};

/// Options of [`uninstall`].
#[derive(Debug, Clone)]
pub struct UninstallOptions {
    /// Release name.
    pub release_name: String,
    /// Keep the records, marked `uninstalled`.
    pub keep_history: bool,
    /// Wait until every deleted object is gone.
    pub wait: bool,
    /// Timeout of each wait (each hook, the deletion).
    pub timeout: Duration,
    /// Do not run hooks.
    pub no_hooks: bool,
    /// Custom description of the `uninstalled` record.
    pub description: Option<String>,
}

impl UninstallOptions {
    /// Defaults for `release_name`: delete the records, do not wait, 5 minutes per wait.
    pub fn new(release_name: impl Into<String>) -> Self {
        Self {
            release_name: release_name.into(),
            keep_history: false,
            wait: false,
            timeout: crate::install::DEFAULT_TIMEOUT,
            no_hooks: false,
            description: None,
        }
    }
}

/// What [`uninstall`] did.
#[derive(Debug, Clone)]
pub struct UninstallReport {
    /// The newest revision as it ended (`uninstalled`).
    pub release: Release,
    /// Objects deleted (or already gone).
    pub deleted: Vec<ObjectRef>,
    /// Objects kept by `helm.sh/resource-policy: keep`.
    pub kept: Vec<ObjectRef>,
}

/// Uninstalls a release as the [module docs](self) describe.
///
/// # Errors
/// [`ActionError::ReleaseNotFound`], [`ActionError::AlreadyDeleted`], storage and Kubernetes
/// errors. On a failure after the record was marked `uninstalling`, the record is marked
/// `failed` with the reason.
pub async fn uninstall(
    client: &ReleaseClient,
    opts: &UninstallOptions,
    observer: &dyn WaitObserver,
) -> Result<UninstallReport, ActionError> {
    let name = &opts.release_name;
    let lease = crate::lease::acquire(client, name, "uninstall").await?;
    let outcome = uninstall_held(client, opts, observer).await;
    lease.release().await;
    outcome
}

/// The part of [`uninstall`] that runs under the release lease.
async fn uninstall_held(
    client: &ReleaseClient,
    opts: &UninstallOptions,
    observer: &dyn WaitObserver,
) -> Result<UninstallReport, ActionError> {
    let name = &opts.release_name;
    let history = client.storage.history(name).await?;
    let Some(mut release) = history.last().cloned() else {
        return Err(ActionError::ReleaseNotFound { name: name.clone() });
    };
    if release.status() == Status::Uninstalled {
        if opts.keep_history {
            return Err(ActionError::AlreadyDeleted { name: name.clone() });
        }
        purge(client, &history).await?;
        return Ok(UninstallReport {
            release,
            deleted: Vec::new(),
            kept: Vec::new(),
        });
    }
    release.set_status(
        Status::Uninstalling,
        "Deletion in progress (or silently failed)",
    );
    if let Some(info) = release.info.as_mut() {
        info.deleted = Time::now();
    }
    client.storage.update(&release).await?;
    match run_uninstall(client, opts, &mut release, observer).await {
        Ok((deleted, kept)) => {
            let description = opts
                .description
                .clone()
                .unwrap_or_else(|| "Uninstallation complete".to_owned());
            release.set_status(Status::Uninstalled, description);
            if opts.keep_history {
                client.storage.update(&release).await?;
            } else {
                purge(client, &history).await?;
            }
            Ok(UninstallReport {
                release,
                deleted,
                kept,
            })
        }
        Err(cause) => {
            release.set_status(
                Status::Failed,
                format!("Uninstallation failed: {}", one_line(&cause)),
            );
            if let Err(e) = client.storage.update(&release).await {
                tracing::error!(release = %name, error = %e, "could not mark the release failed");
            }
            Err(ActionError::ReleaseFailed {
                name: name.clone(),
                source: Box::new(cause),
            })
        }
    }
}

async fn run_uninstall(
    client: &ReleaseClient,
    opts: &UninstallOptions,
    release: &mut Release,
    observer: &dyn WaitObserver,
) -> Result<(Vec<ObjectRef>, Vec<ObjectRef>), ActionError> {
    let kube = &client.kube;
    let rules = rudder_kstatus::RuleSet::rudder();
    let hooks = |event| HookRun {
        event,
        timeout: opts.timeout,
        observer,
        rules: &rules,
    };
    if !opts.no_hooks {
        run_hooks(kube, release, hooks(HookEvent::PreDelete)).await?;
    }
    let objects = parse_objects(
        &format!("release {} manifest", release.name),
        &release.manifest,
    )?;
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    for mut obj in objects.into_iter().rev() {
        default_namespace(&mut obj, &release.namespace);
        let mut id = ObjectRef::of(&obj)?;
        let keep = obj
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(RESOURCE_POLICY_ANNOTATION))
            .is_some_and(|p| p == "keep");
        if keep {
            kept.push(id);
            continue;
        }
        let (normalized, _) = match kube.normalize(&id).await {
            Ok(found) => found,
            // A kind no longer served (its CRD is gone): nothing left to delete.
            Err(rudder_kube::Error::UnknownKind { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        id = normalized;
        if kube.delete(&id, &DeleteOptions::default()).await? == DeleteOutcome::NotFound {
            tracing::debug!(object = %id, "already gone");
        }
        deleted.push(id);
    }
    if opts.wait && !deleted.is_empty() {
        let options = WaitOptions::rudder(Strategy::Wait, Desired::NotFound, opts.timeout);
        wait::wait(kube, &deleted, &RuleSet::rudder(), &options, observer).await?;
    }
    if !opts.no_hooks {
        run_hooks(kube, release, hooks(HookEvent::PostDelete)).await?;
    }
    Ok((deleted, kept))
}

async fn purge(client: &ReleaseClient, history: &[Release]) -> Result<(), ActionError> {
    for r in history {
        client.storage.delete(&r.name, r.version).await?;
    }
    Ok(())
}
