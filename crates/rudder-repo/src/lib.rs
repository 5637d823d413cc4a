//! Classic chart repositories (`index.yaml` over HTTP), as Helm 4 speaks them.
//!
//! Owns:
//! - the repository index model ([`index::IndexFile`]): Helm's field names, versions sorted
//!   newest first, `repo index` (`--url`, `--merge`) and Helm's `--version` lookup;
//! - `repositories.yaml` ([`repofile::RepositoriesFile`]) in Helm's format, and the names of
//!   the per-repository files in the repository cache (`<name>-index.yaml`, `<name>-charts.txt`);
//! - HTTP fetching ([`http::Fetcher`]) with basic auth, Helm's pass-credentials rule,
//!   `--ca-file`, `--cert-file`/`--key-file`, `--insecure-skip-tls-verify` and size limits
//!   (reqwest on rustls with the ring provider, the tree's only TLS stack);
//! - the content-addressed chart cache ([`cache::ContentCache`]): `<root>/<hex[0:2]>/<sha256>.chart`,
//!   keyed by the sha256 of the content, verified on every read, written atomically;
//! - Chart.lock: Helm's digest of the dependency declarations and its YAML layout ([`lock`]).
//!
//! Must not: print, read the environment (callers pass every path), parse command lines,
//! install charts, or talk to OCI registries (that is `rudder-registry`).

pub mod cache;
pub mod error;
pub mod http;
pub mod index;
pub mod lock;
pub mod repofile;
pub mod urlutil;

pub use cache::{ContentCache, Digest};
pub use error::RepoError;
pub use http::{Credentials, FetchOptions, Fetcher, TlsFiles};
pub use index::{ChartVersion, IndexFile};
pub use repofile::{RepoEntry, RepositoriesFile};

/// The current time as Go marshals a `time.Time` in UTC (RFC 3339, nanoseconds with trailing
/// zeros removed), the form Helm writes for `generated` and `created`.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().to_string()
}

/// Go's zero `time.Time` as JSON/YAML (what Helm writes for an unset time).
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
