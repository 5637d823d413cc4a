//! Release leases: how Rudder knows that an operation on a release is running, and that a
//! `pending-*` record was left behind by one that died.
//!
//! Every install, upgrade, rollback and uninstall (dry runs excepted) first takes a
//! `coordination.k8s.io/v1` Lease named `rudder-release-<release>` in the release namespace
//! and renews it every third of [`LEASE_DURATION`] while it runs; it deletes the Lease when it
//! ends, whatever the outcome. So:
//!
//! - a Lease renewed less than [`LEASE_DURATION`] ago means another process is working on the
//!   release: the second operation is refused ([`ReleaseOpError::LeaseHeld`]) before it reads
//!   or writes anything;
//! - a Lease that was *not* renewed in time belongs to a process that was killed (or lost the
//!   API server for longer than the lease). The next operation takes it over, and if the
//!   newest record is `pending-*` and was written while that Lease was held
//!   ([`TakenOver::wrote`]), the record is stale: it is rewritten as `failed` ("interrupted")
//!   and the operation goes on as after any failed operation. No Secret is edited by hand.
//! - a `pending-*` record with no such Lease may belong to a live `helm` (Helm takes no
//!   lease): Rudder refuses ([`ReleaseOpError::PendingWithoutLease`]) unless the user says
//!   `--force-pending`.
//!
//! The holder identity is `rudder/<pid>/<nonce>`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use rudder_release::{Release, Status, Time};

use crate::ActionError;
use crate::ops_error::ReleaseOpError;
use crate::release_ops::ReleaseClient;

/// How long a lease stays valid without renewal.
pub const LEASE_DURATION: Duration = Duration::from_secs(15);

/// Annotation on the Lease naming the operation.
pub const OPERATION_ANNOTATION: &str = "rudder.dev/operation";

/// The Lease name of a release.
pub fn lease_name(release: &str) -> String {
    format!("rudder-release-{release}")
}

fn lease_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("coordination.k8s.io", "v1", "Lease"),
        "leases",
    )
}

/// `metav1.MicroTime`: RFC 3339 with exactly six fractional digits, UTC.
fn micro_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let whole = Time::from_unix(i64::try_from(d.as_secs()).unwrap_or(0), 0).to_string();
    // `Time` prints `YYYY-MM-DDTHH:MM:SSZ` for a whole second in UTC.
    let base = whole.trim_end_matches('Z');
    format!("{base}.{:06}Z", d.subsec_micros())
}

fn parse_time(v: Option<&serde_json::Value>) -> Option<SystemTime> {
    v.and_then(serde_json::Value::as_str)
        .and_then(rudder_kstatus::parse_rfc3339)
}

/// The previous holder of a lease this operation took over after it expired.
#[derive(Debug, Clone)]
pub struct TakenOver {
    /// Its identity.
    pub holder: String,
    /// Its operation (`install`, `upgrade`, ...).
    pub operation: String,
    /// When it acquired the lease.
    pub acquired: SystemTime,
    /// When it last renewed it.
    pub renewed: SystemTime,
}

impl TakenOver {
    /// Whether `record` was written while that holder had the lease (its `last_deployed`,
    /// which a pending record gets when it is created, falls in the held interval).
    pub fn wrote(&self, record: &Release) -> bool {
        let Some(info) = record.info.as_ref() else {
            return false;
        };
        let written = info.last_deployed;
        let at = UNIX_EPOCH
            + Duration::new(
                u64::try_from(written.unix()).unwrap_or(0),
                written.subsec_nanos(),
            );
        let slack = Duration::from_secs(1);
        at + slack >= self.acquired && at <= self.renewed + LEASE_DURATION
    }
}

/// A held lease; renewed in the background until [`ReleaseLease::release`] (or drop).
pub struct ReleaseLease {
    api: Api<DynamicObject>,
    name: String,
    holder: String,
    renewer: tokio::task::JoinHandle<()>,
    /// The expired lease this one replaced, if any.
    pub taken_over: Option<TakenOver>,
}

