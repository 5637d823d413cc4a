//! Where plugins come from: `plugin install SOURCE` for a directory, a `.tgz`, an `http(s)://`
//! URL or an `oci://` reference; `plugin update NAME`, which re-installs from the source
//! recorded at install time; and `plugin push`, which uploads a packaged plugin to an OCI
//! registry in the layout Helm 4 installs from (Helm itself cannot push plugins).
//!
//! Every source ends in the same local install path ([`crate::plugin::install`]): a URL or
//! registry download is written as `<name>-<version>.tgz` (plus `<name>-<version>.tgz.prov`
//! when the source has one) into a private temporary directory and installed from there, so
//! archive safety checks and provenance verification apply to every source alike.
//!
//! - `http(s)://URL`: a GET of the URL (at most [`MAX_DOWNLOAD_BYTES`]) must give a gzip'd
//!   tar; `URL.prov` is fetched too (a 404 means none). Helm would treat a URL without an
//!   archive suffix as a git repository; Rudder does not install from version control.
//! - `oci://host/path/NAME[:TAG|@DIGEST]`: artifact type `application/vnd.helm.plugin.v1+json`
//!   (see [`rudder_registry::plugin`]). Without a tag, `version` (an exact version or a
//!   Masterminds constraint) picks among the repository's semver tags; without either, the
//!   newest tag.
//!
//! The source of each installed plugin is recorded in
//! `<plugins dir>/.rudder-sources/<name>.json` (outside the plugin's directory, so the
//! installed files stay exactly those of the archive); `uninstall` removes it.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use rudder_plugin::manifest::{self, MANIFEST_FILE};
use rudder_plugin::{HookEvent, InstalledPlugin};
use rudder_registry::plugin::PushPlugin;
use rudder_registry::{Auth, ClientOptions, OciReference, RegistryClient, RegistryConfig};

use crate::oci::RegistryOptions;
use crate::plugin::{InstallPluginOptions, PluginOpError, run_hook};

/// Largest plugin archive (or provenance file) downloaded over HTTP: 100 MiB.
pub const MAX_DOWNLOAD_BYTES: u64 = 100 << 20;

/// The directory under the plugins directory holding install records.
pub const SOURCES_DIR: &str = ".rudder-sources";

/// Why installing, updating or pushing a plugin from a source failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginSourceError {
    /// The local install step failed (manifest, archive safety, verification, hooks).
    #[error(transparent)]
    Install(#[from] PluginOpError),
    /// The registry refused or failed the request, or the content did not verify.
    #[error(transparent)]
    Registry(#[from] rudder_registry::RegistryError),
    /// The registry config file could not be read.
    #[error(transparent)]
    Credentials(#[from] rudder_registry::CredentialsError),
    /// The `oci://` reference is invalid.
    #[error(transparent)]
    Reference(#[from] rudder_registry::ReferenceError),
    /// The download failed.
    #[error("downloading {url}: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong, one line.
        message: String,
    },
    /// The downloaded content is not a gzip'd archive.
    #[error(
        "{url}: not a plugin archive (.tgz); rudder installs plugins from directories, archives, http(s) archive URLs and oci:// references"
    )]
    NotAnArchive {
        /// Where it came from.
        url: String,
    },
    /// The `--version` constraint is not valid Masterminds semver.
    #[error("invalid version constraint {constraint:?}: {message}")]
    Constraint {
        /// The constraint.
        constraint: String,
        /// What is wrong.
        message: String,
    },
    /// No source was recorded for the plugin to update.
    #[error("plugin {name:?} has no recorded install source; uninstall it and install it again")]
    NoRecordedSource {
        /// Plugin name.
        name: String,
    },
    /// The updated plugin has another name than the installed one.
    #[error("updating plugin {name:?}: the source now holds plugin {found:?}")]
    NameChanged {
        /// The installed plugin's name.
        name: String,
        /// The name found in the source.
        found: String,
    },
    /// The archive to push holds no readable `plugin.yaml`.
    #[error("{}: no plugin.yaml at the top of the archive (or in its only directory)", path.display())]
    NoManifest {
        /// The archive.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The async registry task could not run.
    #[error("registry task failed: {0}")]
    Task(String),
}

fn io_err(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> PluginSourceError {
    let path = path.to_path_buf();
    move |source| PluginSourceError::Io { path, what, source }
}

/// What the user named as the plugin source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// A local directory or `.tgz`.
    Local(PathBuf),
    /// An `http://` or `https://` URL of a `.tgz`.
    Http(String),
    /// An `oci://` reference.
    Oci(String),
}

impl PluginSource {
    /// Classifies a source argument.
    pub fn parse(text: &str) -> Self {
        if text.starts_with("oci://") {
            PluginSource::Oci(text.to_string())
        } else if text.starts_with("http://") || text.starts_with("https://") {
            PluginSource::Http(text.to_string())
        } else {
            PluginSource::Local(PathBuf::from(text))
        }
    }
}

/// How a plugin was installed: what `update` repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRecord {
    /// The source (an absolute path for local sources).
    pub source: String,
    /// The version constraint given with an `oci://` source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Whether the registry was reached over plain HTTP.
    #[serde(default)]
    pub plain_http: bool,
}

