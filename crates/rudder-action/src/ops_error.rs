//! Errors of the release operations' own rules: resource-group phases, the v3 CRD upgrade
//! policy, release leases (operations in progress, stale `pending-*` records), release labels
//! and `test`.

use rudder_release::Status;

/// Why a release operation refused to go on, or which of its own steps failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseOpError {
    /// The objects of one install phase (a resource group, or the resources a group waits
    /// for) did not become ready, so the phases after it were not applied.
    #[error("resource group {phase} did not become ready; later groups were not applied")]
    PhaseNotReady {
        /// The phase: group names, or `(ungrouped)`.
        phase: String,
        /// Why (the wait's error lists every object not ready).
        #[source]
        source: Box<crate::ActionError>,
    },
    /// The resource groups of a stored manifest are inconsistent (rollback re-derives them).
    #[error("invalid resource groups: {0}")]
    InvalidGroups(String),
    /// A CRD with `rudder.dev/crd-upgrade: upgrade` would drop or stop serving a version that
    /// objects are still stored in.
    #[error(
        "refusing to upgrade CRD {crd}: version {version:?} is listed in status.storedVersions but the new definition {what}"
    )]
    CrdVersionStillStored {
        /// CRD name.
        crd: String,
        /// The stored version.
        version: String,
        /// `does not contain it` or `does not serve it`.
        what: &'static str,
    },
    /// Another process holds the release's lease: an operation is running right now.
    #[error(
        "another operation ({operation}) is in progress on release {name:?}: held by {holder}, lease renewed {age_seconds}s ago (expires after {duration_seconds}s without renewal)"
    )]
    LeaseHeld {
        /// Release name.
        name: String,
        /// The operation holding it (`install`, `upgrade`, ...).
        operation: String,
        /// The holder's identity (`host/pid/nonce`).
        holder: String,
        /// Seconds since the last renewal.
        age_seconds: u64,
        /// The lease duration.
        duration_seconds: u64,
    },
    /// Another process took the lease between our read and our write.
    #[error("another operation on release {name:?} started at the same moment; retry")]
    LeaseRace {
        /// Release name.
        name: String,
    },
    /// The newest record is `pending-*` but nothing shows that the operation that wrote it
    /// died (no expired rudder lease for that revision): it may be a live `helm` process.
    #[error(
        "another operation (install/upgrade/rollback) is in progress on release {name:?} (revision {version} is {status}) and no expired rudder lease shows it was interrupted; if no helm or rudder process is working on it, retry with --force-pending"
    )]
    PendingWithoutLease {
        /// Release name.
        name: String,
        /// The pending revision.
        version: i64,
        /// Its status.
        status: Status,
    },
    /// `--labels` named a reserved or invalid label.
    #[error(transparent)]
    Labels(#[from] rudder_release::LabelError),
    /// `test`: one or more test hooks failed.
    #[error("{failed} test(s) failed: {names}")]
    TestsFailed {
        /// How many failed.
        failed: usize,
        /// `Kind/name` of each, comma-separated.
        names: String,
    },
    /// `test --logs`: the logs of a test Pod could not be read.
    #[error("unable to get pod logs for {pod}")]
    PodLogs {
        /// Pod name.
        pod: String,
        /// Why.
        #[source]
        source: Box<kube::Error>,
    },
}
