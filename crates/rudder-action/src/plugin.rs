//! Plugins in operations: a [`PostRenderer`] backed by a `postrenderer/v1` plugin, getter
//! plugins resolving custom URL schemes (`example://…`) to chart archives, running `cli/v1`
//! plugins, and the plugin lifecycle (`install`, `list`, `uninstall`).
//!
//! Both runtimes are run: `extism/v1` plugins in the sandbox, and `subprocess` plugins (Helm's
//! native plugins) as child processes with the user's full rights and environment — **not
//! sandboxed**, as under Helm ([`rudder_plugin::subprocess`]). Subprocess plugins' `install`
//! and `delete` hooks run on install and uninstall.
//!
//! The caller (the CLI) chooses the plugins directory, the compiled-module cache and the
//! candidate environment and passes them in [`PluginsOptions`]; this module reads no
//! environment variable. What an `extism/v1` plugin actually sees of that environment is
//! decided by [`rudder_plugin::sandbox::plugin_env`]; a subprocess plugin sees all of it.
//!
//! Installing from a local directory **copies** it into the plugins directory (Helm symlinks
//! local directories): later edits to the source do not change the installed plugin, and
//! removing the source does not break it. Archives (`.tgz`) are extracted with a small safe
//! extractor that accepts only regular files and directories whose paths stay inside the
//! destination. With `verify: true` a tarball must have a `<tarball>.prov` signed by a key
//! of the keyring (directories are "local dev" and not verified, as in Helm); see
//! [`crate::plugin_provenance`], which also keeps what `list` shows as PROVENANCE.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rudder_plugin::manifest::{self, MANIFEST_FILE};
use rudder_plugin::messages::{CliInput, GetterInput, PostRendererInput};
use rudder_plugin::{
    CallIo, HookEvent, HostOptions, InstalledPlugin, LoadedPlugin, Message, Metadata, OutputSink,
    PluginError, PluginHost, PluginType, Response, RuntimeKind, StdinSource, SubprocessPlugin,
};
use rudder_render::{PostRenderError, PostRenderer};

