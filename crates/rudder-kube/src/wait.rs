//! Waiting for objects to become ready (or to disappear), driven by the watch API.
//!
//! [`wait`] starts one `kube::runtime::watcher` per (apiVersion, kind, namespace) among the
//! objects (a field selector on `metadata.name` when the group has a single object), computes
//! each object's status on every event with [`Strategy::read`], and ends as Helm 4's
//! `statusWaiter` does:
//!
//! - when [`wait_is_done`] says so: every object is `Current` (`Failed` objects are terminal and
//!   left out; if there are any, the wait fails listing them), or, waiting for deletion, every
//!   object is `NotFound` (`Unknown` ones left out);
//! - or when the timeout passes, with [`Error::WaitTimedOut`] listing every object not in the
//!   desired status in Helm's words.
//!
//! There are no polling loops. The only timers are the recheck of statuses that depend on the
//! clock ([`ObjectStatus::recheck_after`]: the Pod schedule window, the grace period of a new
//! custom resource) and, for a kind the API server does not serve (yet), a retry of discovery
//! every [`RESOLVE_RETRY`].
//!
//! Differences from Helm, on purpose:
//! - Statuses are computed from the watch events alone, never by extra LIST requests in the
//!   event path (helm #31824). For ReplicaSets and StatefulSets, kstatus's failed-pod
//!   escalation reads Pods from one more watch per (namespace, selector).
//! - An object absent from the initial list is `NotFound` rather than `Unknown`.
//! - With [`Strategy::Hooks`], each object goes through [`HookState`], so a hook Job deleted by
//!   its TTL controller after succeeding is done ([`DeletedHookPolicy::DoneIfCompleted`]).
//! - A paused Deployment is `Current` ("Deployment is paused; not waited for") instead of
//!   being dropped from the list before the wait.
//!
//! Limits: a hook object that finished and was deleted before its watch listed it (a Job with
//! `ttlSecondsAfterFinished: 0` finishing within the first list) was never seen, so it is
//! `NotFound` and the wait runs to its timeout, as in Helm; start the wait right after creating
//! hooks. Progress reaches the [`WaitObserver`] only when an object's status or message changes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime};

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::Selector;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use rudder_kstatus::{
    ComputeOptions, DeletedHookPolicy, HookEvent, HookState, ObjectStatus, PodFailureFilter,
    PodObservation, RuleSet, Status, Strategy, escalate_failed_pods, wait_is_done,
};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::NotReady;
use crate::object::to_value_with_types;
use crate::{Error, Kube, ObjectRef};

/// Helm's SDK turns a zero timeout into this.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How often discovery is retried for a kind the API server does not serve yet.
pub const RESOLVE_RETRY: Duration = Duration::from_secs(2);

/// The status a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desired {
    /// Ready (`Current`): install, upgrade, rollback, hooks.
    Current,
    /// Gone (`NotFound`): uninstall, hook deletion.
    NotFound,
}

impl Desired {
    /// The kstatus status this stands for.
    pub fn status(self) -> Status {
        match self {
            Desired::Current => Status::Current,
            Desired::NotFound => Status::NotFound,
        }
    }
}

/// Receives every change of an object's status (or message) while waiting, e.g. to render
/// `Deployment/web 2/3 ready` lines.
pub trait WaitObserver {
    /// `id`'s status is now `status`.
    fn on_status(&self, id: &ObjectRef, status: &ObjectStatus);
}

/// An observer that ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl WaitObserver for NoProgress {
    fn on_status(&self, _: &ObjectRef, _: &ObjectStatus) {}
}

impl<F: Fn(&ObjectRef, &ObjectStatus)> WaitObserver for F {
    fn on_status(&self, id: &ObjectRef, status: &ObjectStatus) {
        self(id, status);
    }
}

impl WaitObserver for mpsc::UnboundedSender<(ObjectRef, ObjectStatus)> {
    fn on_status(&self, id: &ObjectRef, status: &ObjectStatus) {
        // A receiver that went away no longer wants progress.
        let _ = self.send((id.clone(), status.clone()));
    }
}

