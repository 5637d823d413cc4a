//! `list`: the newest revision of every release in scope (one namespace, or all).
//!
//! As in Helm 4.1.4, every status is listed by default (uninstalled releases kept with
//! `--keep-history` included); status filters narrow the list.

use std::collections::BTreeMap;

use rudder_release::{Release, Status};

use crate::ActionError;
use crate::release_ops::ReleaseClient;

/// Options of [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Only releases whose newest revision has one of these statuses (empty: every status).
    /// `pending-install`, `pending-upgrade` and `pending-rollback` are matched by any pending
    /// status given.
    pub statuses: Vec<Status>,
}

/// The newest revision of each release, sorted by name then namespace.
///
/// # Errors
/// Storage errors.
pub async fn list(client: &ReleaseClient, opts: &ListOptions) -> Result<Vec<Release>, ActionError> {
    let mut newest: BTreeMap<(String, String), Release> = BTreeMap::new();
    for release in client.storage.list_releases().await? {
        let key = (release.name.clone(), release.namespace.clone());
        match newest.get(&key) {
            Some(seen) if seen.version >= release.version => {}
            _ => {
                newest.insert(key, release);
            }
        }
    }
    let wanted = |status: &Status| {
        opts.statuses.is_empty()
            || opts
                .statuses
                .iter()
                .any(|s| s == status || (s.is_pending() && status.is_pending()))
    };
    Ok(newest
        .into_values()
        .filter(|r| wanted(&r.status()))
        .collect())
}
