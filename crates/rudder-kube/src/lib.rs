//! Kubernetes access for Rudder: configuration, discovery, apply primitives and the
//! watch-driven readiness wait.
//!
//! # What this crate owns
//!
//! - [`ClientOptions`] and [`Kube::connect`]: kubeconfig loading with Helm's global flags
//!   (`--kubeconfig`, `--kube-context`, `-n`, `--kube-apiserver`, `--kube-token`,
//!   `--kube-as-user`, `--kube-as-group`, `--kube-ca-file`, `--kube-insecure-skip-tls-verify`,
//!   `--kube-tls-server-name`). TLS is rustls with the ring provider
//!   ([`install_crypto_provider`]).
//! - Discovery with a cache ([`Kube::resolve`]): `apiVersion`/`kind` → served resource and
//!   scope, refreshed on a miss so CRDs created earlier in the same operation resolve.
//! - Object primitives over [`DynamicObject`](kube::api::DynamicObject): server-side apply with
//!   a field manager and conflict forcing, a client-side create/replace fallback, get, delete
//!   with propagation, and bounded concurrent apply ([`Kube::apply_all`]).
//! - [`wait`](mod@wait): waiting until objects are ready or gone, driven by the watch API, with
//!   the readiness rules of [`rudder_kstatus`] and Helm 4's error wording.
//!
//! # What it must not do
//!
//! It knows nothing of charts, releases, hooks ordering or ownership annotations; those belong
//! to the release logic built on top. It prints nothing (logs go through `tracing`) and reads
//! no environment variables itself: only kube's own kubeconfig lookup (`KUBECONFIG`,
//! `~/.kube/config`) and in-cluster detection run when [`ClientOptions::kubeconfig`] is empty.
//!
//! # Example
//! ```no_run
//! use std::time::Duration;
//! use rudder_kstatus::{RuleSet, Strategy};
//! use rudder_kube::wait::{self, Desired, NoProgress, WaitOptions};
//! use rudder_kube::{ApplyOptions, ClientOptions, Kube, ObjectRef, dynamic_object};
//!
//! # async fn example() -> Result<(), rudder_kube::Error> {
//! let kube = Kube::connect(&ClientOptions::default()).await?;
//! let cm = dynamic_object(serde_json::json!({
//!     "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
//!     "data": {"color": "blue"}
//! }))?;
//! kube.apply(&cm, &ApplyOptions::default()).await?;
//! let ids = [ObjectRef::of(&cm)?];
//! let options = WaitOptions::rudder(Strategy::Wait, Desired::Current, Duration::from_secs(60));
//! wait::wait(&kube, &ids, &RuleSet::rudder(), &options, &NoProgress).await?;
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod error;
mod object;
pub mod wait;

pub use client::{
    ApplyMethod, ApplyOptions, DEFAULT_APPLY_CONCURRENCY, DEFAULT_FIELD_MANAGER, DeleteOptions,
    DeleteOutcome, Kube, Propagation, Resolved,
};
pub use config::{ClientOptions, build_client, install_crypto_provider, load_config};
pub use error::{Error, NotReady};
pub use object::{ObjectRef, dynamic_object, to_value_with_types};