/// Why a plugin operation failed. Each message is one line naming the plugin or path.
#[derive(Debug, thiserror::Error)]
pub enum PluginOpError {
    /// The plugin runtime failed (manifest, compile, call).
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// No installed plugin has that name.
    #[error("plugin {name:?} is not installed in {}", dir.display())]
    NotFound {
        /// The name asked for.
        name: String,
        /// The plugins directory searched.
        dir: PathBuf,
    },
    /// Plugins are disabled (`RUDDER_NO_PLUGINS`).
    #[error("plugins are disabled, cannot use plugin {name:?}")]
    Disabled {
        /// The plugin asked for.
        name: String,
    },
    /// The plugin has another type than the operation needs.
    #[error("plugin {name:?} is a {actual} plugin, not {expected}")]
    WrongType {
        /// Plugin name.
        name: String,
        /// Its type.
        actual: PluginType,
        /// The type needed.
        expected: PluginType,
    },
    /// Two installed plugins have the same name.
    #[error(transparent)]
    Duplicate(#[from] rudder_plugin::DuplicatePlugin),
    /// A file or directory could not be read or written.
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
    // --- provenance commands ---
    /// Provenance verification of the tarball failed (or no keyring was given).
    #[error("plugin verification failed: {0}")]
    Provenance(#[from] crate::plugin_provenance::PluginProvenanceError),
    /// A plugin of that name is already installed.
    #[error("plugin {name:?} is already installed in {}", dir.display())]
    AlreadyInstalled {
        /// Plugin name.
        name: String,
        /// Its directory.
        dir: PathBuf,
    },
    /// The archive holds an entry that would escape the destination or is not a plain
    /// file or directory.
    #[error("{}: entry {entry:?}: {reason}", archive.display())]
    UnsafeArchiveEntry {
        /// The archive.
        archive: PathBuf,
        /// The entry path.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The install source is neither a plugin directory nor a `.tgz` archive.
    #[error("{}: not a plugin directory (with plugin.yaml) or a .tgz archive", path.display())]
    UnsupportedSource {
        /// The path given.
        path: PathBuf,
    },
    /// The plugin answered with the wrong kind of message.
    #[error("plugin {name:?} returned an unexpected response")]
    UnexpectedResponse {
        /// Plugin name.
        name: String,
    },
}

/// Where plugins live and what environment they may be offered.
#[derive(Debug, Clone, Default)]
pub struct PluginsOptions {
    /// The plugins directory; `None` when plugins are disabled.
    pub plugins_dir: Option<PathBuf>,
    /// Compiled-module cache directory (`None`: compile every time).
    pub cache_dir: Option<PathBuf>,
    /// Candidate environment (usually the process environment), filtered per plugin by the
    /// sandbox's environment rule.
    pub env: Vec<(String, String)>,
}

/// The installed plugins and a runtime to call them.
pub struct Plugins {
    options: PluginsOptions,
    host: PluginHost,
    installed: Vec<InstalledPlugin>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins")
            .field("plugins_dir", &self.options.plugins_dir)
            .field("installed", &self.installed.len())
            .finish()
    }
}

impl Plugins {
    /// Discovers the installed plugins. Plugins whose manifest is invalid are skipped with a
    /// warning (as Helm does); two plugins of one name are an error.
    pub fn open(options: PluginsOptions) -> Result<Self, PluginOpError> {
        let host = PluginHost::new(HostOptions {
            cache_dir: options.cache_dir.clone(),
        })?;
        let installed = match &options.plugins_dir {
            Some(dir) => {
                let found = rudder_plugin::discover(dir)?;
                for error in &found.errors {
                    tracing::warn!("skipping plugin: {error}");
                }
                found.plugins
            }
            None => Vec::new(),
        };
        Ok(Plugins {
            options,
            host,
            installed,
        })
    }

    /// The installed plugins.
    pub fn installed(&self) -> &[InstalledPlugin] {
        &self.installed
    }

    /// The installed plugin called `name`.
    pub fn find(&self, name: &str) -> Option<&InstalledPlugin> {
        self.installed.iter().find(|p| p.metadata.name == name)
    }

    fn load(&self, name: &str, expected: PluginType) -> Result<LoadedPlugin, PluginOpError> {
        let Some(dir) = &self.options.plugins_dir else {
            return Err(PluginOpError::Disabled {
                name: name.to_string(),
            });
        };
        let plugin = self.find(name).ok_or_else(|| PluginOpError::NotFound {
            name: name.to_string(),
            dir: dir.clone(),
        })?;
        if plugin.metadata.plugin_type != expected {
            return Err(PluginOpError::WrongType {
                name: name.to_string(),
                actual: plugin.metadata.plugin_type,
                expected,
            });
        }
        Ok(LoadedPlugin::load_dir(&self.host, &plugin.dir)?)
    }

    /// A post-renderer running the `postrenderer/v1` plugin `name` with `args` (Helm's
    /// `--post-renderer-args`).
    pub fn post_renderer(
        &self,
        name: &str,
        args: Vec<String>,
    ) -> Result<PluginPostRenderer, PluginOpError> {
        Ok(PluginPostRenderer {
            plugin: self.load(name, PluginType::PostRenderer)?,
            args,
            env: self.options.env.clone(),
        })
    }

    /// The getter plugin serving the scheme of `url` (`example` for `example://…`).
    pub fn getter_for(&self, url: &str) -> Option<&InstalledPlugin> {
        let (scheme, _) = url.split_once("://")?;
        self.installed.iter().find(|p| match &p.metadata.config {
            manifest::TypeConfig::Getter(g) => g.protocols.iter().any(|s| s == scheme),
            _ => false,
        })
    }

    /// Fetches `url` through the getter plugin serving its scheme; `None` if no installed
    /// getter serves it.
    pub fn fetch(&self, url: &str) -> Result<Option<Vec<u8>>, PluginOpError> {
        let Some(getter) = self.getter_for(url) else {
            return Ok(None);
        };
        let name = getter.metadata.name.clone();
        let plugin = self.load(&name, PluginType::Getter)?;
        let call = plugin.invoke(
            &Message::Getter(Box::new(GetterInput::for_url(url))),
            CallIo {
                env: self.options.env.clone(),
                ..CallIo::default()
            },
        )?;
        match call.response {
            Response::Getter(out) => Ok(Some(out.data)),
            _ => Err(PluginOpError::UnexpectedResponse { name }),
        }
    }

    /// Runs the `cli/v1` plugin `name` with the process's stdin, stdout and stderr and returns
    /// its exit code (a non-zero WASI or process exit status is returned, not an error).
    /// With `ignoreFlags` in its manifest the plugin gets no arguments (Helm's rule).
    pub fn run_cli(&self, name: &str, args: Vec<String>) -> Result<i32, PluginOpError> {
        // Read-only cluster access for plugins that are granted it (mlstack).
        let plugin = crate::plugin_host::attach(self.load(name, PluginType::Cli)?);
        let ignore_flags = matches!(
            &plugin.metadata().config,
            manifest::TypeConfig::Cli(c) if c.ignore_flags
        );
        let args = if ignore_flags { Vec::new() } else { args };
        let io = CallIo {
            stdin: StdinSource::Inherit,
            stdout: OutputSink::Inherit,
            stderr: OutputSink::Inherit,
            env: self.options.env.clone(),
            args: args.clone(),
        };
        match plugin.invoke(&Message::Cli(CliInput { extra_args: args }), io) {
            Ok(_) => Ok(0),
            Err(e) => match e.failure() {
                Some(rudder_plugin::Failure::Exit(code)) => Ok(*code),
                _ => Err(e.into()),
            },
        }
    }
}

/// A [`PostRenderer`] backed by a `postrenderer/v1` plugin: the manifests are sent as a
/// string (on stdin for a subprocess plugin), and the plugin's `manifests` are returned.
pub struct PluginPostRenderer {
    plugin: LoadedPlugin,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl std::fmt::Debug for PluginPostRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginPostRenderer")
            .field("plugin", &self.plugin.metadata().name)
            .field("args", &self.args)
            .finish()
    }
}

impl PostRenderer for PluginPostRenderer {
    fn run(&self, manifests: &str) -> Result<String, PostRenderError> {
        let message = Message::PostRenderer(PostRendererInput {
            manifests: manifests.to_string(),
            extra_args: self.args.clone(),
        });
        let io = CallIo {
            env: self.env.clone(),
            ..CallIo::default()
        };
        match self.plugin.invoke(&message, io) {
            Ok(call) => match call.response {
                Response::PostRenderer(out) => Ok(out.manifests),
                _ => Err(PostRenderError {
                    message: format!(
                        "plugin {:?} returned an unexpected response",
                        self.plugin.metadata().name
                    ),
                }),
            },
            Err(e) => Err(PostRenderError {
                message: e.to_string(),
            }),
        }
    }
}

/// A post-renderer shared by options structs (`TemplateOptions`, `InstallOptions`).
#[derive(Clone)]
pub struct SharedPostRenderer(pub Arc<dyn PostRenderer>);

impl std::fmt::Debug for SharedPostRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedPostRenderer")
    }
}

