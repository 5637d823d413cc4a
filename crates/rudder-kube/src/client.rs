//! [`Kube`]: a client, a default namespace and a discovery cache; object primitives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams,
    PropagationPolicy,
};
use kube::core::GroupVersion;
use kube::discovery::{ApiCapabilities, Scope, pinned_group};

use crate::config::{ClientOptions, build_client, load_config};
use crate::error::api_code;
use crate::{Error, ObjectRef};

/// The field manager Rudder applies with unless told otherwise.
pub const DEFAULT_FIELD_MANAGER: &str = "rudder";

/// The default number of objects [`Kube::apply_all`] applies at once.
pub const DEFAULT_APPLY_CONCURRENCY: usize = 16;

/// Served resources per group version (`apiVersion` → resources with their capabilities).
type DiscoveryCache = HashMap<String, Arc<Vec<(ApiResource, ApiCapabilities)>>>;

/// A connection to one cluster: the client, the namespace for objects that name none, and a
/// discovery cache shared by clones.
#[derive(Clone)]
pub struct Kube {
    client: Client,
    namespace: String,
    discovery: Arc<Mutex<DiscoveryCache>>,
    /// Serialises discovery requests, so concurrent misses on one group version (e.g. the
    /// first objects of [`Kube::apply_all`]) make one request.
    discovery_fetch: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Kube {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kube")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// A kind as the API server serves it.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Group, version, kind and plural, for building [`Api`]s.
    pub resource: ApiResource,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
}

impl Resolved {
    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(&self) -> bool {
        matches!(self.scope, Scope::Namespaced)
    }
}

/// How [`Kube::apply`] writes an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMethod {
    /// Server-side apply (`PATCH` with `application/apply-patch+yaml`): the API server merges
    /// the manifest into the live object and records field ownership for the field manager.
    /// Helm 4's default (`apply_method: ssa`).
    ServerSide,
    /// Client-side (`apply_method: csa`): create when absent, otherwise replace (`PUT`) the
    /// live object with the manifest, carrying over the live `resourceVersion` (retried on a
    /// `resourceVersion` conflict). Fields set by others and absent from the manifest are
    /// removed; Helm 3's three-way strategic merge is not implemented.
    ClientSide,
}

/// Options of [`Kube::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Server-side or client-side.
    pub method: ApplyMethod,
    /// The field manager recorded in `managedFields` (default [`DEFAULT_FIELD_MANAGER`]).
    pub field_manager: String,
    /// Server-side apply only: take over fields owned by other managers instead of failing
    /// with [`Error::Conflict`] (Helm's `--force-conflicts`).
    pub force_conflicts: bool,
    /// Ask the API server to validate and default without persisting (`dryRun=All`).
    pub dry_run: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            method: ApplyMethod::ServerSide,
            field_manager: DEFAULT_FIELD_MANAGER.to_owned(),
            force_conflicts: false,
            dry_run: false,
        }
    }
}

/// Deletion propagation (Helm's `--cascade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Dependents are deleted by the garbage collector afterwards (Helm's default).
    #[default]
    Background,
    /// The object stays (with a `foregroundDeletion` finalizer) until its dependents are gone.
    Foreground,
    /// Dependents are left behind.
    Orphan,
}

/// Options of [`Kube::delete`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeleteOptions {
    /// How dependents are treated.
    pub propagation: Propagation,
    /// Validate without deleting (`dryRun=All`).
    pub dry_run: bool,
}

/// What [`Kube::delete`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The API server accepted the deletion (the object may linger while finalizers run; wait
    /// with [`crate::wait::wait`] and [`crate::wait::Desired::NotFound`]).
    Deleted,
    /// The object did not exist.
    NotFound,
}

impl Kube {
    /// Loads the configuration as `options` say and connects (no request is made yet).
    ///
    /// # Errors
    /// As [`load_config`] and [`build_client`].
    pub async fn connect(options: &ClientOptions) -> Result<Self, Error> {
        let (config, namespace) = load_config(options).await?;
        Ok(Self::new(build_client(config)?, namespace))
    }

    /// Wraps an existing client; `namespace` is used for namespaced objects that name none.
    pub fn new(client: Client, namespace: impl Into<String>) -> Self {
        Self {
            client,
            namespace: namespace.into(),
            discovery: Arc::default(),
            discovery_fetch: Arc::default(),
        }
    }

