//! `install`: put a chart into the cluster as revision 1 of a new release (or the next
//! revision of an uninstalled one, or of one whose first install failed).
//!
//! Steps: load → prepare → render (with a cluster-backed `lookup`, except for
//! `--dry-run=client`) → take the release lease ([`crate::lease`]; a stale `pending-*` record
//! left by an interrupted operation is marked `failed`) → refuse a name in use → record
//! `pending-install` → CRDs from `crds/` (existing ones skipped) → `pre-install` hooks →
//! server-side apply of the manifests with ownership markers, phase by phase for v3 resource
//! groups ([`crate::resource_groups`]) → wait ([`WaitMode`]) → `post-install` hooks → record
//! `deployed` → release the lease. Any handled error after the record was written rewrites it
//! as `failed` with the reason.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rudder_chart::values_tree::PrepareOptions;
use rudder_kube::Kube;
use rudder_kube::wait::WaitObserver;
use rudder_release::{HookEvent, Release, Status, Time};
use rudder_render::{Capabilities, EmptyLookup, Lookup, ReleaseInfo, RenderOptions, Rendered};

use crate::ActionError;
use crate::kube_lookup::KubeLookup;
use crate::release_ops::{
    HookRun, NewRecord, Owner, PhaseRun, Readiness, ReleaseClient, WaitMode, apply_options,
    apply_owned, apply_phases, final_timeout, install_crds, new_record, parse_object, run_hooks,
    wait_ready,
};
use crate::values::ValueSources;

/// Helm's default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    /// A real install.
    #[default]
    None,
    /// Render only; `lookup` returns nothing; the cluster is not contacted for objects.
    Client,
    /// Render with live `lookup`, and have the API server validate every object (`dryRun=All`)
    /// without persisting anything.
    Server,
}

/// Options of [`install`].
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Release name.
    pub release_name: String,
    /// Chart directory or archive.
    pub chart: PathBuf,
    /// User values.
    pub values: ValueSources,
    /// Create the release namespace if it does not exist.
    pub create_namespace: bool,
    /// What to wait for.
    pub wait: WaitMode,
    /// Timeout of each wait (CRDs, each hook, the release objects).
    pub timeout: Duration,
    /// Dry-run mode.
    pub dry_run: DryRun,
    /// Custom description of the revision.
    pub description: Option<String>,
    /// Do not install CRDs from `crds/`.
    pub skip_crds: bool,
    /// Do not run hooks.
    pub no_hooks: bool,
    /// Do not validate values against `values.schema.json`.
    pub skip_schema_validation: bool,
    /// Post-renderer run over every document, hooks included (`--post-renderer`).
    pub post_renderer: Option<crate::plugin::SharedPostRenderer>,
    /// Plugins whose getters serve `scheme://` chart references.
    pub getters: Option<Arc<crate::plugin::Plugins>>,
    /// Version and registry settings for an `oci://` chart reference.
    pub oci: Option<crate::oci::OciSource>,
    /// Jobs count as ready only once complete (`--wait-for-jobs`).
    pub wait_for_jobs: bool,
    /// Adopt existing objects whatever their ownership markers say (`--take-ownership`).
    pub take_ownership: bool,
    /// Release labels stored on the record (`--labels`; Helm's system names are refused).
    pub labels: std::collections::BTreeMap<String, String>,
    /// Mark a `pending-*` newest record `failed` even without an expired rudder lease showing
    /// that its operation died (`--force-pending`; see [`crate::lease`]).
    pub force_pending: bool,
}

impl InstallOptions {
    /// Options with Rudder's defaults for `release_name` and `chart`.
    pub fn new(release_name: impl Into<String>, chart: impl Into<PathBuf>) -> Self {
        Self {
            release_name: release_name.into(),
            chart: chart.into(),
            values: ValueSources::default(),
            create_namespace: false,
            wait: WaitMode::Watcher,
            timeout: DEFAULT_TIMEOUT,
            dry_run: DryRun::None,
            description: None,
            skip_crds: false,
            no_hooks: false,
            skip_schema_validation: false,
            post_renderer: None,
            getters: None,
            oci: None,
            wait_for_jobs: false,
            take_ownership: false,
            labels: std::collections::BTreeMap::new(),
            force_pending: false,
        }
    }
}