/// Loads the chart named by `reference`: a `scheme://` URL served by one of `getters` is
/// fetched through that plugin and loaded as an archive; anything else is a local path.
pub fn load_chart(
    reference: &Path,
    getters: Option<&Plugins>,
    oci: Option<&crate::oci::OciSource>,
) -> Result<rudder_chart::Chart, crate::ActionError> {
    let text = reference.to_string_lossy();
    if crate::oci::is_oci_reference(&text) {
        let default = crate::oci::OciSource::default();
        return crate::oci::load_chart_blocking(&text, oci.unwrap_or(&default));
    }
    if let Some(plugins) = getters
        && let Some(bytes) = plugins.fetch(&text)?
    {
        let name = text.rsplit('/').next().unwrap_or(&text).to_string();
        return Ok(rudder_chart::loader::load_archive(
            bytes.as_slice(),
            &name,
            &rudder_chart::loader::LoadOptions::default(),
        )?);
    }
    Ok(rudder_chart::loader::load(reference)?)
}

/// Options of [`install`].
#[derive(Debug, Clone)]
pub struct InstallPluginOptions {
    /// A plugin directory (holding `plugin.yaml`) or a `.tgz` archive.
    pub source: PathBuf,
    /// The plugins directory to install into (created if missing).
    pub plugins_dir: PathBuf,
    /// Verify a tarball's provenance (`<tarball>.prov`) against `keyring` before installing.
    pub verify: bool,
    /// The keyring of trusted public keys for `verify` (the CLI's default is Helm's,
    /// `~/.gnupg/pubring.gpg`).
    pub keyring: Option<PathBuf>,
}

