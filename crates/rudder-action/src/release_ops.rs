//! What the release operations (`install`, `uninstall`, `list`, `status`; later `upgrade` and
//! `rollback`) share: the cluster and storage handle ([`ReleaseClient`]), the wait strategy
//! ([`WaitMode`]), ownership markers, hook execution and the printable [`ReleaseSummary`].
//!
//! Every operation (dry runs excepted) holds the release lease ([`crate::lease`]) while it
//! runs, writes a `pending-*` record first, runs
//! its steps through [`ReleaseClient`], and on any handled error rewrites that record as
//! `failed` with the reason, so no handled error leaves a `pending-*` record behind. Hooks run
//! through [`run_hooks`] for any [`HookEvent`]; objects are applied by
//! [`apply_owned`] (server-side apply, field manager `rudder`, ownership checked first).

use std::time::Duration;

use kube::api::DynamicObject;
use rudder_kstatus::{RuleSet, Strategy};
use rudder_kube::wait::{self, Desired, WaitObserver, WaitOptions};
use rudder_kube::{ApplyMethod, ApplyOptions, DeleteOptions, dynamic_object};
use rudder_release::{
    AnyDriver, DriverKind, Hook, HookDeletePolicy, HookEvent, HookExecution, HookPhase, Info,
    Release, Storage, StorageOptions, Time,
};
use serde::Serialize;

use crate::ActionError;

pub use rudder_kstatus::ObjectStatus;
pub use rudder_kube::wait::WaitObserver as Observer;
pub use rudder_kube::{ClientOptions, Kube, ObjectRef};
pub use rudder_release::Status;

/// Annotation naming the release that owns an object.
pub const RELEASE_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
/// Annotation naming the namespace of the release that owns an object.
pub const RELEASE_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";
/// Label marking objects managed by Helm (Rudder writes Helm's value so `helm` can manage them).
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY_VALUE: &str = "Helm";
/// Annotation that keeps an object on uninstall.
pub const RESOURCE_POLICY_ANNOTATION: &str = "helm.sh/resource-policy";
/// Field manager of every apply of release objects: Helm's own (`helm`), so that `helm` and
/// `rudder` are one manager for the objects of a release and either can upgrade or roll back
/// what the other applied without `--force-conflicts` (with a manager of its own, Rudder would
/// own every field it applied and Helm 4's server-side apply would refuse to change them).
/// The same reason makes the ownership label `app.kubernetes.io/managed-by: Helm`.
pub const FIELD_MANAGER: &str = "helm";
/// Objects applied at once within one kind group.
pub const APPLY_CONCURRENCY: usize = rudder_kube::DEFAULT_APPLY_CONCURRENCY;

/// How long and on what an operation waits (`--wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitMode {
    /// Wait for every release object to be ready (kstatus, watch-driven). Rudder's default;
    /// a deliberate difference from Helm, whose default is `hookOnly`.
    #[default]
    Watcher,
    /// Wait for hooks only (Helm's default).
    HookOnly,
    /// Helm 3's poller. Rudder has no separate poller: this waits as [`WaitMode::Watcher`].
    Legacy,
}

impl WaitMode {
    /// Whether release objects are waited for.
    pub fn waits_for_resources(self) -> bool {
        !matches!(self, WaitMode::HookOnly)
    }
}

/// A connection to the cluster plus the release storage of one namespace (or all).
#[derive(Clone)]
pub struct ReleaseClient {
    /// The cluster.
    pub kube: Kube,
    /// Release records.
    pub storage: Storage<AnyDriver>,
    /// The release namespace (`None`: every namespace, for `list -A`).
    pub namespace: Option<String>,
}

impl std::fmt::Debug for ReleaseClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleaseClient")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Options of [`ReleaseClient::new`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageChoice {
    /// The storage driver (`HELM_DRIVER`).
    pub driver: DriverKind,
    /// Most revisions kept per release (`--history-max`; 0 keeps all).
    pub max_history: usize,
}