/// Options of [`wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Helm's reader stack: `Wait`, `WaitWithJobs` (`--wait-for-jobs`) or `Hooks`.
    pub strategy: Strategy,
    /// Ready or gone.
    pub desired: Desired,
    /// How long to wait; zero means [`DEFAULT_TIMEOUT`] as in Helm's SDK.
    pub timeout: Duration,
    /// Rule options; `now` is replaced by the clock at every computation.
    pub compute: ComputeOptions,
    /// What a deleted hook object means (only with [`Strategy::Hooks`]).
    pub deleted_hooks: DeletedHookPolicy,
    /// Which failed Pods escalate a ReplicaSet or StatefulSet to `Failed`.
    pub pod_failures: PodFailureFilter,
}

impl WaitOptions {
    /// Rudder's defaults: [`ComputeOptions::rudder`], hook Jobs deleted after success are done,
    /// transient Pod failures ignored (as Helm 4's kstatus fork does).
    pub fn rudder(strategy: Strategy, desired: Desired, timeout: Duration) -> Self {
        Self {
            strategy,
            desired,
            timeout,
            compute: ComputeOptions::rudder(SystemTime::UNIX_EPOCH),
            deleted_hooks: DeletedHookPolicy::DoneIfCompleted,
            pod_failures: PodFailureFilter::SkipTransient,
        }
    }

    /// Exactly Helm 4.1's behaviour: [`ComputeOptions::kstatus`], a deleted hook is `NotFound`.
    pub fn helm(strategy: Strategy, desired: Desired, timeout: Duration) -> Self {
        Self {
            compute: ComputeOptions::kstatus(SystemTime::UNIX_EPOCH),
            deleted_hooks: DeletedHookPolicy::NotFound,
            ..Self::rudder(strategy, desired, timeout)
        }
    }
}

/// The outcome of a successful wait.
#[derive(Debug, Clone)]
pub struct WaitReport {
    /// Every object (namespaces settled, duplicates removed) with its final status.
    pub statuses: Vec<(ObjectRef, ObjectStatus)>,
    /// How long the wait took.
    pub elapsed: Duration,
}

