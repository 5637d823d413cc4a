//! Rudder's operations.
//!
//! Each module is one operation (`template`, `lint`, `package`, `create`, `show`; later
//! install, upgrade, rollback…): it takes an options struct with domain names (never flag
//! names), composes the library crates, and returns data. This is the only crate that
//! composes the others (see ARCHITECTURE.md).
//!
//! It must not print, read environment variables or parse command lines: the CLI does
//! that and passes the results in. It may read the files the user named (charts, values
//! files) and write the files the user asked for (packages, `--output-dir`).

pub mod create;
pub mod error;
pub mod lint;
pub mod package;
pub mod show;
pub mod template;
pub mod values;

pub use error::ActionError;