/// Installs a plugin as the [module docs](self) describe and returns its manifest.
pub fn install(opts: &InstallPluginOptions) -> Result<InstalledPlugin, PluginOpError> {
    let source = &opts.source;
    let is_dir = source.is_dir();
    let is_tgz = source.is_file() && {
        let name = source.to_string_lossy();
        name.ends_with(".tgz") || name.ends_with(".tar.gz")
    };
    if !is_dir && !is_tgz {
        return Err(PluginOpError::UnsupportedSource {
            path: source.clone(),
        });
    }
    // --- provenance commands ---
    if opts.verify && is_tgz {
        let keyring = opts.keyring.clone().unwrap_or_default();
        crate::plugin_provenance::verify_for_install(source, &keyring)?;
    }
    let io = |path: &Path, what| {
        let path = path.to_path_buf();
        move |source| PluginOpError::Io { path, what, source }
    };
    std::fs::create_dir_all(&opts.plugins_dir)
        .map_err(io(&opts.plugins_dir, "cannot create the plugins directory"))?;
    let staging = opts
        .plugins_dir
        .join(format!(".installing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| {
        let root = if is_dir {
            copy_dir(source, &staging)?;
            staging.clone()
        } else {
            extract_tgz(source, &staging)?;
            plugin_root(&staging)?
        };
        let manifest_path = root.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(io(&manifest_path, "cannot read the plugin manifest"))?;
        let metadata =
            manifest::parse(&text, &manifest_path.to_string_lossy()).map_err(PluginError::from)?;
        let dest = opts.plugins_dir.join(&metadata.name);
        if dest.exists() {
            return Err(PluginOpError::AlreadyInstalled {
                name: metadata.name,
                dir: dest,
            });
        }
        std::fs::rename(&root, &dest).map_err(io(&dest, "cannot move the plugin into place"))?;
        Ok(InstalledPlugin {
            dir: dest,
            metadata,
        })
    })();
    let _ = std::fs::remove_dir_all(&staging);
    // --- provenance commands ---
    if let Ok(installed) = &result {
        let kind = if is_dir {
            crate::plugin_provenance::InstallKind::Directory
        } else {
            crate::plugin_provenance::InstallKind::Tarball
        };
        if let Err(e) = crate::plugin_provenance::record_install(
            &opts.plugins_dir,
            &installed.metadata,
            source,
            kind,
        ) {
            tracing::warn!("cannot record the plugin's provenance for `plugin list`: {e}");
        }
    }
    result
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), PluginOpError> {
    let io = |path: &Path, what| {
        let path = path.to_path_buf();
        move |source| PluginOpError::Io { path, what, source }
    };
    std::fs::create_dir_all(to).map_err(io(to, "cannot create directory"))?;
    for entry in std::fs::read_dir(from).map_err(io(from, "cannot read directory"))? {
        let entry = entry.map_err(io(from, "cannot read directory"))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(io(&path, "cannot stat"))?;
        let target = to.join(entry.file_name());
        if ty.is_dir() {
            copy_dir(&path, &target)?;
        } else if ty.is_file() {
            std::fs::copy(&path, &target).map_err(io(&path, "cannot copy"))?;
        } else {
            // Symlinks could point anywhere on the user's machine: not copied.
            tracing::warn!("skipping {} (not a regular file)", path.display());
        }
    }
    Ok(())
}

