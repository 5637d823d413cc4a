//! The user's values: reading `-f` files and `--set-file` paths, then merging with
//! `rudder-values` in Helm's order.

use std::path::PathBuf;

use rudder_values::model::ValueModel;
use rudder_values::options::{ValueOptions, ValuesFile};
use rudder_values::{Map, Value};

use crate::ActionError;

/// Where the user's values come from (Helm's `--values`/`--set` family).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueSources {
    /// `-f` files, in order.
    pub files: Vec<PathBuf>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file` (`key=path`; the file's text becomes the value).
    pub set_file: Vec<String>,
    /// `--set-json`.
    pub set_json: Vec<String>,
    /// `--set-literal`.
    pub set_literal: Vec<String>,
}

impl ValueSources {
    /// Reads the files and merges everything into the user's values map, decoded with
    /// `model` (the chart's: [`rudder_chart::values_tree::value_model`]).
    pub fn load(&self, model: ValueModel) -> Result<Map, ActionError> {
        let mut files = Vec::with_capacity(self.files.len());
        for path in &self.files {
            let text = std::fs::read_to_string(path).map_err(|source| ActionError::ReadValues {
                path: path.clone(),
                source,
            })?;
            files.push(ValuesFile {
                origin: path.display().to_string(),
                text,
            });
        }
        let options = ValueOptions {
            files,
            set_json: self.set_json.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
            set_literal: self.set_literal.clone(),
            model,
        };
        let mut read = |path: &str| -> Result<Value, String> {
            std::fs::read_to_string(path)
                .map(Value::String)
                .map_err(|e| format!("{path}: {e}"))
        };
        Ok(options.merge(&mut read)?)
    }
}

/// A stored release's config as Helm reads it back (decoded from JSON with `model`).
pub(crate) fn stored_config(config: &Map, model: ValueModel) -> Map {
    let mut v = Value::Object(config.clone());
    model.from_json(&mut v);
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