/// The record file of plugin `name`.
pub fn record_path(plugins_dir: &Path, name: &str) -> PathBuf {
    plugins_dir.join(SOURCES_DIR).join(format!("{name}.json"))
}

/// Reads the install record of plugin `name`, if there is one.
pub fn read_record(plugins_dir: &Path, name: &str) -> Option<SourceRecord> {
    let text = std::fs::read(record_path(plugins_dir, name)).ok()?;
    serde_json::from_slice(&text).ok()
}

fn write_record(
    plugins_dir: &Path,
    name: &str,
    record: &SourceRecord,
) -> Result<(), PluginSourceError> {
    let path = record_path(plugins_dir, name);
    let parent = path.parent().unwrap_or(plugins_dir);
    std::fs::create_dir_all(parent).map_err(io_err(parent, "cannot create directory"))?;
    // Serialising a struct of strings and a bool cannot fail.
    let json = serde_json::to_vec_pretty(record).unwrap_or_default();
    // Written beside and renamed into place: an interrupted write never leaves a truncated
    // record that `plugin update` would then refuse to read.
    let write = || -> std::io::Result<()> {
        use std::io::Write as _;
        let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
        tmp.write_all(&json)?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(io_err(&path, "cannot write the install record"))
}

/// Removes the install record of plugin `name` (nothing if there is none).
pub fn remove_record(plugins_dir: &Path, name: &str) {
    let _ = std::fs::remove_file(record_path(plugins_dir, name));
}

/// Options of [`install`] and [`update`].
#[derive(Debug, Clone)]
pub struct SourceInstallOptions {
    /// The source as the user wrote it (path, URL or `oci://` reference); ignored by
    /// [`update`], which uses the recorded one.
    pub source: String,
    /// The local install step's options (plugins directory, verification…); its `source`
    /// is replaced by the local directory or downloaded archive.
    pub install: InstallPluginOptions,
    /// Exact version or Masterminds constraint for an `oci://` source without a tag.
    pub version: Option<String>,
    /// Registry connection settings for `oci://` sources.
    pub registry: RegistryOptions,
    /// Candidate environment for the plugin's hooks.
    pub env: Vec<(String, String)>,
}

/// Installs a plugin from any source (see the [module docs](self)), records the source and
/// runs a subprocess plugin's `install` hook.
pub fn install(opts: &SourceInstallOptions) -> Result<InstalledPlugin, PluginSourceError> {
    let source = PluginSource::parse(&opts.source);
    let installed = install_into(&source, opts, &opts.install.plugins_dir)?;
    let record = SourceRecord {
        source: match &source {
            PluginSource::Local(p) => std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .to_string_lossy()
                .into_owned(),
            PluginSource::Http(u) | PluginSource::Oci(u) => u.clone(),
        },
        version: opts.version.clone().filter(|v| !v.is_empty()),
        plain_http: opts.registry.plain_http,
    };
    write_record(&opts.install.plugins_dir, &installed.metadata.name, &record)?;
    run_hook(&installed, HookEvent::Install, &opts.env)?;
    Ok(installed)
}

/// Fetches `source` if it is remote and installs it into `plugins_dir`.
fn install_into(
    source: &PluginSource,
    opts: &SourceInstallOptions,
    plugins_dir: &Path,
) -> Result<InstalledPlugin, PluginSourceError> {
    let local = |path: PathBuf| {
        crate::plugin::install(&InstallPluginOptions {
            source: path,
            plugins_dir: plugins_dir.to_path_buf(),
            ..opts.install.clone()
        })
        .map_err(PluginSourceError::from)
    };
    match source {
        PluginSource::Local(path) => local(path.clone()),
        PluginSource::Http(url) => {
            let download = tempfile::Builder::new()
                .prefix("rudder-plugin-download-")
                .tempdir()
                .map_err(io_err(
                    &std::env::temp_dir(),
                    "cannot create a temporary directory",
                ))?;
            let archive = http_download(url, download.path())?;
            local(archive)
        }
        PluginSource::Oci(reference) => {
            let download = tempfile::Builder::new()
                .prefix("rudder-plugin-download-")
                .tempdir()
                .map_err(io_err(
                    &std::env::temp_dir(),
                    "cannot create a temporary directory",
                ))?;
            let archive = oci_download(
                reference,
                opts.version.as_deref(),
                &opts.registry,
                download.path(),
            )?;
            local(archive)
        }
    }
}

/// Downloads `url` (and `url.prov` when it exists) into `dir`; returns the archive's path.
fn http_download(url: &str, dir: &Path) -> Result<PathBuf, PluginSourceError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(300)))
        .http_status_as_error(false)
        .build()
        .into();
    let get = |u: &str| -> Result<Option<Vec<u8>>, PluginSourceError> {
        let fail = |message: String| PluginSourceError::Download {
            url: u.to_string(),
            message,
        };
        let mut response = agent.get(u).call().map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        if status == ureq::http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD_BYTES)
            .read_to_vec()
            .map(Some)
            .map_err(|e| {
                fail(format!(
                    "reading the body (limit {MAX_DOWNLOAD_BYTES} bytes): {e}"
                ))
            })
    };
    let archive = get(url)?.ok_or_else(|| PluginSourceError::Download {
        url: url.to_string(),
        message: "HTTP 404 Not Found".to_string(),
    })?;
    if !archive.starts_with(&[0x1f, 0x8b]) {
        return Err(PluginSourceError::NotAnArchive {
            url: url.to_string(),
        });
    }
    let name = archive_file_name(url, &archive)?;
    let path = dir.join(&name);
    std::fs::write(&path, &archive).map_err(io_err(&path, "cannot write the download"))?;
    let prov_url = format!("{url}.prov");
    if let Some(prov) = get(&prov_url)? {
        let prov_path = dir.join(format!("{name}.prov"));
        std::fs::write(&prov_path, prov)
            .map_err(io_err(&prov_path, "cannot write the download"))?;
    }
    Ok(path)
}