impl ReleaseClient {
    /// Release access over `kube` for `namespace` (`None`: all namespaces).
    pub fn new(kube: Kube, namespace: Option<&str>, choice: StorageChoice) -> Self {
        let driver = AnyDriver::new(choice.driver, kube.client().clone(), namespace);
        Self {
            storage: Storage::new(
                driver,
                StorageOptions {
                    max_history: choice.max_history,
                },
            ),
            kube,
            namespace: namespace.map(str::to_owned),
        }
    }

    /// Connects with `options` and opens storage in the namespace the options resolve to
    /// (`-n`, else the kubeconfig context's, else `default`).
    ///
    /// # Errors
    /// [`ActionError::Kube`] when the configuration cannot be loaded.
    pub async fn connect(
        options: &ClientOptions,
        all_namespaces: bool,
        choice: StorageChoice,
    ) -> Result<Self, ActionError> {
        let kube = Kube::connect(options).await?;
        let namespace = kube.namespace().to_owned();
        Ok(Self::new(
            kube,
            (!all_namespaces).then_some(namespace.as_str()),
            choice,
        ))
    }

    /// The release namespace (the connection's default namespace when listing everywhere).
    pub fn release_namespace(&self) -> &str {
        self.namespace
            .as_deref()
            .unwrap_or_else(|| self.kube.namespace())
    }
}

/// What the commands print about one release revision (`-o json|yaml`, and the table lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseSummary {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision.
    pub revision: i64,
    /// Status (`deployed`, `failed`, ...).
    pub status: String,
    /// Description of the last operation.
    pub description: String,
    /// `<chart name>-<chart version>`.
    pub chart: String,
    /// The chart's appVersion.
    pub app_version: String,
    /// When the release was first deployed (RFC 3339).
    pub first_deployed: String,
    /// When this revision was deployed (RFC 3339).
    pub last_deployed: String,
    /// `ssa` or `csa`.
    pub apply_method: String,
    /// Rendered NOTES.txt.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// `last_deployed` as `helm list` prints it (Go's `time.String`).
    #[serde(skip)]
    pub updated_text: String,
    /// `last_deployed` as `helm status` prints it (Go's `time.ANSIC`).
    #[serde(skip)]
    pub deployed_text: String,
    /// The test hooks that have run (`rudder test`), in the record's order; `None` when the
    /// revision has no test hooks (`TEST SUITE: None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_suite: Option<Vec<TestRun>>,
}

/// The last run of one test hook, as `helm status` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestRun {
    /// Hook object name.
    pub name: String,
    /// When it started (Go's `time.ANSIC`).
    pub started: String,
    /// When it completed (Go's `time.ANSIC`).
    pub completed: String,
    /// `Succeeded`, `Failed`, `Running` or `Unknown`.
    pub phase: String,
}

/// The test suite of a revision: `None` without test hooks, else the hooks that have run, in
/// the record's order (as `helm status` prints them).
fn test_suite(release: &Release) -> Option<Vec<TestRun>> {
    let tests: Vec<&Hook> = release
        .hooks
        .iter()
        .filter(|h| h.events.contains(&HookEvent::Test))
        .collect();
    if tests.is_empty() {
        return None;
    }
    Some(
        tests
            .into_iter()
            .filter(|h| !h.last_run.started_at.is_zero())
            .map(|h| TestRun {
                name: h.name.clone(),
                started: go_ansic(&h.last_run.started_at),
                completed: go_ansic(&h.last_run.completed_at),
                phase: h
                    .last_run
                    .phase
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
            })
            .collect(),
    )
}