impl std::fmt::Debug for ReleaseLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleaseLease")
            .field("name", &self.name)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl Drop for ReleaseLease {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}

fn lease_body(
    name: &str,
    holder: &str,
    operation: &str,
    now: SystemTime,
    resource_version: Option<String>,
) -> DynamicObject {
    let mut obj = DynamicObject::new(name, &lease_resource());
    obj.metadata.resource_version = resource_version;
    obj.metadata.annotations = Some(
        [(OPERATION_ANNOTATION.to_owned(), operation.to_owned())]
            .into_iter()
            .collect(),
    );
    obj.data = serde_json::json!({
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": LEASE_DURATION.as_secs(),
            "acquireTime": micro_time(now),
            "renewTime": micro_time(now),
        }
    });
    obj
}

fn request_error(what: &str, source: kube::Error) -> ActionError {
    ActionError::Kube(rudder_kube::Error::Request {
        verb: "write",
        id: rudder_kube::ObjectRef::new("coordination.k8s.io/v1", "Lease", None, what),
        source: Box::new(source),
    })
}

fn code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// Takes the lease of `release` for `operation`, as the [module docs](self) describe.
///
/// # Errors
/// [`ReleaseOpError::LeaseHeld`] while another process holds it,
/// [`ReleaseOpError::LeaseRace`] when another process took it at the same moment, Kubernetes
/// errors.
pub async fn acquire(
    client: &ReleaseClient,
    release: &str,
    operation: &str,
) -> Result<ReleaseLease, ActionError> {
    let namespace = client.release_namespace().to_owned();
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.kube.client().clone(), &namespace, &lease_resource());
    let name = lease_name(release);
    let now = SystemTime::now();
    let nonce = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
        % 0xffff_ffff;
    let holder = format!("rudder/{}/{nonce:08x}", std::process::id());
    let race = || ReleaseOpError::LeaseRace {
        name: release.to_owned(),
    };
    let existing = api
        .get_opt(&name)
        .await
        .map_err(|e| request_error(&name, e))?;
    let taken_over = match existing {
        None => {
            let body = lease_body(&name, &holder, operation, now, None);
            match api.create(&PostParams::default(), &body).await {
                Ok(_) => None,
                Err(e) if code(&e) == Some(409) => return Err(race().into()),
                Err(e) => return Err(request_error(&name, e)),
            }
        }
        Some(live) => {
            let spec = live.data.get("spec").cloned().unwrap_or_default();
            let renewed = parse_time(spec.get("renewTime"))
                .or_else(|| parse_time(spec.get("acquireTime")))
                .unwrap_or(UNIX_EPOCH);
            let duration = spec
                .get("leaseDurationSeconds")
                .and_then(serde_json::Value::as_u64)
                .map_or(LEASE_DURATION, Duration::from_secs);
            let previous_holder = spec
                .get("holderIdentity")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned();
            let previous_operation = live
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(OPERATION_ANNOTATION))
                .cloned()
                .unwrap_or_default();
            let age = now.duration_since(renewed).unwrap_or_default();
            if age < duration {
                return Err(ReleaseOpError::LeaseHeld {
                    name: release.to_owned(),
                    operation: previous_operation,
                    holder: previous_holder,
                    age_seconds: age.as_secs(),
                    duration_seconds: duration.as_secs(),
                }
                .into());
            }
            let body = lease_body(
                &name,
                &holder,
                operation,
                now,
                live.metadata.resource_version.clone(),
            );
            match api.replace(&name, &PostParams::default(), &body).await {
                Ok(_) => {}
                Err(e) if code(&e) == Some(409) => return Err(race().into()),
                Err(e) => return Err(request_error(&name, e)),
            }
            tracing::warn!(
                release,
                previous = %previous_holder,
                operation = %previous_operation,
                "took over an expired release lease: the previous operation was interrupted"
            );
            Some(TakenOver {
                holder: previous_holder,
                operation: previous_operation,
                acquired: parse_time(spec.get("acquireTime")).unwrap_or(UNIX_EPOCH),
                renewed,
            })
        }
    };
    let renewer = tokio::spawn(renew(api.clone(), name.clone(), holder.clone()));
    Ok(ReleaseLease {
        api,
        name,
        holder,
        renewer,
        taken_over,
    })
}