    /// The underlying client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The default namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Maps `apiVersion`/`kind` to the served resource and its scope.
    ///
    /// Each group version is listed once and cached; a kind missing from the cache lists its
    /// group version again, so a CRD created earlier in the same operation resolves.
    ///
    /// # Errors
    /// [`Error::UnknownKind`] when the API server does not serve the kind (after a refresh);
    /// [`Error::Discovery`] when the listing fails otherwise.
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved, Error> {
        if let Some(found) = self.cached(api_version, kind) {
            return Ok(found);
        }
        let unknown = || Error::UnknownKind {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        };
        let gv: GroupVersion = api_version.parse().map_err(|_| unknown())?;
        let _fetching = self.discovery_fetch.lock().await;
        // Another task may have listed this group version while we waited for the lock.
        if let Some(found) = self.cached(api_version, kind) {
            return Ok(found);
        }
        let group = match pinned_group(&self.client, &gv).await {
            Ok(group) => group,
            Err(source) if api_code(&source) == Some(404) => return Err(unknown()),
            Err(source) => {
                return Err(Error::Discovery {
                    api_version: api_version.to_owned(),
                    source: Box::new(source),
                });
            }
        };
        let resources = Arc::new(group.versioned_resources(&gv.version));
        self.lock_discovery()
            .insert(api_version.to_owned(), resources);
        self.cached(api_version, kind).ok_or_else(unknown)
    }

    /// Forgets every cached discovery result.
    pub fn invalidate_discovery(&self) {
        self.lock_discovery().clear();
    }

