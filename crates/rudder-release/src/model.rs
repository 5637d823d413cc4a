//! The release record as Helm 4.1.4 stores it (`helm.sh/helm/v4/pkg/release/v1` and the
//! `pkg/chart/v2` chart it embeds).
//!
//! Field order, names and omission rules follow the Go struct tags, so [`crate::to_json`] writes
//! the same bytes as Helm's `json.Marshal`:
//! - `omitempty` strings, lists, maps and integers are left out when empty or zero;
//! - `time.Time` fields tagged `omitzero` (release info, hook runs, chart and file `modtime`) are
//!   left out when zero; `chart.schemamodtime` and `lock.generated` are always written;
//! - chart fields without `omitempty` (`metadata lock templates values schema files`) are written
//!   as `null` when absent;
//! - `hooks[].last_run` and its `phase` are always written.
//!
//! Every struct keeps fields it does not know in `extra`, so a record written by a newer Helm
//! survives a read/modify/write by Rudder. The chart embedded in a record has its own types
//! ([`Chart`], [`Metadata`]) instead of `rudder_chart`'s: storage must reproduce Helm's bytes
//! (field order, `null`s, base64 file data), which is a different contract from loading charts.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::gojson;
use crate::time::Time;

/// Free-form JSON object (Go's `map[string]interface{}`).
pub type Values = Map<String, Value>;

/// Fields a struct does not model, kept verbatim for round trips.
pub type Extra = BTreeMap<String, Value>;

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of Rudder does not know; kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every value Helm 4.1.4 defines.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The string Helm stores.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )*
                    $name::Other(s) => s,
                }
            }

            /// Maps Helm's string to a variant (unknown strings become [`Self::Other`]).
            pub fn parse(text: &str) -> Self {
                match text {
                    $( $text => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text: Option<String> = Option::deserialize(d)?;
                Ok($name::parse(text.as_deref().unwrap_or("")))
            }
        }
    };
}

string_enum! {
    /// Release status (`pkg/release/common.Status`).
    pub enum Status {
        /// `unknown`: the release is in an uncertain state.
        Unknown = "unknown",
        /// `deployed`: the release is live.
        Deployed = "deployed",
        /// `uninstalled`: uninstalled with `--keep-history`.
        Uninstalled = "uninstalled",
        /// `superseded`: a newer revision exists.
        Superseded = "superseded",
        /// `failed`: the operation failed.
        Failed = "failed",
        /// `uninstalling`: an uninstall is under way.
        Uninstalling = "uninstalling",
        /// `pending-install`: an install is under way.
        PendingInstall = "pending-install",
        /// `pending-upgrade`: an upgrade is under way.
        PendingUpgrade = "pending-upgrade",
        /// `pending-rollback`: a rollback is under way.
        PendingRollback = "pending-rollback",
    }
}

impl Status {
    /// Whether an install, upgrade or rollback is under way (Helm's `IsPending`).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }

    /// Whether an operation holds the release: a pending state or `uninstalling`.
    pub fn is_in_progress(&self) -> bool {
        self.is_pending() || *self == Status::Uninstalling
    }
}

string_enum! {
    /// How the release's objects were applied (`apply_method`; absent means client-side).
    pub enum ApplyMethod {
        /// `ssa`: server-side apply.
        ServerSide = "ssa",
        /// `csa`: client-side apply (three-way merge).
        ClientSide = "csa",
    }
}

string_enum! {
    /// A hook event (`helm.sh/hook` annotation values).
    pub enum HookEvent {
        /// `pre-install`.
        PreInstall = "pre-install",
        /// `post-install`.
        PostInstall = "post-install",
        /// `pre-delete`.
        PreDelete = "pre-delete",
        /// `post-delete`.
        PostDelete = "post-delete",
        /// `pre-upgrade`.
        PreUpgrade = "pre-upgrade",
        /// `post-upgrade`.
        PostUpgrade = "post-upgrade",
        /// `pre-rollback`.
        PreRollback = "pre-rollback",
        /// `post-rollback`.
        PostRollback = "post-rollback",
        /// `test`.
        Test = "test",
    }
}

string_enum! {
    /// When a hook resource is deleted (`helm.sh/hook-delete-policy`).
    pub enum HookDeletePolicy {
        /// `hook-succeeded`: after the hook succeeded.
        HookSucceeded = "hook-succeeded",
        /// `hook-failed`: after the hook failed.
        HookFailed = "hook-failed",
        /// `before-hook-creation`: before a new run creates it again (the default).
        BeforeHookCreation = "before-hook-creation",
    }
}

