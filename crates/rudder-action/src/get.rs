//! `get`: what a stored revision holds (values, manifest, notes, hooks, metadata).

pub use rudder_release::Release;
use rudder_values::Map;
use rudder_values::coalesce::{Mode, coalesce_tables};
use serde::Serialize;

use crate::ActionError;
use crate::release_ops::ReleaseClient;
use crate::status::{StatusOptions, status};

/// Reads one revision of a release (`None`: the newest).
///
/// # Errors
/// [`ActionError::ReleaseNotFound`] when the release (or that revision) has no record.
pub async fn get(
    client: &ReleaseClient,
    release_name: &str,
    revision: Option<i64>,
) -> Result<Release, ActionError> {
    status(
        client,
        &StatusOptions {
            release_name: release_name.to_owned(),
            revision,
        },
    )
    .await
}

/// The user-supplied values of a revision, or with `all` the chart's defaults coalesced
/// under them (Helm's `get values --all`).
pub fn values(release: &Release, all: bool) -> Map {
    let mut values = release.config.clone();
    if all && let Some(defaults) = release.chart.as_ref().and_then(|c| c.values.clone()) {
        for warning in coalesce_tables(&mut values, defaults, "", Mode::Coalesce) {
            tracing::debug!(path = %warning.path, "{}", warning.message);
        }
    }
    values
}

/// The hooks of a revision as Helm prints them: `---`, `# Source: <path>`, the manifest.
pub fn hooks_text(release: &Release) -> String {
    let mut out = String::new();
    for hook in &release.hooks {
        out.push_str("---\n# Source: ");
        out.push_str(&hook.path);
        out.push('\n');
        out.push_str(hook.manifest.trim_end());
        out.push('\n');
    }
    out
}

/// What `get metadata` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseMetadata {
    /// Release name.
    pub name: String,
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub version: String,
    /// Chart appVersion.
    #[serde(rename = "appVersion")]
    pub app_version: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision.
    pub revision: i64,
    /// Status.
    pub status: String,
    /// When this revision was deployed (RFC 3339).
    #[serde(rename = "deployedAt")]
    pub deployed_at: String,
    /// `ssa` or `csa`.
    #[serde(rename = "applyMethod")]
    pub apply_method: String,
}

impl ReleaseMetadata {
    /// The metadata of `release`.
    pub fn of(release: &Release) -> Self {
        let chart = release
            .chart
            .as_ref()
            .and_then(|c| c.metadata.clone())
            .unwrap_or_default();
        let deployed_at = release
            .info
            .as_ref()
            .filter(|i| !i.last_deployed.is_zero())
            .map(|i| i.last_deployed.to_string())
            .unwrap_or_default();
        Self {
            name: release.name.clone(),
            chart: chart.name,
            version: chart.version,
            app_version: chart.app_version,
            namespace: release.namespace.clone(),
            revision: release.version,
            status: release.status().to_string(),
            deployed_at,
            apply_method: release.effective_apply_method().to_string(),
        }
    }
}