/// Renews the lease every third of its duration while the holder is still us.
async fn renew(api: Api<DynamicObject>, name: String, holder: String) {
    let mut tick = tokio::time::interval(LEASE_DURATION / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        let live = match api.get_opt(&name).await {
            Ok(Some(live)) => live,
            Ok(None) => {
                tracing::error!(lease = %name, "release lease disappeared; no longer renewed");
                return;
            }
            Err(e) => {
                tracing::warn!(lease = %name, error = %e, "could not read the release lease");
                continue;
            }
        };
        let mut live = live;
        let ours = live
            .data
            .pointer("/spec/holderIdentity")
            .and_then(serde_json::Value::as_str)
            == Some(holder.as_str());
        if !ours {
            tracing::error!(lease = %name, "release lease taken over by another process");
            return;
        }
        if let Some(spec) = live.data.get_mut("spec").and_then(|s| s.as_object_mut()) {
            spec.insert(
                "renewTime".into(),
                serde_json::Value::String(micro_time(SystemTime::now())),
            );
        }
        if let Err(e) = api.replace(&name, &PostParams::default(), &live).await {
            tracing::warn!(lease = %name, error = %e, "could not renew the release lease");
        }
    }
}

impl ReleaseLease {
    /// Stops renewing and deletes the lease if it is still ours.
    pub async fn release(self) {
        self.renewer.abort();
        match self.api.get_opt(&self.name).await {
            Ok(Some(live))
                if live
                    .data
                    .pointer("/spec/holderIdentity")
                    .and_then(serde_json::Value::as_str)
                    == Some(self.holder.as_str()) =>
            {
                let params = DeleteParams {
                    preconditions: Some(kube::api::Preconditions {
                        resource_version: live.metadata.resource_version.clone(),
                        uid: None,
                    }),
                    ..DeleteParams::default()
                };
                if let Err(e) = self.api.delete(&self.name, &params).await {
                    tracing::warn!(lease = %self.name, error = %e, "could not delete the release lease");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(lease = %self.name, error = %e, "could not read the release lease")
            }
        }
    }

    /// Settles a `pending-*` newest record before an operation writes a new one: a record the
    /// taken-over holder wrote is marked `failed` (interrupted); with `force`, any pending
    /// record is; otherwise a pending record is refused. Returns the history as it now is.
    ///
    /// # Errors
    /// [`ReleaseOpError::PendingWithoutLease`], storage errors.
    pub async fn settle_pending(
        &self,
        client: &ReleaseClient,
        release: &str,
        force: bool,
    ) -> Result<Vec<Release>, ActionError> {
        let mut history = client.storage.history(release).await?;
        let Some(last) = history.last_mut() else {
            return Ok(history);
        };
        let status = last.status();
        if !status.is_pending() {
            return Ok(history);
        }
        let description = match (&self.taken_over, force) {
            (Some(t), _) if t.wrote(last) => format!(
                "Interrupted: the {} by {} stopped renewing its lease; marked failed by the next operation",
                t.operation, t.holder
            ),
            (_, true) => "Marked failed by --force-pending".to_owned(),
            _ => {
                return Err(ReleaseOpError::PendingWithoutLease {
                    name: release.to_owned(),
                    version: last.version,
                    status,
                }
                .into());
            }
        };
        tracing::warn!(release, revision = last.version, %status, "stale pending record marked failed");
        last.set_status(Status::Failed, description);
        client.storage.update(last).await?;
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_times_have_six_digits() {
        let t = UNIX_EPOCH + Duration::new(1_800_000_000, 123_456_789);
        assert_eq!(micro_time(t), "2027-01-15T08:00:00.123456Z");
        assert_eq!(
            rudder_kstatus::parse_rfc3339(&micro_time(t)).map(|p| p <= t),
            Some(true)
        );
    }
}
