//! The Secret (`HELM_DRIVER=secret`, the default) and ConfigMap drivers.
//!
//! Objects are built as Helm's `newSecretsObject`/`newConfigMapsObject` build them: name = the
//! storage key, labels from [`object_labels`], `data.release` = [`encode`]d record, and for
//! Secrets `type: helm.sh/release.v1`. Updates replace the whole object, as Helm does, so the
//! `createdAt` label of a record is dropped by an update and `modifiedAt` is set.

use std::collections::BTreeMap;
use std::fmt::Debug;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::{CodecError, decode, encode};
use crate::driver::{Driver, DriverError, LabelSelector, check_selector};
use crate::labels::{DATA_KEY, OWNER, SECRET_TYPE, Stamp, object_labels, user_labels};
use crate::model::Release;
use crate::time::Time;

/// Namespace used for writes when neither the release nor the driver names one.
const DEFAULT_NAMESPACE: &str = "default";

/// A Kubernetes object kind that can hold a release record.
pub trait StorageObject:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// Driver name as `HELM_DRIVER` spells it.
    const DRIVER_NAME: &'static str;

    /// Builds the object holding `data` (an encoded record) with `labels`.
    fn build(name: &str, labels: BTreeMap<String, String>, data: String) -> Self;

    /// The encoded record in `data.release`, if present.
    fn release_data(&self) -> Option<String>;
}

impl StorageObject for Secret {
    const DRIVER_NAME: &'static str = "Secret";

    fn build(name: &str, labels: BTreeMap<String, String>, data: String) -> Self {
        Secret {
            metadata: object_meta(name, labels),
            type_: Some(SECRET_TYPE.to_owned()),
            data: Some(BTreeMap::from([(
                DATA_KEY.to_owned(),
                ByteString(data.into_bytes()),
            )])),
            ..Secret::default()
        }
    }

    fn release_data(&self) -> Option<String> {
        let bytes = &self.data.as_ref()?.get(DATA_KEY)?.0;
        String::from_utf8(bytes.clone()).ok()
    }
}

impl StorageObject for ConfigMap {
    const DRIVER_NAME: &'static str = "ConfigMap";

    fn build(name: &str, labels: BTreeMap<String, String>, data: String) -> Self {
        ConfigMap {
            metadata: object_meta(name, labels),
            data: Some(BTreeMap::from([(DATA_KEY.to_owned(), data)])),
            ..ConfigMap::default()
        }
    }

    fn release_data(&self) -> Option<String> {
        self.data.as_ref()?.get(DATA_KEY).cloned()
    }
}

