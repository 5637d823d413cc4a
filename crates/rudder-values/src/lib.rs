//! Helm-compatible chart values.
//!
//! This crate owns the value tree that flows from values files and `--set` flags into
//! templates:
//!
//! - [`yaml`]: loading YAML with the YAML 1.1 rules Helm applies, multi-document values
//!   files merged document by document;
//! - [`strvals`]: the `--set`, `--set-string`, `--set-json`, `--set-file` and
//!   `--set-literal` grammar and type inference;
//! - [`model`]: Rudder's exact number model or Helm's float64 one (v1/v2 charts);
//! - [`options`]: assembling the user's values from `-f` files and those flags in Helm's
//!   order;
//! - [`goyaml`]: the go-yaml v2 emitter behind `sigs.k8s.io/yaml` (Helm's `toYaml`, Chart.yaml);
//! - [`coalesce`]: Helm's `MergeMaps`, `CoalesceTables` and `MergeTables`;
//! - [`tree`]: conditions, tags, import-values, globals and subchart scoping over a chart
//!   tree, with Rudder's documented `null` rule;
//! - [`schema`]: validation against `values.schema.json`.
//!
//! It is pure: it must not read files, touch the network, print, or know the chart
//! layout on disk. Callers pass text (and a closure for `--set-file`) and receive
//! [`Value`] trees, warnings, or typed errors.
//!
//! Values are held as [`serde_json::Value`] with sorted maps, which is how Helm sees
//! them after its YAML → JSON round trip. By default integers stay integers (Helm turns
//! every number from YAML or JSON into a float64); callers that render v1/v2 charts
//! select [`model::ValueModel::Helm`], under which the tree holds Helm's float64s and
//! `--set`'s int64s.

pub mod coalesce;
pub mod goyaml;
pub mod model;
pub mod options;
pub mod schema;
pub mod strvals;
pub mod tree;
pub mod yaml;

/// The value tree. Maps iterate in sorted key order, as in Helm.
pub type Value = serde_json::Value;

/// A mapping of values (the top level of every values file).
pub type Map = serde_json::Map<String, Value>;

/// The key whose map Helm copies from every chart into its subcharts.
pub const GLOBAL_KEY: &str = "global";
