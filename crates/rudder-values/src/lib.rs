//! Helm-compatible chart values.
//!
//! This crate owns the value tree that flows from values files and `--set` flags into
//! templates: loading YAML with the YAML 1.1 rules Helm applies, coalescing chart
//! defaults with user values (globals, `null` deletion, subchart scoping), parsing the
//! `--set` family of flags, and validating against `values.schema.json`.
//!
//! It is pure: it must not read files, touch the network or know the chart layout on
//! disk. Callers pass text and receive [`Value`] trees or typed errors.
//!
//! Values are held as [`serde_json::Value`] with sorted maps, which is how Helm sees
//! them after its YAML → JSON round trip.

pub mod yaml;

/// The value tree. Maps iterate in sorted key order, as in Helm.
pub type Value = serde_json::Value;

/// A mapping of values (the top level of every values file).
pub type Map = serde_json::Map<String, Value>;