/// Name and labels only: the API server takes the namespace from the request, as for Helm's.
fn object_meta(name: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

/// Builds the storage object Helm would write for `release` under `key` (without a
/// namespace: the driver's API handle decides where it goes).
pub fn storage_object<K: StorageObject>(
    key: &str,
    release: &Release,
    stamp: Stamp,
) -> Result<K, CodecError> {
    let data = encode(release)?;
    Ok(K::build(key, object_labels(release, stamp), data))
}

/// Decodes the release an object holds; its user labels go to [`Release::labels`].
pub fn release_from_object<K: StorageObject>(object: &K) -> Result<Release, DriverError> {
    let key = object.meta().name.clone().unwrap_or_default();
    let data = object
        .release_data()
        .ok_or_else(|| DriverError::MissingData { key: key.clone() })?;
    let mut release = decode(&data).map_err(|source| DriverError::Decode { key, source })?;
    release.labels = object
        .meta()
        .labels
        .as_ref()
        .map(user_labels)
        .unwrap_or_default();
    Ok(release)
}

/// Stores release records as Kubernetes objects of kind `K` (Secret or ConfigMap).
#[derive(Clone)]
pub struct KubeDriver<K> {
    client: Client,
    namespace: Option<String>,
    _kind: std::marker::PhantomData<fn() -> K>,
}

/// The Secret driver (Helm's default).
pub type SecretsDriver = KubeDriver<Secret>;

/// The ConfigMap driver.
pub type ConfigMapsDriver = KubeDriver<ConfigMap>;

impl<K: StorageObject> KubeDriver<K> {
    /// A driver over `namespace` (`None`: reads and lists span all namespaces; writes then go
    /// to the release's namespace).
    pub fn new(client: Client, namespace: Option<&str>) -> Self {
        Self {
            client,
            namespace: namespace.map(str::to_owned),
            _kind: std::marker::PhantomData,
        }
    }

    fn read_api(&self) -> Api<K> {
        match &self.namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    /// Writes go to the driver's namespace, as Helm's namespaced client does; an
    /// all-namespaces driver writes to the release's namespace.
    fn write_api(&self, release: &Release) -> Api<K> {
        let ns = match (&self.namespace, release.namespace.as_str()) {
            (Some(ns), _) => ns.as_str(),
            (None, "") => DEFAULT_NAMESPACE,
            (None, ns) => ns,
        };
        Api::namespaced(self.client.clone(), ns)
    }

    fn backend(operation: &'static str, target: &str, source: kube::Error) -> DriverError {
        DriverError::Backend {
            driver: K::DRIVER_NAME,
            operation,
            target: target.to_owned(),
            source: Box::new(source),
        }
    }

    async fn find(&self, key: &str) -> Result<(Api<K>, K), DriverError> {
        match &self.namespace {
            Some(ns) => {
                let api = Api::namespaced(self.client.clone(), ns);
                let object = api
                    .get_opt(key)
                    .await
                    .map_err(|e| Self::backend("get", key, e))?
                    .ok_or_else(|| DriverError::NotFound {
                        key: key.to_owned(),
                    })?;
                Ok((api, object))
            }
            None => {
                let lp = ListParams::default().fields(&format!("metadata.name={key}"));
                let list = Api::<K>::all(self.client.clone())
                    .list(&lp)
                    .await
                    .map_err(|e| Self::backend("get", key, e))?;
                let object =
                    list.items
                        .into_iter()
                        .next()
                        .ok_or_else(|| DriverError::NotFound {
                            key: key.to_owned(),
                        })?;
                let ns = object.meta().namespace.clone().unwrap_or_default();
                Ok((Api::namespaced(self.client.clone(), &ns), object))
            }
        }
    }

    async fn list_selected(&self, selector: &str) -> Result<Vec<Release>, DriverError> {
        let list = self
            .read_api()
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|e| Self::backend("list", selector, e))?;
        Ok(list
            .items
            .iter()
            .filter_map(|object| match release_from_object(object) {
                Ok(release) => Some(release),
                Err(error) => {
                    tracing::debug!(%error, "skipping undecodable release record");
                    None
                }
            })
            .collect())
    }
}

fn api_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

impl<K: StorageObject> Driver for KubeDriver<K> {
    fn name(&self) -> &'static str {
        K::DRIVER_NAME
    }

    async fn get(&self, key: &str) -> Result<Release, DriverError> {
        let (_, object) = self.find(key).await?;
        release_from_object(&object)
    }

    async fn list<F>(&self, filter: F) -> Result<Vec<Release>, DriverError>
    where
        F: Fn(&Release) -> bool + Send + Sync,
    {
        let mut releases = self.list_selected(&format!("owner={OWNER}")).await?;
        releases.retain(|r| filter(r));
        Ok(releases)
    }

    async fn query(&self, selector: &LabelSelector) -> Result<Vec<Release>, DriverError> {
        check_selector(selector)?;
        let text = selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        self.list_selected(&text).await
    }

    async fn create(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        let object: K =
            storage_object(key, release, Stamp::Created(Time::now())).map_err(|source| {
                DriverError::Encode {
                    name: release.name.clone(),
                    source,
                }
            })?;
        match self
            .write_api(release)
            .create(&PostParams::default(), &object)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if api_code(&e) == Some(409) => Err(DriverError::AlreadyExists {
                key: key.to_owned(),
            }),
            Err(e) => Err(Self::backend("create", key, e)),
        }
    }

    async fn update(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        let object: K =
            storage_object(key, release, Stamp::Modified(Time::now())).map_err(|source| {
                DriverError::Encode {
                    name: release.name.clone(),
                    source,
                }
            })?;
        match self
            .write_api(release)
            .replace(key, &PostParams::default(), &object)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if api_code(&e) == Some(404) => Err(DriverError::NotFound {
                key: key.to_owned(),
            }),
            Err(e) => Err(Self::backend("update", key, e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<Release, DriverError> {
        let (api, object) = self.find(key).await?;
        let release = release_from_object(&object)?;
        match api.delete(key, &DeleteParams::default()).await {
            Ok(_) => Ok(release),
            Err(e) if api_code(&e) == Some(404) => Err(DriverError::NotFound {
                key: key.to_owned(),
            }),
            Err(e) => Err(Self::backend("delete", key, e)),
        }
    }
}
