//! The storage driver interface (Helm's `driver.Driver`) and its errors.

use std::collections::BTreeMap;
use std::future::Future;

use crate::codec::CodecError;
use crate::model::Release;

/// Boxed error of a storage backend (the Kubernetes API, for example).
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a driver operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// No record has this key.
    #[error("release record {key:?} not found")]
    NotFound {
        /// Storage key.
        key: String,
    },
    /// A record with this key exists already.
    #[error("release record {key:?} already exists")]
    AlreadyExists {
        /// Storage key.
        key: String,
    },
    /// The key is not `sh.helm.release.v1.<name>.v<revision>`.
    #[error("invalid release storage key {key:?}")]
    InvalidKey {
        /// The key given.
        key: String,
    },
    /// A label value in a query is not a valid Kubernetes label value.
    #[error("invalid label value {value:?} for {label:?} in release query: {reason}")]
    InvalidLabelValue {
        /// Label name.
        label: String,
        /// Offending value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A storage object has no `data.release` (or it is not UTF-8).
    #[error("storage object {key:?} has no readable data.release")]
    MissingData {
        /// Storage key.
        key: String,
    },
    /// A stored record could not be decoded.
    #[error("stored release record {key:?} cannot be decoded")]
    Decode {
        /// Storage key.
        key: String,
        /// Codec failure.
        #[source]
        source: CodecError,
    },
    /// A release could not be encoded.
    #[error("release {name:?} cannot be encoded")]
    Encode {
        /// Release name.
        name: String,
        /// Codec failure.
        #[source]
        source: CodecError,
    },
    /// The backend failed.
    #[error("{driver} storage failed to {operation} release records ({target})")]
    Backend {
        /// Driver name (`Secret`, `ConfigMap`, ...).
        driver: &'static str,
        /// What was attempted (`get`, `list`, `create`, ...).
        operation: &'static str,
        /// Key or selector concerned.
        target: String,
        /// Backend error.
        #[source]
        source: BackendError,
    },
}

impl DriverError {
    /// Whether the record was not found.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DriverError::NotFound { .. })
    }
}

/// A label selector over storage labels: every pair must match exactly.
pub type LabelSelector = BTreeMap<String, String>;

/// A place that stores release records, one per revision (Helm's `driver.Driver`).
///
/// A driver is bound to one namespace (or to all, for listing across namespaces). Releases it
/// returns carry only their *user* labels in [`Release::labels`]; system labels are the
/// driver's business. Implementations must not hold locks across awaits.
pub trait Driver: Send + Sync {
    /// The driver name as `HELM_DRIVER` spells it (`Secret`, `ConfigMap`, `Memory`).
    fn name(&self) -> &'static str;

    /// Fetches the record stored under `key`.
    fn get(&self, key: &str) -> impl Future<Output = Result<Release, DriverError>> + Send;

    /// Every record owned by Helm in scope for which `filter` returns true. Records that
    /// cannot be decoded are skipped (and logged), as Helm does.
    fn list<F>(&self, filter: F) -> impl Future<Output = Result<Vec<Release>, DriverError>> + Send
    where
        F: Fn(&Release) -> bool + Send + Sync;

    /// Every record whose storage labels include all of `selector` (empty if none).
    fn query(
        &self,
        selector: &LabelSelector,
    ) -> impl Future<Output = Result<Vec<Release>, DriverError>> + Send;

    /// Stores a new record; [`DriverError::AlreadyExists`] if the key is taken.
    fn create(
        &self,
        key: &str,
        release: &Release,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Replaces an existing record; [`DriverError::NotFound`] if there is none.
    fn update(
        &self,
        key: &str,
        release: &Release,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Removes a record and returns what it held.
    fn delete(&self, key: &str) -> impl Future<Output = Result<Release, DriverError>> + Send;
}

/// Checks query label values as Helm's Kubernetes drivers do.
pub(crate) fn check_selector(selector: &LabelSelector) -> Result<(), DriverError> {
    for (label, value) in selector {
        crate::labels::check_value(value).map_err(|reason| DriverError::InvalidLabelValue {
            label: label.clone(),
            value: value.clone(),
            reason,
        })?;
    }
    Ok(())
}