/// The directory holding `plugin.yaml` in an extracted archive: the root, or its only
/// subdirectory (archives usually wrap the plugin in `<name>/`).
fn plugin_root(dir: &Path) -> Result<PathBuf, PluginOpError> {
    if dir.join(MANIFEST_FILE).is_file() {
        return Ok(dir.to_path_buf());
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| PluginOpError::Io {
            path: dir.to_path_buf(),
            what: "cannot read directory",
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    match entries.as_slice() {
        [only] if only.join(MANIFEST_FILE).is_file() => Ok(only.clone()),
        _ => Err(PluginOpError::UnsupportedSource {
            path: dir.to_path_buf(),
        }),
    }
}

/// Extracts a gzip'd tar into `dest`, accepting only regular files and directories whose
/// relative paths have no `..`, root or prefix components.
fn extract_tgz(archive: &Path, dest: &Path) -> Result<(), PluginOpError> {
    let io = |path: &Path, what| {
        let path = path.to_path_buf();
        move |source| PluginOpError::Io { path, what, source }
    };
    let file = std::fs::File::open(archive).map_err(io(archive, "cannot open archive"))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(dest).map_err(io(dest, "cannot create directory"))?;
    let entries = tar.entries().map_err(io(archive, "cannot read archive"))?;
    for entry in entries {
        let mut entry = entry.map_err(io(archive, "cannot read archive"))?;
        let raw = entry
            .path()
            .map_err(io(archive, "cannot read archive"))?
            .into_owned();
        let unsafe_entry = |reason| PluginOpError::UnsafeArchiveEntry {
            archive: archive.to_path_buf(),
            entry: raw.to_string_lossy().into_owned(),
            reason,
        };
        let mut rel = PathBuf::new();
        for component in raw.components() {
            match component {
                Component::Normal(part) => rel.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(unsafe_entry("path escapes the archive")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(unsafe_entry("absolute path"));
                }
            }
        }
        let ty = entry.header().entry_type();
        let target = dest.join(&rel);
        if ty.is_dir() {
            std::fs::create_dir_all(&target).map_err(io(&target, "cannot create directory"))?;
        } else if ty.is_file() {
            if rel.as_os_str().is_empty() {
                return Err(unsafe_entry("empty file name"));
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent, "cannot create directory"))?;
            }
            let mut data = Vec::new();
            entry
                .read_to_end(&mut data)
                .map_err(io(archive, "cannot read archive"))?;
            std::fs::write(&target, data).map_err(io(&target, "cannot write"))?;
            // Keep executables executable (subprocess plugins ship scripts and binaries);
            // nothing else of the archive's mode is kept (no setuid, no group/world write).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                let mode = if executable { 0o755 } else { 0o644 };
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                    .map_err(io(&target, "cannot set permissions"))?;
            }
        } else if ty.is_pax_global_extensions() || ty.is_pax_local_extensions() {
            continue;
        } else {
            return Err(unsafe_entry("not a regular file or directory"));
        }
    }
    Ok(())
}

/// One row of `plugin list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRow {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// `cli/v1`, `getter/v1` or `postrenderer/v1`.
    pub plugin_type: String,
    /// Manifest apiVersion (`v1`, or `legacy`).
    pub api_version: String,
    /// Provenance: `local dev`, `unsigned`, `invalid provenance`, `mismatched provenance`,
    /// `signed` or `unknown` ([`crate::plugin_provenance::status`]).
    pub provenance: String,
    /// The manifest's `sourceURL`, or `unknown`.
    pub source: String,
    /// `extism/v1` (sandboxed) or `subprocess (unsandboxed)`.
    pub runtime: String,
}

