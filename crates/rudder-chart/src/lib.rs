//! The chart model and everything about charts at rest.
//!
//! This crate owns the in-memory [`Chart`] (for chart apiVersion v1, v2 and v3), loading
//! it from a directory or a `.tgz` archive ([`load`], [`load_dir`], [`load_file`],
//! [`load_archive`]), `.helmignore` handling, and reproducible packaging ([`package()`]).
//!
//! It must not render templates, talk to a cluster or the network, or print. Chart.yaml,
//! Chart.lock and values.yaml are parsed with [`rudder_values::yaml`] so that they follow
//! Helm's YAML 1.1 rules, and errors name `file:line:col`.
//!
//! # Safety rules and limits
//!
//! Charts come from untrusted places (repositories, registries, pull requests), so loading
//! refuses, with a one-line error naming the archive and the entry:
//!
//! * a file that does not start with the gzip magic bytes, or a truncated or corrupt gzip
//!   or tar stream;
//! * entries with absolute paths (`/etc/passwd`, `C:/…`, `chart//x`), entries whose
//!   cleaned path climbs out of the chart directory (`chart/../../evil`, also with `\`);
//! * entries outside the single top-level chart directory (a second top-level directory,
//!   or a file such as `Chart.yaml` at the top level);
//! * symlink and hard-link entries, devices, FIFOs and other special entries;
//! * more than [`LoadOptions::max_decompressed_bytes`] in total (default 100 MiB, Helm
//!   4.1.4's `MaxDecompressedChartSize`) or a single file over
//!   [`LoadOptions::max_file_bytes`] (default 5 MiB, Helm's `MaxDecompressedFileSize`).
//!   Bytes are counted as they are decompressed, never taken from tar headers, and one
//!   budget covers the chart and every nested `charts/*.tgz`, so a gzip bomb or nested
//!   archives cannot multiply it.
//!
//! In a directory chart, symlinks are followed (as Helm does) but must resolve inside the
//! chart root, loops are refused, and devices, sockets and pipes are refused. The same
//! limits apply to the bytes read.
//!
//! # Where Rudder is stricter than Helm 4.1.4
//!
//! * Symlink and hard-link entries in archives are errors (Helm reads them as empty files).
//! * An entry such as `/etc/x` is an error (Helm drops the first path component of every
//!   entry, so it loads it as the chart file `etc/x`).
//! * Archives must have exactly one top-level directory (Helm strips whatever the first
//!   path component is, so two top-level directories merge silently).
//! * Symlinks in a directory chart must stay inside the chart root (Helm follows them
//!   anywhere), and the total-size limit applies to directories too (Helm checks only
//!   the per-file limit there).
//! * A v3 chart with `requirements.yaml`/`requirements.lock` is an error (Helm's v3 loader
//!   keeps them as ordinary files).
//! * Subcharts are ordered by where they appear (Helm's v2 loader iterates a Go map, so
//!   the order of subcharts — and therefore `helm package` output for a chart with two or
//!   more subcharts — changes from run to run).
//!
//! Packaging ([`package()`]) writes archives that are byte-for-byte reproducible: see the
//! [`package`](mod@package) module.

mod archive;
pub mod error;
mod gostring;
pub mod loader;
pub mod model;
pub mod package;
pub mod version;

pub use error::{ArchiveError, LoadError, PackageError};
pub use loader::{
    DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_FILE_BYTES, LoadOptions, load, load_archive,
    load_dir, load_file, load_with,
};
pub use model::{
    ApiVersion, Chart, ChartType, Dependency, File, Lock, Maintainer, Metadata, ModTimes,
};
pub use package::{PackageOptions, metadata_yaml, package, package_chart, tar_stream};
pub mod scaffold;
pub mod values_tree;
