//! Object references and small helpers over [`DynamicObject`].

use std::fmt;

use kube::api::DynamicObject;
use serde_json::Value;

use crate::Error;

/// Names one Kubernetes object: `apiVersion`, `kind`, namespace and name.
///
/// `namespace` is `None` for cluster-scoped objects, and may be `None` for a namespaced object
/// whose manifest does not say: [`Kube`](crate::Kube) then uses its default namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `apiVersion`, e.g. `apps/v1` or `v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// The namespace, if any.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// A reference from its four parts.
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        namespace: Option<&str>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
        }
    }

    /// The reference of a manifest or live object.
    ///
    /// # Errors
    /// [`Error::InvalidObject`] when `apiVersion`, `kind` or `metadata.name` is missing.
    pub fn of(obj: &DynamicObject) -> Result<Self, Error> {
        let types = obj.types.as_ref();
        let api_version = types.map(|t| t.api_version.clone()).unwrap_or_default();
        let kind = types.map(|t| t.kind.clone()).unwrap_or_default();
        let name = obj.metadata.name.clone().unwrap_or_default();
        let partial = Self {
            api_version,
            kind,
            namespace: obj.metadata.namespace.clone(),
            name,
        };
        let missing = if partial.api_version.is_empty() {
            Some("apiVersion")
        } else if partial.kind.is_empty() {
            Some("kind")
        } else if partial.name.is_empty() {
            Some("metadata.name")
        } else {
            None
        };
        match missing {
            Some(field) => Err(Error::InvalidObject {
                id: partial.to_string(),
                reason: format!("{field} is missing"),
            }),
            None => Ok(partial),
        }
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }

    /// Helm's identifier in wait errors: `Kind/namespace/name`, with an empty namespace for
    /// cluster-scoped objects (`Namespace//web`).
    pub fn helm_id(&self) -> String {
        format!(
            "{}/{}/{}",
            self.kind,
            self.namespace.as_deref().unwrap_or(""),
            self.name
        )
    }
}

impl fmt::Display for ObjectRef {
    /// `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Parses a manifest (a JSON value with `apiVersion`, `kind` and `metadata`) into a
/// [`DynamicObject`].
///
/// # Errors
/// [`Error::InvalidObject`] when the value is not an object or lacks `apiVersion`, `kind` or
/// `metadata.name`.
pub fn dynamic_object(manifest: Value) -> Result<DynamicObject, Error> {
    let id = describe(&manifest);
    let obj: DynamicObject =
        serde_json::from_value(manifest).map_err(|source| Error::InvalidObject {
            id,
            reason: source.to_string(),
        })?;
    ObjectRef::of(&obj)?;
    Ok(obj)
}

/// The object as a JSON value with `apiVersion` and `kind` filled in from `id` (list responses
/// and some watch events omit them, and readiness rules key on them).
pub fn to_value_with_types(obj: &DynamicObject, api_version: &str, kind: &str) -> Value {
    let mut value = serde_json::to_value(obj).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), Value::String(api_version.to_owned()));
        map.insert("kind".into(), Value::String(kind.to_owned()));
    }
    value
}

/// `Kind/namespace/name` as far as a raw manifest says, for error messages.
fn describe(manifest: &Value) -> String {
    let field = |p: &str| manifest.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (kind, ns, name) = (
        field("/kind"),
        field("/metadata/namespace"),
        field("/metadata/name"),
    );
    if ns.is_empty() {
        format!("{kind}/{name}")
    } else {
        format!("{kind}/{ns}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_display_and_helm_ids() {
        let d = ObjectRef::new("apps/v1", "Deployment", Some("ns"), "web");
        assert_eq!(d.to_string(), "Deployment/ns/web");
        assert_eq!(d.helm_id(), "Deployment/ns/web");
        assert_eq!(d.group(), "apps");
        let n = ObjectRef::new("v1", "Namespace", None, "prod");
        assert_eq!(n.to_string(), "Namespace/prod");
        assert_eq!(n.helm_id(), "Namespace//prod");
        assert_eq!(n.group(), "");
    }

    #[test]
    fn manifests_without_names_are_rejected_with_their_id() {
        let err = dynamic_object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"namespace": "x"}}))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid object ConfigMap/x/: metadata.name is missing"
        );
        let ok = dynamic_object(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"a": "b"}}))
        .unwrap();
        assert_eq!(ObjectRef::of(&ok).unwrap().to_string(), "ConfigMap/c");
        let v = to_value_with_types(&ok, "v1", "ConfigMap");
        assert_eq!(v["data"]["a"], "b");
        assert_eq!(v["kind"], "ConfigMap");
    }
}
