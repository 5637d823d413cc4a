//! Storage keys and the labels Helm puts on release storage objects.

use std::collections::BTreeMap;

use crate::model::Release;
use crate::time::Time;

/// Prefix of every storage key (`HelmStorageType`).
pub const STORAGE_KEY_PREFIX: &str = "sh.helm.release.v1";

/// The Secret `type` Helm uses for release records.
pub const SECRET_TYPE: &str = "helm.sh/release.v1";

/// The key under `data` that holds the encoded release.
pub const DATA_KEY: &str = "release";

/// Value of the `owner` label.
pub const OWNER: &str = "helm";

/// Label names Helm manages; user labels may not use them.
pub const SYSTEM_LABELS: [&str; 6] = [
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// The storage key of a revision: `sh.helm.release.v1.<name>.v<version>`.
pub fn storage_key(name: &str, version: i64) -> String {
    format!("{STORAGE_KEY_PREFIX}.{name}.v{version}")
}

/// Splits a storage key into release name and revision; `None` if it is not one.
pub fn parse_storage_key(key: &str) -> Option<(&str, i64)> {
    let rest = key.strip_prefix(STORAGE_KEY_PREFIX)?.strip_prefix('.')?;
    let (name, version) = rest.rsplit_once(".v")?;
    if name.is_empty() || version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, version.parse().ok()?))
}

/// Whether `key` is one of Helm's system label names.
pub fn is_system_label(key: &str) -> bool {
    SYSTEM_LABELS.contains(&key)
}

/// The labels of `labels` that are not system labels.
pub fn user_labels(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, _)| !is_system_label(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Why user labels were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The name is one Helm manages itself.
    #[error(
        "label {key:?} is reserved for Helm's storage (reserved: name, owner, status, version, createdAt, modifiedAt)"
    )]
    Reserved {
        /// The label name.
        key: String,
    },
    /// The name is not a valid Kubernetes label key.
    #[error("label key {key:?} is invalid: {reason}")]
    InvalidKey {
        /// The label name.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The value is not a valid Kubernetes label value.
    #[error("label {key:?} has invalid value {value:?}: {reason}")]
    InvalidValue {
        /// The label name.
        key: String,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Checks user labels (`--labels`): no system names, valid Kubernetes keys and values.
pub fn validate_user_labels(labels: &BTreeMap<String, String>) -> Result<(), LabelError> {
    for (key, value) in labels {
        if is_system_label(key) {
            return Err(LabelError::Reserved { key: key.clone() });
        }
        check_key(key).map_err(|reason| LabelError::InvalidKey {
            key: key.clone(),
            reason,
        })?;
        check_value(value).map_err(|reason| LabelError::InvalidValue {
            key: key.clone(),
            value: value.clone(),
            reason,
        })?;
    }
    Ok(())
}

/// Kubernetes label value syntax (`IsValidLabelValue`).
pub(crate) fn check_value(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Ok(());
    }
    check_name(value)
}

fn check_name(name: &str) -> Result<(), &'static str> {
    let b = name.as_bytes();
    if b.len() > 63 {
        return Err("must be at most 63 characters");
    }
    let edge = |c: u8| c.is_ascii_alphanumeric();
    if !edge(b[0]) || !edge(b[b.len() - 1]) {
        return Err("must start and end with an alphanumeric character");
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err("may contain only alphanumerics, '-', '_' and '.'");
    }
    Ok(())
}

fn check_key(key: &str) -> Result<(), &'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if name.is_empty() {
        return Err("name part must not be empty");
    }
    check_name(name)?;
    if let Some(prefix) = prefix {
        if prefix.is_empty() || prefix.len() > 253 {
            return Err("prefix must be a DNS subdomain of 1 to 253 characters");
        }
        let ok = prefix.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        });
        if !ok {
            return Err("prefix must be a lowercase DNS subdomain");
        }
    }
    Ok(())
}

/// Which timestamp label a write sets, as Helm's drivers do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// `createdAt` (a create).
    Created(Time),
    /// `modifiedAt` (an update).
    Modified(Time),
}

/// The labels of the storage object for `release`, in Helm's precedence: the release's own
/// labels, then the timestamp, then `name owner status version` (which always win).
pub fn object_labels(release: &Release, stamp: Stamp) -> BTreeMap<String, String> {
    let mut labels = release.labels.clone();
    match stamp {
        Stamp::Created(t) => labels.insert("createdAt".into(), t.unix().to_string()),
        Stamp::Modified(t) => labels.insert("modifiedAt".into(), t.unix().to_string()),
    };
    labels.insert("name".into(), release.name.clone());
    labels.insert("owner".into(), OWNER.into());
    labels.insert(
        "status".into(),
        release
            .info
            .as_ref()
            .and_then(|i| i.status.as_ref())
            .map_or("", |s| s.as_str())
            .to_owned(),
    );
    labels.insert("version".into(), release.version.to_string());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(storage_key("web", 12), "sh.helm.release.v1.web.v12");
        assert_eq!(
            parse_storage_key("sh.helm.release.v1.web.v12"),
            Some(("web", 12))
        );
        assert_eq!(
            parse_storage_key("sh.helm.release.v1.a.vb.v3"),
            Some(("a.vb", 3))
        );
        for bad in [
            "sh.helm.release.v1.web",
            "sh.helm.release.v1.web.vx",
            "other.web.v1",
            "sh.helm.release.v1..v1",
        ] {
            assert_eq!(parse_storage_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_labels_are_checked() {
        let ok: BTreeMap<_, _> = [
            ("team".to_string(), "core".to_string()),
            ("example.com/tier".into(), "".into()),
        ]
        .into();
        assert_eq!(validate_user_labels(&ok), Ok(()));
        for (k, v) in [
            ("owner", "me"),
            ("createdAt", "1"),
            ("bad key", "x"),
            ("Example.com/x", "y"),
            ("k", "-bad"),
        ] {
            let labels: BTreeMap<_, _> = [(k.to_string(), v.to_string())].into();
            assert!(validate_user_labels(&labels).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn system_labels_win() {
        let mut r = Release {
            name: "web".into(),
            version: 4,
            ..Release::default()
        };
        r.set_status(crate::Status::Deployed, "ok");
        r.labels.insert("name".into(), "spoof".into());
        r.labels.insert("team".into(), "core".into());
        let l = object_labels(&r, Stamp::Modified(Time::from_unix(1_700_000_000, 0)));
        let want: BTreeMap<String, String> = [
            ("modifiedAt", "1700000000"),
            ("name", "web"),
            ("owner", "helm"),
            ("status", "deployed"),
            ("team", "core"),
            ("version", "4"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(l, want);
        assert_eq!(
            user_labels(&l),
            [("team".to_string(), "core".to_string())].into()
        );
    }
}
