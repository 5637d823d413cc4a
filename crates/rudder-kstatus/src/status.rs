//! The status vocabulary: [`Status`] and the [`ObjectStatus`] every rule returns.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The readiness of one object, as kstatus names it.
///
/// [`compute`](crate::compute) only returns `InProgress`, `Failed`, `Current` and
/// `Terminating`; `NotFound` and `Unknown` come from the watcher (object gone, or its status
/// could not be computed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// The object is still being reconciled.
    InProgress,
    /// The object's controller reports a failure that is unlikely to heal by itself.
    Failed,
    /// The object is fully reconciled (for kstatus this means "ready").
    Current,
    /// The object has a deletion timestamp.
    Terminating,
    /// The object does not exist.
    NotFound,
    /// The status has not been observed yet, or could not be computed.
    Unknown,
}

impl Status {
    /// The kstatus spelling (`"InProgress"`, `"Current"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Failed => "Failed",
            Status::Current => "Current",
            Status::Terminating => "Terminating",
            Status::NotFound => "NotFound",
            Status::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of computing one object's status.
///
/// `reason` is the CamelCase reason kstatus attaches through its synthetic
/// `Reconciling`/`Stalled` condition (`None` where kstatus attaches none, e.g. for `Current`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectStatus {
    /// The status.
    pub status: Status,
    /// A human-readable explanation, with kstatus's exact wording for the built-in rules.
    pub message: String,
    /// The machine-readable reason, if the rule gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The result depends on the clock: compute the status again after this long even if the
    /// object does not change (the Pod schedule window, the custom-resource status grace period).
    #[serde(skip)]
    pub recheck_after: Option<Duration>,
}

impl ObjectStatus {
    /// `Current` with `message` and no reason.
    pub fn current(message: impl Into<String>) -> Self {
        Self::new(Status::Current, None, message.into())
    }

    /// `InProgress` with `reason` and `message` (kstatus `newInProgressStatus`).
    pub fn in_progress(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Status::InProgress, Some(reason.into()), message.into())
    }

    /// `Failed` with `reason` and `message` (kstatus `newFailedStatus`).
    pub fn failed(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Status::Failed, Some(reason.into()), message.into())
    }

    /// `Terminating`, "Resource scheduled for deletion".
    pub fn terminating() -> Self {
        Self::new(
            Status::Terminating,
            None,
            "Resource scheduled for deletion".to_owned(),
        )
    }

    /// `NotFound`, "Resource not found" (what the watcher reports for a deleted object).
    pub fn not_found() -> Self {
        Self::new(Status::NotFound, None, "Resource not found".to_owned())
    }

    /// `Unknown` carrying the error that prevented computing the status.
    pub fn unknown(error: &crate::Error) -> Self {
        Self::new(Status::Unknown, None, error.to_string())
    }

    /// Sets [`recheck_after`](Self::recheck_after).
    pub fn with_recheck_after(mut self, after: Duration) -> Self {
        self.recheck_after = Some(after);
        self
    }

    fn new(status: Status, reason: Option<String>, message: String) -> Self {
        Self {
            status,
            message,
            reason,
            recheck_after: None,
        }
    }
}
