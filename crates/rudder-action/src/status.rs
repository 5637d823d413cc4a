//! `status`: the newest revision of a release (or a given one).

use rudder_release::Release;

use crate::ActionError;
use crate::release_ops::ReleaseClient;

/// Options of [`status`].
#[derive(Debug, Clone, Default)]
pub struct StatusOptions {
    /// Release name.
    pub release_name: String,
    /// A revision to show instead of the newest (`--revision`).
    pub revision: Option<i64>,
}

/// Reads the record `status` shows.
///
/// # Errors
/// [`ActionError::ReleaseNotFound`] when the release has no record; storage errors.
pub async fn status(client: &ReleaseClient, opts: &StatusOptions) -> Result<Release, ActionError> {
    let history = client.storage.history(&opts.release_name).await?;
    let found = match opts.revision {
        Some(rev) => history.into_iter().find(|r| r.version == rev),
        None => history.into_iter().last(),
    };
    found.ok_or_else(|| ActionError::ReleaseNotFound {
        name: opts.release_name.clone(),
    })
}