/// Waits until every object in `ids` has the desired status, as the module docs describe.
///
/// Namespaced objects without a namespace are looked for in [`Kube::namespace`].
///
/// # Errors
/// [`Error::WaitTimedOut`] when the timeout passes, [`Error::WaitFailed`] when the wait ends
/// with objects `Failed`, [`Error::Watch`] when a watch is refused (e.g. `403 Forbidden`).
pub async fn wait(
    kube: &Kube,
    ids: &[ObjectRef],
    rules: &RuleSet,
    options: &WaitOptions,
    observer: &dyn WaitObserver,
) -> Result<WaitReport, Error> {
    let started = Instant::now();
    let timeout = if options.timeout.is_zero() {
        DEFAULT_TIMEOUT
    } else {
        options.timeout
    };
    let mut state = State::new(options, rules, observer);
    for id in ids {
        let id = match kube.normalize(id).await {
            Ok((id, _)) => id,
            // Not served (yet): assume namespaced; the watch task keeps trying discovery.
            Err(_) => {
                let mut id = id.clone();
                if id.namespace.is_none() {
                    id.namespace = Some(kube.namespace().to_owned());
                }
                id
            }
        };
        state.add(id);
    }
    if state.entries.is_empty() {
        return Ok(WaitReport {
            statuses: Vec::new(),
            elapsed: started.elapsed(),
        });
    }

    let (tx, mut rx) = mpsc::unbounded_channel();
    // Dropping the set when this function returns aborts every watch.
    let mut tasks = JoinSet::new();
    for (index, key) in state.keys.iter().enumerate() {
        tasks.spawn(watch_objects(
            kube.clone(),
            index,
            key.key.clone(),
            key.names.keys().cloned().collect(),
            tx.clone(),
        ));
    }

    let deadline = started + timeout;
    let mut channel_open = true;
    loop {
        let next_recheck = state.next_recheck();
        tokio::select! {
            message = rx.recv(), if channel_open => match message {
                Some(Message::Fatal(error)) => return Err(error),
                Some(message) => {
                    let wanted = state.handle(message);
                    for (index, namespace, selector) in wanted {
                        tasks.spawn(watch_pods(kube.clone(), index, namespace, selector, tx.clone()));
                    }
                }
                None => channel_open = false,
            },
            () = tokio::time::sleep_until(deadline) => {
                return state.timed_out(timeout, started);
            }
            () = sleep_until_opt(next_recheck), if next_recheck.is_some() => {
                for (index, namespace, selector) in state.recheck_due() {
                    tasks.spawn(watch_pods(kube.clone(), index, namespace, selector, tx.clone()));
                }
            }
        }
        if state.is_done() {
            return state.finish(started);
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A pod watch to start: (selector index, namespace, label selector).
type PodWatch = (usize, String, String);

/// (apiVersion, kind, namespace) of one object watch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WatchKey {
    api_version: String,
    kind: String,
    namespace: Option<String>,
}

enum Message {
    Object {
        key: usize,
        event: Event<DynamicObject>,
    },
    Pod {
        selector: usize,
        event: Event<DynamicObject>,
    },
    Unresolved {
        key: usize,
        message: String,
    },
    /// The API server stopped serving the kind (its CRD was deleted): none of its objects
    /// exists any more.
    KindGone {
        key: usize,
    },
    Fatal(Error),
}

async fn watch_objects(
    kube: Kube,
    index: usize,
    key: WatchKey,
    names: Vec<String>,
    tx: mpsc::UnboundedSender<Message>,
) {
    let resolved = loop {
        match kube.resolve(&key.api_version, &key.kind).await {
            Ok(resolved) => break resolved,
            Err(error) => {
                let message = error.to_string();
                tracing::debug!(%message, "kind not resolvable yet; retrying discovery");
                if tx
                    .send(Message::Unresolved {
                        key: index,
                        message,
                    })
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(RESOLVE_RETRY).await;
            }
        }
    };
    let client = kube.client().clone();
    let api: Api<DynamicObject> = match (&key.namespace, resolved.is_namespaced()) {
        (Some(ns), true) => Api::namespaced_with(client, ns, &resolved.resource),
        (None, true) => Api::namespaced_with(client, kube.namespace(), &resolved.resource),
        (_, false) => Api::all_with(client, &resolved.resource),
    };
    let mut config = watcher::Config::default();
    if let [name] = names.as_slice() {
        config = config.fields(&format!("metadata.name={name}"));
    }
    let what = match &key.namespace {
        Some(ns) if resolved.is_namespaced() => format!("{} in namespace {ns}", key.kind),
        _ => key.kind.clone(),
    };
    forward(
        watcher::watcher(api, config).default_backoff(),
        what,
        |event| Message::Object { key: index, event },
        Some(index),
        &tx,
    )
    .await;
}

async fn watch_pods(
    kube: Kube,
    index: usize,
    namespace: String,
    selector: String,
    tx: mpsc::UnboundedSender<Message>,
) {
    let resource = ApiResource::erase::<Pod>(&());
    let api: Api<DynamicObject> =
        Api::namespaced_with(kube.client().clone(), &namespace, &resource);
    let config = watcher::Config::default().labels(&selector);
    forward(
        watcher::watcher(api, config).default_backoff(),
        format!("Pods ({selector}) in namespace {namespace}"),
        |event| Message::Pod {
            selector: index,
            event,
        },
        None,
        &tx,
    )
    .await;
}

/// Forwards a watch's events. `gone_key`: the watch key to report as [`Message::KindGone`]
/// when the API server answers 404 for the resource itself (the kind is no longer served).
async fn forward<S>(
    stream: S,
    what: String,
    wrap: impl Fn(Event<DynamicObject>) -> Message,
    gone_key: Option<usize>,
    tx: &mpsc::UnboundedSender<Message>,
) where
    S: Stream<Item = Result<Event<DynamicObject>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                if tx.send(wrap(event)).is_err() {
                    return;
                }
            }
            Err(source) if is_forbidden(&source) => {
                let _ = tx.send(Message::Fatal(Error::Watch {
                    what,
                    source: Box::new(source),
                }));
                return;
            }
            Err(source) if gone_key.is_some() && has_code(&source, 404) => {
                tracing::debug!(%what, "the kind is no longer served; its objects are gone");
                if let Some(key) = gone_key
                    && tx.send(Message::KindGone { key }).is_err()
                {
                    return;
                }
            }
            // Expired resource versions, dropped connections, ...: the watcher recovers.
            Err(error) => tracing::debug!(%what, %error, "watch error; retrying"),
        }
    }
}

fn is_forbidden(error: &watcher::Error) -> bool {
    has_code(error, 403)
}