/// Refuses a name whose newest revision is neither `uninstalled` nor a lone failed install.
fn check_reusable(name: &str, history: &[Release]) -> Result<(), ActionError> {
    if let Some(last) = history.last() {
        let status = last.status();
        let reusable = status == Status::Uninstalled
            || history.iter().all(|r| r.status() == Status::Failed) && history.len() == 1;
        if !reusable {
            return Err(ActionError::NameInUse {
                name: name.to_owned(),
                status,
            });
        }
    }
    Ok(())
}

/// Installs a chart as the [module docs](self) describe and returns the stored record
/// (`deployed`), or, for a dry run, the record that would have been stored.
///
/// # Errors
/// Load, values, render, storage and Kubernetes errors; [`ActionError::NameInUse`];
/// [`ActionError::ReleaseFailed`] (wrapping the cause) once the record was marked `failed`.
pub async fn install(
    client: &ReleaseClient,
    opts: &InstallOptions,
    observer: &dyn WaitObserver,
) -> Result<Release, ActionError> {
    validate_release_name(&opts.release_name)?;
    let namespace = client.release_namespace().to_owned();
    let name = opts.release_name.clone();
    rudder_release::validate_user_labels(&opts.labels)
        .map_err(crate::ops_error::ReleaseOpError::from)?;
    let history = client.storage.history(&name).await?;
    // A pending newest record is settled under the release lease, after rendering.
    let pending = history.last().is_some_and(|r| r.status().is_pending());
    if !(pending && opts.dry_run == DryRun::None) {
        check_reusable(&name, &history)?;
    }
    let revision = history.last().map_or(1, |r| r.version + 1);

    let chart = crate::plugin::load_chart(&opts.chart, opts.getters.as_deref(), opts.oci.as_ref())?;
    let user = opts
        .values
        .load(rudder_chart::values_tree::value_model(&chart))?;
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
    let release_info = ReleaseInfo {
        name: name.clone(),
        namespace: namespace.clone(),
        revision: u64::try_from(revision).unwrap_or(1),
        is_install: true,
        is_upgrade: false,
        ..ReleaseInfo::default()
    };
    let skip_schema_validation = opts.skip_schema_validation;
    let chart_for_render = chart.clone();
    let post_renderer = opts.post_renderer.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        render_with_post(
            post_renderer.as_ref().map(|p| &*p.0 as _),
            &chart_for_render,
            user.clone(),
            RenderContext {
                release: release_info,
                capabilities,
                lookup,
                skip_schema_validation,
            },
        )
        .map(|r| (r, user))
    })
    .await
    .map_err(|e| ActionError::Task(e.to_string()))?;
    let (rendered, user) = rendered?;

    let mut release = new_record(NewRecord {
        name: &name,
        namespace: &namespace,
        revision,
        chart: &chart,
        config: user,
        rendered: &rendered,
        now: Time::now(),
        first_deployed: None,
        status: Status::PendingInstall,
        description: "Initial install underway",
        hooks: !opts.no_hooks,
    });
    release.labels = opts.labels.clone();

    match opts.dry_run {
        DryRun::Client => {
            release.set_status(Status::PendingInstall, "Dry run complete");
            return Ok(release);
        }
        DryRun::Server => {
            let objects = manifest_objects(&rendered)?;
            apply_owned(&client.kube, objects, &name, &namespace, true).await?;
            release.set_status(Status::PendingInstall, "Dry run complete");
            return Ok(release);
        }
        DryRun::None => {}
    }

    if opts.create_namespace {
        create_namespace(&client.kube, &namespace).await?;
    }
    let lease = crate::lease::acquire(client, &name, "install").await?;
    let outcome = install_held(client, opts, &rendered, release, &lease, observer).await;
    lease.release().await;
    outcome
}

