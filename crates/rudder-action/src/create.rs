//! `create`: write a new apiVersion v3 chart scaffold.

use std::path::{Path, PathBuf};

use crate::ActionError;

/// Creates the chart `name` (a path: its last component is the chart name) and returns
/// the directory written.
pub fn create(name: &Path) -> Result<PathBuf, ActionError> {
    let parent = match name.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let chart_name = name
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(rudder_chart::scaffold::create(&chart_name, &parent)?)
}