/// Whether a watch error is an API answer with this HTTP status code.
fn has_code(error: &watcher::Error, code: u16) -> bool {
    match error {
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == code,
        watcher::Error::WatchError(status) => status.code == code,
        _ => false,
    }
}

struct Entry {
    id: ObjectRef,
    object: Option<Value>,
    status: ObjectStatus,
    hook: HookState,
    recheck_at: Option<Instant>,
    pod_selector: Option<usize>,
    reported: Option<(Status, String)>,
}

struct KeyState {
    key: WatchKey,
    /// Object name → entry index.
    names: BTreeMap<String, usize>,
    /// Whether a full list has been seen (or the kind is not served).
    synced: bool,
    /// Names listed since the last `Init`.
    listing: Option<HashSet<String>>,
}

struct PodSelector {
    pods: BTreeMap<String, Value>,
    listing: Option<BTreeMap<String, Value>>,
}

struct State<'a> {
    options: &'a WaitOptions,
    rules: &'a RuleSet,
    observer: &'a dyn WaitObserver,
    entries: Vec<Entry>,
    keys: Vec<KeyState>,
    key_index: HashMap<WatchKey, usize>,
    pod_selectors: Vec<PodSelector>,
    pod_selector_index: HashMap<(String, String), usize>,
}

impl<'a> State<'a> {
    fn new(options: &'a WaitOptions, rules: &'a RuleSet, observer: &'a dyn WaitObserver) -> Self {
        Self {
            options,
            rules,
            observer,
            entries: Vec::new(),
            keys: Vec::new(),
            key_index: HashMap::new(),
            pod_selectors: Vec::new(),
            pod_selector_index: HashMap::new(),
        }
    }

    fn add(&mut self, id: ObjectRef) {
        let key = WatchKey {
            api_version: id.api_version.clone(),
            kind: id.kind.clone(),
            namespace: id.namespace.clone(),
        };
        let key_index = *self.key_index.entry(key.clone()).or_insert_with(|| {
            self.keys.push(KeyState {
                key,
                names: BTreeMap::new(),
                synced: false,
                listing: None,
            });
            self.keys.len() - 1
        });
        if self.keys[key_index].names.contains_key(&id.name) {
            return;
        }
        self.keys[key_index]
            .names
            .insert(id.name.clone(), self.entries.len());
        self.entries.push(Entry {
            id,
            object: None,
            status: HookState::NotSeen.status(),
            hook: HookState::NotSeen,
            recheck_at: None,
            pod_selector: None,
            reported: None,
        });
    }

    /// Handles one message; returns the pod watches to start (namespace, selector).
    fn handle(&mut self, message: Message) -> Vec<PodWatch> {
        let mut wanted = Vec::new();
        match message {
            Message::Object { key, event } => self.object_event(key, event, &mut wanted),
            Message::Pod { selector, event } => self.pod_event(selector, event, &mut wanted),
            Message::Unresolved { key, message } => {
                self.keys[key].synced = true;
                let unseen: Vec<usize> = self.keys[key].names.values().copied().collect();
                for entry in unseen {
                    if self.entries[entry].object.is_none() {
                        self.entries[entry].status = ObjectStatus {
                            status: Status::Unknown,
                            message: message.clone(),
                            reason: None,
                            recheck_after: None,
                        };
                        self.report(entry);
                    }
                }
            }
            Message::KindGone { key } => {
                self.keys[key].synced = true;
                let entries: Vec<usize> = self.keys[key].names.values().copied().collect();
                for entry in entries {
                    self.gone(entry);
                }
            }
            Message::Fatal(_) => {}
        }
        wanted
    }

    fn entry_of(&self, key: usize, obj: &DynamicObject) -> Option<usize> {
        let name = obj.metadata.name.as_deref()?;
        self.keys[key].names.get(name).copied()
    }