/// `<name>-<version>.tgz` from the archive's own manifest (never a name taken from the URL,
/// which could hold `..`).
fn archive_file_name(origin: &str, archive: &[u8]) -> Result<String, PluginSourceError> {
    let metadata = archive_metadata(archive).ok_or_else(|| PluginSourceError::NoManifest {
        path: PathBuf::from(origin),
    })?;
    Ok(format!("{}-{}.tgz", metadata.name, metadata.version))
}

/// Reads `plugin.yaml` (at the archive root or in its one top directory) from a `.tgz`
/// without extracting anything.
fn archive_metadata(archive: &[u8]) -> Option<manifest::Metadata> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    for entry in tar.entries().ok()? {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.into_owned();
        let parts: Vec<_> = path
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        let is_manifest = match parts.as_slice() {
            [f] => f.as_os_str() == MANIFEST_FILE,
            [d, f] => {
                matches!(d, std::path::Component::Normal(_)) && f.as_os_str() == MANIFEST_FILE
            }
            _ => false,
        };
        if is_manifest && entry.header().entry_type().is_file() {
            let mut text = String::new();
            (&mut entry).take(1 << 20).read_to_string(&mut text).ok()?;
            let metadata = manifest::parse(&text, MANIFEST_FILE).ok()?;
            return manifest::is_valid_name(&metadata.name).then_some(metadata);
        }
    }
    None
}

fn client_and_auth(
    registry: &RegistryOptions,
    host: &str,
) -> Result<(RegistryClient, Auth), PluginSourceError> {
    let client = RegistryClient::new(ClientOptions {
        plain_http: registry.plain_http,
        ..ClientOptions::default()
    })?;
    let auth = RegistryConfig::load(&registry.registry_config)?.auth_for(host)?;
    Ok((client, auth))
}

/// Runs the registry future `make` creates on its own thread and current-thread runtime, so
/// callers may be plain code or inside a Tokio runtime alike.
fn block_on<T: Send, F: std::future::Future<Output = Result<T, PluginSourceError>>>(
    make: impl FnOnce() -> F + Send,
) -> Result<T, PluginSourceError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| PluginSourceError::Task(e.to_string()))?
                    .block_on(make())
            })
            .join()
            .unwrap_or_else(|_| Err(PluginSourceError::Task("registry task panicked".into())))
    })
}

