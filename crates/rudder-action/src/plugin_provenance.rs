//! Plugin provenance, as Helm 4 does it: `plugin package` (a `<name>-<version>.tgz` whose
//! top directory is `<name>/`, plus `<name>-<version>.tgz.prov`), `plugin verify`,
//! verification of a tarball before `plugin install`, and the PROVENANCE column of
//! `plugin list`.
//!
//! The `.prov` body is the plugin's metadata as Helm marshals its internal `Metadata` struct
//! (Go field names, keys sorted: `APIVersion`, `Config`, `Name`, `Runtime`, `RuntimeConfig`,
//! `SourceURL`, `Type`, `Version`), then `...` and the tarball's sha256
//! ([`rudder_provenance::ProvBody`]).
//!
//! **Install record.** `plugin install` verifies a tarball (when asked) before anything is
//! written, then keeps what `list` needs in `<plugins dir>/.rudder-provenance/`: a copy of
//! the installed tarball and its `.prov`, or a `<name>.local-dev` marker for a plugin
//! installed from a directory (Helm symlinks those and calls them "local dev"; Rudder copies
//! them, so the marker says what the symlink says for Helm). `list` derives the status from
//! these files as Helm does from its own: `local dev`, `unsigned` (no `.prov`), `invalid
//! provenance` (not a clear-signed message), `mismatched provenance` (no digest, or not the
//! kept tarball's), `signed`, or `unknown` (nothing recorded: installed by other means).
//! Like Helm's, the column checks the form of the provenance, not the signer: the signer
//! was checked against the keyring at install time.
//!
//! This module reads no environment variable: the CLI resolves the default keyring.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rudder_plugin::manifest::{
    self, ApiVersion, MANIFEST_FILE, Metadata, RuntimeConfig, TypeConfig,
};
use rudder_plugin::{InstalledPlugin, PluginError};
use rudder_provenance::{Keyring, ProvBody, ProvenanceError, Verified};
use rudder_values::goyaml::{self, Node};

use crate::package::SigningOptions;

/// The directory under the plugins directory holding install-time provenance records.
pub const PROVENANCE_DIR: &str = ".rudder-provenance";

/// Why packaging or verifying a plugin failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginProvenanceError {
    /// Signing or verification failed (keyring, signature, digest).
    #[error(transparent)]
    Provenance(#[from] ProvenanceError),
    /// The plugin manifest is invalid.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// A file could not be read or written.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The path is not a plugin directory.
    #[error("{}: not a plugin directory (no plugin.yaml)", path.display())]
    NotAPlugin {
        /// The path given.
        path: PathBuf,
    },
    /// A directory was given to `verify` and no tarball was kept for it at install time.
    #[error(
        "{}: directory verification not supported - only plugin tarballs (or plugins installed from one) can be verified",
        path.display()
    )]
    DirectoryNotVerifiable {
        /// The directory.
        path: PathBuf,
    },
}

fn io_error(
    path: &Path,
    what: &'static str,
) -> impl FnOnce(std::io::Error) -> PluginProvenanceError {
    let path = path.to_path_buf();
    move |source| PluginProvenanceError::Io { path, what, source }
}

/// Options of [`package`].
#[derive(Debug, Clone, Default)]
pub struct PluginPackageOptions {
    /// Directory to write the tarball (and provenance) to.
    pub destination: PathBuf,
    /// Sign the tarball (Helm's default); `None` writes an unsigned tarball.
    pub sign: Option<SigningOptions>,
}

/// What [`package`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginPackage {
    /// `<destination>/<name>-<version>.tgz`.
    pub archive: PathBuf,
    /// `<archive>.prov`, when signed.
    pub provenance: Option<PathBuf>,
}

