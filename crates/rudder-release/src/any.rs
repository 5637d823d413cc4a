//! Choosing a driver at run time (`HELM_DRIVER`).

use std::str::FromStr;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use crate::driver::{Driver, DriverError, LabelSelector};
use crate::kube_driver::KubeDriver;
use crate::memory::MemoryDriver;
use crate::model::Release;

/// A storage backend as named by `HELM_DRIVER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DriverKind {
    /// `secret`, `secrets` or empty: Kubernetes Secrets (the default).
    #[default]
    Secret,
    /// `configmap` or `configmaps`: Kubernetes ConfigMaps.
    ConfigMap,
    /// `memory`: in-process only.
    Memory,
}

/// `HELM_DRIVER` names a backend Rudder does not provide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DriverKindError {
    /// Helm's SQL driver, which Rudder does not implement.
    #[error("storage driver \"sql\" is not supported by rudder (use secret, configmap or memory)")]
    SqlUnsupported,
    /// Not a driver name at all.
    #[error("unknown storage driver {0:?} (expected secret, configmap or memory)")]
    Unknown(String),
}

impl FromStr for DriverKind {
    type Err = DriverKindError;

    /// Parses a `HELM_DRIVER` value with Helm's spellings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "secret" | "secrets" | "" => Ok(DriverKind::Secret),
            "configmap" | "configmaps" => Ok(DriverKind::ConfigMap),
            "memory" => Ok(DriverKind::Memory),
            "sql" => Err(DriverKindError::SqlUnsupported),
            other => Err(DriverKindError::Unknown(other.to_owned())),
        }
    }
}

/// Any of Rudder's drivers, for code that picks one at run time.
#[derive(Clone)]
pub enum AnyDriver {
    /// Secret driver.
    Secret(KubeDriver<Secret>),
    /// ConfigMap driver.
    ConfigMap(KubeDriver<ConfigMap>),
    /// Memory driver.
    Memory(MemoryDriver),
}

impl AnyDriver {
    /// Builds the driver `kind` names over `client` and `namespace` (`None`: all namespaces).
    pub fn new(kind: DriverKind, client: kube::Client, namespace: Option<&str>) -> Self {
        match kind {
            DriverKind::Secret => AnyDriver::Secret(KubeDriver::new(client, namespace)),
            DriverKind::ConfigMap => AnyDriver::ConfigMap(KubeDriver::new(client, namespace)),
            DriverKind::Memory => AnyDriver::Memory(MemoryDriver::new(namespace)),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $d:ident => $call:expr) => {
        match $self {
            AnyDriver::Secret($d) => $call,
            AnyDriver::ConfigMap($d) => $call,
            AnyDriver::Memory($d) => $call,
        }
    };
}

impl Driver for AnyDriver {
    fn name(&self) -> &'static str {
        dispatch!(self, d => d.name())
    }

    async fn get(&self, key: &str) -> Result<Release, DriverError> {
        dispatch!(self, d => d.get(key).await)
    }

    async fn list<F>(&self, filter: F) -> Result<Vec<Release>, DriverError>
    where
        F: Fn(&Release) -> bool + Send + Sync,
    {
        dispatch!(self, d => d.list(filter).await)
    }

    async fn query(&self, selector: &LabelSelector) -> Result<Vec<Release>, DriverError> {
        dispatch!(self, d => d.query(selector).await)
    }

    async fn create(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        dispatch!(self, d => d.create(key, release).await)
    }

    async fn update(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        dispatch!(self, d => d.update(key, release).await)
    }

    async fn delete(&self, key: &str) -> Result<Release, DriverError> {
        dispatch!(self, d => d.delete(key).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_driver_names() {
        for (text, kind) in [
            ("", DriverKind::Secret),
            ("secret", DriverKind::Secret),
            ("secrets", DriverKind::Secret),
            ("configmap", DriverKind::ConfigMap),
            ("configmaps", DriverKind::ConfigMap),
            ("memory", DriverKind::Memory),
        ] {
            assert_eq!(text.parse::<DriverKind>(), Ok(kind), "{text:?}");
        }
        assert_eq!(
            "sql".parse::<DriverKind>(),
            Err(DriverKindError::SqlUnsupported)
        );
        assert!(matches!(
            "Secret".parse::<DriverKind>(),
            Err(DriverKindError::Unknown(_))
        ));
    }
}