impl ReleaseSummary {
    /// The summary of `release`.
    pub fn of(release: &Release) -> Self {
        let info = release.info.clone().unwrap_or_default();
        let metadata = release
            .chart
            .as_ref()
            .and_then(|c| c.metadata.clone())
            .unwrap_or_default();
        let time = |t: &Time| {
            if t.is_zero() {
                String::new()
            } else {
                t.to_string()
            }
        };
        Self {
            name: release.name.clone(),
            namespace: release.namespace.clone(),
            revision: release.version,
            status: release.status().to_string(),
            description: info.description.clone(),
            chart: format!("{}-{}", metadata.name, metadata.version),
            app_version: metadata.app_version.clone(),
            first_deployed: time(&info.first_deployed),
            last_deployed: time(&info.last_deployed),
            apply_method: release.effective_apply_method().to_string(),
            notes: info.notes,
            updated_text: go_time_string(&info.last_deployed),
            deployed_text: go_ansic(&info.last_deployed),
            test_suite: test_suite(release),
        }
    }
}

/// Calendar fields of `t` in its own offset: (year, month 1-12, day, hour, minute, second,
/// weekday 0 = Sunday).
fn civil(t: &Time) -> (i64, u32, u32, u32, u32, u32, u32) {
    let local = t.unix() + i64::from(t.offset_seconds());
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 4).rem_euclid(7);
    let small = |v: i64| u32::try_from(v).unwrap_or(0);
    (
        year,
        small(month),
        small(day),
        small(secs / 3600),
        small(secs % 3600 / 60),
        small(secs % 60),
        small(weekday),
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn zone(t: &Time) -> (String, String) {
    let offset = t.offset_seconds();
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    let numeric = format!("{sign}{:02}{:02}", abs / 3600, abs % 3600 / 60);
    let name = if offset == 0 {
        "UTC".to_owned()
    } else {
        numeric.clone()
    };
    (numeric, name)
}

/// Go's `time.Time.String()` (`2006-01-02 15:04:05.999999999 -0700 MST`), as `helm list`
/// prints UPDATED; empty for the zero time.
pub fn go_time_string(t: &Time) -> String {
    if t.is_zero() {
        return String::new();
    }
    let (y, mo, d, h, mi, s, _) = civil(t);
    let mut frac = format!("{:09}", t.subsec_nanos());
    while frac.ends_with('0') {
        frac.pop();
    }
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    let (numeric, name) = zone(t);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac} {numeric} {name}")
}

/// Go's `time.ANSIC` (`Mon Jan _2 15:04:05 2006`), as `helm status` prints LAST DEPLOYED;
/// empty for the zero time.
pub fn go_ansic(t: &Time) -> String {
    if t.is_zero() {
        return String::new();
    }
    let (y, mo, d, h, mi, s, wd) = civil(t);
    let month = MONTHS[usize::try_from(mo).unwrap_or(1).saturating_sub(1) % 12];
    let weekday = WEEKDAYS[usize::try_from(wd).unwrap_or(0) % 7];
    format!("{weekday} {month} {d:>2} {h:02}:{mi:02}:{s:02} {y}")
}

/// Parses one rendered document into an object.
pub(crate) fn parse_object(source: &str, content: &str) -> Result<DynamicObject, ActionError> {
    let invalid = |reason: String| ActionError::InvalidManifest {
        source_path: source.to_owned(),
        reason,
    };
    let value =
        rudder_values::yaml::from_str(content, source).map_err(|e| invalid(e.to_string()))?;
    dynamic_object(value).map_err(|e| invalid(e.to_string()))
}