/// The part of [`install`] that runs under the release lease.
async fn install_held(
    client: &ReleaseClient,
    opts: &InstallOptions,
    rendered: &Rendered,
    mut release: Release,
    lease: &crate::lease::ReleaseLease,
    observer: &dyn WaitObserver,
) -> Result<Release, ActionError> {
    let name = release.name.clone();
    let history = lease
        .settle_pending(client, &name, opts.force_pending)
        .await?;
    check_reusable(&name, &history)?;
    if let Some(last) = history.last()
        && last.version >= release.version
    {
        // Another operation wrote a revision since we rendered.
        return Err(ActionError::NameInUse {
            name,
            status: last.status(),
        });
    }
    if let Some(info) = release.info.as_mut() {
        info.first_deployed = Time::now();
        info.last_deployed = info.first_deployed;
    }
    client.storage.create(&release).await?;
    match run_install(client, opts, rendered, &mut release, observer).await {
        Ok(()) => {
            let description = opts
                .description
                .clone()
                .unwrap_or_else(|| "Install complete".to_owned());
            release.set_status(Status::Deployed, description);
            if let Some(info) = release.info.as_mut() {
                info.last_deployed = Time::now();
            }
            client.storage.update(&release).await?;
            Ok(release)
        }
        Err(cause) => {
            release.set_status(
                Status::Failed,
                format!("Release \"{name}\" failed: {}", one_line(&cause)),
            );
            if let Err(e) = client.storage.update(&release).await {
                tracing::error!(release = %name, error = %e, "could not mark the release failed");
            }
            Err(ActionError::ReleaseFailed {
                name,
                source: Box::new(cause),
            })
        }
    }
}

async fn run_install(
    client: &ReleaseClient,
    opts: &InstallOptions,
    rendered: &Rendered,
    release: &mut Release,
    observer: &dyn WaitObserver,
) -> Result<(), ActionError> {
    let kube = &client.kube;
    if !opts.skip_crds {
        install_crds(kube, &rendered.crds, opts.timeout, false).await?;
    }
    let v3 = is_v3(rendered, &release.chart);
    let readiness = Readiness {
        rules: if v3 {
            crate::resource_groups::readiness_rules(&rendered.v3.readiness)?
        } else {
            rudder_kstatus::RuleSet::rudder()
        },
        wait: opts.wait,
        wait_for_jobs: opts.wait_for_jobs,
        timeout: opts.timeout,
    };
    let hooks = |event| HookRun {
        event,
        timeout: opts.timeout,
        observer,
        rules: &readiness.rules,
    };
    if !opts.no_hooks {
        run_hooks(kube, release, hooks(HookEvent::PreInstall)).await?;
    }
    let sourced = sourced_manifests(rendered)?;
    let phases = crate::resource_groups::plan_for(&sourced, v3.then_some(&rendered.v3))?;
    let objects = sourced.into_iter().map(|s| s.object).collect();
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let owner = Owner {
        release: &release.name,
        namespace: &release.namespace,
        take_ownership: opts.take_ownership,
    };
    let refs = apply_phases(
        kube,
        objects,
        &phases,
        &owner,
        &apply_options(false),
        &PhaseRun {
            readiness: &readiness,
            deadline,
            observer,
        },
    )
    .await?;
    if opts.wait.waits_for_resources() {
        if opts.wait == WaitMode::Legacy {
            tracing::warn!("--wait=legacy waits with the watcher in rudder");
        }
        wait_ready(
            kube,
            &refs,
            final_timeout(&phases, deadline, readiness.timeout),
            &readiness,
            observer,
        )
        .await?;
    }
    if !opts.no_hooks {
        run_hooks(kube, release, hooks(HookEvent::PostInstall)).await?;
    }
    Ok(())
}

/// Whether a render follows the v3 rules (resource groups, readiness overrides).
pub(crate) fn is_v3(rendered: &Rendered, chart: &Option<rudder_release::Chart>) -> bool {
    let stored_v3 = chart
        .as_ref()
        .and_then(|c| c.metadata.as_ref())
        .is_some_and(|m| m.api_version == "v3");
    stored_v3 || rendered.v3 != rudder_render::v3::V3Info::default()
}

/// The release objects of a render with their templates, in install order.
pub(crate) fn sourced_manifests(
    rendered: &Rendered,
) -> Result<Vec<crate::resource_groups::SourcedObject>, ActionError> {
    rendered
        .manifests
        .iter()
        .map(|m| {
            Ok(crate::resource_groups::SourcedObject {
                source: m.source.clone(),
                object: parse_object(&m.source, &m.content)?,
            })
        })
        .collect()
}