/// The installed plugins, optionally only those of `plugin_type`, sorted by name.
pub fn list(plugins: &Plugins, plugin_type: Option<PluginType>) -> Vec<PluginRow> {
    let mut rows: Vec<PluginRow> = plugins
        .installed
        .iter()
        .filter(|p| plugin_type.is_none_or(|t| p.metadata.plugin_type == t))
        .map(|p| {
            let mut r = row(&p.metadata);
            // --- provenance commands ---
            if let Some(dir) = &plugins.options.plugins_dir {
                r.provenance = crate::plugin_provenance::status(dir, p).to_string();
            }
            r
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

fn row(m: &Metadata) -> PluginRow {
    PluginRow {
        name: m.name.clone(),
        version: m.version.clone(),
        plugin_type: m.plugin_type.as_str().to_string(),
        api_version: match m.api_version {
            manifest::ApiVersion::V1 => "v1".to_string(),
            manifest::ApiVersion::Legacy => "legacy".to_string(),
        },
        provenance: "unknown".to_string(),
        source: m
            .source_url
            .clone()
            .unwrap_or_else(|| "unknown".to_string()),
        runtime: match m.runtime {
            RuntimeKind::ExtismV1 => "extism/v1".to_string(),
            RuntimeKind::Subprocess => "subprocess (unsandboxed)".to_string(),
        },
    }
}

/// Runs the `event` hook of an installed subprocess plugin (nothing for `extism/v1` plugins
/// or manifests without that hook). `env` is the candidate environment.
pub fn run_hook(
    plugin: &InstalledPlugin,
    event: HookEvent,
    env: &[(String, String)],
) -> Result<(), PluginOpError> {
    if plugin.metadata.runtime != RuntimeKind::Subprocess {
        return Ok(());
    }
    SubprocessPlugin::new(&plugin.dir, plugin.metadata.clone())?.run_hook(event, env)?;
    Ok(())
}

/// Removes the installed plugin `name` and returns its directory. A subprocess plugin's
/// `delete` hook runs first; if it fails, the plugin stays installed.
pub fn uninstall(plugins: &Plugins, name: &str) -> Result<PathBuf, PluginOpError> {
    let dir = plugins
        .options
        .plugins_dir
        .clone()
        .ok_or_else(|| PluginOpError::Disabled {
            name: name.to_string(),
        })?;
    let plugin = plugins.find(name).ok_or_else(|| PluginOpError::NotFound {
        name: name.to_string(),
        dir: dir.clone(),
    })?;
    run_hook(plugin, HookEvent::Delete, &plugins.options.env)?;
    std::fs::remove_dir_all(&plugin.dir).map_err(|source| PluginOpError::Io {
        path: plugin.dir.clone(),
        what: "cannot remove the plugin",
        source,
    })?;
    crate::plugin_source::remove_record(&dir, name);
    crate::plugin_provenance::forget(&dir, name); // --- provenance commands ---
    Ok(plugin.dir.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .tgz holding one file at `name`, written with a raw header so that unsafe names
    /// (which the tar crate's builder refuses) can be produced.
    fn tgz_with_entry(dir: &Path, name: &str) -> PathBuf {
        let data = b"apiVersion: v1\n";
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        let path = dir.join("evil.tgz");
        let file = std::fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        builder.append(&header, &data[..]).unwrap();
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn archives_escaping_the_destination_are_rejected() {
        for (name, reason) in [
            ("../escape/plugin.yaml", "path escapes the archive"),
            ("/etc/plugin.yaml", "absolute path"),
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let archive = tgz_with_entry(tmp.path(), name);
            let plugins_dir = tmp.path().join("plugins");
            let err = install(&InstallPluginOptions {
                source: archive.clone(),
                plugins_dir: plugins_dir.clone(),
                verify: false,
                keyring: None,
            })
            .unwrap_err();
            let message = err.to_string();
            assert!(message.contains(reason), "{message}");
            assert!(message.contains(name), "{message}");
            assert!(!tmp.path().join("escape").exists());
            // The staging directory is cleaned up.
            assert_eq!(std::fs::read_dir(&plugins_dir).unwrap().count(), 0);
        }
    }

    #[test]
    fn verification_requires_a_provenance_file() {
        let tmp = tempfile::tempdir().unwrap();
        let archive = tgz_with_entry(tmp.path(), "plugin.yaml");
        let err = install(&InstallPluginOptions {
            source: archive,
            plugins_dir: tmp.path().join("plugins"),
            verify: true,
            keyring: Some(tmp.path().join("pubring.gpg")),
        })
        .unwrap_err();
        assert!(matches!(err, PluginOpError::Provenance(_)), "{err}");
        assert!(err.to_string().contains("evil.tgz.prov"), "{err}");
        assert!(!tmp.path().join("plugins").exists());
    }
}