/// Every object of a multi-document text (CRD files, stored manifests), skipping empty ones.
pub(crate) fn parse_objects(source: &str, text: &str) -> Result<Vec<DynamicObject>, ActionError> {
    let docs = rudder_values::yaml::from_str_multi(text, source).map_err(|e| {
        ActionError::InvalidManifest {
            source_path: source.to_owned(),
            reason: e.to_string(),
        }
    })?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            dynamic_object(d).map_err(|e| ActionError::InvalidManifest {
                source_path: source.to_owned(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Puts an object that names no namespace into the release namespace (dropped again by the
/// client for cluster-scoped kinds).
pub(crate) fn default_namespace(obj: &mut DynamicObject, namespace: &str) {
    if obj.metadata.namespace.as_deref().is_none_or(str::is_empty) {
        obj.metadata.namespace = Some(namespace.to_owned());
    }
}

/// Adds the ownership markers Helm reads (`meta.helm.sh/release-*`, managed-by label).
pub(crate) fn mark_owned(obj: &mut DynamicObject, release: &str, namespace: &str) {
    let annotations = obj
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    annotations.insert(RELEASE_NAME_ANNOTATION.to_owned(), release.to_owned());
    annotations.insert(
        RELEASE_NAMESPACE_ANNOTATION.to_owned(),
        namespace.to_owned(),
    );
    obj.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(MANAGED_BY_LABEL.to_owned(), MANAGED_BY_VALUE.to_owned());
}

/// Refuses a live object that does not belong to `release` in `namespace` (Helm's
/// "exists and cannot be imported into the current release").
pub(crate) fn check_owner(
    live: &DynamicObject,
    id: &ObjectRef,
    release: &str,
    namespace: &str,
) -> Result<(), ActionError> {
    let annotations = live.metadata.annotations.clone().unwrap_or_default();
    let labels = live.metadata.labels.clone().unwrap_or_default();
    let wrong = |reason: String| ActionError::Ownership {
        object: id.helm_id(),
        reason,
    };
    if labels.get(MANAGED_BY_LABEL).map(String::as_str) != Some(MANAGED_BY_VALUE) {
        return Err(wrong(format!(
            "invalid ownership metadata; label validation error: missing key \"{MANAGED_BY_LABEL}\": must be set to \"{MANAGED_BY_VALUE}\""
        )));
    }
    for (key, want) in [
        (RELEASE_NAME_ANNOTATION, release),
        (RELEASE_NAMESPACE_ANNOTATION, namespace),
    ] {
        match annotations.get(key) {
            Some(v) if v == want => {}
            Some(v) => {
                return Err(wrong(format!(
                    "invalid ownership metadata; annotation validation error: key \"{key}\" must equal \"{want}\": current value is \"{v}\""
                )));
            }
            None => {
                return Err(wrong(format!(
                    "invalid ownership metadata; annotation validation error: missing key \"{key}\": must be set to \"{want}\""
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn apply_options(dry_run: bool) -> ApplyOptions {
    ApplyOptions {
        method: ApplyMethod::ServerSide,
        field_manager: FIELD_MANAGER.to_owned(),
        force_conflicts: false,
        dry_run,
    }
}

/// Applies release objects in order with ownership markers, after checking that none belongs
/// to another release. Consecutive objects of one kind are applied concurrently (bounded).
/// Returns the references of the applied objects, in order.
pub(crate) async fn apply_owned(
    kube: &Kube,
    objects: Vec<DynamicObject>,
    release: &str,
    namespace: &str,
    dry_run: bool,
) -> Result<Vec<ObjectRef>, ActionError> {
    apply_owned_with(kube, objects, release, namespace, &apply_options(dry_run)).await
}

/// [`apply_owned`] with explicit apply options (`--force-conflicts`).
pub(crate) async fn apply_owned_with(
    kube: &Kube,
    objects: Vec<DynamicObject>,
    release: &str,
    namespace: &str,
    options: &ApplyOptions,
) -> Result<Vec<ObjectRef>, ActionError> {
    let owner = Owner {
        release,
        namespace,
        take_ownership: false,
    };
    let (marked, refs) = mark_and_check(kube, objects, &owner).await?;
    apply_marked(kube, &marked, options).await?;
    Ok(refs)
}

/// Whose objects these are, and whether objects of others may be adopted.
pub(crate) struct Owner<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    /// `--take-ownership`: adopt existing objects whatever their ownership markers say.
    pub take_ownership: bool,
}

/// Adds the ownership markers to every object and checks the live ones (all before anything
/// is applied). Returns the marked objects and their references, in order.
async fn mark_and_check(
    kube: &Kube,
    objects: Vec<DynamicObject>,
    owner: &Owner<'_>,
) -> Result<(Vec<DynamicObject>, Vec<ObjectRef>), ActionError> {
    let (marked, refs) = mark(objects, owner)?;
    for id in &refs {
        check_live(kube, id, owner).await?;
    }
    Ok((marked, refs))
}

/// Adds the ownership markers to every object (no API calls). Returns the marked objects and
/// their references, in order.
fn mark(
    objects: Vec<DynamicObject>,
    owner: &Owner<'_>,
) -> Result<(Vec<DynamicObject>, Vec<ObjectRef>), ActionError> {
    let mut refs = Vec::with_capacity(objects.len());
    let mut marked = Vec::with_capacity(objects.len());
    for mut obj in objects {
        default_namespace(&mut obj, owner.namespace);
        // Chart metadata for the install order only, and not a valid annotation key (two
        // `/`): the API server would refuse the object (charts-v3-spec/resource-groups.md).
        if let Some(annotations) = obj.metadata.annotations.as_mut() {
            annotations.remove(rudder_render::v3::DEPENDS_ON_ANNOTATION);
        }
        mark_owned(&mut obj, owner.release, owner.namespace);
        refs.push(ObjectRef::of(&obj)?);
        marked.push(obj);
    }
    Ok((marked, refs))
}

/// Checks that the live object behind `id`, if any, may be taken over by `owner`.
async fn check_live(kube: &Kube, id: &ObjectRef, owner: &Owner<'_>) -> Result<(), ActionError> {
    if !owner.take_ownership
        && let Some(live) = kube.get(id).await?
    {
        check_owner(&live, id, owner.release, owner.namespace)?;
    }
    Ok(())
}

/// Applies marked objects in order; consecutive objects of one kind concurrently (bounded).
async fn apply_marked(
    kube: &Kube,
    marked: &[DynamicObject],
    options: &ApplyOptions,
) -> Result<(), ActionError> {
    let mut start = 0;
    while start < marked.len() {
        let kind = marked[start].types.as_ref().map(|t| t.kind.clone());
        let end = (start..marked.len())
            .find(|&i| marked[i].types.as_ref().map(|t| t.kind.clone()) != kind)
            .unwrap_or(marked.len());
        for result in kube
            .apply_all(&marked[start..end], options, APPLY_CONCURRENCY)
            .await
        {
            result?;
        }
        start = end;
    }
    Ok(())
}

/// How release objects are judged ready and how long an operation waits for them.
#[derive(Clone)]
pub(crate) struct Readiness {
    /// Rudder's rules plus the chart's `readiness.yaml` overrides.
    pub rules: RuleSet,
    /// `--wait`.
    pub wait: WaitMode,
    /// `--wait-for-jobs`: Jobs are ready once complete.
    pub wait_for_jobs: bool,
    /// `--timeout`, for the phases and the final wait together.
    pub timeout: Duration,
}

impl Readiness {
    fn strategy(&self) -> Strategy {
        if self.wait_for_jobs {
            Strategy::WaitWithJobs
        } else {
            Strategy::Wait
        }
    }
}

/// What is left of the time until `deadline` (at least a millisecond: a zero timeout would
/// mean the default to the wait).
pub(crate) fn remaining(deadline: tokio::time::Instant) -> Duration {
    deadline
        .saturating_duration_since(tokio::time::Instant::now())
        .max(Duration::from_millis(1))
}

/// The final wait's timeout: all of `--timeout` for a single phase (Helm's behaviour and
/// message), what is left of it after the phase waits otherwise.
pub(crate) fn final_timeout(
    phases: &[crate::resource_groups::Phase],
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Duration {
    if phases.len() > 1 {
        remaining(deadline)
    } else {
        timeout
    }
}

/// How [`apply_phases`] waits between phases.
pub(crate) struct PhaseRun<'a> {
    pub readiness: &'a Readiness,
    /// When `--timeout` runs out for the whole operation's waits.
    pub deadline: tokio::time::Instant,
    pub observer: &'a dyn WaitObserver,
}

/// Applies the release objects phase by phase ([`crate::resource_groups`]): every ownership
/// check first, then each phase's objects, waiting until they are ready before the next
/// phase (whatever `--wait` says: the order is the chart's contract). The last phase is not
/// waited for here. Returns the references of every object, in the order of `objects`.
pub(crate) async fn apply_phases(
    kube: &Kube,
    objects: Vec<DynamicObject>,
    phases: &[crate::resource_groups::Phase],
    owner: &Owner<'_>,
    options: &ApplyOptions,
    run: &PhaseRun<'_>,
) -> Result<Vec<ObjectRef>, ActionError> {
    let (marked, refs) = mark(objects, owner)?;
    // Every ownership check before anything is applied, except for objects whose kind the
    // API server does not serve yet: a CRD of an earlier phase defines it (the mlstack's
    // `1-crds` group), so no live object of it can exist now. They are checked when their
    // phase comes, after the earlier phases' CRDs are established.
    let mut deferred = vec![false; refs.len()];
    for (i, id) in refs.iter().enumerate() {
        match check_live(kube, id, owner).await {
            Err(ActionError::Kube(rudder_kube::Error::UnknownKind { .. })) if phases.len() > 1 => {
                tracing::debug!(object = %id, "kind not served yet; checked in its phase");
                deferred[i] = true;
            }
            other => other?,
        }
    }
    for (n, phase) in phases.iter().enumerate() {
        for &i in &phase.members {
            if deferred[i] {
                check_live(kube, &refs[i], owner).await?;
            }
        }
        let objects: Vec<DynamicObject> =
            phase.members.iter().map(|&i| marked[i].clone()).collect();
        tracing::debug!(phase = %phase.label, objects = objects.len(), "applying");
        apply_marked(kube, &objects, options).await?;
        if n + 1 < phases.len() && !options.dry_run {
            let ids: Vec<ObjectRef> = phase.members.iter().map(|&i| refs[i].clone()).collect();
            wait_ready(
                kube,
                &ids,
                remaining(run.deadline),
                run.readiness,
                run.observer,
            )
            .await
            .map_err(|e| crate::ops_error::ReleaseOpError::PhaseNotReady {
                phase: phase.label.clone(),
                source: Box::new(e),
            })?;
            // Kinds defined by CRDs of this phase resolve from now on.
            kube.invalidate_discovery();
        }
    }
    Ok(refs)
}

/// Applies CRDs from `crds/` that do not exist yet, then waits until they are established.
pub(crate) async fn install_crds(
    kube: &Kube,
    crds: &[rudder_render::Crd],
    timeout: Duration,
    dry_run: bool,
) -> Result<(), ActionError> {
    let mut created = Vec::new();
    for crd in crds {
        for obj in parse_objects(&crd.source, &crd.content)? {
            let id = ObjectRef::of(&obj)?;
            if kube.get(&id).await?.is_some() {
                tracing::debug!(crd = %id, "CRD exists; skipped");
                continue;
            }
            kube.apply(&obj, &apply_options(dry_run)).await?;
            created.push(id);
        }
    }
    if !created.is_empty() && !dry_run {
        let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, timeout);
        wait::wait(
            kube,
            &created,
            &RuleSet::rudder(),
            &options,
            &wait::NoProgress,
        )
        .await?;
        kube.invalidate_discovery();
    }
    Ok(())
}

/// What a new revision's record is made of (install and upgrade).
pub(crate) struct NewRecord<'a> {
    pub(crate) name: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) revision: i64,
    pub(crate) chart: &'a rudder_chart::Chart,
    pub(crate) config: rudder_values::Map,
    pub(crate) rendered: &'a rudder_render::Rendered,
    /// When this revision is deployed (`last_deployed`).
    pub(crate) now: Time,
    /// The release's first deployment; `None` for a first install (then it is `now`).
    pub(crate) first_deployed: Option<Time>,
    pub(crate) status: Status,
    pub(crate) description: &'a str,
    /// Store the rendered hooks (`false` with `--no-hooks`).
    pub(crate) hooks: bool,
}

/// The record of a new revision, in its pending state, applied with server-side apply.
pub(crate) fn new_record(parts: NewRecord<'_>) -> Release {
    Release {
        name: parts.name.to_owned(),
        info: Some(Info {
            first_deployed: parts.first_deployed.unwrap_or(parts.now),
            last_deployed: parts.now,
            status: Some(parts.status),
            description: parts.description.to_owned(),
            notes: parts.rendered.notes.clone().unwrap_or_default(),
            ..Info::default()
        }),
        chart: Some(rudder_release::Chart::from_loaded(parts.chart)),
        config: parts.config,
        manifest: parts.rendered.manifest_text(),
        hooks: if parts.hooks {
            parts.rendered.hooks.iter().map(stored_hook).collect()
        } else {
            Vec::new()
        },
        version: parts.revision,
        namespace: parts.namespace.to_owned(),
        apply_method: Some(rudder_release::ApplyMethod::ServerSide),
        ..Release::default()
    }
}

/// The stored form of a rendered hook.
pub(crate) fn stored_hook(hook: &rudder_render::Hook) -> Hook {
    Hook {
        name: hook.head.name.clone(),
        kind: hook.head.kind.clone(),
        path: hook.source.clone(),
        manifest: hook.content.clone(),
        events: hook
            .events
            .iter()
            .map(|e| HookEvent::parse(e.as_str()))
            .collect(),
        last_run: HookExecution::default(),
        weight: hook.weight,
        delete_policies: hook
            .delete_policies
            .iter()
            .map(|p| rudder_release::HookDeletePolicy::parse(p))
            .collect(),
        output_log_policies: hook
            .output_log_policies
            .iter()
            .map(|p| rudder_release::HookOutputLogPolicy::parse(p))
            .collect(),
        extra: Default::default(),
    }
}

/// How [`run_hooks`] runs.
pub(crate) struct HookRun<'a> {
    pub event: HookEvent,
    pub timeout: Duration,
    pub observer: &'a dyn WaitObserver,
    /// Readiness rules (the chart's overrides apply to hooks too).
    pub rules: &'a RuleSet,
}

/// Runs the hooks of `release` for one event, ordered by weight then name: delete a previous
/// instance (`before-hook-creation`, the default), apply, wait until complete
/// ([`Strategy::Hooks`]), then delete on `hook-succeeded` / `hook-failed`. Each hook's
/// `last_run` is updated in `release`.
pub(crate) async fn run_hooks(
    kube: &Kube,
    release: &mut Release,
    run: HookRun<'_>,
) -> Result<(), ActionError> {
    let mut order: Vec<usize> = (0..release.hooks.len())
        .filter(|&i| release.hooks[i].events.contains(&run.event))
        .collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&release.hooks[a], &release.hooks[b]);
        a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name))
    });
    for i in order {
        let hook = &release.hooks[i];
        let failed = |source: ActionError| ActionError::HookFailed {
            event: run.event.to_string(),
            hook: format!("{}/{}", hook.kind, hook.name),
            source: Box::new(source),
        };
        let mut obj = parse_object(&hook.path, &hook.manifest).map_err(failed)?;
        default_namespace(&mut obj, &release.namespace);
        let id = ObjectRef::of(&obj).map_err(|e| failed(e.into()))?;
        let policies = &hook.delete_policies;
        let has = |p: HookDeletePolicy| policies.contains(&p);
        if policies.is_empty() || has(HookDeletePolicy::BeforeHookCreation) {
            delete_and_wait(kube, &id, run.timeout)
                .await
                .map_err(failed)?;
        }
        let started = Time::now();
        release.hooks[i].last_run = HookExecution {
            started_at: started,
            completed_at: Time::ZERO,
            phase: Some(HookPhase::Running),
            extra: Default::default(),
        };
        let outcome = async {
            kube.apply(&obj, &apply_options(false)).await?;
            let options = WaitOptions::rudder(Strategy::Hooks, Desired::Current, run.timeout);
            wait::wait(
                kube,
                std::slice::from_ref(&id),
                run.rules,
                &options,
                run.observer,
            )
            .await?;
            Ok::<(), ActionError>(())
        }
        .await;
        let hook = &mut release.hooks[i];
        hook.last_run.completed_at = Time::now();
        hook.last_run.phase = Some(if outcome.is_ok() {
            HookPhase::Succeeded
        } else {
            HookPhase::Failed
        });
        let policy = if outcome.is_ok() {
            HookDeletePolicy::HookSucceeded
        } else {
            HookDeletePolicy::HookFailed
        };
        if hook.delete_policies.contains(&policy) {
            let deleted = delete_and_wait(kube, &id, run.timeout).await;
            if let (Ok(()), Err(e)) = (&outcome, deleted) {
                return Err(ActionError::HookFailed {
                    event: run.event.to_string(),
                    hook: format!("{}/{}", hook.kind, hook.name),
                    source: Box::new(e),
                });
            }
        }
        if let Err(e) = outcome {
            return Err(ActionError::HookFailed {
                event: run.event.to_string(),
                hook: format!("{}/{}", hook.kind, hook.name),
                source: Box::new(e),
            });
        }
    }
    Ok(())
}

/// Deletes one object (background propagation) and waits until it is gone.
async fn delete_and_wait(
    kube: &Kube,
    id: &ObjectRef,
    timeout: Duration,
) -> Result<(), ActionError> {
    if kube.delete(id, &DeleteOptions::default()).await? == rudder_kube::DeleteOutcome::Deleted {
        let options = WaitOptions::rudder(Strategy::Wait, Desired::NotFound, timeout);
        wait::wait(
            kube,
            std::slice::from_ref(id),
            &RuleSet::rudder(),
            &options,
            &wait::NoProgress,
        )
        .await?;
    }
    Ok(())
}

/// Waits until `refs` are ready (watcher strategy, or with Jobs complete) with progress to
/// `observer`.
pub(crate) async fn wait_ready(
    kube: &Kube,
    refs: &[ObjectRef],
    timeout: Duration,
    readiness: &Readiness,
    observer: &dyn WaitObserver,
) -> Result<(), ActionError> {
    let options = WaitOptions::rudder(readiness.strategy(), Desired::Current, timeout);
    wait::wait(kube, refs, &readiness.rules, &options, observer).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_formats() {
        // Expected values from `date -u -d @N`.
        let t = Time::from_unix(1_800_000_000, 0);
        assert_eq!(go_ansic(&t), "Fri Jan 15 08:00:00 2027");
        assert_eq!(go_time_string(&t), "2027-01-15 08:00:00 +0000 UTC");
        let leap = Time::from_unix(951_782_400, 120_000_000);
        assert_eq!(go_ansic(&leap), "Tue Feb 29 00:00:00 2000");
        assert_eq!(go_time_string(&leap), "2000-02-29 00:00:00.12 +0000 UTC");
        assert_eq!(go_ansic(&Time::from_unix(0, 0)), "Thu Jan  1 00:00:00 1970");
        assert_eq!(go_ansic(&Time::ZERO), "");
        let shifted = Time::from_unix(1_800_000_000, 0).with_offset(2 * 3600);
        assert_eq!(go_time_string(&shifted), "2027-01-15 10:00:00 +0200 +0200");
    }

    #[test]
    fn ownership_is_checked_like_helm() {
        let id = ObjectRef::new("v1", "ConfigMap", Some("ns"), "cm");
        let mut obj = dynamic_object(serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}
        }))
        .unwrap();
        let err = check_owner(&obj, &id, "web", "ns").unwrap_err().to_string();
        assert!(
            err.contains("missing key \"app.kubernetes.io/managed-by\""),
            "{err}"
        );
        mark_owned(&mut obj, "other", "ns");
        let err = check_owner(&obj, &id, "web", "ns").unwrap_err().to_string();
        assert!(
            err.contains("must equal \"web\": current value is \"other\""),
            "{err}"
        );
        mark_owned(&mut obj, "web", "ns");
        assert!(check_owner(&obj, &id, "web", "ns").is_ok());
    }
}
