//! Rudder's host functions for read-only cluster access, in Extism's user namespace
//! (`extism:host/user`, where the PDKs' `#[host_fn]` imports live).
//!
//! | function | input | output |
//! |---|---|---|
//! | `rudder_kube_list` | JSON [`KubeListRequest`] | JSON [`KubeListResponse`], or `{"error": "..."}` |
//!
//! A plugin gets a function only when its `plugin.yaml` lists it under
//! `runtimeConfig.hostFunctions`: importing one that is not listed fails at load time, and
//! listing a name this host does not provide fails as Helm does ("plugin requested host
//! function ... not found"). The answers come from a [`KubeHost`] that the caller attaches
//! with [`WasmPlugin::with_kube_host`]; this crate knows nothing of Kubernetes clients. A
//! granted plugin called without one gets `{"error": ...}` back.
//!
//! The call blocks the plugin while the host lists; the [`KubeHost`] bounds its own time.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasmtime::{Caller, Linker, Module};

use super::WasmPlugin;
use super::extism::State;

/// The import namespace of user host functions (Extism's default for `#[host_fn]`).
pub const USER_MODULE: &str = "extism:host/user";

/// Lists the objects of one kind, each with its readiness.
pub const KUBE_LIST: &str = "rudder_kube_list";

/// Every host function this module provides.
pub const KUBE_FUNCTIONS: &[&str] = &[KUBE_LIST];

/// Input of `rudder_kube_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeListRequest {
    /// `group/version` (or `v1`).
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// Namespace for namespaced kinds; absent or empty: the host's default namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Label selector (`key=value,...`).
    #[serde(
        rename = "labelSelector",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub label_selector: Option<String>,
}

/// Output of `rudder_kube_list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeListResponse {
    /// False when the API server does not serve the kind (its CRD is not installed).
    pub served: bool,
    /// The namespace listed; empty for cluster-scoped kinds.
    pub namespace: String,
    /// The objects, sorted by namespace and name.
    pub items: Vec<KubeListItem>,
}

/// One object and its readiness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeListItem {
    /// The object as the API server returned it, without `metadata.managedFields`.
    pub object: serde_json::Value,
    /// Readiness: `Current`, `InProgress`, `Failed`, `Terminating` or `Unknown`.
    pub status: String,
    /// The readiness reason, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The readiness message.
    pub message: String,
}

/// Why a [`KubeHost`] could not answer; the message is returned to the plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KubeHostError {
    /// One line saying what failed.
    pub message: String,
}

/// Read-only cluster access for plugins, implemented by the caller (the action crate).
pub trait KubeHost: Send + Sync {
    /// Lists objects of one kind with their readiness.
    ///
    /// # Errors
    /// A [`KubeHostError`] saying why (configuration, connection, permission, timeout).
    fn list(&self, request: &KubeListRequest) -> Result<KubeListResponse, KubeHostError>;
}

/// A shared [`KubeHost`] as the call policy holds it.
#[derive(Clone)]
pub(crate) struct KubeHostHandle(pub(crate) Arc<dyn KubeHost>);

impl std::fmt::Debug for KubeHostHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KubeHost")
    }
}

impl WasmPlugin {
    /// Serves this plugin's granted cluster host functions with `host`.
    #[must_use]
    pub fn with_kube_host(mut self, host: Arc<dyn KubeHost>) -> Self {
        let mut policy = (*self.policy).clone();
        policy.kube = Some(KubeHostHandle(host));
        self.policy = Arc::new(policy);
        self
    }

    /// Whether the plugin's manifest grants any of this module's host functions.
    pub fn wants_kube_host(&self) -> bool {
        self.extism
            .host_functions
            .iter()
            .any(|f| KUBE_FUNCTIONS.contains(&f.as_str()))
    }
}

/// Checks the names a manifest lists under `hostFunctions`.
pub(crate) fn check_grants(granted: &[String]) -> Result<(), String> {
    match granted
        .iter()
        .find(|name| !KUBE_FUNCTIONS.contains(&name.as_str()))
    {
        Some(name) => Err(format!("plugin requested host function {name:?} not found")),
        None => Ok(()),
    }
}

/// Checks that every import from [`USER_MODULE`] is granted.
pub(crate) fn check_user_imports(module: &Module, granted: &[String]) -> Result<(), String> {
    for import in module.imports().filter(|i| i.module() == USER_MODULE) {
        let name = import.name();
        if !KUBE_FUNCTIONS.contains(&name) {
            return Err(format!(
                "plugin requested host function {name:?} not found (module {USER_MODULE:?})"
            ));
        }
        if !granted.iter().any(|g| g == name) {
            return Err(format!(
                "imports host function {name:?}, which plugin.yaml does not grant (runtimeConfig.hostFunctions)"
            ));
        }
    }
    Ok(())
}

fn answer(s: &State, input: &[u8]) -> serde_json::Value {
    let request: KubeListRequest = match serde_json::from_slice(input) {
        Ok(r) => r,
        Err(e) => return serde_json::json!({"error": format!("invalid request: {e}")}),
    };
    let Some(host) = &s.policy.kube else {
        return serde_json::json!({"error": "no cluster access was provided for this call"});
    };
    tracing::debug!(
        plugin = s.policy.plugin.as_str(),
        api_version = request.api_version.as_str(),
        kind = request.kind.as_str(),
        "rudder_kube_list"
    );
    match host.0.list(&request) {
        Ok(response) => serde_json::to_value(response)
            .unwrap_or_else(|e| serde_json::json!({"error": e.to_string()})),
        Err(e) => serde_json::json!({"error": e.message}),
    }
}

/// Adds the host functions to `linker` (granting is checked when a plugin is loaded).
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.func_wrap(
        USER_MODULE,
        KUBE_LIST,
        |mut c: Caller<'_, State>, request: i64| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            let input = s.kernel.take(request as u64);
            let output = serde_json::to_vec(&answer(s, &input))?;
            Ok(s.alloc_bytes(&output)? as i64)
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_name_known_functions_only() {
        assert!(check_grants(&[]).is_ok());
        assert!(check_grants(&["rudder_kube_list".into()]).is_ok());
        let err = check_grants(&["rudder_kube_delete".into()]).unwrap_err();
        assert!(err.contains("\"rudder_kube_delete\" not found"), "{err}");
    }

    #[test]
    fn requests_are_strict_json() {
        let r: KubeListRequest =
            serde_json::from_str(r#"{"apiVersion":"apps/v1","kind":"Deployment"}"#).unwrap();
        assert_eq!(r.namespace, None);
        assert!(
            serde_json::from_str::<KubeListRequest>(
                r#"{"apiVersion":"v1","kind":"Pod","verb":"delete"}"#
            )
            .is_err()
        );
    }
}
