//! Typed errors of the registry crate.

use thiserror::Error;

/// A bad `oci://` reference or version.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReferenceError {
    /// The reference does not start with `oci://`.
    #[error("{reference:?}: an OCI chart reference must start with oci://")]
    MissingScheme {
        /// The text given.
        reference: String,
    },
    /// The host part is empty or malformed.
    #[error("{reference:?}: invalid registry host {host:?}")]
    InvalidHost {
        /// The text given.
        reference: String,
        /// The host part.
        host: String,
    },
    /// No repository path after the host.
    #[error("{reference:?}: missing repository path after the registry host")]
    MissingRepository {
        /// The text given.
        reference: String,
    },
    /// A path component breaks the OCI repository-name grammar.
    #[error(
        "{reference:?}: invalid repository path component {component:?} (lowercase letters, digits and . _ - separators)"
    )]
    InvalidRepository {
        /// The text given.
        reference: String,
        /// The offending component.
        component: String,
    },
    /// The tag breaks the OCI tag grammar.
    #[error("{reference:?}: invalid tag {tag:?}")]
    InvalidTag {
        /// The text given.
        reference: String,
        /// The tag after `+` → `_`.
        tag: String,
    },
    /// The digest is not `sha256:` followed by 64 lowercase hex digits.
    #[error("{reference:?}: invalid digest {digest:?} (want sha256:<64 hex digits>)")]
    InvalidDigest {
        /// The text given.
        reference: String,
        /// The digest part.
        digest: String,
    },
    /// Neither a tag, a digest nor a version was given where one is needed.
    #[error("{reference}: no tag, digest or version given")]
    MissingVersion {
        /// The reference.
        reference: String,
    },
    /// The reference's tag and the requested version disagree.
    #[error("{reference:?}: tag {tag:?} does not match the requested version {version:?}")]
    VersionMismatch {
        /// The reference.
        reference: String,
        /// Its tag.
        tag: String,
        /// The version asked for.
        version: String,
    },
}

/// A failure reading or writing the Docker-style registry `config.json`.
#[derive(Debug, Error)]
pub enum CredentialsError {
    /// The file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file.
        path: String,
        /// What was attempted.
        action: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path}: line {line}, column {column}: invalid registry config: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A credential helper failed.
    #[error("{helper} (credentials for {host}): {message}")]
    Helper {
        /// The helper program.
        helper: String,
        /// The registry host.
        host: String,
        /// What went wrong.
        message: String,
    },
    /// An `auths.<host>.auth` value is not base64 of `user:password`.
    #[error("{path}: auths.{host}.auth: {message}")]
    BadAuth {
        /// The file.
        path: String,
        /// The registry host key.
        host: String,
        /// What is wrong.
        message: String,
    },
}

/// A failure talking to a registry or checking what it returned.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The reference is invalid.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The archive to push is not a loadable chart.
    #[error("cannot push to {target}: the archive is not a valid chart: {message}")]
    Chart {
        /// Where it was to be pushed.
        target: String,
        /// What is wrong.
        message: String,
    },
    /// No registry answered at the host.
    #[error("{registry}: registry unreachable: {message}")]
    Unreachable {
        /// Host\[:port\].
        registry: String,
        /// The transport error, flattened to one line.
        message: String,
    },
    /// The registry refused the credentials (or demanded some).
    #[error("{registry}: authentication failed: {message}")]
    Unauthorized {
        /// Host\[:port\].
        registry: String,
        /// What the registry said.
        message: String,
    },
    /// The tag or digest does not exist.
    #[error("{reference}: not found in the registry")]
    NotFound {
        /// The reference.
        reference: String,
    },
    /// Content does not hash to the digest it was asked for or described by.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was checked (manifest reference or blob).
        what: String,
        /// The expected digest.
        expected: String,
        /// The computed digest (or the registry's complaint).
        actual: String,
    },
    /// A blob is larger than allowed or than its descriptor says.
    #[error("{what}: size {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was checked.
        what: String,
        /// The size seen (at least).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A blob's length differs from its descriptor.
    #[error("{what}: size mismatch: descriptor says {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was checked.
        what: String,
        /// Size in the descriptor.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// The artifact is not a Helm chart.
    #[error("{reference}: not a Helm chart: {message}")]
    NotAChart {
        /// The reference.
        reference: String,
        /// What is wrong (names the media type).
        message: String,
    },
    /// The manifest could not be parsed.
    #[error("{reference}: invalid manifest: {message}")]
    InvalidManifest {
        /// The reference.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// A version constraint matched no tag.
    #[error("{reference}: no tag matches version {constraint:?} (tags: {available})")]
    NoMatchingVersion {
        /// The repository reference.
        reference: String,
        /// The constraint.
        constraint: String,
        /// The versions found, comma-separated (or "none").
        available: String,
    },
    /// The registry's certificate was not accepted.
    #[error(
        "{registry}: TLS certificate not trusted (give its CA with --ca-file, or skip the check with --insecure-skip-tls-verify): {message}"
    )]
    Certificate {
        /// The registry host.
        registry: String,
        /// Why, from the TLS library.
        message: String,
    },
    /// A TLS file (`--ca-file`) could not be used.
    #[error("{path}: {message}")]
    Tls {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A requested feature cannot be provided.
    #[error("{feature} are not supported: {reason}")]
    Unsupported {
        /// What was asked for.
        feature: &'static str,
        /// Why it cannot be done.
        reason: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {message}")]
    Client {
        /// Why.
        message: String,
    },
    /// The artifact is not a Helm plugin (see [`crate::plugin`]).
    #[error("{reference}: not a Helm plugin: {message}")]
    NotAPlugin {
        /// The reference.
        reference: String,
        /// What is wrong (names the artifact type or the missing layer).
        message: String,
    },
    /// Any other registry or protocol failure.
    #[error("{registry}: {message}")]
    Protocol {
        /// Host\[:port\].
        registry: String,
        /// What failed, one line.
        message: String,
    },
}
