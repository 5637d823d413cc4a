//! Test support for Rudder's integration tests: a real local Kubernetes control plane, shared
//! by every test of a test binary, and one namespace per test.
//!
//! # What this crate owns
//!
//! - [`ControlPlane::shared`] finds or starts the control plane that `scripts/cluster` builds
//!   from the Go module proxy: etcd, kube-apiserver, kube-controller-manager and kube-scheduler,
//!   with [kwok](https://kwok.sigs.k8s.io) playing the kubelet for three fake nodes. Everything
//!   except the kubelet is the real Kubernetes code, so Deployments, Jobs and friends progress
//!   exactly as on a cluster.
//! - [`TestNamespace`] gives each test a namespace of its own (unique name, deleted when the
//!   value is dropped), so integration tests stay isolated while running in parallel.
//!
//! # What it must not do
//!
//! It is a dev-dependency only: no shipped crate may depend on it. It never touches a cluster
//! that was not made for tests: it uses `RUDDER_TEST_KUBECONFIG`, or `KUBECONFIG` only when its
//! current context is `rudder-testenv` (the context `scripts/cluster up` writes), and otherwise
//! starts a control plane of its own. It never skips a test: when no control plane can be had,
//! [`ControlPlane::shared`] returns an error that says why, and the test fails.
//!
//! # Which control plane is used
//!
//! 1. `RUDDER_TEST_KUBECONFIG`, when set: the kubeconfig of a running test cluster.
//! 2. `KUBECONFIG`, when its current context is `rudder-testenv`; this is how CI shares one
//!    control plane between all test binaries (`eval "$(scripts/cluster env)"`).
//! 3. Otherwise `scripts/cluster up` starts one in a state directory of its own under the
//!    system temporary directory; it is stopped when the test binary exits. A cold machine first
//!    builds the binaries (see `scripts/cluster --help`); set `RUDDER_CLUSTER_SCRIPT` to use a
//!    script other than this workspace's `scripts/cluster`.
//!
//! # Choosing how pods behave
//!
//! There is no kubelet and no container runs. The kwok stages in `testdata/kwok/stages.yaml`
//! decide each pod's fate from a marker in a container's image name:
//!
//! | image name contains | what happens to the pod |
//! |---|---|
//! | (no marker) | `Running` and `Ready` about 0.5–1.5 s after it is scheduled |
//! | `never-ready` | `Running`, containers running but never ready (`Ready=False`) |
//! | `crashloop` | `Running`, containers waiting with reason `CrashLoopBackOff` (last exit code 1) |
//! | `job-fail` | if it runs to completion (see below): terminates with exit code 1 (phase `Failed`) |
//!
//! Pods that run to completion (owned by a Job, or with `restartPolicy: Never`, such as test
//! hooks) whose images lack `job-fail` terminate with exit code 0 (phase `Succeeded`) about a
//! second after they become ready. Give failing Jobs `backoffLimit: 0`,
//! or the Job controller's retry back-off (10 s, 20 s, 40 s, ...) makes the test slow. Pods
//! marked for deletion are removed once their finalizers are gone. Any image name works: no
//! image is ever pulled.
//!
//! # Example
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use rudder_testkit::{ControlPlane, TestNamespace};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let plane = ControlPlane::shared()?;
//! let ns = TestNamespace::create(plane, "configmaps").await?;
//! let configmaps = ns.api::<ConfigMap>();
//! // ... create objects in ns.name() and assert on what the control plane does with them.
//! # Ok(())
//! # }
//! ```

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Api, Client, Config, Resource};

/// The kubeconfig context name that `scripts/cluster up` writes.
pub const CONTEXT_NAME: &str = "rudder-testenv";

/// The label put on every namespace a [`TestNamespace`] creates.
pub const NAMESPACE_LABEL: &str = "rudder.dev/testkit";

