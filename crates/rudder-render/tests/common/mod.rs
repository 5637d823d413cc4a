//! Shared test support: load a chart directory and prepare it for rendering.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rudder_chart::Chart;
use rudder_values::Value;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads a chart directory with the chart crate's loader.
pub fn load(dir: &Path) -> Result<Chart, String> {
    rudder_chart::loader::load(dir).map_err(|e| e.to_string())
}

/// Prepares a loaded chart with user values (`values_tree::prepare`: conditions, aliases,
/// coalescing, schema validation) and returns the pruned chart and its final values.
pub fn prepare(chart: &Chart, user: &Value) -> Result<(Chart, Value), String> {
    let prepared = rudder_chart::values_tree::prepare(chart, user).map_err(|e| e.to_string())?;
    Ok((prepared.chart, Value::Object(prepared.values)))
}

/// Loads and prepares with no user values, panicking on failure.
pub fn load_prepared(dir: &Path) -> (Chart, Value) {
    let chart = load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    prepare(&chart, &Value::Null).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}