    fn lock_discovery(&self) -> std::sync::MutexGuard<'_, DiscoveryCache> {
        // A poisoned lock only means another thread panicked mid-insert of a whole entry; the
        // map itself is still consistent.
        self.discovery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, api_version: &str, kind: &str) -> Option<Resolved> {
        let resources = self.lock_discovery().get(api_version).cloned()?;
        resources
            .iter()
            .find(|(ar, _)| ar.kind == kind)
            .map(|(ar, caps)| Resolved {
                resource: ar.clone(),
                scope: caps.scope.clone(),
            })
    }

    /// Resolves `id`'s kind and returns the reference with its namespace settled: the default
    /// namespace for a namespaced object that names none, `None` for a cluster-scoped one.
    ///
    /// # Errors
    /// As [`Kube::resolve`].
    pub async fn normalize(&self, id: &ObjectRef) -> Result<(ObjectRef, Resolved), Error> {
        let resolved = self.resolve(&id.api_version, &id.kind).await?;
        let mut id = id.clone();
        if resolved.is_namespaced() {
            if id.namespace.as_deref().is_none_or(str::is_empty) {
                id.namespace = Some(self.namespace.clone());
            }
        } else {
            id.namespace = None;
        }
        Ok((id, resolved))
    }

    /// An [`Api`] for the kind of `id`, in its namespace when the kind is namespaced.
    pub fn api(&self, id: &ObjectRef, resolved: &Resolved) -> Api<DynamicObject> {
        match (&id.namespace, resolved.is_namespaced()) {
            (Some(ns), true) => Api::namespaced_with(self.client.clone(), ns, &resolved.resource),
            (None, true) => {
                Api::namespaced_with(self.client.clone(), &self.namespace, &resolved.resource)
            }
            (_, false) => Api::all_with(self.client.clone(), &resolved.resource),
        }
    }

    /// Applies one object as `options` say and returns the object the API server stored.
    ///
    /// A namespaced object without a namespace goes to [`Kube::namespace`]; a cluster-scoped
    /// object's namespace is dropped.
    ///
    /// # Errors
    /// [`Error::InvalidObject`], [`Error::UnknownKind`], [`Error::Conflict`] (server-side field
    /// conflicts without `force_conflicts`), [`Error::Request`] for any other API error.
    pub async fn apply(
        &self,
        obj: &DynamicObject,
        options: &ApplyOptions,
    ) -> Result<DynamicObject, Error> {
        let (id, resolved) = self.normalize(&ObjectRef::of(obj)?).await?;
        let api = self.api(&id, &resolved);
        let mut obj = obj.clone();
        obj.metadata.namespace.clone_from(&id.namespace);
        // Fields the server owns must not be sent back.
        obj.metadata.resource_version = None;
        obj.metadata.uid = None;
        obj.metadata.managed_fields = None;
        obj.metadata.creation_timestamp = None;
        match options.method {
            ApplyMethod::ServerSide => {
                let mut params = PatchParams::apply(&options.field_manager);
                params.force = options.force_conflicts;
                params.dry_run = options.dry_run;
                api.patch(&id.name, &params, &Patch::Apply(&obj))
                    .await
                    .map_err(|source| match api_code(&source) {
                        Some(409) => Error::Conflict {
                            id,
                            source: Box::new(source),
                        },
                        _ => Error::Request {
                            verb: "apply",
                            id,
                            source: Box::new(source),
                        },
                    })
            }
            ApplyMethod::ClientSide => self.apply_client_side(&api, id, obj, options).await,
        }
    }

    async fn apply_client_side(
        &self,
        api: &Api<DynamicObject>,
        id: ObjectRef,
        mut obj: DynamicObject,
        options: &ApplyOptions,
    ) -> Result<DynamicObject, Error> {
        let params = PostParams {
            dry_run: options.dry_run,
            field_manager: Some(options.field_manager.clone()),
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            let live = api
                .get_opt(&id.name)
                .await
                .map_err(|source| Error::Request {
                    verb: "get",
                    id: id.clone(),
                    source: Box::new(source),
                })?;
            let result = match live {
                None => api
                    .create(&params, &obj)
                    .await
                    .map_err(|source| (source, "create")),
                Some(live) => {
                    obj.metadata.resource_version = live.metadata.resource_version;
                    api.replace(&id.name, &params, &obj)
                        .await
                        .map_err(|source| (source, "replace"))
                }
            };
            match result {
                Ok(stored) => return Ok(stored),
                // Someone changed the object (or created it) between our read and write.
                Err((source, _)) if api_code(&source) == Some(409) && attempts < 3 => {
                    tracing::debug!(object = %id, "client-side apply raced a writer; retrying");
                }
                Err((source, verb)) => {
                    return Err(Error::Request {
                        verb,
                        id,
                        source: Box::new(source),
                    });
                }
            }
        }
    }

    /// Applies independent objects concurrently, at most `concurrency` at a time (0 counts as
    /// 1); results come back in the order of `objects`.
    pub async fn apply_all(
        &self,
        objects: &[DynamicObject],
        options: &ApplyOptions,
        concurrency: usize,
    ) -> Vec<Result<DynamicObject, Error>> {
        let mut results: Vec<(usize, Result<DynamicObject, Error>)> =
            futures::stream::iter(objects.iter().enumerate())
                .map(|(i, obj)| async move { (i, self.apply(obj, options).await) })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// Reads one object; `None` when it does not exist.
    ///
    /// # Errors
    /// [`Error::UnknownKind`] or [`Error::Request`].
    pub async fn get(&self, id: &ObjectRef) -> Result<Option<DynamicObject>, Error> {
        let (id, resolved) = self.normalize(id).await?;
        self.api(&id, &resolved)
            .get_opt(&id.name)
            .await
            .map_err(|source| Error::Request {
                verb: "get",
                id,
                source: Box::new(source),
            })
    }

    /// The log of a Pod's (first) container, or `None` when the Pod does not exist.
    ///
    /// # Errors
    /// [`Error::Request`] for any other API error.
    pub async fn pod_logs(&self, namespace: &str, name: &str) -> Result<Option<String>, Error> {
        let pods: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(self.client.clone(), namespace);
        match pods.logs(name, &kube::api::LogParams::default()).await {
            Ok(text) => Ok(Some(text)),
            Err(source) if api_code(&source) == Some(404) => Ok(None),
            Err(source) => Err(Error::Request {
                verb: "logs",
                id: ObjectRef {
                    api_version: "v1".to_owned(),
                    kind: "Pod".to_owned(),
                    namespace: Some(namespace.to_owned()),
                    name: name.to_owned(),
                },
                source: Box::new(source),
            }),
        }
    }

    /// Asks the API server to delete one object. Combine with [`crate::wait::wait`] and
    /// [`crate::wait::Desired::NotFound`] to wait until it is gone.
    ///
    /// # Errors
    /// [`Error::UnknownKind`] or [`Error::Request`]. A missing object is
    /// [`DeleteOutcome::NotFound`], not an error.
    pub async fn delete(
        &self,
        id: &ObjectRef,
        options: &DeleteOptions,
    ) -> Result<DeleteOutcome, Error> {
        let (id, resolved) = self.normalize(id).await?;
        let params = DeleteParams {
            dry_run: options.dry_run,
            propagation_policy: Some(match options.propagation {
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Foreground => PropagationPolicy::Foreground,
                Propagation::Orphan => PropagationPolicy::Orphan,
            }),
            ..DeleteParams::default()
        };
        match self.api(&id, &resolved).delete(&id.name, &params).await {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(source) if api_code(&source) == Some(404) => Ok(DeleteOutcome::NotFound),
            Err(source) => Err(Error::Request {
                verb: "delete",
                id,
                source: Box::new(source),
            }),
        }
    }
}