    fn object_event(
        &mut self,
        key: usize,
        event: Event<DynamicObject>,
        wanted: &mut Vec<PodWatch>,
    ) {
        match event {
            Event::Init => self.keys[key].listing = Some(HashSet::new()),
            Event::InitApply(obj) | Event::Apply(obj) => {
                let Some(entry) = self.entry_of(key, &obj) else {
                    return;
                };
                if let Some(listing) = &mut self.keys[key].listing {
                    listing.insert(self.entries[entry].id.name.clone());
                }
                let k = &self.keys[key].key;
                self.entries[entry].object =
                    Some(to_value_with_types(&obj, &k.api_version, &k.kind));
                self.recompute(entry, wanted);
            }
            Event::InitDone => {
                let listed = self.keys[key].listing.take().unwrap_or_default();
                self.keys[key].synced = true;
                let absent: Vec<usize> = self.keys[key]
                    .names
                    .iter()
                    .filter(|(name, _)| !listed.contains(*name))
                    .map(|(_, entry)| *entry)
                    .collect();
                for entry in absent {
                    self.gone(entry);
                }
            }
            Event::Delete(obj) => {
                if let Some(entry) = self.entry_of(key, &obj) {
                    self.gone(entry);
                }
            }
        }
    }

    fn pod_event(
        &mut self,
        selector: usize,
        event: Event<DynamicObject>,
        wanted: &mut Vec<PodWatch>,
    ) {
        let pods = &mut self.pod_selectors[selector];
        let pod_value = |obj: &DynamicObject| {
            (
                obj.metadata.name.clone().unwrap_or_default(),
                to_value_with_types(obj, "v1", "Pod"),
            )
        };
        match event {
            Event::Init => {
                pods.listing = Some(BTreeMap::new());
                return;
            }
            Event::InitApply(obj) => {
                let (name, value) = pod_value(&obj);
                pods.listing.get_or_insert_default().insert(name, value);
                return;
            }
            Event::InitDone => pods.pods = pods.listing.take().unwrap_or_default(),
            Event::Apply(obj) => {
                let (name, value) = pod_value(&obj);
                pods.pods.insert(name, value);
            }
            Event::Delete(obj) => {
                pods.pods
                    .remove(obj.metadata.name.as_deref().unwrap_or_default());
            }
        }
        let owners: Vec<usize> = (0..self.entries.len())
            .filter(|&e| self.entries[e].pod_selector == Some(selector))
            .collect();
        for entry in owners {
            self.recompute(entry, wanted);
        }
    }

    /// The object is gone (deleted, or absent from a full list).
    fn gone(&mut self, entry: usize) {
        let policy = self.options.deleted_hooks;
        let e = &mut self.entries[entry];
        let was_seen = e.object.take().is_some();
        e.recheck_at = None;
        if self.options.strategy == Strategy::Hooks {
            if was_seen || e.hook != HookState::NotSeen {
                e.hook = e.hook.next(HookEvent::Deleted, policy);
                e.status = e.hook.status();
            } else {
                e.status = ObjectStatus::not_found();
            }
        } else {
            e.status = ObjectStatus::not_found();
        }
        self.report(entry);
    }

    fn recompute(&mut self, entry: usize, wanted: &mut Vec<PodWatch>) {
        let Some(obj) = self.entries[entry].object.take() else {
            return;
        };
        let status = self.compute(entry, &obj, wanted);
        let e = &mut self.entries[entry];
        e.recheck_at = status.recheck_after.map(|after| Instant::now() + after);
        if self.options.strategy == Strategy::Hooks {
            e.hook = e.hook.next(
                HookEvent::Observed {
                    object: &obj,
                    status: &status,
                },
                self.options.deleted_hooks,
            );
            e.status = e.hook.status();
        } else {
            e.status = status;
        }
        e.object = Some(obj);
        self.report(entry);
    }

