//! The template `lookup` function backed by a live cluster (install, upgrade and
//! `--dry-run=server`; client mode uses [`rudder_render::EmptyLookup`]).
//!
//! The renderer calls [`Lookup`] synchronously, so rendering runs on a blocking thread
//! (`tokio::task::spawn_blocking`) and each lookup drives its request with the runtime
//! [`Handle`] it was created with.

use kube::api::{Api, ListParams};
use rudder_kube::{Kube, to_value_with_types};
use rudder_render::{Lookup, LookupError};
use rudder_values::Value;
use tokio::runtime::Handle;

/// Reads live objects for `lookup` through a [`Kube`] connection.
#[derive(Debug, Clone)]
pub struct KubeLookup {
    kube: Kube,
    runtime: Handle,
}

impl KubeLookup {
    /// A lookup over `kube` that runs its requests on `runtime`. Call [`Lookup::lookup`]
    /// only from a thread that is not a runtime worker (e.g. inside `spawn_blocking`).
    pub fn new(kube: Kube, runtime: Handle) -> Self {
        Self { kube, runtime }
    }

    async fn fetch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, LookupError> {
        let fail = |message: String| LookupError { message };
        let resolved = self
            .kube
            .resolve(api_version, kind)
            .await
            .map_err(|e| fail(format!("lookup {api_version}/{kind}: {e}")))?;
        let client = self.kube.client().clone();
        let api: Api<kube::api::DynamicObject> =
            if resolved.is_namespaced() && !namespace.is_empty() {
                Api::namespaced_with(client, namespace, &resolved.resource)
            } else {
                Api::all_with(client, &resolved.resource)
            };
        if name.is_empty() {
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(|e| fail(format!("lookup list {api_version}/{kind}: {e}")))?;
            let items: Vec<Value> = list
                .items
                .iter()
                .map(|o| to_value_with_types(o, api_version, kind))
                .collect();
            return Ok(serde_json::json!({
                "apiVersion": api_version,
                "kind": format!("{kind}List"),
                "metadata": {"resourceVersion": list.metadata.resource_version},
                "items": items,
            }));
        }
        match api.get_opt(name).await {
            Ok(Some(obj)) => Ok(to_value_with_types(&obj, api_version, kind)),
            Ok(None) => Ok(Value::Object(Default::default())),
            Err(e) => Err(fail(format!(
                "lookup {api_version}/{kind} {namespace}/{name}: {e}"
            ))),
        }
    }
}

impl Lookup for KubeLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, LookupError> {
        self.runtime
            .block_on(self.fetch(api_version, kind, namespace, name))
    }
}
