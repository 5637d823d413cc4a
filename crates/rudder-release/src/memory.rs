//! In-memory driver (`HELM_DRIVER=memory`): records live for the life of the process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::driver::{Driver, DriverError, LabelSelector, check_selector};
use crate::labels::{Stamp, object_labels, parse_storage_key};
use crate::model::Release;
use crate::time::Time;

/// Namespace used when neither the release nor the driver names one (Helm's default).
const DEFAULT_NAMESPACE: &str = "default";

#[derive(Clone, Debug)]
struct Record {
    release: Release,
    labels: BTreeMap<String, String>,
}

/// Namespace → storage key → record.
type Store = BTreeMap<String, BTreeMap<String, Record>>;

/// Stores release records in memory, with the same keys and labels as the Secret driver.
///
/// Clones and [`MemoryDriver::scoped`] views share one store.
#[derive(Clone, Debug, Default)]
pub struct MemoryDriver {
    /// `None`: every namespace (reads and lists); writes use the release's namespace.
    namespace: Option<String>,
    store: Arc<Mutex<Store>>,
}

impl MemoryDriver {
    /// An empty store scoped to `namespace` (`None` for all namespaces).
    pub fn new(namespace: Option<&str>) -> Self {
        Self {
            namespace: namespace.map(str::to_owned),
            store: Arc::default(),
        }
    }

    /// A view of the same store scoped to another namespace (`None` for all).
    pub fn scoped(&self, namespace: Option<&str>) -> Self {
        Self {
            namespace: namespace.map(str::to_owned),
            store: Arc::clone(&self.store),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave a half-written record (inserts are
        // single operations), so a poisoned store is still consistent.
        self.store
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn write_namespace(&self, release: &Release) -> String {
        if !release.namespace.is_empty() {
            release.namespace.clone()
        } else {
            self.namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
        }
    }

    fn in_scope<'a>(&'a self, store: &'a Store) -> impl Iterator<Item = &'a Record> + 'a {
        store
            .iter()
            .filter(move |(ns, _)| self.namespace.as_ref().is_none_or(|want| want == *ns))
            .flat_map(|(_, records)| records.values())
    }

    fn check_key(key: &str) -> Result<(), DriverError> {
        parse_storage_key(key)
            .map(|_| ())
            .ok_or_else(|| DriverError::InvalidKey {
                key: key.to_owned(),
            })
    }
}

impl Driver for MemoryDriver {
    fn name(&self) -> &'static str {
        "Memory"
    }

    async fn get(&self, key: &str) -> Result<Release, DriverError> {
        Self::check_key(key)?;
        let store = self.lock();
        store
            .iter()
            .filter(|(ns, _)| self.namespace.as_ref().is_none_or(|want| want == *ns))
            .find_map(|(_, records)| records.get(key))
            .map(|r| r.release.clone())
            .ok_or_else(|| DriverError::NotFound {
                key: key.to_owned(),
            })
    }

    async fn list<F>(&self, filter: F) -> Result<Vec<Release>, DriverError>
    where
        F: Fn(&Release) -> bool + Send + Sync,
    {
        let store = self.lock();
        Ok(self
            .in_scope(&store)
            .filter(|r| filter(&r.release))
            .map(|r| r.release.clone())
            .collect())
    }

    async fn query(&self, selector: &LabelSelector) -> Result<Vec<Release>, DriverError> {
        check_selector(selector)?;
        let store = self.lock();
        Ok(self
            .in_scope(&store)
            .filter(|r| selector.iter().all(|(k, v)| r.labels.get(k) == Some(v)))
            .map(|r| r.release.clone())
            .collect())
    }

    async fn create(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        Self::check_key(key)?;
        let labels = object_labels(release, Stamp::Created(Time::now()));
        let namespace = self.write_namespace(release);
        let mut store = self.lock();
        let records = store.entry(namespace).or_default();
        if records.contains_key(key) {
            return Err(DriverError::AlreadyExists {
                key: key.to_owned(),
            });
        }
        let mut stored = release.clone();
        stored.labels = crate::labels::user_labels(&release.labels);
        records.insert(
            key.to_owned(),
            Record {
                release: stored,
                labels,
            },
        );
        Ok(())
    }

    async fn update(&self, key: &str, release: &Release) -> Result<(), DriverError> {
        Self::check_key(key)?;
        let labels = object_labels(release, Stamp::Modified(Time::now()));
        let namespace = self.write_namespace(release);
        let mut store = self.lock();
        let record = store
            .get_mut(&namespace)
            .and_then(|records| records.get_mut(key))
            .ok_or_else(|| DriverError::NotFound {
                key: key.to_owned(),
            })?;
        let mut stored = release.clone();
        stored.labels = crate::labels::user_labels(&release.labels);
        *record = Record {
            release: stored,
            labels,
        };
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<Release, DriverError> {
        Self::check_key(key)?;
        let mut store = self.lock();
        let scope = self.namespace.clone();
        store
            .iter_mut()
            .filter(|(ns, _)| scope.as_ref().is_none_or(|want| want == *ns))
            .find_map(|(_, records)| records.remove(key))
            .map(|r| r.release)
            .ok_or_else(|| DriverError::NotFound {
                key: key.to_owned(),
            })
    }
}
