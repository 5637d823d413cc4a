//! Rudder's operations.
//!
//! Each module is one operation (`template`, `lint`, `package`, `create`, `show`; later
//! install, upgrade, rollback…): it takes an options struct with domain names (never flag
//! names), composes the library crates, and returns data. This is the only crate that
//! composes the others (see ARCHITECTURE.md).
//!
//! The release operations (`install`, `uninstall`, `list`, `status`) are async and take a
//! [`release_ops::ReleaseClient`]; `release_ops` holds what they share.
//!
//! It must not print, read environment variables or parse command lines: the CLI does
//! that and passes the results in. It may read the files the user named (charts, values
//! files) and write the files the user asked for (packages, `--output-dir`).

pub mod create;
pub mod error;
pub mod install;
pub mod kube_lookup;
pub mod lint;
pub mod list;
pub mod oci;
pub mod package;
pub mod plugin;
pub mod plugin_source;
mod pulled;
pub mod release_ops;
pub mod show;
pub mod status;
pub mod template;
pub mod test_hooks;
pub mod uninstall;
pub mod values;
// upgrade / rollback / history / get
pub mod get;
pub mod history;
pub mod rollback;
pub mod upgrade;
// --- provenance commands ---
pub mod plugin_provenance;
pub mod verify;

// --- repo/dependency commands ---
pub mod dependency;
pub mod repo;

// --- mlstack: host functions for plugins ---
pub mod plugin_host;

// --- release helper: resource groups, CRD policy, leases, `test` ---
pub mod crd_policy;
pub mod lease;
pub mod ops_error;
pub mod resource_groups;

pub use error::ActionError;
