//! The v3 CRD upgrade policy (`charts-v3-spec/crds.md`, CRD-3) at upgrade time.
//!
//! On upgrade, CRDs from `crds/` annotated `rudder.dev/crd-upgrade: upgrade` are applied
//! (server-side apply, created when absent), unless the new definition drops a version still
//! listed in the live CRD's `status.storedVersions` or stops serving one: then the upgrade is
//! refused before anything is applied. `create-only` CRDs (the default) are left alone, as
//! Helm does. CRDs are never deleted.

use std::time::Duration;

use kube::api::DynamicObject;
use rudder_kstatus::{RuleSet, Strategy};
use rudder_kube::wait::{self, Desired, WaitOptions};
use rudder_kube::{ApplyOptions, Kube, ObjectRef};
use rudder_render::v3::{CrdUpgradePolicy, V3Info};

use crate::ActionError;
use crate::ops_error::ReleaseOpError;
use crate::release_ops::{apply_options, parse_objects};

/// Checks that `new` keeps (and serves) every version `live` stores.
///
/// # Errors
/// [`ReleaseOpError::CrdVersionStillStored`].
pub fn check_stored_versions(
    name: &str,
    live: &serde_json::Value,
    new: &serde_json::Value,
) -> Result<(), ReleaseOpError> {
    let stored = live
        .pointer("/status/storedVersions")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let versions = new
        .pointer("/spec/versions")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for version in stored.iter().filter_map(serde_json::Value::as_str) {
        let found = versions
            .iter()
            .find(|v| v.get("name").and_then(serde_json::Value::as_str) == Some(version));
        let what = match found {
            None => Some("does not contain it"),
            Some(v) if v.get("served").and_then(serde_json::Value::as_bool) != Some(true) => {
                Some("does not serve it")
            }
            Some(_) => None,
        };
        if let Some(what) = what {
            return Err(ReleaseOpError::CrdVersionStillStored {
                crd: name.to_owned(),
                version: version.to_owned(),
                what,
            });
        }
    }
    Ok(())
}

/// Applies the `upgrade`-policy CRDs of a render (all checked first), then waits until they
/// are established. Returns the CRDs applied.
///
/// # Errors
/// [`ReleaseOpError::CrdVersionStillStored`], Kubernetes errors.
pub async fn upgrade_crds(
    kube: &Kube,
    crds: &[rudder_render::Crd],
    v3: &V3Info,
    force_conflicts: bool,
    timeout: Duration,
) -> Result<Vec<ObjectRef>, ActionError> {
    let mut chosen: Vec<DynamicObject> = Vec::new();
    for crd in crds {
        for obj in parse_objects(&crd.source, &crd.content)? {
            let name = obj.metadata.name.clone().unwrap_or_default();
            let upgrade = v3.crds.iter().any(|p| {
                p.source == crd.source && p.name == name && p.policy == CrdUpgradePolicy::Upgrade
            });
            if !upgrade {
                tracing::debug!(crd = %name, "create-only CRD left unchanged on upgrade");
                continue;
            }
            let id = ObjectRef::of(&obj)?;
            if let Some(live) = kube.get(&id).await? {
                let live = serde_json::to_value(&live).unwrap_or_default();
                let new = serde_json::to_value(&obj).unwrap_or_default();
                check_stored_versions(&name, &live, &new)?;
            }
            chosen.push(obj);
        }
    }
    let options = ApplyOptions {
        force_conflicts,
        ..apply_options(false)
    };
    let mut applied = Vec::new();
    for obj in &chosen {
        kube.apply(obj, &options).await?;
        applied.push(ObjectRef::of(obj)?);
    }
    if !applied.is_empty() {
        let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, timeout);
        wait::wait(
            kube,
            &applied,
            &RuleSet::rudder(),
            &options,
            &wait::NoProgress,
        )
        .await?;
        kube.invalidate_discovery();
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::check_stored_versions;
    use serde_json::json;

    #[test]
    fn stored_versions_must_stay_served() {
        let live = json!({"status": {"storedVersions": ["v1"]}});
        let keeps = json!({"spec": {"versions": [
            {"name": "v1", "served": true, "storage": false},
            {"name": "v2", "served": true, "storage": true}]}});
        assert!(check_stored_versions("w", &live, &keeps).is_ok());
        let drops =
            json!({"spec": {"versions": [{"name": "v2", "served": true, "storage": true}]}});
        let err = check_stored_versions("w", &live, &drops).unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to upgrade CRD w: version \"v1\" is listed in status.storedVersions but the new definition does not contain it"
        );
        let unserved = json!({"spec": {"versions": [
            {"name": "v1", "served": false, "storage": false},
            {"name": "v2", "served": true, "storage": true}]}});
        assert!(
            check_stored_versions("w", &live, &unserved)
                .unwrap_err()
                .to_string()
                .ends_with("does not serve it")
        );
    }
}
