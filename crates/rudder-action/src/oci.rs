//! OCI registry operations: `push`, `pull`, `registry login` / `logout`, and fetching an
//! `oci://` chart reference to verified archive bytes (for `template`, `show`, `install`).
//!
//! Credentials come from the registry config file the caller names (Helm's Docker-style
//! `config.json`, with its credential helpers), then from Docker's `config.json` if the
//! caller names one; this module never reads the environment. Version constraints are
//! resolved with Helm's OCI tag rule ([`rudder_semver::Lookup::OciTags`]).

use std::path::{Path, PathBuf};

pub use rudder_registry::TlsOptions;

use crate::verify::{ChartVerification, VerifyOptions};

use rudder_registry::{
    Auth, ClientOptions, OciReference, PulledChart, PushChart, RegistryClient, RegistryConfig,
};

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// `--verify` refused the chart (no provenance, unknown signer, bad signature, digest).
    #[error(transparent)]
    Verify(Box<crate::ActionError>),
    /// The registry refused or failed the request, or the content did not verify.
    #[error(transparent)]
    Registry(#[from] rudder_registry::RegistryError),
    /// The registry config file could not be read or written.
    #[error(transparent)]
    Credentials(#[from] rudder_registry::CredentialsError),
    /// The reference is not a valid `oci://` reference.
    #[error(transparent)]
    Reference(#[from] rudder_registry::ReferenceError),
    /// The `--version` constraint is not valid Masterminds semver.
    #[error("invalid version constraint {constraint:?}: {message}")]
    Constraint {
        /// The constraint given.
        constraint: String,
        /// What is wrong.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The archive or its provenance could not be written.
    #[error(transparent)]
    Write(rudder_repo::RepoError),
    /// `--untar` target already exists (Helm refuses to overwrite it).
    #[error("failed to untar: a file or directory with the name {0} already exists")]
    UntarExists(PathBuf),
    /// The pulled archive could not be unpacked.
    #[error("failed to untar {archive}")]
    Untar {
        /// The archive name.
        archive: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Connection settings shared by every registry operation.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Talk plain HTTP (`--plain-http`).
    pub plain_http: bool,
    /// The registry config file holding credentials (`--registry-config`).
    pub registry_config: PathBuf,
    /// TLS settings for HTTPS registries.
    pub tls: TlsOptions,
    /// Docker's `config.json`, read (never written) for hosts the registry config has no
    /// credentials for, so a `docker login` also serves Rudder.
    pub docker_config: Option<PathBuf>,
}

impl RegistryOptions {
    fn client(&self) -> Result<RegistryClient, OciError> {
        Ok(RegistryClient::new(ClientOptions {
            plain_http: self.plain_http,
            tls: self.tls.clone(),
            ..ClientOptions::default()
        })?)
    }

    fn auth(&self, host: &str) -> Result<Auth, OciError> {
        let auth = RegistryConfig::load(&self.registry_config)?.auth_for(host)?;
        if auth != Auth::Anonymous {
            return Ok(auth);
        }
        match &self.docker_config {
            Some(docker) => Ok(RegistryConfig::load(docker)?.auth_for(host)?),
            None => Ok(auth),
        }
    }
}

/// Whether `chart` names an `oci://` reference rather than a local path.
pub fn is_oci_reference(chart: &str) -> bool {
    chart.starts_with("oci://")
}

/// What [`push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutput {
    /// `host/path/name:version`, as Helm prints after `Pushed:`.
    pub reference: String,
    /// The manifest digest.
    pub digest: String,
}

/// Pushes the chart archive at `archive` to `remote` (`oci://host/path`), as `helm push`.
pub async fn push(
    archive: &Path,
    remote: &str,
    opts: &RegistryOptions,
) -> Result<PushOutput, OciError> {
    let bytes = std::fs::read(archive).map_err(|source| OciError::Io {
        action: "read",
        path: archive.to_path_buf(),
        source,
    })?;
    let provenance_path = PathBuf::from(format!("{}.prov", archive.display()));
    let provenance = match std::fs::read(&provenance_path) {
        Ok(p) => Some(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(OciError::Io {
                action: "read",
                path: provenance_path,
                source,
            });
        }
    };
    let created = std::fs::metadata(archive)
        .and_then(|m| m.modified())
        .ok()
        .map(rudder_registry::manifest::rfc3339_utc);
    let base = OciReference::parse(&format!("{}/x", remote.trim_end_matches('/')))?;
    let auth = opts.auth(base.registry())?;
    let pushed = opts
        .client()?
        .push(
            remote,
            &PushChart {
                archive: bytes,
                provenance,
                created,
            },
            &auth,
        )
        .await?;
    Ok(PushOutput {
        reference: pushed
            .reference
            .to_string()
            .trim_start_matches("oci://")
            .to_string(),
        digest: pushed.digest,
    })
}

/// A chart fetched from a registry, every blob verified.
#[derive(Debug, Clone)]
pub struct FetchedChart {
    /// The resolved reference (with the chosen tag).
    pub reference: OciReference,
    /// The chart version the tag stands for.
    pub version: String,
    /// What the registry returned.
    pub pulled: PulledChart,
}

/// Resolves `reference` (with `version`, an exact version or a Masterminds constraint, or a
/// tag/digest in the reference) and pulls it. A pinned `@sha256:` digest that does not match
/// the manifest is refused.
pub async fn fetch(
    reference: &str,
    version: Option<&str>,
    opts: &RegistryOptions,
) -> Result<FetchedChart, OciError> {
    let parsed = OciReference::parse(reference)?;
    let auth = opts.auth(parsed.registry())?;
    let client = opts.client()?;
    let resolved = match (parsed.tag(), parsed.digest(), version) {
        (None, _, Some(v)) if !v.is_empty() => {
            let constraint_error = std::cell::RefCell::new(None);
            let matcher = |req: &str, versions: &[String]| -> Option<String> {
                match rudder_semver::first_match(versions, req, rudder_semver::Lookup::OciTags) {
                    Ok(found) => found.map(str::to_string),
                    Err(e) => {
                        *constraint_error.borrow_mut() = Some(e.to_string());
                        None
                    }
                }
            };
            let r = client.resolve_version(&parsed, v, &matcher, &auth).await;
            if let Some(message) = constraint_error.into_inner() {
                return Err(OciError::Constraint {
                    constraint: v.to_string(),
                    message,
                });
            }
            r?
        }
        (None, None, _) => {
            let matcher = |_: &str, versions: &[String]| versions.first().cloned();
            client
                .resolve_version(&parsed, "*", &matcher, &auth)
                .await?
        }
        (Some(_), _, Some(v)) if !v.is_empty() => parsed.with_version(v)?,
        _ => parsed,
    };
    let pulled = client.pull(&resolved, &auth).await?;
    let version = match resolved.version() {
        Some(v) => v,
        None => rudder_chart::loader::load_archive(
            pulled.chart.as_slice(),
            resolved.chart_name(),
            &rudder_chart::loader::LoadOptions::default(),
        )
        .map(|c| c.metadata.version.clone())
        .unwrap_or_default(),
    };
    Ok(FetchedChart {
        reference: resolved,
        version,
        pulled,
    })
}

/// Fetches `reference` and loads it as a chart (for `template`, `show`, `install`).
pub async fn load_chart(
    reference: &str,
    version: Option<&str>,
    opts: &RegistryOptions,
    verify: Option<&VerifyOptions>,
) -> Result<rudder_chart::Chart, crate::ActionError> {
    let fetched = fetch(reference, version, opts).await?;
    let name = format!("{}-{}.tgz", fetched.reference.chart_name(), fetched.version);
    if let Some(verify) = verify {
        crate::verify::verify_chart_bytes(
            &fetched.pulled.chart,
            &name,
            fetched.pulled.provenance.as_deref(),
            reference,
            verify,
        )?;
    }
    Ok(rudder_chart::loader::load_archive(
        fetched.pulled.chart.as_slice(),
        &name,
        &rudder_chart::loader::LoadOptions::default(),
    )?)
}

/// Where an `oci://` chart reference given to `template`, `show` or `install` comes from:
/// the `--version` and registry flags that go with it.
#[derive(Debug, Clone, Default)]
pub struct OciSource {
    /// Exact version or Masterminds constraint (`--version`); the newest when `None`.
    pub version: Option<String>,
    /// Connection settings.
    pub registry: RegistryOptions,
    /// Verify the chart against its provenance layer before loading it (`--verify`).
    pub verify: Option<VerifyOptions>,
}

/// [`load_chart`] for synchronous callers: runs the fetch on its own thread and runtime, so
/// it may be called from plain code and from inside a Tokio runtime alike.
pub fn load_chart_blocking(
    reference: &str,
    source: &OciSource,
) -> Result<rudder_chart::Chart, crate::ActionError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| crate::ActionError::Task(e.to_string()))?;
                runtime.block_on(load_chart(
                    reference,
                    source.version.as_deref(),
                    &source.registry,
                    source.verify.as_ref(),
                ))
            })
            .join()
            .unwrap_or_else(|_| Err(crate::ActionError::Task("registry fetch panicked".into())))
    })
}

