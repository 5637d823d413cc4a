//! Errors of repository operations. Each variant names what failed; the CLI prints the
//! chain on one line.

use std::path::PathBuf;

/// Why a repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A local file could not be read or written.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A YAML/JSON document (index, repositories file, lock) could not be parsed.
    #[error("{origin}: {message}")]
    Parse {
        /// The document (a path or URL).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A URL could not be parsed or joined.
    #[error("invalid URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The HTTP client could not be built (bad CA, certificate or key file).
    #[error("cannot set up TLS: {message}")]
    Tls {
        /// What is wrong.
        message: String,
    },
    /// The server could not be reached or the transfer broke off.
    #[error("cannot reach {url}: {message}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The transport error, on one line.
        message: String,
    },
    /// The server answered with an error status.
    #[error("failed to fetch {url}: {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status line (`401 Unauthorized`).
        status: String,
    },
    /// A response was larger than the limit for its kind.
    #[error("{url}: response exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Downloaded content does not have the digest the index promised.
    #[error("digest mismatch for {what}: expected sha256:{expected}, got sha256:{actual}")]
    DigestMismatch {
        /// What was downloaded.
        what: String,
        /// The digest from the index.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// A cached file does not match the digest it is stored under; it has been removed.
    #[error(
        "cached file {path} does not match its digest (sha256:{actual}); it was removed, run the command again to download it"
    )]
    CacheCorrupt {
        /// The cache file.
        path: PathBuf,
        /// The digest of its content.
        actual: String,
    },
    /// A digest string is not a sha256 hex digest.
    #[error("invalid digest {0:?}: expected 64 hex digits (optionally prefixed with sha256:)")]
    InvalidDigest(String),
    /// The index has no chart of that name.
    #[error("chart {chart:?} not found in {repo} index")]
    ChartNotFound {
        /// The chart name.
        chart: String,
        /// The repository (name or URL).
        repo: String,
    },
    /// The index has the chart but no version satisfying the request.
    #[error("chart {chart:?} version {version:?} not found in {repo} index")]
    VersionNotFound {
        /// The chart name.
        chart: String,
        /// The requested version or constraint.
        version: String,
        /// The repository (name or URL).
        repo: String,
    },
    /// A version constraint is not valid Masterminds semver.
    #[error("invalid version constraint {constraint:?}: {message}")]
    Constraint {
        /// The constraint.
        constraint: String,
        /// What is wrong.
        message: String,
    },
    /// A chart archive could not be loaded while indexing.
    #[error("{path}: {message}")]
    InvalidChart {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl RepoError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RepoError {
        let path = path.into();
        move |source| RepoError::Io {
            action,
            path,
            source,
        }
    }
}

/// An error message on one line (transport errors carry their causes on several).
pub(crate) fn one_line(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.lines().collect::<Vec<_>>().join(" ")
}
