//! Helm-compatible release storage.
//!
//! This crate owns the release record exactly as Helm 4.1.4 stores it (`helm.sh/release.v1`):
//! - [`Release`] and the types under it, with Helm's JSON field names, omission rules and enum
//!   strings, keeping unknown fields so records written by a newer Helm survive a round trip;
//! - the codec ([`encode`], [`decode`]): `base64(gzip(JSON))`, with JSON bytes equal to Go's
//!   `json.Marshal` (HTML-safe escaping, Go float format, sorted map keys, RFC 3339 nanosecond
//!   times that keep their offset);
//! - storage keys and labels ([`storage_key`], [`object_labels`], [`validate_user_labels`]);
//! - the [`Driver`] trait, the in-memory driver ([`MemoryDriver`]) and [`Storage`], which adds
//!   Helm's history rules (`--history-max` pruning that keeps the deployed revision, last and
//!   deployed revision, next revision number, detection of operations in progress);
//! - the Kubernetes drivers ([`SecretsDriver`], [`ConfigMapsDriver`]) over kube-rs, and
//!   [`AnyDriver`] to pick one from `HELM_DRIVER` ([`DriverKind`]).
//!
//! [`Chart::from_loaded`] turns a chart loaded by `rudder-chart` into the stored form.
//!
//! It must not render charts, talk to Kubernetes for anything but release records, or decide
//! release workflows (install/upgrade/rollback belong to `rudder-action`).
//!
//! Drivers hand back only a record's *user* labels in [`Release::labels`] (Helm's `List` and
//! `Query` also return the system labels). Creating a record is atomic per key, so of two
//! operations racing for revision N+1 only one can create it ([`DriverError::AlreadyExists`]);
//! [`Storage::ensure_idle`] refuses to start while the newest revision is `pending-*`.
//!
//! Known, deliberate differences from Go when re-encoding a record Helm wrote: integers above
//! 2^53 in values stay exact (Go rounds them through `float64`); object keys that differ from
//! Helm's only by case are kept as unknown fields (Go matches them case-insensitively); the
//! gzip bytes differ from Go's `compress/flate` output (the JSON inside is identical).

mod any;
mod codec;
mod driver;
mod from_chart;
mod gojson;
mod kube_driver;
mod labels;
mod memory;
mod model;
mod storage;
mod time;

pub use any::{AnyDriver, DriverKind, DriverKindError};
pub use codec::{CodecError, GZIP_MAGIC, decode, decode_to_json, encode, from_json, to_json};
pub use driver::{BackendError, Driver, DriverError, LabelSelector};
pub use kube_driver::{
    ConfigMapsDriver, KubeDriver, SecretsDriver, StorageObject, release_from_object, storage_object,
};
pub use labels::{
    DATA_KEY, LabelError, OWNER, SECRET_TYPE, STORAGE_KEY_PREFIX, SYSTEM_LABELS, Stamp,
    is_system_label, object_labels, parse_storage_key, storage_key, user_labels,
    validate_user_labels,
};
pub use memory::MemoryDriver;
pub use model::{
    ApplyMethod, Chart, Dependency, Extra, File, HOOK_ANNOTATION, HOOK_DELETE_ANNOTATION,
    HOOK_OUTPUT_LOG_ANNOTATION, HOOK_WEIGHT_ANNOTATION, Hook, HookDeletePolicy, HookEvent,
    HookExecution, HookOutputLogPolicy, HookPhase, Info, Lock, Maintainer, Metadata, Release,
    Status, Values,
};
pub use storage::{Storage, StorageError, StorageOptions};
pub use time::{Time, TimeParseError};