    fn compute(&mut self, entry: usize, obj: &Value, wanted: &mut Vec<PodWatch>) -> ObjectStatus {
        let compute = ComputeOptions {
            now: SystemTime::now(),
            ..self.options.compute
        };
        let strategy = self.options.strategy;
        let id = &self.entries[entry].id;
        let (group, kind) = (id.group(), id.kind.as_str());
        if strategy != Strategy::Hooks
            && group == "apps"
            && kind == "Deployment"
            && obj.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
        {
            return ObjectStatus::current("Deployment is paused; not waited for");
        }
        let own = strategy.read(obj, self.rules, &compute);
        let controls_pods = group == "apps" && (kind == "ReplicaSet" || kind == "StatefulSet");
        if strategy == Strategy::Hooks || !controls_pods {
            return own;
        }
        let Some(namespace) = id.namespace.clone() else {
            return own;
        };
        let Some(selector) = pod_selector(obj) else {
            return own;
        };
        let index = match self
            .pod_selector_index
            .get(&(namespace.clone(), selector.clone()))
        {
            Some(&index) => index,
            None => {
                self.pod_selectors.push(PodSelector {
                    pods: BTreeMap::new(),
                    listing: None,
                });
                let index = self.pod_selectors.len() - 1;
                self.pod_selector_index
                    .insert((namespace.clone(), selector.clone()), index);
                wanted.push((index, namespace, selector));
                index
            }
        };
        self.entries[entry].pod_selector = Some(index);
        let pods: Vec<(ObjectStatus, &Value)> = self.pod_selectors[index]
            .pods
            .values()
            .map(|pod| (Strategy::Wait.read(pod, self.rules, &compute), pod))
            .collect();
        let pod_recheck = pods.iter().filter_map(|(s, _)| s.recheck_after).min();
        let observations: Vec<PodObservation<'_>> = pods
            .iter()
            .map(|(status, pod)| PodObservation {
                status: status.status,
                pod: Some(pod),
            })
            .collect();
        let mut status = escalate_failed_pods(own, &observations, self.options.pod_failures);
        status.recheck_after = match (status.recheck_after, pod_recheck) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        status
    }

    fn report(&mut self, entry: usize) {
        let e = &mut self.entries[entry];
        let now = (e.status.status, e.status.message.clone());
        if e.reported.as_ref() != Some(&now) {
            self.observer.on_status(&e.id, &e.status);
            e.reported = Some(now);
        }
    }

    fn next_recheck(&self) -> Option<Instant> {
        self.entries.iter().filter_map(|e| e.recheck_at).min()
    }

    /// Recomputes the statuses whose recheck time has come; returns pod watches to start.
    fn recheck_due(&mut self) -> Vec<PodWatch> {
        let now = Instant::now();
        let due: Vec<usize> = (0..self.entries.len())
            .filter(|&e| self.entries[e].recheck_at.is_some_and(|at| at <= now))
            .collect();
        let mut wanted = Vec::new();
        for entry in due {
            self.entries[entry].recheck_at = None;
            self.recompute(entry, &mut wanted);
        }
        wanted
    }

    fn is_done(&self) -> bool {
        self.keys.iter().all(|k| k.synced)
            && wait_is_done(
                self.entries.iter().map(|e| e.status.status),
                self.options.desired.status(),
            )
    }

    fn not_ready(&self) -> Vec<NotReady> {
        let desired = self.options.desired.status();
        self.entries
            .iter()
            .filter(|e| {
                e.status.status != desired
                    && !(desired == Status::NotFound && e.status.status == Status::Unknown)
            })
            .map(|e| NotReady {
                id: e.id.clone(),
                status: e.status.clone(),
            })
            .collect()
    }

    fn statuses(&self) -> Vec<(ObjectRef, ObjectStatus)> {
        self.entries
            .iter()
            .map(|e| (e.id.clone(), e.status.clone()))
            .collect()
    }

    fn finish(&self, started: Instant) -> Result<WaitReport, Error> {
        let objects = self.not_ready();
        if objects.is_empty() {
            Ok(WaitReport {
                statuses: self.statuses(),
                elapsed: started.elapsed(),
            })
        } else {
            Err(Error::WaitFailed {
                desired: self.options.desired,
                objects,
            })
        }
    }

    fn timed_out(&self, timeout: Duration, started: Instant) -> Result<WaitReport, Error> {
        if self.is_done() {
            return self.finish(started);
        }
        let objects = self.not_ready();
        Err(Error::WaitTimedOut {
            desired: self.options.desired,
            timeout,
            objects,
        })
    }
}

