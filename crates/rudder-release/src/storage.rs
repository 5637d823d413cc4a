//! Release history on top of a [`Driver`], with Helm's semantics (`pkg/storage`).

use crate::driver::{Driver, DriverError, LabelSelector};
use crate::labels::{OWNER, storage_key};
use crate::model::{Release, Status};

/// Options of a [`Storage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageOptions {
    /// Most revisions kept per release (`--history-max`); 0 keeps all.
    pub max_history: usize,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The driver failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The release has no revision in `deployed` state.
    #[error("release {name:?} has no deployed releases")]
    NoDeployedReleases {
        /// Release name.
        name: String,
    },
    /// The release has no revision at all.
    #[error("no revision for release {name:?}")]
    NoRevision {
        /// Release name.
        name: String,
    },
    /// The latest revision is held by an operation (`pending-*` or `uninstalling`).
    #[error(
        "another operation (install/upgrade/rollback) is in progress on release {name:?} (revision {version} is {status})"
    )]
    OperationInProgress {
        /// Release name.
        name: String,
        /// Revision holding the release.
        version: i64,
        /// Its status.
        status: Status,
    },
    /// Pruning old revisions for `max_history` failed.
    #[error("pruning history of release {name:?} failed for {failed} record(s); first failure")]
    Prune {
        /// Release name.
        name: String,
        /// How many deletions failed.
        failed: usize,
        /// The first failure.
        #[source]
        first: DriverError,
    },
}

/// Release history over a driver: what the install/upgrade/rollback/uninstall actions use.
#[derive(Clone, Debug)]
pub struct Storage<D> {
    driver: D,
    options: StorageOptions,
}

impl<D: Driver> Storage<D> {
    /// Wraps `driver`.
    pub fn new(driver: D, options: StorageOptions) -> Self {
        Self { driver, options }
    }

    /// The underlying driver.
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// The options in effect.
    pub fn options(&self) -> StorageOptions {
        self.options
    }

    /// One revision of a release.
    pub async fn get(&self, name: &str, version: i64) -> Result<Release, StorageError> {
        Ok(self.driver.get(&storage_key(name, version)).await?)
    }

    /// Stores a new revision, first pruning history to leave room under `max_history`.
    pub async fn create(&self, release: &Release) -> Result<(), StorageError> {
        if self.options.max_history > 0 {
            self.remove_least_recent(&release.name, self.options.max_history - 1)
                .await?;
        }
        Ok(self.driver.create(&release.storage_key(), release).await?)
    }

    /// Replaces an existing revision.
    pub async fn update(&self, release: &Release) -> Result<(), StorageError> {
        Ok(self.driver.update(&release.storage_key(), release).await?)
    }

    /// Deletes one revision and returns it.
    pub async fn delete(&self, name: &str, version: i64) -> Result<Release, StorageError> {
        Ok(self.driver.delete(&storage_key(name, version)).await?)
    }

    /// Every revision of every release in scope.
    pub async fn list_releases(&self) -> Result<Vec<Release>, StorageError> {
        Ok(self.driver.list(|_| true).await?)
    }

    /// Revisions whose status is `deployed`.
    pub async fn list_deployed(&self) -> Result<Vec<Release>, StorageError> {
        Ok(self.driver.list(|r| r.status() == Status::Deployed).await?)
    }

    /// Revisions whose status is `uninstalled`.
    pub async fn list_uninstalled(&self) -> Result<Vec<Release>, StorageError> {
        Ok(self
            .driver
            .list(|r| r.status() == Status::Uninstalled)
            .await?)
    }

    /// All revisions of `name`, oldest first (empty if the release does not exist).
    pub async fn history(&self, name: &str) -> Result<Vec<Release>, StorageError> {
        let mut revisions = self.driver.query(&selector(name, None)).await?;
        revisions.sort_by_key(|r| r.version);
        Ok(revisions)
    }

    /// All `deployed` revisions of `name`, oldest first.
    pub async fn deployed_all(&self, name: &str) -> Result<Vec<Release>, StorageError> {
        let mut revisions = self
            .driver
            .query(&selector(name, Some(&Status::Deployed)))
            .await?;
        revisions.sort_by_key(|r| r.version);
        Ok(revisions)
    }

    /// The newest `deployed` revision of `name`.
    pub async fn deployed(&self, name: &str) -> Result<Release, StorageError> {
        self.deployed_all(name)
            .await?
            .pop()
            .ok_or_else(|| StorageError::NoDeployedReleases {
                name: name.to_owned(),
            })
    }

    /// The newest revision of `name`, whatever its status.
    pub async fn last(&self, name: &str) -> Result<Release, StorageError> {
        self.history(name)
            .await?
            .pop()
            .ok_or_else(|| StorageError::NoRevision {
                name: name.to_owned(),
            })
    }

    /// The revision number the next operation on `name` gets (1 for a new release).
    pub async fn next_revision(&self, name: &str) -> Result<i64, StorageError> {
        Ok(self
            .history(name)
            .await?
            .last()
            .map_or(1, |r| r.version + 1))
    }

    /// Fails with [`StorageError::OperationInProgress`] when the newest revision of `name` is
    /// `pending-*` or `uninstalling`; returns that newest revision otherwise (if any).
    pub async fn ensure_idle(&self, name: &str) -> Result<Option<Release>, StorageError> {
        let Some(last) = self.history(name).await?.pop() else {
            return Ok(None);
        };
        let status = last.status();
        if status.is_in_progress() {
            return Err(StorageError::OperationInProgress {
                name: name.to_owned(),
                version: last.version,
                status,
            });
        }
        Ok(Some(last))
    }

    /// Deletes the oldest revisions until at most `maximum` remain, never the newest
    /// `deployed` one (Helm's `removeLeastRecent`).
    async fn remove_least_recent(&self, name: &str, maximum: usize) -> Result<(), StorageError> {
        let history = self.history(name).await?;
        if history.len() <= maximum {
            return Ok(());
        }
        let last_deployed = history
            .iter()
            .filter(|r| r.status() == Status::Deployed)
            .map(|r| r.version)
            .max();
        let mut doomed = Vec::new();
        for rel in &history {
            if history.len() - doomed.len() == maximum {
                break;
            }
            if Some(rel.version) != last_deployed {
                doomed.push(rel.version);
            }
        }
        let mut failures = Vec::new();
        for version in &doomed {
            if let Err(e) = self.driver.delete(&storage_key(name, *version)).await {
                tracing::debug!(release = name, version, error = %e, "pruning revision failed");
                failures.push(e);
            }
        }
        tracing::debug!(
            release = name,
            pruned = doomed.len() - failures.len(),
            "pruned history"
        );
        let failed = failures.len();
        match failures.into_iter().next() {
            None => Ok(()),
            Some(first) => Err(StorageError::Prune {
                name: name.to_owned(),
                failed,
                first,
            }),
        }
    }
}

fn selector(name: &str, status: Option<&Status>) -> LabelSelector {
    let mut s = LabelSelector::new();
    s.insert("name".into(), name.to_owned());
    s.insert("owner".into(), OWNER.to_owned());
    if let Some(status) = status {
        s.insert("status".into(), status.as_str().to_owned());
    }
    s
}