/// Packages the plugin directory `dir` as `<name>-<version>.tgz` (entries under `<name>/`,
/// in lexical order, modes and modification times kept, owner 0/0) and, when signing, writes
/// `<archive>.prov`. Nothing is written when signing fails. Symbolic links and special files
/// are skipped with a warning.
pub fn package(
    dir: &Path,
    opts: &PluginPackageOptions,
) -> Result<PluginPackage, PluginProvenanceError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    if !manifest_path.is_file() {
        return Err(PluginProvenanceError::NotAPlugin {
            path: dir.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(io_error(&manifest_path, "cannot read the plugin manifest"))?;
    let metadata =
        manifest::parse(&text, &manifest_path.to_string_lossy()).map_err(PluginError::from)?;
    let file_name = format!("{}-{}.tgz", metadata.name, metadata.version);
    let bytes = tarball(dir, &metadata.name)?;
    let signed = match &opts.sign {
        Some(sign) => {
            let keyring = Keyring::load(&sign.keyring)?;
            let body = ProvBody::for_archive(metadata_yaml(&metadata, &text), &file_name, &bytes);
            Some(rudder_provenance::sign(
                &body,
                &keyring,
                &sign.key,
                sign.passphrase.as_deref(),
            )?)
        }
        None => None,
    };
    std::fs::create_dir_all(&opts.destination)
        .map_err(io_error(&opts.destination, "cannot create directory"))?;
    let archive = opts.destination.join(&file_name);
    std::fs::write(&archive, &bytes).map_err(io_error(&archive, "cannot write"))?;
    let provenance = match signed {
        Some(text) => {
            let prov = rudder_provenance::prov_path(&archive);
            std::fs::write(&prov, text).map_err(io_error(&prov, "cannot write"))?;
            Some(prov)
        }
        None => None,
    };
    Ok(PluginPackage {
        archive,
        provenance,
    })
}

/// The gzip'd tar of `dir` with every entry under `<name>/`.
fn tarball(dir: &Path, name: &str) -> Result<Vec<u8>, PluginProvenanceError> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    append_dir(&mut builder, dir, Path::new(name))?;
    let gz = builder
        .into_inner()
        .map_err(io_error(dir, "cannot write the tarball"))?;
    gz.finish()
        .map_err(io_error(dir, "cannot write the tarball"))
}

fn header_for(meta: &std::fs::Metadata, entry_type: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(entry_type);
    header.set_size(size);
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        meta.permissions().mode() & 0o777
    };
    #[cfg(not(unix))]
    let mode = if entry_type.is_dir() { 0o755 } else { 0o644 };
    header.set_mode(mode);
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn append_dir(
    builder: &mut tar::Builder<flate2::write::GzEncoder<Vec<u8>>>,
    dir: &Path,
    name: &Path,
) -> Result<(), PluginProvenanceError> {
    let meta = std::fs::metadata(dir).map_err(io_error(dir, "cannot stat"))?;
    let mut header = header_for(&meta, tar::EntryType::Directory, 0);
    builder
        .append_data(&mut header, name, std::io::empty())
        .map_err(io_error(dir, "cannot write the tarball"))?;
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(io_error(dir, "cannot read directory"))?
        .collect::<Result<_, _>>()
        .map_err(io_error(dir, "cannot read directory"))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ty = entry.file_type().map_err(io_error(&path, "cannot stat"))?;
        let entry_name = name.join(entry.file_name());
        if ty.is_dir() {
            append_dir(builder, &path, &entry_name)?;
        } else if ty.is_file() {
            let meta = entry.metadata().map_err(io_error(&path, "cannot stat"))?;
            let data = std::fs::read(&path).map_err(io_error(&path, "cannot read"))?;
            let mut header = header_for(&meta, tar::EntryType::Regular, data.len() as u64);
            builder
                .append_data(&mut header, &entry_name, data.as_slice())
                .map_err(io_error(&path, "cannot write the tarball"))?;
        } else {
            tracing::warn!(
                "skipping {} (not a regular file or directory)",
                path.display()
            );
        }
    }
    Ok(())
}