/// Resolves and pulls `reference`, writing the archive (and provenance) into `dir`.
fn oci_download(
    reference: &str,
    version: Option<&str>,
    registry: &RegistryOptions,
    dir: &Path,
) -> Result<PathBuf, PluginSourceError> {
    let parsed = OciReference::parse(reference)?;
    let (client, auth) = client_and_auth(registry, parsed.registry())?;
    let (client, auth, parsed) = (&client, &auth, &parsed);
    let pulled = block_on(move || async move {
        let resolved = match (parsed.tag(), parsed.digest(), version) {
            (None, _, Some(v)) if !v.is_empty() => {
                let constraint_error = std::sync::Mutex::new(None);
                let matcher = |req: &str, versions: &[String]| -> Option<String> {
                    match rudder_semver::first_match(versions, req, rudder_semver::Lookup::OciTags)
                    {
                        Ok(found) => found.map(str::to_string),
                        Err(e) => {
                            if let Ok(mut slot) = constraint_error.lock() {
                                *slot = Some(e.to_string());
                            }
                            None
                        }
                    }
                };
                let r = client.resolve_version(parsed, v, &matcher, auth).await;
                if let Some(message) = constraint_error.lock().ok().and_then(|mut s| s.take()) {
                    return Err(PluginSourceError::Constraint {
                        constraint: v.to_string(),
                        message,
                    });
                }
                r?
            }
            (None, None, _) => {
                let newest = |_: &str, versions: &[String]| versions.first().cloned();
                client.resolve_version(parsed, "*", &newest, auth).await?
            }
            (Some(_), _, Some(v)) if !v.is_empty() => parsed.clone().with_version(v)?,
            _ => parsed.clone(),
        };
        Ok::<_, PluginSourceError>(client.pull_plugin(&resolved, auth).await?)
    })?;
    tracing::debug!(reference, digest = %pulled.digest, "pulled plugin");
    if !pulled.archive.starts_with(&[0x1f, 0x8b]) {
        return Err(PluginSourceError::NotAnArchive {
            url: reference.to_string(),
        });
    }
    let name = archive_file_name(reference, &pulled.archive)?;
    let path = dir.join(&name);
    std::fs::write(&path, &pulled.archive).map_err(io_err(&path, "cannot write the download"))?;
    if let Some(prov) = &pulled.provenance {
        let prov_path = dir.join(format!("{name}.prov"));
        std::fs::write(&prov_path, prov)
            .map_err(io_err(&prov_path, "cannot write the download"))?;
    }
    Ok(path)
}

/// Moves the files an install into `staging` kept under its provenance directory into
/// `plugins_dir`'s.
fn move_kept(staging: &Path, plugins_dir: &Path) -> Result<(), PluginSourceError> {
    let from = staging.join(crate::plugin_provenance::PROVENANCE_DIR);
    let Ok(entries) = std::fs::read_dir(&from) else {
        return Ok(());
    };
    let to = plugins_dir.join(crate::plugin_provenance::PROVENANCE_DIR);
    std::fs::create_dir_all(&to).map_err(io_err(&to, "cannot create directory"))?;
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        std::fs::rename(entry.path(), &target)
            .map_err(io_err(&target, "cannot keep the verified tarball"))?;
    }
    Ok(())
}