string_enum! {
    /// When a hook's logs are copied to the client (`helm.sh/hook-output-log-policy`).
    pub enum HookOutputLogPolicy {
        /// `hook-succeeded`.
        OnSucceeded = "hook-succeeded",
        /// `hook-failed`.
        OnFailed = "hook-failed",
    }
}

string_enum! {
    /// Outcome of a hook's last run.
    pub enum HookPhase {
        /// `Unknown`.
        Unknown = "Unknown",
        /// `Running`.
        Running = "Running",
        /// `Succeeded`.
        Succeeded = "Succeeded",
        /// `Failed`.
        Failed = "Failed",
    }
}

/// Annotation naming a hook's events.
pub const HOOK_ANNOTATION: &str = "helm.sh/hook";
/// Annotation giving a hook's weight.
pub const HOOK_WEIGHT_ANNOTATION: &str = "helm.sh/hook-weight";
/// Annotation listing a hook's delete policies.
pub const HOOK_DELETE_ANNOTATION: &str = "helm.sh/hook-delete-policy";
/// Annotation listing a hook's output-log policies.
pub const HOOK_OUTPUT_LOG_ANNOTATION: &str = "helm.sh/hook-output-log-policy";

/// One revision of a release (`release.v1.Release`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Release name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Status, times, description and notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Info>,
    /// The chart that was released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<Chart>,
    /// User-supplied values (overrides of the chart's values).
    #[serde(
        default,
        deserialize_with = "null_default",
        serialize_with = "gojson::ser_map",
        skip_serializing_if = "Map::is_empty"
    )]
    pub config: Values,
    /// Rendered manifest.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub manifest: String,
    /// Hooks of this release.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hooks: Vec<Hook>,
    /// Revision number (starts at 1).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub version: i64,
    /// Namespace of the release.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    /// Apply method; `None` means client-side apply.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub apply_method: Option<ApplyMethod>,
    /// User labels; kept on the storage object, never in the JSON.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

impl Release {
    /// The status (`unknown` when the record has no info or an empty status).
    pub fn status(&self) -> Status {
        self.info
            .as_ref()
            .and_then(|i| i.status.clone())
            .unwrap_or(Status::Unknown)
    }

    /// Sets status and description, creating `info` if missing (Helm's `SetStatus`).
    pub fn set_status(&mut self, status: Status, description: impl Into<String>) {
        let info = self.info.get_or_insert_with(Info::default);
        info.status = Some(status);
        info.description = description.into();
    }

    /// Apply method with Helm's default (client-side when absent).
    pub fn effective_apply_method(&self) -> ApplyMethod {
        self.apply_method.clone().unwrap_or(ApplyMethod::ClientSide)
    }

    /// The storage key `sh.helm.release.v1.<name>.v<version>`.
    pub fn storage_key(&self) -> String {
        crate::storage_key(&self.name, self.version)
    }
}

