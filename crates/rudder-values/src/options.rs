//! The user's values: `-f` files and the `--set` family, merged in Helm 4's order.
//!
//! Order (later wins): every `-f` file in order (each multi-document file merged
//! document by document, see [`crate::yaml::load_values`]), then `--set-json`, `--set`,
//! `--set-string`, `--set-file` and `--set-literal`, each flag's occurrences in order —
//! the order of Helm's `pkg/cli/values.Options.MergeValues`. A `--set-json` value that
//! starts with `{` is a whole JSON object merged like a values file.
//!
//! Files are passed in as text; `--set-file` paths are resolved by a caller closure.
//! [`ValueOptions::model`] selects Helm's number model for v1/v2 charts (file and JSON
//! numbers `f64`, `--set` integers `i64`; see [`crate::model`]).

use crate::coalesce::merge_maps;
use crate::model::ValueModel;
use crate::strvals::{self, FileReader, SetError, SetKind};
use crate::yaml::{self, YamlError};
use crate::{Map, Value};

/// A values file given with `-f`: its name (for errors) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesFile {
    /// Name shown in errors (the path as the user typed it).
    pub origin: String,
    /// Contents.
    pub text: String,
}

/// Everything the user passed on the command line, in flag order within each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueOptions {
    /// `-f/--values` files.
    pub files: Vec<ValuesFile>,
    /// `--set-json`.
    pub set_json: Vec<String>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--set-literal`.
    pub set_literal: Vec<String>,
    /// How numbers and keys decoded from files and `--set-json` are represented.
    pub model: ValueModel,
}

/// Why the user's values could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// A `-f` file is not valid YAML, or a document in it is not a map.
    #[error(transparent)]
    File(#[from] YamlError),
    /// A `--set`-family argument could not be parsed.
    #[error("failed parsing {flag} data {input:?}: {source}")]
    Set {
        /// The flag, e.g. `--set-string`.
        flag: &'static str,
        /// The argument as given.
        input: String,
        /// What was wrong.
        #[source]
        source: SetError,
    },
    /// A whole-object `--set-json` argument is not a JSON object.
    #[error("failed parsing --set-json data JSON {input:?}: {message}")]
    JsonObject {
        /// The argument as given.
        input: String,
        /// The JSON parser's message.
        message: String,
    },
}

impl ValueOptions {
    /// Merges everything into one map. `read_file` resolves `--set-file` paths (Helm
    /// uses the file's text as a string value).
    pub fn merge(&self, read_file: &mut FileReader<'_>) -> Result<Map, OptionsError> {
        let mut base = Map::new();
        for f in &self.files {
            let mut doc = Value::Object(yaml::load_values(&f.text, &f.origin)?);
            self.model.from_yaml(&mut doc);
            if let Value::Object(m) = doc {
                merge_maps(&mut base, m);
            }
        }
        for input in &self.set_json {
            let trimmed = input.trim();
            if trimmed.starts_with('{') {
                let obj: Map =
                    serde_json::from_str(trimmed).map_err(|e| OptionsError::JsonObject {
                        input: input.clone(),
                        message: e.to_string(),
                    })?;
                let mut doc = Value::Object(obj);
                self.model.from_json(&mut doc);
                if let Value::Object(m) = doc {
                    merge_maps(&mut base, m);
                }
            } else {
                strvals::parse_into_with(input, &mut base, SetKind::Json, self.model).map_err(
                    |source| OptionsError::Set {
                        flag: "--set-json",
                        input: input.clone(),
                        source,
                    },
                )?;
            }
        }
        for input in &self.set {
            set_into(&mut base, input, "--set", SetKind::Typed)?;
        }
        for input in &self.set_string {
            set_into(&mut base, input, "--set-string", SetKind::String)?;
        }
        for input in &self.set_file {
            strvals::parse_into(input, &mut base, SetKind::File(&mut *read_file)).map_err(
                |source| OptionsError::Set {
                    flag: "--set-file",
                    input: input.clone(),
                    source,
                },
            )?;
        }
        for input in &self.set_literal {
            set_into(&mut base, input, "--set-literal", SetKind::Literal)?;
        }
        Ok(base)
    }
}

fn set_into(
    base: &mut Map,
    input: &str,
    flag: &'static str,
    kind: SetKind<'_>,
) -> Result<(), OptionsError> {
    strvals::parse_into(input, base, kind).map_err(|source| OptionsError::Set {
        flag,
        input: input.to_string(),
        source,
    })
}

/// A `--set-file` reader that refuses every path: for callers that do not support it.
pub fn no_files(path: &str) -> Result<Value, String> {
    Err(format!("{path}: reading files is not supported here"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn helm_order_and_multi_doc() {
        let opts = ValueOptions {
            files: vec![
                ValuesFile {
                    origin: "a.yaml".into(),
                    text: "x: 1\ny: {a: 1}\n---\ny: {b: 2}\n".into(),
                },
                ValuesFile {
                    origin: "b.yaml".into(),
                    text: "x: 2\n".into(),
                },
            ],
            set_json: vec![r#"{"j": [1]}"#.into(), "k=true".into()],
            set: vec!["s=1,k=false".into()],
            set_string: vec!["s=1".into()],
            set_file: vec!["f=path".into()],
            set_literal: vec!["l=a,b".into()],
            model: ValueModel::Exact,
        };
        let mut reader = |p: &str| Ok(Value::String(format!("content of {p}")));
        let m = opts.merge(&mut reader).unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"x": 2, "y": {"a": 1, "b": 2}, "j": [1], "k": false, "s": "1",
                   "f": "content of path", "l": "a,b"})
        );
    }

    #[test]
    fn helm_model_keeps_set_integers_int64() {
        let opts = ValueOptions {
            files: vec![ValuesFile {
                origin: "a.yaml".into(),
                text: "f: 3\non: 1\n".into(),
            }],
            set_json: vec!["j=4".into(), r#"{"o": 5}"#.into()],
            set: vec!["s=3,l={1,x}".into()],
            model: ValueModel::Helm,
            ..Default::default()
        };
        let m = opts.merge(&mut no_files).unwrap();
        assert!(m["f"].is_f64() && m["j"].is_f64() && m["o"].is_f64());
        assert!(m["true"].is_f64(), "YAML key `on` renamed as Helm does");
        assert!(m["s"].is_i64() && m["l"][0].is_i64());
    }

    #[test]
    fn errors_name_the_flag_and_file() {
        let opts = ValueOptions {
            set: vec!["a.b".into()],
            ..Default::default()
        };
        let e = opts.merge(&mut no_files).unwrap_err().to_string();
        assert_eq!(
            e,
            "failed parsing --set data \"a.b\": key \"b\" has no value"
        );
        let opts = ValueOptions {
            files: vec![ValuesFile {
                origin: "v.yaml".into(),
                text: "- 1\n".into(),
            }],
            ..Default::default()
        };
        let e = opts.merge(&mut no_files).unwrap_err().to_string();
        assert!(e.starts_with("v.yaml:"), "{e}");
    }
}
