//! `history`: the revisions of a release, oldest first.

use rudder_release::Release;

use crate::ActionError;
use crate::release_ops::ReleaseClient;

/// Helm's default `--max`.
pub const DEFAULT_MAX: usize = 256;

/// Options of [`history`].
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// Release name.
    pub release_name: String,
    /// Most revisions returned (the newest ones; 0 returns all).
    pub max: usize,
}

/// The newest `max` revisions of a release, oldest first.
///
/// # Errors
/// [`ActionError::ReleaseNotFound`] when the release has no record; storage errors.
pub async fn history(
    client: &ReleaseClient,
    opts: &HistoryOptions,
) -> Result<Vec<Release>, ActionError> {
    let mut revisions = client.storage.history(&opts.release_name).await?;
    if revisions.is_empty() {
        return Err(ActionError::ReleaseNotFound {
            name: opts.release_name.clone(),
        });
    }
    if opts.max > 0 && revisions.len() > opts.max {
        revisions.drain(..revisions.len() - opts.max);
    }
    Ok(revisions)
}
