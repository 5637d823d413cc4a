//! Errors of the operations.

use std::path::PathBuf;

/// Why an operation failed. Messages are one line and name the file, line, value path or
/// template involved (the wrapped errors carry those).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A chart could not be loaded.
    #[error(transparent)]
    Load(#[from] rudder_chart::LoadError),
    /// The user's values (`-f`, `--set…`) could not be assembled.
    #[error(transparent)]
    Values(#[from] rudder_values::options::OptionsError),
    /// A values file named with `-f` could not be read.
    #[error("cannot read values file {path}")]
    ReadValues {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Values could not be coalesced over the chart tree.
    #[error(transparent)]
    Prepare(#[from] rudder_chart::values_tree::PrepareError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] rudder_render::RenderError),
    /// `--show-only` named a template that produced nothing.
    #[error("could not find template {0} in chart")]
    ShowOnlyNotFound(String),
    /// Packaging failed.
    #[error(transparent)]
    Package(#[from] rudder_chart::PackageError),
    /// Writing an output file failed.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Creating a chart scaffold failed.
    #[error(transparent)]
    Create(#[from] rudder_chart::scaffold::ScaffoldError),
    /// A Kubernetes request or wait failed.
    #[error(transparent)]
    Kube(#[from] rudder_kube::Error),
    /// Reading or writing release records failed.
    #[error(transparent)]
    Storage(#[from] rudder_release::StorageError),
    /// `install` found a release of that name that is still in use.
    #[error("cannot re-use a name that is still in use: release {name:?} is {status}")]
    NameInUse {
        /// Release name.
        name: String,
        /// Status of its newest revision.
        status: rudder_release::Status,
    },
    /// The release name is not a valid name (Helm's rule: at most 53 characters of lowercase
    /// DNS-1123 labels separated by dots).
    #[error("invalid release name {name:?}: {reason}")]
    InvalidReleaseName {
        /// The name given.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A command-line value the action cannot use (e.g. a `--filter` of `rudder test`).
    #[error("{0}")]
    InvalidArgument(String),
    /// The release has no record.
    #[error("release {name:?} not found")]
    ReleaseNotFound {
        /// Release name.
        name: String,
    },
    /// `uninstall --keep-history` of a release that is already uninstalled.
    #[error("the release named {name:?} is already deleted")]
    AlreadyDeleted {
        /// Release name.
        name: String,
    },
    /// A rendered document is not valid YAML or not a Kubernetes object.
    #[error("invalid object in {source_path}: {reason}")]
    InvalidManifest {
        /// The template (or CRD file) the document came from.
        source_path: String,
        /// What is wrong.
        reason: String,
    },
    /// An object the release would create already exists and belongs to another release
    /// (or to none).
    #[error("{object} exists and cannot be imported into the current release: {reason}")]
    Ownership {
        /// `Kind/namespace/name`.
        object: String,
        /// Which ownership marker is wrong.
        reason: String,
    },
    /// A hook failed (its object could not be applied, or did not complete).
    #[error("{event} hook {hook} failed")]
    HookFailed {
        /// Hook event (`pre-install`, ...).
        event: String,
        /// `Kind/name` of the hook object.
        hook: String,
        /// Why.
        #[source]
        source: Box<ActionError>,
    },
    /// The operation failed and the release record was marked `failed`.
    #[error("release {name} failed")]
    ReleaseFailed {
        /// Release name.
        name: String,
        /// Why.
        #[source]
        source: Box<ActionError>,
    },
    /// A background task (rendering with cluster lookups) did not finish.
    #[error("rendering task failed: {0}")]
    Task(String),
    /// A plugin operation failed (post-renderer, getter, plugin lifecycle).
    #[error(transparent)]
    Plugin(#[from] crate::plugin::PluginOpError),
    /// `upgrade` or `rollback` failed in a way of their own.
    #[error(transparent)]
    Lifecycle(#[from] crate::upgrade::LifecycleError),
    /// An OCI registry operation (push, pull, login, fetching an `oci://` chart) failed.
    #[error(transparent)]
    Oci(#[from] crate::oci::OciError),
    // --- provenance commands ---
    /// Signing or verifying provenance (`.prov`) failed.
    #[error(transparent)]
    Provenance(#[from] rudder_provenance::ProvenanceError),
    /// A chart cannot be verified (a directory, not an archive).
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
    // --- release helper ---
    /// A release operation failed in a way of its own (resource groups, CRD policy, leases,
    /// labels, tests).
    #[error(transparent)]
    ReleaseOp(#[from] crate::ops_error::ReleaseOpError),
}