/// Options of [`pull`].
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Exact version or Masterminds constraint (`--version`).
    pub version: Option<String>,
    /// Directory the archive is written to (`-d`).
    pub destination: PathBuf,
    /// Unpack the chart instead of keeping the archive (`--untar`).
    pub untar: bool,
    /// Where to unpack, relative to `destination` unless absolute (`--untardir`).
    pub untar_dir: PathBuf,
    /// Verify the chart against its provenance layer before writing anything (`--verify`).
    pub verify: Option<VerifyOptions>,
}

/// What [`pull`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOutput {
    /// `host/path/name:version`, as Helm prints after `Pulled:`.
    pub reference: String,
    /// The manifest digest.
    pub digest: String,
    /// The archive written, or the directory unpacked.
    pub path: PathBuf,
    /// What `--verify` established.
    pub verification: Option<ChartVerification>,
}

/// Pulls a chart as `helm pull oci://…`: writes `<name>-<version>.tgz` (and `.prov` when the
/// artifact has one) into the destination, or unpacks it with `untar`.
pub async fn pull(
    reference: &str,
    pull: &PullOptions,
    opts: &RegistryOptions,
) -> Result<PullOutput, OciError> {
    let fetched = fetch(reference, pull.version.as_deref(), opts).await?;
    let name = fetched.reference.chart_name().to_string();
    let file = format!("{name}-{}.tgz", fetched.version);
    let verification = match &pull.verify {
        Some(verify) => Some(
            crate::verify::verify_chart_bytes(
                &fetched.pulled.chart,
                &file,
                fetched.pulled.provenance.as_deref(),
                reference,
                verify,
            )
            .map_err(|e| OciError::Verify(Box::new(e)))?,
        ),
        None => None,
    };
    let shown = fetched
        .reference
        .repository_only()
        .to_string()
        .trim_start_matches("oci://")
        .to_string();
    // Helm prints the registry tag (`+` stored as `_`).
    let shown = format!(
        "{shown}:{}",
        rudder_registry::version_to_tag(&fetched.version)
    );
    let written = if pull.untar {
        let parent = crate::pulled::untar_parent(&pull.destination, &pull.untar_dir);
        crate::pulled::untar(&fetched.pulled.chart, &name, &parent)
    } else {
        crate::pulled::write_archive(
            &pull.destination,
            &file,
            &fetched.pulled.chart,
            fetched.pulled.provenance.as_deref(),
        )
    };
    let path = written.map_err(|e| match e {
        crate::pulled::WriteError::Exists(target) => OciError::UntarExists(target),
        crate::pulled::WriteError::Io { source, .. } => OciError::Untar {
            archive: file.clone(),
            source,
        },
        crate::pulled::WriteError::Write(e) => OciError::Write(e),
    })?;
    Ok(PullOutput {
        reference: shown,
        digest: fetched.pulled.digest,
        path,
        verification,
    })
}

/// Repository probed by [`login`]: the registry checks credentials before it looks the
/// repository up, so "not found" means the credentials were accepted.
const LOGIN_PROBE_REPOSITORY: &str = "rudder-login-check/probe";

/// Checks `username`/`password` against `host` and, when accepted, stores them in the
/// registry config file. Nothing is written when the registry refuses them.
pub async fn login(
    host: &str,
    username: &str,
    password: &str,
    opts: &RegistryOptions,
) -> Result<(), OciError> {
    let probe = OciReference::parse(&format!("oci://{host}/{LOGIN_PROBE_REPOSITORY}"))?;
    let auth = Auth::Basic {
        username: username.to_string(),
        password: password.to_string(),
    };
    match opts.client()?.versions(&probe, &auth).await {
        Ok(_) | Err(rudder_registry::RegistryError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    RegistryConfig::load(&opts.registry_config)?.store_login(host, username, password)?;
    Ok(())
}

/// Removes the credentials stored for `host`; returns whether there were any.
pub fn logout(host: &str, opts: &RegistryOptions) -> Result<bool, OciError> {
    Ok(RegistryConfig::load(&opts.registry_config)?.forget(host)?)
}
