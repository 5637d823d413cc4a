//! `package`: write a reproducible chart archive.

use std::path::{Path, PathBuf};

use crate::ActionError;

/// Options of [`package`].
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// Directory to write the archive to.
    pub destination: PathBuf,
    /// Replace the chart version.
    pub version: Option<String>,
    /// Replace the app version.
    pub app_version: Option<String>,
}

/// Packages the chart directory `chart_dir` into `<destination>/<name>-<version>.tgz`.
/// The same input always gives the same bytes.
pub fn package(chart_dir: &Path, opts: &PackageOptions) -> Result<PathBuf, ActionError> {
    let mut options = rudder_chart::package::PackageOptions::default();
    if let Some(v) = &opts.version {
        options = options.with_version(v.clone());
    }
    if let Some(v) = &opts.app_version {
        options = options.with_app_version(v.clone());
    }
    Ok(rudder_chart::package::package(
        chart_dir,
        &opts.destination,
        &options,
    )?)
}