/// The plugin metadata as Helm writes it into a `.prov`: its internal `Metadata` struct
/// marshalled by `sigs.k8s.io/yaml` (Go field names, no `omitempty`, so empty values show
/// as `""`, `0`, `false` or `null`). `manifest_text` is the plugin.yaml the metadata was
/// parsed from; it tells which optional fields were actually given.
pub fn metadata_yaml(m: &Metadata, manifest_text: &str) -> String {
    let raw = rudder_values::yaml::from_str(manifest_text, MANIFEST_FILE).unwrap_or_default();
    let raw_runtime = raw.get("runtimeConfig");
    let str_node = |s: &str| Node::Str(s.to_string());
    let list = |v: &[String]| {
        if v.is_empty() {
            Node::Null
        } else {
            Node::Seq(v.iter().map(|s| str_node(s)).collect())
        }
    };
    let platform_commands = |cmds: &[manifest::PlatformCommand]| {
        if cmds.is_empty() {
            return Node::Null;
        }
        Node::Seq(
            cmds.iter()
                .map(|c| {
                    Node::Map(vec![
                        ("Architecture".into(), str_node(&c.arch)),
                        ("Args".into(), list(&c.args)),
                        ("Command".into(), str_node(&c.command)),
                        ("OperatingSystem".into(), str_node(&c.os)),
                    ])
                })
                .collect(),
        )
    };
    let config = match &m.config {
        TypeConfig::Cli(c) => Node::Map(vec![
            ("IgnoreFlags".into(), Node::Bool(c.ignore_flags)),
            ("LongHelp".into(), str_node(&c.long_help)),
            ("ShortHelp".into(), str_node(&c.short_help)),
            ("Usage".into(), str_node(&c.usage)),
        ]),
        TypeConfig::Getter(g) => Node::Map(vec![("Protocols".into(), list(&g.protocols))]),
        TypeConfig::PostRenderer => Node::Map(Vec::new()),
    };
    let runtime_config = match &m.runtime_config {
        RuntimeConfig::Subprocess(s) => Node::Map(vec![
            (
                "PlatformCommand".into(),
                platform_commands(&s.platform_command),
            ),
            (
                "PlatformHooks".into(),
                if s.platform_hooks.is_empty() {
                    Node::Null
                } else {
                    Node::Map(
                        s.platform_hooks
                            .iter()
                            .map(|(event, cmds)| (event.clone(), platform_commands(cmds)))
                            .collect(),
                    )
                },
            ),
            (
                "ProtocolCommands".into(),
                if s.protocol_commands.is_empty() {
                    Node::Null
                } else {
                    Node::Seq(
                        s.protocol_commands
                            .iter()
                            .map(|p| {
                                Node::Map(vec![
                                    (
                                        "PlatformCommand".into(),
                                        platform_commands(&p.platform_command),
                                    ),
                                    ("Protocols".into(), list(&p.protocols)),
                                ])
                            })
                            .collect(),
                    )
                },
            ),
        ]),
        RuntimeConfig::Extism(e) => {
            // The parser fills in the default entry function; Helm keeps what was written.
            let entry = raw_runtime
                .and_then(|r| r.get("entryFuncName"))
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            Node::Map(vec![
                ("AllowedHosts".into(), list(&e.allowed_hosts)),
                (
                    "Config".into(),
                    if e.config.is_empty() {
                        Node::Null
                    } else {
                        Node::Map(
                            e.config
                                .iter()
                                .map(|(k, v)| (k.clone(), str_node(v)))
                                .collect(),
                        )
                    },
                ),
                ("EntryFuncName".into(), str_node(entry)),
                (
                    "FileSystem".into(),
                    Node::Map(vec![(
                        "CreateTempDir".into(),
                        Node::Bool(e.file_system.create_temp_dir),
                    )]),
                ),
                ("HostFunctions".into(), list(&e.host_functions)),
                (
                    "Memory".into(),
                    Node::Map(vec![
                        (
                            "MaxHTTPResponseBytes".into(),
                            Node::Int(e.memory.max_http_response_bytes.unwrap_or(0).into()),
                        ),
                        (
                            "MaxPages".into(),
                            Node::Int(e.memory.max_pages.unwrap_or(0).into()),
                        ),
                        (
                            "MaxVarBytes".into(),
                            Node::Int(e.memory.max_var_bytes.unwrap_or(0).into()),
                        ),
                    ]),
                ),
                ("Timeout".into(), Node::Int(e.timeout.unwrap_or(0).into())),
            ])
        }
    };
    let api_version = match m.api_version {
        ApiVersion::V1 => "v1",
        ApiVersion::Legacy => "legacy",
    };
    goyaml::to_string(&Node::Map(vec![
        ("APIVersion".into(), str_node(api_version)),
        ("Config".into(), config),
        ("Name".into(), str_node(&m.name)),
        ("Runtime".into(), str_node(m.runtime.as_str())),
        ("RuntimeConfig".into(), runtime_config),
        (
            "SourceURL".into(),
            str_node(m.source_url.as_deref().unwrap_or_default()),
        ),
        ("Type".into(), str_node(m.plugin_type.as_str())),
        ("Version".into(), str_node(&m.version)),
    ]))
}

/// A successful plugin verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginVerification {
    /// The tarball that was checked.
    pub archive: PathBuf,
    /// The signature's signer and body.
    pub verified: Verified,
    /// `sha256:<hex>` of the tarball.
    pub file_hash: String,
}