/// The release objects of a render, in install order.
pub(crate) fn manifest_objects(
    rendered: &Rendered,
) -> Result<Vec<kube::api::DynamicObject>, ActionError> {
    rendered
        .manifests
        .iter()
        .map(|m| parse_object(&m.source, &m.content))
        .collect()
}

async fn create_namespace(kube: &Kube, namespace: &str) -> Result<(), ActionError> {
    let id = rudder_kube::ObjectRef::new("v1", "Namespace", None, namespace);
    if kube.get(&id).await?.is_some() {
        return Ok(());
    }
    let obj = rudder_kube::dynamic_object(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {"name": namespace}},
    }))?;
    kube.apply(
        &obj,
        &rudder_kube::ApplyOptions {
            field_manager: crate::release_ops::FIELD_MANAGER.to_owned(),
            ..rudder_kube::ApplyOptions::default()
        },
    )
    .await?;
    Ok(())
}

/// What [`render_with_lookup`] renders with.
pub(crate) struct RenderContext {
    pub(crate) release: ReleaseInfo,
    pub(crate) capabilities: Capabilities,
    pub(crate) lookup: Arc<dyn Lookup>,
    pub(crate) skip_schema_validation: bool,
}

/// Prepares and renders on the current (blocking) thread with `ctx.lookup`.
pub(crate) fn render_with_lookup(
    chart: &rudder_chart::Chart,
    user: rudder_values::Map,
    ctx: RenderContext,
) -> Result<Rendered, ActionError> {
    render_with_post(None, chart, user, ctx)
}

/// [`render_with_lookup`], then through `post_renderer` (hooks included, as Helm 4).
pub(crate) fn render_with_post(
    post_renderer: Option<&dyn rudder_render::PostRenderer>,
    chart: &rudder_chart::Chart,
    user: rudder_values::Map,
    ctx: RenderContext,
) -> Result<Rendered, ActionError> {
    let prepared = rudder_chart::values_tree::prepare_with(
        chart,
        &serde_json::Value::Object(user),
        PrepareOptions {
            skip_schema_validation: ctx.skip_schema_validation,
        },
    )?;
    for warning in &prepared.warnings {
        tracing::warn!("{warning}");
    }
    let values = serde_json::Value::Object(prepared.values);
    let options = RenderOptions {
        release: ctx.release,
        capabilities: ctx.capabilities,
        lookup: ctx.lookup,
        go_engine: Some(&rudder_render::gotmpl::GoTemplateEngine),
        post_renderer,
        ..RenderOptions::default()
    };
    Ok(rudder_render::render(&prepared.chart, &values, &options)?)
}

/// Helm's release name rule: 1 to 53 characters, lowercase DNS-1123 labels joined by dots.
///
/// # Errors
/// [`ActionError::InvalidReleaseName`] saying what is wrong.
pub fn validate_release_name(name: &str) -> Result<(), ActionError> {
    let invalid = |reason| ActionError::InvalidReleaseName {
        name: name.to_owned(),
        reason,
    };
    if name.is_empty() {
        return Err(invalid("the name is empty"));
    }
    if name.len() > 53 {
        return Err(invalid("longer than 53 characters"));
    }
    for label in name.split('.') {
        let bytes = label.as_bytes();
        let edge_ok =
            |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !edge_ok(bytes.first()) || !edge_ok(bytes.last()) {
            return Err(invalid(
                "each dot-separated part must start and end with a lowercase letter or digit",
            ));
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(invalid(
                "only lowercase letters, digits, '-' and '.' are allowed",
            ));
        }
    }
    Ok(())
}

/// An error and its sources on one line, for the record's description.
pub(crate) fn one_line(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace('\n', "; ")
}

#[cfg(test)]
mod tests {
    use super::validate_release_name;

    #[test]
    fn release_names_follow_helm() {
        for ok in ["web", "web-1", "a.b-c", "0", &"a".repeat(53)] {
            assert!(validate_release_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "web-", "-web", "a..b", "we_b", &"a".repeat(54)] {
            assert!(validate_release_name(bad).is_err(), "{bad}");
        }
    }
}