/// Re-installs plugin `name` from its recorded source: the new version is installed into a
/// staging directory (with the same checks and verification as `install`), then swapped in
/// for the old one, and a subprocess plugin's `update` hook runs. `opts.source` is ignored;
/// `opts.version` and `opts.registry.plain_http` default to the recorded ones.
pub fn update(
    name: &str,
    opts: &SourceInstallOptions,
) -> Result<InstalledPlugin, PluginSourceError> {
    let plugins_dir = &opts.install.plugins_dir;
    let found = rudder_plugin::discover(plugins_dir).map_err(PluginOpError::from)?;
    let current = found
        .plugins
        .into_iter()
        .find(|p| p.metadata.name == name)
        .ok_or_else(|| PluginOpError::NotFound {
            name: name.to_string(),
            dir: plugins_dir.clone(),
        })?;
    let record =
        read_record(plugins_dir, name).ok_or_else(|| PluginSourceError::NoRecordedSource {
            name: name.to_string(),
        })?;
    let mut effective = opts.clone();
    effective.version = opts.version.clone().or(record.version.clone());
    effective.registry.plain_http = opts.registry.plain_http || record.plain_http;
    let source = PluginSource::parse(&record.source);
    let staging = plugins_dir.join(format!(".updating-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| {
        let fresh = install_into(&source, &effective, &staging)?;
        if fresh.metadata.name != name {
            return Err(PluginSourceError::NameChanged {
                name: name.to_string(),
                found: fresh.metadata.name,
            });
        }
        let backup = plugins_dir.join(format!(".replaced-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&backup);
        std::fs::rename(&current.dir, &backup)
            .map_err(io_err(&current.dir, "cannot move the old version aside"))?;
        if let Err(e) = std::fs::rename(&fresh.dir, &current.dir) {
            // Put the old version back so the plugin stays usable.
            let _ = std::fs::rename(&backup, &current.dir);
            return Err(io_err(
                &current.dir,
                "cannot move the new version into place",
            )(e));
        }
        let _ = std::fs::remove_dir_all(&backup);
        // What the staging install kept for `plugin list`/`verify` (the verified tarball and
        // its .prov, or the local-dev marker) replaces the old version's.
        crate::plugin_provenance::forget(plugins_dir, name);
        move_kept(&staging, plugins_dir)?;
        Ok(InstalledPlugin {
            dir: current.dir.clone(),
            metadata: fresh.metadata,
        })
    })();
    let _ = std::fs::remove_dir_all(&staging);
    let updated = result?;
    let record = SourceRecord {
        version: effective.version.clone(),
        plain_http: effective.registry.plain_http,
        ..record
    };
    write_record(plugins_dir, name, &record)?;
    run_hook(&updated, HookEvent::Update, &opts.env)?;
    Ok(updated)
}

/// Options of [`push`].
#[derive(Debug, Clone)]
pub struct PushPluginOptions {
    /// The packaged plugin (`<name>-<version>.tgz`); `<archive>.prov` is pushed too when it
    /// exists.
    pub archive: PathBuf,
    /// `oci://host/path`: the plugin goes to `host/path/<name>:<version>`.
    pub remote: String,
    /// Connection settings.
    pub registry: RegistryOptions,
}

/// What [`push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedPlugin {
    /// `host/path/name:tag`.
    pub reference: String,
    /// The manifest digest.
    pub digest: String,
    /// Whether a provenance layer was pushed.
    pub with_provenance: bool,
}

/// Pushes a packaged plugin to an OCI registry as a Helm 4 plugin artifact.
pub fn push(opts: &PushPluginOptions) -> Result<PushedPlugin, PluginSourceError> {
    let archive = std::fs::read(&opts.archive).map_err(io_err(&opts.archive, "cannot read"))?;
    let metadata = archive_metadata(&archive).ok_or_else(|| PluginSourceError::NoManifest {
        path: opts.archive.clone(),
    })?;
    let prov_path = PathBuf::from(format!("{}.prov", opts.archive.display()));
    let provenance = match std::fs::read(&prov_path) {
        Ok(p) => Some(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&prov_path, "cannot read")(e)),
    };
    let created = std::fs::metadata(&opts.archive)
        .and_then(|m| m.modified())
        .ok()
        .map(rudder_registry::manifest::rfc3339_utc);
    let base = OciReference::parse(&format!("{}/x", opts.remote.trim_end_matches('/')))?;
    let (client, auth) = client_and_auth(&opts.registry, base.registry())?;
    let with_provenance = provenance.is_some();
    let plugin = PushPlugin {
        name: metadata.name,
        version: metadata.version,
        archive,
        provenance,
        created,
    };
    let (client, auth, plugin, remote) = (&client, &auth, &plugin, opts.remote.as_str());
    let pushed = block_on(move || async move {
        Ok::<_, PluginSourceError>(client.push_plugin(remote, plugin, auth).await?)
    })?;
    Ok(PushedPlugin {
        reference: pushed
            .reference
            .to_string()
            .trim_start_matches("oci://")
            .to_string(),
        digest: pushed.digest,
        with_provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        assert_eq!(
            PluginSource::parse("oci://r/x:1"),
            PluginSource::Oci("oci://r/x:1".into())
        );
        assert_eq!(
            PluginSource::parse("https://h/p.tgz"),
            PluginSource::Http("https://h/p.tgz".into())
        );
        assert_eq!(
            PluginSource::parse("./dir"),
            PluginSource::Local(PathBuf::from("./dir"))
        );
    }
}