/// Verifies a plugin tarball against `<tarball>.prov` with the public keys of `keyring`.
/// For an installed plugin's directory, the tarball kept at install time is verified (Helm
/// cannot verify directories at all).
pub fn verify(path: &Path, keyring: &Path) -> Result<PluginVerification, PluginProvenanceError> {
    let archive = if path.is_dir() {
        kept_tarball(path).ok_or_else(|| PluginProvenanceError::DirectoryNotVerifiable {
            path: path.to_path_buf(),
        })?
    } else {
        path.to_path_buf()
    };
    let prov = rudder_provenance::prov_path(&archive);
    if !prov.is_file() {
        return Err(ProvenanceError::MissingProvenance { path: prov }.into());
    }
    let keyring = Keyring::load(keyring)?;
    let verified = rudder_provenance::verify_archive(&archive, &prov, &keyring)?;
    let name = file_name(&archive);
    let file_hash = verified.body.files.get(&name).cloned().unwrap_or_default();
    Ok(PluginVerification {
        archive,
        verified,
        file_hash,
    })
}

/// The tarball kept when the plugin in `dir` was installed:
/// `<plugins dir>/.rudder-provenance/<name>-<version>.tgz`.
fn kept_tarball(dir: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dir.join(MANIFEST_FILE)).ok()?;
    let m = manifest::parse(&text, MANIFEST_FILE).ok()?;
    let kept = dir
        .parent()?
        .join(PROVENANCE_DIR)
        .join(format!("{}-{}.tgz", m.name, m.version));
    kept.is_file().then_some(kept)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Verifies `source` (a tarball about to be installed) against `<source>.prov` with
/// `keyring`: the install-time check of `plugin install --verify`.
pub fn verify_for_install(
    source: &Path,
    keyring: &Path,
) -> Result<PluginVerification, PluginProvenanceError> {
    let verification = verify(source, keyring)?;
    tracing::info!(
        signer = %verification.verified.signer,
        fingerprint = %verification.verified.fingerprint,
        "plugin signature verified"
    );
    Ok(verification)
}

/// How an installed plugin came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallKind {
    /// Copied from a local directory ("local dev").
    Directory,
    /// Extracted from a tarball (whose `.prov`, if any, sits beside it).
    Tarball,
}

/// Records what `list` needs after a successful install of `metadata` from `source` (see
/// the [module docs](self)). Replaces any earlier record of the same plugin.
pub fn record_install(
    plugins_dir: &Path,
    metadata: &Metadata,
    source: &Path,
    kind: InstallKind,
) -> Result<(), PluginProvenanceError> {
    forget(plugins_dir, &metadata.name);
    let dir = plugins_dir.join(PROVENANCE_DIR);
    std::fs::create_dir_all(&dir).map_err(io_error(&dir, "cannot create directory"))?;
    match kind {
        InstallKind::Directory => {
            let marker = dir.join(format!("{}.local-dev", metadata.name));
            let mut file =
                std::fs::File::create(&marker).map_err(io_error(&marker, "cannot write"))?;
            writeln!(file, "{}", source.display()).map_err(io_error(&marker, "cannot write"))?;
        }
        InstallKind::Tarball => {
            let kept = dir.join(format!("{}-{}.tgz", metadata.name, metadata.version));
            std::fs::copy(source, &kept).map_err(io_error(&kept, "cannot copy the tarball"))?;
            let prov = rudder_provenance::prov_path(source);
            if prov.is_file() {
                let kept_prov = rudder_provenance::prov_path(&kept);
                std::fs::copy(&prov, &kept_prov)
                    .map_err(io_error(&kept_prov, "cannot copy the provenance"))?;
            }
        }
    }
    Ok(())
}

