//! Errors of loading and packaging charts.
//!
//! Every message is one line and names what failed: a file (with line and column for YAML
//! and JSON), or an archive and the entry inside it.

use std::path::PathBuf;

use rudder_values::yaml::YamlError;

/// A chart could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading a file or directory failed.
    #[error("{}: cannot read", path.display())]
    Io {
        /// The path that could not be read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A chart has no Chart.yaml.
    #[error("{chart}: Chart.yaml file is missing")]
    ChartYamlMissing {
        /// The chart (directory, archive, or `parent/charts/<name>`).
        chart: String,
    },
    /// An entry under `charts/` is neither a chart directory nor a `.tgz` chart archive.
    #[error("{path}: not a chart: Chart.yaml file is missing")]
    NotAChart {
        /// The entry, e.g. `mychart/charts/README.md`.
        path: String,
    },
    /// Chart.yaml, Chart.lock, requirements.* or values.yaml is not valid YAML, or has a
    /// value of the wrong type. The message is `file:line:col: what`.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A values file whose top level is not a mapping.
    #[error("{file}: values must be a mapping, got {found}")]
    ValuesNotMapping {
        /// The values file.
        file: String,
        /// The YAML type found instead (`sequence`, `string`, …).
        found: &'static str,
    },
    /// values.schema.json is not valid JSON.
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    SchemaJson {
        /// The schema file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message without its position.
        message: String,
    },
    /// Chart.yaml names an apiVersion other than v1, v2 or v3.
    #[error("{file}: unsupported chart apiVersion {version:?} (expected v1, v2 or v3)")]
    UnsupportedApiVersion {
        /// The Chart.yaml.
        file: String,
        /// The apiVersion found.
        version: String,
    },
    /// Chart.yaml fails Helm's metadata validation (the message is Helm's).
    #[error("{file}: validation: {message}")]
    Validation {
        /// The Chart.yaml.
        file: String,
        /// Helm's validation message, e.g. `chart.metadata.name is required`.
        message: String,
    },
    /// A v3 chart's version is not strict SemVer 2.
    #[error(
        "{file}: validation: chart.metadata.version {version:?} is not strict SemVer (MAJOR.MINOR.PATCH[-PRE][+BUILD]), required by apiVersion v3"
    )]
    NotStrictSemver {
        /// The Chart.yaml.
        file: String,
        /// The version found.
        version: String,
    },
    /// A v3 chart contains `requirements.yaml` or `requirements.lock`.
    #[error("{file}: not allowed in an apiVersion v3 chart (declare dependencies in Chart.yaml)")]
    RequirementsInV3 {
        /// The offending file.
        file: String,
    },
    /// A `.helmignore` line is not a valid pattern.
    #[error("{file}:{line}: invalid ignore pattern: {message}")]
    Helmignore {
        /// The `.helmignore` file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A directory chart holds something other than regular files and directories.
    #[error("{}: irregular file (device, socket or pipe) cannot be loaded", path.display())]
    IrregularFile {
        /// The path.
        path: PathBuf,
    },
    /// A symlink in a directory chart resolves outside the chart root.
    #[error("{}: symlink resolves to {} outside the chart root {}", path.display(), target.display(), root.display())]
    SymlinkEscape {
        /// The symlink.
        path: PathBuf,
        /// Where it resolves.
        target: PathBuf,
        /// The chart root.
        root: PathBuf,
    },
    /// Following symlinks in a directory chart would loop.
    #[error("{}: symlink loop (directory already visited as {})", path.display(), target.display())]
    SymlinkLoop {
        /// The symlink.
        path: PathBuf,
        /// The directory it resolves to.
        target: PathBuf,
    },
    /// A file is larger than [`LoadOptions::max_file_bytes`](crate::LoadOptions).
    #[error("{file}: file is larger than the maximum file size of {limit} bytes")]
    FileTooLarge {
        /// The file (`archive: entry` for archives).
        file: String,
        /// The limit.
        limit: u64,
    },
    /// The chart is larger, decompressed, than
    /// [`LoadOptions::max_decompressed_bytes`](crate::LoadOptions).
    #[error("{file}: chart is larger than the maximum decompressed size of {limit} bytes")]
    TooLarge {
        /// The file (`archive: entry` for archives) at which the limit was crossed.
        file: String,
        /// The limit.
        limit: u64,
    },
    /// An archive could not be read safely.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// A chart archive is malformed or unsafe. Messages name the archive and the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The file does not start with the gzip magic bytes.
    #[error("{archive}: not a gzip-compressed chart archive")]
    NotGzip {
        /// The archive.
        archive: String,
    },
    /// The gzip or tar stream is truncated or corrupt.
    #[error("{archive}: truncated or corrupt archive")]
    Corrupt {
        /// The archive.
        archive: String,
        /// What the decoder reported.
        #[source]
        source: std::io::Error,
    },
    /// An entry name is not valid UTF-8.
    #[error("{archive}: entry {entry:?} has a name that is not UTF-8")]
    NonUtf8Name {
        /// The archive.
        archive: String,
        /// The name, lossily decoded.
        entry: String,
    },
    /// An entry has an absolute path (`/…`, `C:/…`).
    #[error("{archive}: entry {entry:?} has an absolute path")]
    AbsolutePath {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
    },
    /// An entry escapes the chart directory with `..`.
    #[error("{archive}: entry {entry:?} escapes the chart directory")]
    PathEscape {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
    },
    /// An entry is not inside the archive's single top-level chart directory.
    #[error("{archive}: entry {entry:?} is outside the chart directory {top:?}")]
    OutsideChartDir {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
        /// The chart directory established by the first entry.
        top: String,
    },
    /// An entry at the top level of the archive, where only the chart directory may be.
    #[error("{archive}: entry {entry:?} is not inside a chart directory")]
    NoChartDir {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
    },
    /// A symlink or hard-link entry (never allowed in chart archives).
    #[error(
        "{archive}: entry {entry:?} is a {kind} to {target:?}; links are not allowed in chart archives"
    )]
    Link {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
        /// `symlink` or `hard link`.
        kind: &'static str,
        /// The link target.
        target: String,
    },
    /// A device, FIFO, sparse file or other entry type a chart cannot hold.
    #[error("{archive}: entry {entry:?} has unsupported type {kind:?}")]
    UnsupportedEntry {
        /// The archive.
        archive: String,
        /// The entry name.
        entry: String,
        /// The tar type flag, as a character.
        kind: char,
    },
    /// The archive has no files.
    #[error("{archive}: no files in chart archive")]
    Empty {
        /// The archive.
        archive: String,
    },
    /// A nested `charts/*.tgz` is an entry of a different name than expected by Helm's
    /// rules (for example a directory called `x.tgz`).
    #[error("{archive}: {entry:?} is not a chart archive file")]
    NestedNotAFile {
        /// The parent archive or chart.
        archive: String,
        /// The entry.
        entry: String,
    },
}

/// A chart could not be packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Loading the chart directory failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The (possibly overridden) version is not a valid version for the chart's apiVersion.
    #[error("{chart}: version {version:?} is invalid: {reason}")]
    InvalidVersion {
        /// The chart name.
        chart: String,
        /// The version.
        version: String,
        /// Why.
        reason: &'static str,
    },
    /// Chart.yaml declares dependencies that are not under `charts/`.
    #[error("{chart}: found in Chart.yaml, but missing in charts/ directory: {}", missing.join(", "))]
    MissingDependencies {
        /// The chart name.
        chart: String,
        /// The names of the missing dependencies.
        missing: Vec<String>,
    },
    /// The chart name would change the archive location (`a/b`, `..`).
    #[error("chart name {name:?} is invalid")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Chart metadata could not be serialised.
    #[error("{chart}: cannot serialise {file}: {message}")]
    Serialise {
        /// The chart name.
        chart: String,
        /// The file being written.
        file: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Writing the archive failed.
    #[error("{}: cannot write", path.display())]
    Write {
        /// The archive path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
