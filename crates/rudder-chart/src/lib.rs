//! The chart model and everything about charts at rest.
//!
//! This crate owns the in-memory [`Chart`] (for chart apiVersion v1, v2 and v3), loading
//! it from a directory or a `.tgz` archive with archive safety (no absolute paths, no `..`
//! escapes, no symlinks out of the chart, bounded decompressed size), `.helmignore`
//! handling, and reproducible packaging.
//!
//! It must not render templates, talk to a cluster or the network, or print. Values are
//! parsed with [`rudder_values::yaml`] so that Chart.yaml and values.yaml follow Helm's
//! YAML 1.1 rules.

pub mod model;

pub use model::{ApiVersion, Chart, ChartType, Dependency, File, Lock, Maintainer, Metadata};
pub mod scaffold;
pub mod values_tree;