/// What went wrong while finding, starting or using the test control plane.
///
/// Cloneable so that one failed start can be reported to every test of a binary.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The cluster script could not be run at all.
    #[error("could not run {}", script.display())]
    SpawnScript {
        /// The script that was run.
        script: PathBuf,
        /// Why it could not be run.
        #[source]
        source: Arc<io::Error>,
    },
    /// `scripts/cluster up` ran but failed to start the control plane.
    #[error(
        "the local control plane could not start: `{} up` exited with {status}; its output ends with:\n{output}",
        script.display()
    )]
    StartFailed {
        /// The script that was run.
        script: PathBuf,
        /// The script's exit status.
        status: String,
        /// The last lines of the script's standard error (which shows the component logs).
        output: String,
    },
    /// `scripts/cluster up` succeeded but printed no `export KUBECONFIG=...` line.
    #[error("`{} up` printed no `export KUBECONFIG=...` line", script.display())]
    NoKubeconfigLine {
        /// The script that was run.
        script: PathBuf,
    },
    /// A kubeconfig could not be read or turned into client settings.
    #[error("could not load kubeconfig {}", path.display())]
    Kubeconfig {
        /// The kubeconfig's path (or the `KUBECONFIG` value).
        path: PathBuf,
        /// What was wrong with it.
        #[source]
        source: Arc<KubeconfigError>,
    },
    /// A Kubernetes client could not be built from the settings.
    #[error("could not build a Kubernetes client")]
    Client {
        /// Why the client could not be built.
        #[source]
        source: Arc<kube::Error>,
    },
    /// A test namespace could not be created.
    #[error("could not create namespace {name}")]
    CreateNamespace {
        /// The namespace's name.
        name: String,
        /// The API error.
        #[source]
        source: Arc<kube::Error>,
    },
    /// A test namespace could not be deleted.
    #[error("could not delete namespace {name}")]
    DeleteNamespace {
        /// The namespace's name.
        name: String,
        /// The API error.
        #[source]
        source: Arc<kube::Error>,
    },
    /// The helper runtime that deletes a namespace on drop could not be built.
    #[error("could not build a runtime to delete namespace {name}")]
    CleanupRuntime {
        /// The namespace's name.
        name: String,
        /// Why the runtime could not be built.
        #[source]
        source: Arc<io::Error>,
    },
}

/// A running local control plane, reachable through its admin kubeconfig.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    kubeconfig: PathBuf,
    /// Whether this process started the control plane (it then stops when the process exits).
    owned: bool,
}

/// How [`ControlPlane::start`] runs `scripts/cluster up`.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The cluster script to run with `up`.
    pub script: PathBuf,
    /// The state directory: certificates, etcd data, logs, pids and the kubeconfig.
    pub state_dir: PathBuf,
    /// When set, the control plane is stopped once the process with this id exits.
    pub owner_pid: Option<u32>,
}

impl StartOptions {
    /// This workspace's `scripts/cluster` (or `RUDDER_CLUSTER_SCRIPT`), a state directory
    /// named after this process under the system temporary directory, and this process as the
    /// owner: the control plane stops when the process exits.
    pub fn for_this_process() -> Self {
        let pid = std::process::id();
        Self {
            script: std::env::var_os("RUDDER_CLUSTER_SCRIPT")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cluster")
                }),
            state_dir: std::env::temp_dir().join(format!("rudder-testenv-{pid}")),
            owner_pid: Some(pid),
        }
    }
}

/// The control plane of this test binary. A process-wide value on purpose: starting a control
/// plane takes seconds, so every test of the binary shares one (each in its own namespace).
static SHARED: OnceLock<Result<ControlPlane, Error>> = OnceLock::new();

impl ControlPlane {
    /// The control plane for this test binary: found or started on the first call, the same
    /// value afterwards (see the crate docs for the order in which it is looked for).
    ///
    /// Blocks while a control plane starts (seconds when the binaries are cached). Also installs
    /// rustls' ring crypto provider as the process default, which kube's TLS needs.
    ///
    /// # Errors
    ///
    /// When no control plane can be found or started; the error carries the script's output.
    /// Every later call returns the same error.
    pub fn shared() -> Result<&'static ControlPlane, Error> {
        // Err only means a provider is already installed, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
        SHARED
            .get_or_init(Self::find_or_start)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// A control plane reachable through `kubeconfig` (for example one started by hand).
    pub fn from_kubeconfig(kubeconfig: impl Into<PathBuf>) -> Self {
        Self {
            kubeconfig: kubeconfig.into(),
            owned: false,
        }
    }