/// `spec.selector` of a ReplicaSet or StatefulSet as a label-selector string.
fn pod_selector(obj: &Value) -> Option<String> {
    let selector: LabelSelector =
        serde_json::from_value(obj.pointer("/spec/selector")?.clone()).ok()?;
    let selector = Selector::try_from(selector).ok()?;
    if selector.selects_all() {
        return None;
    }
    Some(selector.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_become_label_queries() {
        let rs = json!({"spec": {"selector": {"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}}});
        let selector = pod_selector(&rs).unwrap();
        assert!(selector.contains("app=web"), "{selector}");
        assert!(selector.contains("tier in (a,b)"), "{selector}");
        assert_eq!(pod_selector(&json!({"spec": {"selector": {}}})), None);
        assert_eq!(pod_selector(&json!({"spec": {}})), None);
    }

    fn state_with<'a>(
        options: &'a WaitOptions,
        rules: &'a RuleSet,
        observer: &'a dyn WaitObserver,
    ) -> State<'a> {
        let mut state = State::new(options, rules, observer);
        state.add(ObjectRef::new("batch/v1", "Job", Some("ns"), "hook"));
        state
    }

    fn job(complete: bool) -> DynamicObject {
        let conditions = if complete {
            json!([{"type": "Complete", "status": "True"}])
        } else {
            json!([])
        };
        serde_json::from_value(json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "hook", "namespace": "ns"},
            "status": {"conditions": conditions, "succeeded": 1}}))
        .unwrap()
    }

    #[test]
    fn hook_job_deleted_by_ttl_after_success_is_done() {
        let options = WaitOptions::rudder(Strategy::Hooks, Desired::Current, DEFAULT_TIMEOUT);
        let rules = RuleSet::rudder();
        let seen = std::cell::RefCell::new(Vec::new());
        let observer = |id: &ObjectRef, s: &ObjectStatus| {
            seen.borrow_mut().push(format!("{id} {}", s.status));
        };
        let mut state = state_with(&options, &rules, &observer);
        state.handle(Message::Object {
            key: 0,
            event: Event::Init,
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::InitApply(job(false)),
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::InitDone,
        });
        assert!(!state.is_done());
        state.handle(Message::Object {
            key: 0,
            event: Event::Apply(job(true)),
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::Delete(job(true)),
        });
        assert!(state.is_done());
        assert_eq!(
            seen.borrow().as_slice(),
            [
                "Job/ns/hook InProgress",
                "Job/ns/hook Current",
                "Job/ns/hook Current"
            ]
        );

        // Helm's policy: the deletion makes it NotFound and the wait goes on.
        let helm = WaitOptions::helm(Strategy::Hooks, Desired::Current, DEFAULT_TIMEOUT);
        let mut state = state_with(&helm, &rules, &NoProgress);
        for event in [Event::Init, Event::InitApply(job(true)), Event::InitDone] {
            state.handle(Message::Object { key: 0, event });
        }
        assert!(state.is_done());
        state.handle(Message::Object {
            key: 0,
            event: Event::Delete(job(true)),
        });
        assert!(!state.is_done());
        assert_eq!(state.entries[0].status.status, Status::NotFound);
    }

    #[test]
    fn delete_wait_is_done_once_listed_absent_and_unresolved_kinds_block_ready_waits() {
        let rules = RuleSet::rudder();
        let options = WaitOptions::rudder(Strategy::Wait, Desired::NotFound, DEFAULT_TIMEOUT);
        let mut state = state_with(&options, &rules, &NoProgress);
        assert!(!state.is_done(), "nothing is known before the first list");
        state.handle(Message::Object {
            key: 0,
            event: Event::Init,
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::InitDone,
        });
        assert!(state.is_done());

        let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, DEFAULT_TIMEOUT);
        let mut state = state_with(&options, &rules, &NoProgress);
        state.handle(Message::Unresolved {
            key: 0,
            message: "no matches".into(),
        });
        assert!(!state.is_done());
        let err = state
            .timed_out(Duration::from_secs(1), Instant::now())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "resource Job/ns/hook not ready. status: Unknown, message: no matches\ntimed out after 1s"
        );
    }

    #[test]
    fn a_kind_no_longer_served_means_its_objects_are_gone() {
        // Uninstall deletes a custom resource and then its CRD; the watch of the custom
        // resource's kind ends with 404s, and the wait for deletion must still finish.
        let rules = RuleSet::rudder();
        let options = WaitOptions::rudder(Strategy::Wait, Desired::NotFound, DEFAULT_TIMEOUT);
        let mut state = state_with(&options, &rules, &NoProgress);
        state.handle(Message::Object {
            key: 0,
            event: Event::Init,
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::InitApply(job(true)),
        });
        state.handle(Message::Object {
            key: 0,
            event: Event::InitDone,
        });
        assert!(!state.is_done(), "the object is still there");
        state.handle(Message::KindGone { key: 0 });
        assert_eq!(state.entries[0].status.status, Status::NotFound);
        assert!(state.is_done());
    }
}
