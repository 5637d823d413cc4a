//! The cluster behind plugins' host functions: [`ClusterReadHost`] implements
//! [`rudder_plugin::runtime::host_kube::KubeHost`] with `rudder-kube` (list) and
//! `rudder-kstatus` (readiness, Rudder's rules including the Kubeflow kinds).
//!
//! Access is read-only: the only operation is listing one kind, in one namespace or
//! cluster-wide for cluster-scoped kinds. Plugins never see the kubeconfig or its
//! credentials; they get objects (without `managedFields`) and readiness.
//!
//! The connection is made on the first call, with the default kubeconfig lookup (`KUBECONFIG`,
//! then `~/.kube/config`) and its current context, on a private Tokio runtime: plugin calls
//! are blocking and never run inside the CLI's async runtime. Each list is bounded by
//! [`LIST_TIMEOUT`].

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use kube::api::ListParams;
use rudder_kstatus::{ComputeOptions, RuleSet, Strategy};
use rudder_kube::{ClientOptions, Kube, ObjectRef};
use rudder_plugin::LoadedPlugin;
use rudder_plugin::runtime::host_kube::{
    KubeHost, KubeHostError, KubeListItem, KubeListRequest, KubeListResponse,
};

/// Longest one `rudder_kube_list` call may take.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(30);

/// Read-only cluster access for plugins (see the module docs).
pub struct ClusterReadHost {
    options: ClientOptions,
    rules: RuleSet,
    connection: OnceLock<Result<(tokio::runtime::Runtime, Kube), String>>,
}

impl std::fmt::Debug for ClusterReadHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterReadHost").finish_non_exhaustive()
    }
}

impl ClusterReadHost {
    /// A host that will connect with `options` when a plugin first lists something.
    pub fn new(options: ClientOptions) -> Self {
        Self {
            options,
            rules: RuleSet::rudder(),
            connection: OnceLock::new(),
        }
    }

    fn connection(&self) -> Result<&(tokio::runtime::Runtime, Kube), KubeHostError> {
        let connected = self.connection.get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            let kube = runtime
                .block_on(Kube::connect(&self.options))
                .map_err(|e| e.to_string())?;
            Ok((runtime, kube))
        });
        connected.as_ref().map_err(|message| KubeHostError {
            message: message.clone(),
        })
    }

    async fn list_async(
        &self,
        kube: &Kube,
        request: &KubeListRequest,
    ) -> Result<KubeListResponse, KubeHostError> {
        let fail = |message: String| KubeHostError { message };
        let namespace = request
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| kube.namespace().to_owned());
        let id = ObjectRef::new(
            request.api_version.as_str(),
            request.kind.as_str(),
            Some(namespace.as_str()),
            "",
        );
        let (id, resolved) = match kube.normalize(&id).await {
            Ok(found) => found,
            Err(rudder_kube::Error::UnknownKind { .. }) => {
                return Ok(KubeListResponse {
                    served: false,
                    namespace: String::new(),
                    items: Vec::new(),
                });
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        let mut params = ListParams::default();
        if let Some(selector) = request.label_selector.as_deref().filter(|s| !s.is_empty()) {
            params = params.labels(selector);
        }
        let list = kube
            .api(&id, &resolved)
            .list(&params)
            .await
            .map_err(|e| fail(format!("listing {} {}: {e}", id.api_version, id.kind)))?;
        let options = ComputeOptions::rudder(SystemTime::now());
        let mut items: Vec<KubeListItem> = list
            .items
            .iter()
            .map(|obj| {
                let mut value =
                    rudder_kube::to_value_with_types(obj, &request.api_version, &request.kind);
                if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                    meta.remove("managedFields");
                }
                let status = Strategy::Wait.read(&value, &self.rules, &options);
                KubeListItem {
                    object: value,
                    status: status.status.to_string(),
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                }
            })
            .collect();
        let key = |i: &KubeListItem| {
            let field = |f: &str| {
                i.object
                    .pointer(&format!("/metadata/{f}"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            (field("namespace"), field("name"))
        };
        items.sort_by_key(key);
        Ok(KubeListResponse {
            served: true,
            namespace: id.namespace.unwrap_or_default(),
            items,
        })
    }
}

impl KubeHost for ClusterReadHost {
    fn list(&self, request: &KubeListRequest) -> Result<KubeListResponse, KubeHostError> {
        let (runtime, kube) = self.connection()?;
        runtime.block_on(async {
            tokio::time::timeout(LIST_TIMEOUT, self.list_async(kube, request))
                .await
                .unwrap_or_else(|_| {
                    Err(KubeHostError {
                        message: format!(
                            "listing {} {}: timed out after {}s",
                            request.api_version,
                            request.kind,
                            LIST_TIMEOUT.as_secs()
                        ),
                    })
                })
        })
    }
}

/// Attaches a [`ClusterReadHost`] (default kubeconfig) to a sandboxed plugin whose manifest
/// grants the cluster host functions; other plugins are returned unchanged.
pub fn attach(plugin: LoadedPlugin) -> LoadedPlugin {
    match plugin {
        LoadedPlugin::Wasm(p) if p.wants_kube_host() => LoadedPlugin::Wasm(
            p.with_kube_host(Arc::new(ClusterReadHost::new(ClientOptions::default()))),
        ),
        other => other,
    }
}