/// Removes what [`record_install`] kept for plugin `name` (nothing if there is none).
pub fn forget(plugins_dir: &Path, name: &str) {
    let dir = plugins_dir.join(PROVENANCE_DIR);
    let _ = std::fs::remove_file(dir.join(format!("{name}.local-dev")));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let stem = file
            .strip_suffix(".tgz.prov")
            .or_else(|| file.strip_suffix(".tgz"));
        // `<name>-<version>`: the version starts with a digit (strict SemVer).
        let ours = stem
            .and_then(|s| s.strip_prefix(name))
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()));
        if ours {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The PROVENANCE column of `plugin list` (Helm's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvenanceStatus {
    /// Installed from a directory (a symlink, for plugins Helm installed).
    LocalDev,
    /// Installed from a tarball without a `.prov`.
    Unsigned,
    /// The `.prov` is not a clear-signed message.
    InvalidProvenance,
    /// The `.prov` lists no digest, or not the installed tarball's.
    MismatchedProvenance,
    /// A well-formed `.prov` for the installed tarball (checked against the keyring at
    /// install time).
    Signed,
    /// Nothing was recorded at install time.
    Unknown,
}

impl ProvenanceStatus {
    /// Helm's text for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            ProvenanceStatus::LocalDev => "local dev",
            ProvenanceStatus::Unsigned => "unsigned",
            ProvenanceStatus::InvalidProvenance => "invalid provenance",
            ProvenanceStatus::MismatchedProvenance => "mismatched provenance",
            ProvenanceStatus::Signed => "signed",
            ProvenanceStatus::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ProvenanceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provenance status of an installed plugin (see the [module docs](self)).
pub fn status(plugins_dir: &Path, plugin: &InstalledPlugin) -> ProvenanceStatus {
    let is_link = std::fs::symlink_metadata(&plugin.dir).is_ok_and(|m| m.file_type().is_symlink());
    let dir = plugins_dir.join(PROVENANCE_DIR);
    let m = &plugin.metadata;
    if is_link || dir.join(format!("{}.local-dev", m.name)).is_file() {
        return ProvenanceStatus::LocalDev;
    }
    let kept = dir.join(format!("{}-{}.tgz", m.name, m.version));
    if !kept.is_file() {
        return ProvenanceStatus::Unknown;
    }
    let prov_text = match std::fs::read_to_string(rudder_provenance::prov_path(&kept)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ProvenanceStatus::Unsigned,
        Err(_) => return ProvenanceStatus::Unknown,
    };
    let Ok(signed_text) = rudder_provenance::unverified_text(&prov_text) else {
        return ProvenanceStatus::InvalidProvenance;
    };
    let body = match ProvBody::parse(&signed_text) {
        Ok(body) if !body.files.is_empty() => body,
        _ => return ProvenanceStatus::MismatchedProvenance,
    };
    let Ok(bytes) = std::fs::read(&kept) else {
        return ProvenanceStatus::Unknown;
    };
    let digest = rudder_provenance::sha256_digest(&bytes);
    if body.files.get(&file_name(&kept)) == Some(&digest) {
        ProvenanceStatus::Signed
    } else {
        ProvenanceStatus::MismatchedProvenance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_yaml_matches_helms_marshalling() {
        // Expected texts are Helm 4.1.4's `.prov` bodies for these manifests.
        let cli = "apiVersion: v1\nname: myplug\nversion: 0.2.0\ntype: cli/v1\nruntime: subprocess\nsourceURL: https://example.com/x\nconfig:\n  usage: myplug\n  shortHelp: short help\nruntimeConfig:\n  platformCommand:\n    - command: echo\n      args: [\"hi\"]\n";
        let m = manifest::parse(cli, "plugin.yaml").unwrap();
        assert_eq!(
            metadata_yaml(&m, cli),
            "APIVersion: v1\nConfig:\n  IgnoreFlags: false\n  LongHelp: \"\"\n  ShortHelp: short help\n  Usage: myplug\nName: myplug\nRuntime: subprocess\nRuntimeConfig:\n  PlatformCommand:\n  - Architecture: \"\"\n    Args:\n    - hi\n    Command: echo\n    OperatingSystem: \"\"\n  PlatformHooks: null\n  ProtocolCommands: null\nSourceURL: https://example.com/x\nType: cli/v1\nVersion: 0.2.0\n"
        );
        let wasm = "apiVersion: v1\nname: prplug\nversion: 1.0.0\ntype: postrenderer/v1\nruntime: extism/v1\n";
        let m = manifest::parse(wasm, "plugin.yaml").unwrap();
        assert_eq!(
            metadata_yaml(&m, wasm),
            "APIVersion: v1\nConfig: {}\nName: prplug\nRuntime: extism/v1\nRuntimeConfig:\n  AllowedHosts: null\n  Config: null\n  EntryFuncName: \"\"\n  FileSystem:\n    CreateTempDir: false\n  HostFunctions: null\n  Memory:\n    MaxHTTPResponseBytes: 0\n    MaxPages: 0\n    MaxVarBytes: 0\n  Timeout: 0\nSourceURL: \"\"\nType: postrenderer/v1\nVersion: 1.0.0\n"
        );
    }

    #[test]
    fn forget_removes_only_that_plugins_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(PROVENANCE_DIR);
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "a-1.0.0.tgz",
            "a-1.0.0.tgz.prov",
            "a-b-1.0.0.tgz",
            "a.local-dev",
        ] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        forget(tmp.path(), "a");
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["a-b-1.0.0.tgz".to_string()]);
    }
}