    fn find_or_start() -> Result<ControlPlane, Error> {
        if let Some(path) = std::env::var_os("RUDDER_TEST_KUBECONFIG") {
            tracing::info!(kubeconfig = ?path, "using the control plane named by RUDDER_TEST_KUBECONFIG");
            return Ok(Self::from_kubeconfig(path));
        }
        if let Some(path) = std::env::var_os("KUBECONFIG") {
            let path = PathBuf::from(path);
            if is_test_kubeconfig(&path)? {
                tracing::info!(kubeconfig = ?path, "reusing the control plane named by KUBECONFIG");
                return Ok(Self::from_kubeconfig(path));
            }
        }
        Self::start(&StartOptions::for_this_process())
    }

    /// Starts a control plane with `<script> up` as `options` say, and returns once it is ready.
    ///
    /// Most tests want [`ControlPlane::shared`] instead, which calls this at most once per
    /// process with [`StartOptions::for_this_process`].
    ///
    /// # Errors
    ///
    /// When the script cannot be run, fails (the error carries the end of its output, which
    /// includes the component logs), or prints no `export KUBECONFIG=...` line.
    pub fn start(options: &StartOptions) -> Result<ControlPlane, Error> {
        let script = options.script.clone();
        tracing::info!(script = %script.display(), state = %options.state_dir.display(), "starting a control plane");
        let mut command = Command::new(&script);
        command
            .arg("up")
            .env("RUDDER_CLUSTER_STATE", &options.state_dir);
        match options.owner_pid {
            Some(pid) => command.env("RUDDER_CLUSTER_OWNER_PID", pid.to_string()),
            None => command.env_remove("RUDDER_CLUSTER_OWNER_PID"),
        };
        let output = command.output().map_err(|source| Error::SpawnScript {
            script: script.clone(),
            source: Arc::new(source),
        })?;
        if !output.status.success() {
            return Err(Error::StartFailed {
                script,
                status: output.status.to_string(),
                output: last_lines(&String::from_utf8_lossy(&output.stderr), 60),
            });
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let kubeconfig = stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix("export KUBECONFIG="))
            .ok_or(Error::NoKubeconfigLine { script })?;
        Ok(ControlPlane {
            kubeconfig: PathBuf::from(kubeconfig),
            owned: options.owner_pid.is_some(),
        })
    }

    /// The admin kubeconfig of the control plane (for tools such as `helm` or `kubectl`).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Whether this process started the control plane (it is then stopped when the process exits).
    pub fn is_owned(&self) -> bool {
        self.owned
    }

    /// Client settings for the control plane's admin user.
    ///
    /// # Errors
    ///
    /// When the kubeconfig cannot be read or used.
    pub async fn config(&self) -> Result<Config, Error> {
        let kubeconfig_error = |source| Error::Kubeconfig {
            path: self.kubeconfig.clone(),
            source: Arc::new(source),
        };
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).map_err(kubeconfig_error)?;
        Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(kubeconfig_error)
    }

    /// A new client for the control plane's admin user, bound to the current tokio runtime.
    ///
    /// Each `#[tokio::test]` has a runtime of its own, so build clients inside the test rather
    /// than sharing one between tests.
    ///
    /// # Errors
    ///
    /// When the kubeconfig cannot be used or the client cannot be built.
    pub async fn client(&self) -> Result<Client, Error> {
        let config = self.config().await?;
        Client::try_from(config).map_err(|source| Error::Client {
            source: Arc::new(source),
        })
    }
}

/// Whether the kubeconfig(s) at `path` (a `KUBECONFIG` value) select the test context.
fn is_test_kubeconfig(path: &Path) -> Result<bool, Error> {
    if !path.is_file() {
        return Ok(false);
    }
    let kubeconfig = Kubeconfig::read_from(path).map_err(|source| Error::Kubeconfig {
        path: path.to_path_buf(),
        source: Arc::new(source),
    })?;
    Ok(kubeconfig.current_context.as_deref() == Some(CONTEXT_NAME))
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A namespace of its own for one test, deleted when dropped (or by [`TestNamespace::delete`]).
///
/// Deletion only asks the API server to delete the namespace; the namespace controller removes
/// its contents afterwards, as on any cluster.
pub struct TestNamespace {
    name: String,
    client: Client,
    plane: ControlPlane,
    deleted: bool,
}

impl std::fmt::Debug for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestNamespace")
            .field("name", &self.name)
            .field("plane", &self.plane)
            .finish_non_exhaustive()
    }
}

