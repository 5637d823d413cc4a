//! The crate's error type.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::KubeconfigError;
use rudder_kstatus::ObjectStatus;

use crate::ObjectRef;
use crate::wait::Desired;

/// What failed while talking to Kubernetes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A kubeconfig file could not be read or parsed, or names a context, cluster or user
    /// that does not exist.
    #[error("could not load kubeconfig{}", path_suffix(.paths))]
    Kubeconfig {
        /// The files read (empty: kube's default `KUBECONFIG` / `~/.kube/config` lookup).
        paths: Vec<PathBuf>,
        /// What was wrong.
        #[source]
        source: Box<KubeconfigError>,
    },
    /// The `--kube-ca-file` bundle could not be read or holds no PEM certificate.
    #[error("could not read CA file {}: {reason}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The client could not be built from the configuration (TLS material, proxy, ...).
    #[error("could not build a Kubernetes client for {server}")]
    BuildClient {
        /// The API server URL.
        server: String,
        /// Why.
        #[source]
        source: Box<kube::Error>,
    },
    /// The API server could not list the resources of a group version.
    #[error("could not discover the resources of {api_version}")]
    Discovery {
        /// The group version asked for.
        api_version: String,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// The API server does not serve this kind (a CRD not installed yet, a typo, a removed
    /// API version). Worded as kubectl and Helm word it.
    #[error("no matches for kind \"{kind}\" in version \"{api_version}\"")]
    UnknownKind {
        /// The `apiVersion` asked for.
        api_version: String,
        /// The `kind` asked for.
        kind: String,
    },
    /// A manifest lacks `apiVersion`, `kind` or `metadata.name`, or is not an object.
    #[error("invalid object {id}: {reason}")]
    InvalidObject {
        /// `Kind/namespace/name` as far as known.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Server-side apply reported field conflicts with another field manager (HTTP 409); use
    /// `force_conflicts` to take the fields over.
    #[error("conflict applying {id}")]
    Conflict {
        /// The object.
        id: ObjectRef,
        /// The API error, whose message lists the conflicting fields and managers.
        #[source]
        source: Box<kube::Error>,
    },
    /// An API request about one object failed.
    #[error("could not {verb} {id}")]
    Request {
        /// What was attempted: `apply`, `create`, `replace`, `get`, `delete`.
        verb: &'static str,
        /// The object.
        id: ObjectRef,
        /// The API error.
        #[source]
        source: Box<kube::Error>,
    },
    /// A watch could not continue (for example, `watch` is forbidden by RBAC).
    #[error("could not watch {what}")]
    Watch {
        /// `Kind` in namespace `ns`, as text.
        what: String,
        /// The watch error.
        #[source]
        source: Box<kube::runtime::watcher::Error>,
    },
    /// The wait ended because objects reached a terminal `Failed` status (Helm treats
    /// `Failed` as terminal); every object not in the desired status is listed.
    #[error("{}", render(.objects, *.desired, None))]
    WaitFailed {
        /// The status waited for.
        desired: Desired,
        /// Every object not in the desired status, with its status and message.
        objects: Vec<NotReady>,
    },
    /// The timeout passed; every object not in the desired status is listed, one line each,
    /// in Helm's wording (`resource Deployment/ns/web not ready. status: InProgress, message: ...`).
    #[error("{}", render(.objects, *.desired, Some(*.timeout)))]
    WaitTimedOut {
        /// The status waited for.
        desired: Desired,
        /// The timeout that passed.
        timeout: Duration,
        /// Every object not in the desired status, with its status and message.
        objects: Vec<NotReady>,
    },
}

impl Error {
    /// Whether this is an HTTP 404 from the API server.
    pub fn is_not_found(&self) -> bool {
        self.api_code() == Some(404)
    }

    /// The HTTP status code of the API error inside, if any.
    pub fn api_code(&self) -> Option<u16> {
        match self {
            Error::Conflict { source, .. }
            | Error::Request { source, .. }
            | Error::Discovery { source, .. } => api_code(source),
            _ => None,
        }
    }
}

/// One object that did not reach the desired status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    /// The object.
    pub id: ObjectRef,
    /// Its last status.
    pub status: ObjectStatus,
}

impl NotReady {
    /// Helm's line for this object: `resource Kind/ns/name not ready. status: S, message: M`
    /// (`still exists` instead of `not ready` when waiting for deletion).
    pub fn helm_line(&self, desired: Desired) -> String {
        let what = match desired {
            Desired::Current => "not ready",
            Desired::NotFound => "still exists",
        };
        format!(
            "resource {} {what}. status: {}, message: {}",
            self.id.helm_id(),
            self.status.status,
            self.status.message
        )
    }
}

fn render(objects: &[NotReady], desired: Desired, timeout: Option<Duration>) -> String {
    let mut lines: Vec<String> = objects.iter().map(|o| o.helm_line(desired)).collect();
    if let Some(timeout) = timeout {
        lines.push(format!("timed out after {}", GoDuration(timeout)));
    }
    lines.join("\n")
}

/// A duration printed the way Go prints `time.Duration` for whole seconds (`5m0s`, `30s`).
struct GoDuration(Duration);

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0.as_secs();
        let millis = self.0.subsec_millis();
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
        if h > 0 {
            write!(f, "{h}h{m}m{s}s")
        } else if m > 0 {
            write!(f, "{m}m{s}s")
        } else if millis > 0 {
            write!(f, "{s}.{millis:03}s")
        } else {
            write!(f, "{s}s")
        }
    }
}

fn path_suffix(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        format!(" {}", names.join(":"))
    }
}

pub(crate) fn api_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rudder_kstatus::ObjectStatus;

    #[test]
    fn timeout_lists_objects_in_helm_wording() {
        let err = Error::WaitTimedOut {
            desired: Desired::Current,
            timeout: Duration::from_secs(300),
            objects: vec![NotReady {
                id: ObjectRef::new("apps/v1", "Deployment", Some("ns"), "web"),
                status: ObjectStatus::in_progress("LessReady", "Ready: 2/3"),
            }],
        };
        assert_eq!(
            err.to_string(),
            "resource Deployment/ns/web not ready. status: InProgress, message: Ready: 2/3\n\
             timed out after 5m0s"
        );
        let gone = NotReady {
            id: ObjectRef::new("v1", "Namespace", None, "x"),
            status: ObjectStatus::terminating(),
        };
        assert_eq!(
            gone.helm_line(Desired::NotFound),
            "resource Namespace//x still exists. status: Terminating, message: Resource scheduled for deletion"
        );
        assert_eq!(
            GoDuration(Duration::from_millis(1500)).to_string(),
            "1.500s"
        );
        assert_eq!(GoDuration(Duration::from_secs(3661)).to_string(), "1h1m1s");
    }
}