/// Status and bookkeeping of a revision (`release.v1.Info`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// When the release was first deployed.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub first_deployed: Time,
    /// When this revision was deployed.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub last_deployed: Time,
    /// When the release was uninstalled.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub deleted: Time,
    /// Human-readable log entry.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Status; `None` when empty.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<Status>,
    /// Rendered NOTES.txt.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub notes: String,
    /// Resources shown by `status --show-resources` (Helm never stores it; kept if present).
    #[serde(
        default,
        deserialize_with = "null_default",
        serialize_with = "gojson::ser_map",
        skip_serializing_if = "Map::is_empty"
    )]
    pub resources: Values,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// A hook resource of a release (`release.v1.Hook`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// Object name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Kubernetes kind.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    /// Chart-relative template path.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub path: String,
    /// Rendered manifest.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub manifest: String,
    /// Events the hook runs on.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub events: Vec<HookEvent>,
    /// Last execution (always written, as in Helm).
    #[serde(default, deserialize_with = "null_default")]
    pub last_run: HookExecution,
    /// Sort weight among hooks of one event.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub weight: i64,
    /// Delete policies.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub delete_policies: Vec<HookDeletePolicy>,
    /// Output-log policies.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub output_log_policies: Vec<HookOutputLogPolicy>,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// A hook's last run (`release.v1.HookExecution`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    /// Start time.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub started_at: Time,
    /// Completion time.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub completed_at: Time,
    /// Phase; `None` is written as `""` (the field has no `omitempty`).
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        serialize_with = "none_as_empty"
    )]
    pub phase: Option<HookPhase>,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// The chart stored in a release (`chart/v2.Chart` as JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// Chart.yaml contents.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// Chart.lock contents.
    #[serde(default)]
    pub lock: Option<Lock>,
    /// Template files.
    #[serde(default)]
    pub templates: Option<Vec<File>>,
    /// Default values.
    #[serde(default, serialize_with = "gojson::ser_opt_map")]
    pub values: Option<Values>,
    /// values.schema.json bytes (base64 in JSON).
    #[serde(default, with = "opt_base64")]
    pub schema: Option<Vec<u8>>,
    /// Modification time of the schema (always written; zero is `0001-01-01T00:00:00Z`).
    #[serde(default)]
    pub schemamodtime: Time,
    /// Other files of the chart.
    #[serde(default)]
    pub files: Option<Vec<File>>,
    /// Modification time of the chart.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub modtime: Time,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// A file of a stored chart (`chart/common.File`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct File {
    /// Path relative to the chart root.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Contents (base64 in JSON; `None` is `null`).
    #[serde(default, with = "opt_base64")]
    pub data: Option<Vec<u8>>,
    /// Modification time.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub modtime: Time,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// Chart metadata as stored in a release (`chart/v2.Metadata`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Chart name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Home page.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub home: String,
    /// Source URLs.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<String>,
    /// Chart version.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub version: String,
    /// Description.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Keywords.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords: Vec<String>,
    /// Maintainers.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub icon: String,
    /// Chart API version (`v1`, `v2`).
    #[serde(
        rename = "apiVersion",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub api_version: String,
    /// Condition path (requirements of v1 charts).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    /// Tags (requirements of v1 charts).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub tags: String,
    /// Application version.
    #[serde(
        rename = "appVersion",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    /// Deprecated flag.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_false"
    )]
    pub deprecated: bool,
    /// Annotations.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// Kubernetes version constraint.
    #[serde(
        rename = "kubeVersion",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub kube_version: String,
    /// Dependencies.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<Dependency>,
    /// Chart type (`application`, `library`).
    #[serde(
        rename = "type",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub chart_type: String,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// A chart maintainer (`chart/v2.Maintainer`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Maintainer {
    /// Name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Email.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub email: String,
    /// URL.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// A chart dependency (`chart/v2.Dependency`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// Chart name (always written).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Version constraint.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub version: String,
    /// Repository URL (always written).
    #[serde(default, deserialize_with = "null_default")]
    pub repository: String,
    /// Condition path.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    /// Tags.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    /// Whether enabled (set while processing conditions).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_false"
    )]
    pub enabled: bool,
    /// Values imported from the child.
    #[serde(
        rename = "import-values",
        default,
        deserialize_with = "null_default",
        serialize_with = "gojson::ser_values",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    /// Alias.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub alias: String,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// Chart.lock contents (`chart/v2.Lock`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// When the lock was generated (always written).
    #[serde(default)]
    pub generated: Time,
    /// Digest of the dependency list (always written).
    #[serde(default, deserialize_with = "null_default")]
    pub digest: String,
    /// Locked dependencies (`null` when absent).
    #[serde(default)]
    pub dependencies: Option<Vec<Dependency>>,
    /// Fields this version does not model.
    #[serde(flatten, serialize_with = "gojson::ser_extra")]
    pub extra: Extra,
}

/// `null` decodes to the default value, as Go leaves the zero value in place.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `null` and `""` decode to `None` for string enums whose empty value means "unset".
fn empty_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + AsRef<str>,
{
    let v: Option<T> = Option::deserialize(d)?;
    Ok(v.filter(|v| !v.as_ref().is_empty()))
}

fn none_as_empty<S: Serializer>(v: &Option<HookPhase>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_ref().map_or("", HookPhase::as_str))
}

macro_rules! as_ref_str {
    ($($t:ty),*) => {$(
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}
as_ref_str!(
    Status,
    ApplyMethod,
    HookEvent,
    HookDeletePolicy,
    HookOutputLogPolicy,
    HookPhase
);

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// Go's `[]byte` JSON form: standard base64 with padding, `null` for nil.
mod opt_base64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text {
            None => Ok(None),
            Some(t) => {
                // Go's decoder skips line breaks inside base64.
                let cleaned: String = t.chars().filter(|c| *c != '\r' && *c != '\n').collect();
                STANDARD
                    .decode(cleaned.as_bytes())
                    .map(Some)
                    .map_err(serde::de::Error::custom)
            }
        }
    }
}