impl TestNamespace {
    /// Creates a namespace named `rt-<hint>-<random>` (the hint cut to fit a DNS label) on
    /// `plane`, labelled [`NAMESPACE_LABEL`].
    ///
    /// # Errors
    ///
    /// When no client can be built or the namespace cannot be created.
    pub async fn create(plane: &ControlPlane, hint: &str) -> Result<Self, Error> {
        let client = plane.client().await?;
        let name = namespace_name(hint, std::hash::RandomState::new().build_hasher().finish());
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([(NAMESPACE_LABEL.to_owned(), "true".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .map_err(|source| Error::CreateNamespace {
                name: name.clone(),
                source: Arc::new(source),
            })?;
        tracing::debug!(namespace = %name, "created test namespace");
        Ok(Self {
            name,
            client,
            plane: plane.clone(),
            deleted: false,
        })
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The admin client the namespace was created with (bound to the creating runtime).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// An API handle for namespaced resources of kind `K` in this namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: Resource<Scope = NamespaceResourceScope>,
        <K as Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }

    /// Deletes the namespace now.
    ///
    /// # Errors
    ///
    /// When the API server refuses the deletion (a namespace that is already gone is fine).
    pub async fn delete(mut self) -> Result<(), Error> {
        self.deleted = true;
        delete_namespace(&self.client, &self.name).await
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        // The client is bound to the test's runtime, which may be shutting down and cannot be
        // blocked on from inside; delete from a short-lived thread with a runtime of its own.
        let name = self.name.clone();
        let plane = self.plane.clone();
        let cleanup = std::thread::spawn(move || -> Result<(), Error> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| Error::CleanupRuntime {
                    name: name.clone(),
                    source: Arc::new(source),
                })?;
            runtime.block_on(async {
                let client = plane.client().await?;
                delete_namespace(&client, &name).await
            })
        });
        match cleanup.join() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(namespace = %self.name, %error, "test namespace left behind")
            }
            Err(_) => tracing::warn!(namespace = %self.name, "namespace cleanup thread panicked"),
        }
    }
}

async fn delete_namespace(client: &Client, name: &str) -> Result<(), Error> {
    match Api::<Namespace>::all(client.clone())
        .delete(name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::DeleteNamespace {
            name: name.to_owned(),
            source: Arc::new(source),
        }),
    }
}

/// `rt-<hint>-<10 hex digits>`: a DNS-1123 label of at most 63 characters.
fn namespace_name(hint: &str, random: u64) -> String {
    let mut cleaned = String::new();
    for c in hint.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            cleaned.push(c);
        } else if !cleaned.ends_with('-') {
            cleaned.push('-');
        }
    }
    let cleaned: String = cleaned.trim_matches('-').chars().take(40).collect();
    let cleaned = cleaned.trim_end_matches('-');
    let suffix = format!("{:010x}", random & 0xff_ffff_ffff);
    if cleaned.is_empty() {
        format!("rt-{suffix}")
    } else {
        format!("rt-{cleaned}-{suffix}")
    }
}

/// The real Helm 4.1.4 binary that differential and interop tests compare against.
///
/// `RUDDER_HELM` names it directly (`scripts/test` sets it); otherwise the workplace's
/// `shared/tools/helm-peer`, beside the repository, installs it and prints its path.
///
/// # Panics
///
/// When neither is available: a comparison test must fail, not skip, without its peer.
pub fn helm() -> PathBuf {
    if let Some(path) = std::env::var_os("RUDDER_HELM") {
        return PathBuf::from(path);
    }
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/helm-peer");
    let out = Command::new(&peer).output().unwrap_or_else(|e| {
        panic!(
            "real Helm is required: set RUDDER_HELM or provide {}: {e}",
            peer.display()
        )
    });
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !path.is_empty(),
        "{} failed: {}",
        peer.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_names_are_dns_labels() {
        let name = namespace_name("Deployment_reaches Available!!", 0x1234);
        assert_eq!(name, "rt-deployment-reaches-available-0000001234");
        let long = namespace_name(&"x".repeat(200), u64::MAX);
        assert!(long.len() <= 63, "{long} is longer than 63");
        assert_eq!(namespace_name("--", 1), "rt-0000000001");
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }
}
