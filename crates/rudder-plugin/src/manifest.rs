//! `plugin.yaml`: Helm 4's apiVersion `v1` format and the legacy (Helm 3) format.
//!
//! Both are read into one normalised [`Metadata`]. Parsing is strict: an unknown key at the top
//! level, in `config` or in a legacy manifest is an error naming the key, file, line and column.
//! `runtimeConfig` is read leniently, as Helm does (unknown keys are logged and ignored), so a
//! manifest written for a newer Helm still loads.
//!
//! Legacy manifests become `getter/v1` when they declare `downloaders`, otherwise `cli/v1`; their
//! runtime is always `subprocess` (Helm's conversion).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::error::ManifestError;

/// The file name of a plugin's manifest inside its directory.
pub const MANIFEST_FILE: &str = "plugin.yaml";

/// The entry point called when `runtimeConfig.entryFuncName` is not set.
pub const DEFAULT_ENTRY_FUNC: &str = "helm_plugin_main";

/// Which manifest format a plugin was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// Helm 4's `apiVersion: v1`.
    V1,
    /// Helm 3's format (no `apiVersion`), deprecated by Helm 4.
    Legacy,
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApiVersion::V1 => "v1",
            ApiVersion::Legacy => "legacy",
        })
    }
}

/// What a plugin does (its message protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginType {
    /// `cli/v1`: a `rudder <name>` subcommand.
    Cli,
    /// `getter/v1`: downloads charts for custom URL schemes.
    Getter,
    /// `postrenderer/v1`: rewrites rendered manifests.
    PostRenderer,
}

impl PluginType {
    /// The type as written in `plugin.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Cli => "cli/v1",
            PluginType::Getter => "getter/v1",
            PluginType::PostRenderer => "postrenderer/v1",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "cli/v1" => Some(PluginType::Cli),
            "getter/v1" => Some(PluginType::Getter),
            "postrenderer/v1" => Some(PluginType::PostRenderer),
            _ => None,
        }
    }
}

impl fmt::Display for PluginType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// A native command with the user's full rights (not sandboxed).
    Subprocess,
    /// A WebAssembly module speaking the Extism ABI, run in Rudder's sandbox.
    ExtismV1,
}

impl RuntimeKind {
    /// The runtime as written in `plugin.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuntimeKind::Subprocess => "subprocess",
            RuntimeKind::ExtismV1 => "extism/v1",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "subprocess" => Some(RuntimeKind::Subprocess),
            "extism/v1" => Some(RuntimeKind::ExtismV1),
            _ => None,
        }
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed and validated plugin manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The manifest format.
    pub api_version: ApiVersion,
    /// Plugin name (`^[A-Za-z0-9_-]+$`).
    pub name: String,
    /// Plugin version (strict SemVer for v1; free text for legacy manifests).
    pub version: String,
    /// The plugin's type.
    pub plugin_type: PluginType,
    /// The plugin's runtime.
    pub runtime: RuntimeKind,
    /// `sourceURL`, if given.
    pub source_url: Option<String>,
    /// Type-specific configuration (`config`).
    pub config: TypeConfig,
    /// Runtime-specific configuration (`runtimeConfig`).
    pub runtime_config: RuntimeConfig,
}

/// `config` of a v1 manifest, by plugin type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeConfig {
    /// `cli/v1` configuration.
    Cli(CliConfig),
    /// `getter/v1` configuration.
    Getter(GetterConfig),
    /// `postrenderer/v1` has no configuration.
    PostRenderer,
}

/// `config` of a `cli/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CliConfig {
    /// One-line usage (`helm plugin list` / help).
    #[serde(default)]
    pub usage: String,
    /// Short help shown in the command list.
    #[serde(default)]
    pub short_help: String,
    /// Long help shown by `rudder help <name>`.
    #[serde(default)]
    pub long_help: String,
    /// When true, Rudder's global flags are not passed to the plugin.
    #[serde(default)]
    pub ignore_flags: bool,
}

/// `config` of a `getter/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetterConfig {
    /// URL schemes served by the plugin (at least one).
    #[serde(default)]
    pub protocols: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostRendererConfig {}

/// `runtimeConfig`, by runtime.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeConfig {
    /// `subprocess` settings.
    Subprocess(SubprocessConfig),
    /// `extism/v1` settings.
    Extism(ExtismConfig),
}

/// A command for one platform (`platformCommand` entries).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformCommand {
    /// GOOS-style operating system (`linux`, `darwin`, `windows`); empty matches any.
    #[serde(default)]
    pub os: String,
    /// GOARCH-style architecture (`amd64`, `arm64`); empty matches any.
    #[serde(default)]
    pub arch: String,
    /// The command to run.
    #[serde(default)]
    pub command: String,
    /// Arguments placed before the user's arguments.
    #[serde(default)]
    pub args: Vec<String>,
}

/// `protocolCommands` entries (deprecated by Helm, still read).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolCommand {
    /// URL schemes this command serves.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// Commands per platform.
    #[serde(default)]
    pub platform_command: Vec<PlatformCommand>,
}

/// `runtimeConfig` of a `subprocess` plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubprocessConfig {
    /// Commands per platform.
    #[serde(default)]
    pub platform_command: Vec<PlatformCommand>,
    /// Hook commands per event (`install`, `update`, `delete`).
    #[serde(default)]
    pub platform_hooks: BTreeMap<String, Vec<PlatformCommand>>,
    /// Getter commands per protocol (deprecated).
    #[serde(default)]
    pub protocol_commands: Vec<ProtocolCommand>,
    /// Whether `$VAR`s in hook arguments are expanded. Helm expands them only for legacy
    /// manifests written with `platformHooks`; v1 manifests and legacy `hooks` (run as
    /// `sh -c CMD`, so the shell expands them) keep them literal. Not a manifest key.
    #[serde(skip)]
    pub expand_hook_args: bool,
    /// Keys Rudder does not know (ignored, as Helm does).
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// `runtimeConfig.memory` of an `extism/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtismMemory {
    /// Memory limit in 64 KiB pages (guest memory plus the kernel arena).
    #[serde(default)]
    pub max_pages: Option<u32>,
    /// Largest HTTP response body the plugin may receive.
    #[serde(default)]
    pub max_http_response_bytes: Option<u64>,
    /// Largest total size of the plugin's variables (`var_set`).
    #[serde(default)]
    pub max_var_bytes: Option<u64>,
}

/// `runtimeConfig.fileSystem` of an `extism/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtismFileSystem {
    /// Mount a private, per-call temporary directory at guest `/tmp`.
    #[serde(default)]
    pub create_temp_dir: bool,
}

/// `runtimeConfig` of an `extism/v1` plugin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtismConfig {
    /// Memory limits.
    #[serde(default)]
    pub memory: ExtismMemory,
    /// Values returned by the `config_get` host function.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Host name globs `http_request` may reach (`*` matches any run of characters).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Filesystem access.
    #[serde(default)]
    pub file_system: ExtismFileSystem,
    /// Wall-clock limit of one call, in milliseconds.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Host functions the plugin imports (Helm registers none; neither does Rudder).
    #[serde(default)]
    pub host_functions: Vec<String>,
    /// The exported function to call.
    #[serde(default = "default_entry")]
    pub entry_func_name: String,
    /// Rudder extension: names of extra environment variables the plugin may read (secret
    /// names are still withheld; see [`crate::sandbox`]). Helm ignores this key.
    #[serde(default)]
    pub env: Vec<String>,
    /// Keys Rudder does not know (ignored, as Helm does).
    #[serde(flatten)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

impl Default for ExtismConfig {
    fn default() -> Self {
        ExtismConfig {
            memory: ExtismMemory::default(),
            config: BTreeMap::new(),
            allowed_hosts: Vec::new(),
            file_system: ExtismFileSystem::default(),
            timeout: None,
            host_functions: Vec::new(),
            entry_func_name: default_entry(),
            env: Vec::new(),
            unknown: BTreeMap::new(),
        }
    }
}

fn default_entry() -> String {
    DEFAULT_ENTRY_FUNC.to_string()
}

/// Top-level keys read first to pick the format, type and runtime.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "apiVersion", default)]
    api_version: Option<String>,
    #[serde(rename = "type", default)]
    plugin_type: Option<String>,
    #[serde(default)]
    runtime: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawV1<C, R> {
    #[serde(rename = "apiVersion")]
    _api_version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(rename = "type")]
    _plugin_type: String,
    #[serde(rename = "runtime")]
    _runtime: String,
    #[serde(rename = "sourceURL", default)]
    source_url: Option<String>,
    #[serde(default = "Option::default")]
    config: Option<C>,
    #[serde(rename = "runtimeConfig", default = "Option::default")]
    runtime_config: Option<R>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLegacy {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    usage: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    ignore_flags: bool,
    #[serde(default)]
    command: String,
    #[serde(default)]
    platform_command: Vec<PlatformCommand>,
    #[serde(default)]
    hooks: BTreeMap<String, String>,
    #[serde(default)]
    platform_hooks: BTreeMap<String, Vec<PlatformCommand>>,
    #[serde(default)]
    downloaders: Vec<LegacyDownloader>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyDownloader {
    #[serde(default)]
    command: String,
    #[serde(default)]
    protocols: Vec<String>,
}

/// Parses and validates a `plugin.yaml`. `origin` names the file in errors.
pub fn parse(text: &str, origin: &str) -> Result<Metadata, ManifestError> {
    let probe: Probe = from_yaml(text, origin)?;
    let metadata = match probe.api_version.as_deref() {
        None | Some("") => parse_legacy(text, origin)?,
        Some("v1") => parse_v1(text, origin, &probe)?,
        Some(other) => {
            return Err(invalid(
                origin,
                "apiVersion",
                format!("unsupported value {other:?} (expected \"v1\", or none for legacy)"),
            ));
        }
    };
    validate(&metadata, origin)?;
    Ok(metadata)
}

/// Parses YAML with go-yaml v2's rules as far as serde-saphyr allows (legacy octal numbers,
/// duplicate keys: last wins), like the rest of Rudder; errors carry file, line and column.
fn from_yaml<T: serde::de::DeserializeOwned>(text: &str, origin: &str) -> Result<T, ManifestError> {
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| {
        let location = e.location().map(|l| (l.line(), l.column()));
        let message = e
            .without_snippet()
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid YAML")
            .to_string();
        ManifestError::Yaml {
            origin: origin.to_string(),
            location,
            message,
        }
    })
}

fn invalid(origin: &str, field: &str, reason: impl Into<String>) -> ManifestError {
    ManifestError::Invalid {
        origin: origin.to_string(),
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn parse_v1(text: &str, origin: &str, probe: &Probe) -> Result<Metadata, ManifestError> {
    let type_text = probe.plugin_type.as_deref().unwrap_or_default();
    let plugin_type = PluginType::parse(type_text).ok_or_else(|| {
        invalid(
            origin,
            "type",
            format!(
                "unknown plugin type {type_text:?} (expected cli/v1, getter/v1 or postrenderer/v1)"
            ),
        )
    })?;
    let runtime_text = probe.runtime.as_deref().unwrap_or_default();
    let runtime = RuntimeKind::parse(runtime_text).ok_or_else(|| {
        invalid(
            origin,
            "runtime",
            format!("unknown runtime {runtime_text:?} (expected subprocess or extism/v1)"),
        )
    })?;
    let (common, config, runtime_config) = match plugin_type {
        PluginType::Cli => {
            let (c, cfg, rc) = parse_v1_with::<CliConfig>(text, origin, runtime)?;
            (c, TypeConfig::Cli(cfg.unwrap_or_default()), rc)
        }
        PluginType::Getter => {
            let (c, cfg, rc) = parse_v1_with::<GetterConfig>(text, origin, runtime)?;
            (c, TypeConfig::Getter(cfg.unwrap_or_default()), rc)
        }
        PluginType::PostRenderer => {
            let (c, _cfg, rc) = parse_v1_with::<PostRendererConfig>(text, origin, runtime)?;
            (c, TypeConfig::PostRenderer, rc)
        }
    };
    Ok(Metadata {
        api_version: ApiVersion::V1,
        name: common.0,
        version: common.1,
        plugin_type,
        runtime,
        source_url: common.2,
        config,
        runtime_config,
    })
}

type Common = (String, String, Option<String>);

fn parse_v1_with<C: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    runtime: RuntimeKind,
) -> Result<(Common, Option<C>, RuntimeConfig), ManifestError> {
    match runtime {
        RuntimeKind::Subprocess => {
            let raw: RawV1<C, SubprocessConfig> = from_yaml(text, origin)?;
            let rc = raw.runtime_config.unwrap_or_default();
            warn_unknown(origin, &rc.unknown);
            Ok((
                (raw.name, raw.version, raw.source_url),
                raw.config,
                RuntimeConfig::Subprocess(rc),
            ))
        }
        RuntimeKind::ExtismV1 => {
            let raw: RawV1<C, ExtismConfig> = from_yaml(text, origin)?;
            let rc = raw.runtime_config.unwrap_or_default();
            warn_unknown(origin, &rc.unknown);
            Ok((
                (raw.name, raw.version, raw.source_url),
                raw.config,
                RuntimeConfig::Extism(rc),
            ))
        }
    }
}

fn warn_unknown(origin: &str, unknown: &BTreeMap<String, serde_json::Value>) {
    for key in unknown.keys() {
        tracing::warn!(file = origin, key, "ignoring unknown runtimeConfig key");
    }
}

fn parse_legacy(text: &str, origin: &str) -> Result<Metadata, ManifestError> {
    let raw: RawLegacy = from_yaml(text, origin)?;
    if !raw.platform_command.is_empty() && !raw.command.is_empty() {
        return Err(invalid(
            origin,
            "command",
            "both platformCommand and command are set",
        ));
    }
    if !raw.platform_hooks.is_empty() && !raw.hooks.is_empty() {
        return Err(invalid(
            origin,
            "hooks",
            "both platformHooks and hooks are set",
        ));
    }
    let mut platform_command = raw.platform_command;
    if platform_command.is_empty() && !raw.command.is_empty() {
        platform_command.push(PlatformCommand {
            command: raw.command.clone(),
            ..PlatformCommand::default()
        });
    }
    // Helm's conversion: a legacy `hooks` string runs as `sh -c CMD` and its arguments are
    // not expanded (the shell does it); legacy `platformHooks` arguments are expanded.
    let mut platform_hooks = raw.platform_hooks;
    let mut expand_hook_args = true;
    for (event, command) in raw.hooks {
        expand_hook_args = false;
        platform_hooks.insert(
            event,
            vec![PlatformCommand {
                command: "sh".to_string(),
                args: vec!["-c".to_string(), command],
                ..PlatformCommand::default()
            }],
        );
    }
    let (plugin_type, config, protocol_commands) = if raw.downloaders.is_empty() {
        // Helm maps the legacy `usage` to shortHelp and `description` to longHelp.
        let config = CliConfig {
            usage: String::new(),
            short_help: raw.usage,
            long_help: raw.description,
            ignore_flags: raw.ignore_flags,
        };
        (PluginType::Cli, TypeConfig::Cli(config), Vec::new())
    } else {
        for (i, d) in raw.downloaders.iter().enumerate() {
            if d.command.is_empty() {
                return Err(invalid(
                    origin,
                    &format!("downloaders[{i}].command"),
                    "must not be empty",
                ));
            }
            if d.protocols.is_empty() {
                return Err(invalid(
                    origin,
                    &format!("downloaders[{i}].protocols"),
                    "must list at least one protocol",
                ));
            }
        }
        let protocols = raw
            .downloaders
            .iter()
            .flat_map(|d| d.protocols.iter().cloned())
            .collect();
        let commands = raw
            .downloaders
            .into_iter()
            .map(|d| ProtocolCommand {
                protocols: d.protocols,
                platform_command: vec![PlatformCommand {
                    command: d.command,
                    ..PlatformCommand::default()
                }],
            })
            .collect();
        (
            PluginType::Getter,
            TypeConfig::Getter(GetterConfig { protocols }),
            commands,
        )
    };
    Ok(Metadata {
        api_version: ApiVersion::Legacy,
        name: raw.name,
        version: raw.version,
        plugin_type,
        runtime: RuntimeKind::Subprocess,
        source_url: None,
        config,
        runtime_config: RuntimeConfig::Subprocess(SubprocessConfig {
            platform_command,
            platform_hooks,
            protocol_commands,
            expand_hook_args,
            unknown: BTreeMap::new(),
        }),
    })
}

/// True if `name` matches Helm's plugin name rule `^[A-Za-z0-9_-]+$`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn validate(m: &Metadata, origin: &str) -> Result<(), ManifestError> {
    if m.name.is_empty() {
        return Err(invalid(origin, "name", "is required"));
    }
    if !is_valid_name(&m.name) {
        return Err(invalid(
            origin,
            "name",
            format!("{:?} must match ^[A-Za-z0-9_-]+$", m.name),
        ));
    }
    if m.api_version == ApiVersion::V1 {
        if m.version.is_empty() {
            return Err(invalid(origin, "version", "is required"));
        }
        semver::Version::parse(&m.version).map_err(|e| {
            invalid(
                origin,
                "version",
                format!("{:?} is not strict SemVer: {e}", m.version),
            )
        })?;
    }
    if let TypeConfig::Getter(g) = &m.config {
        if g.protocols.is_empty() {
            return Err(invalid(
                origin,
                "config.protocols",
                "a getter/v1 plugin must list at least one protocol",
            ));
        }
        if let Some(p) = g.protocols.iter().find(|p| !is_valid_scheme(p)) {
            return Err(invalid(
                origin,
                "config.protocols",
                format!("{p:?} is not a URL scheme"),
            ));
        }
    }
    match &m.runtime_config {
        RuntimeConfig::Extism(rc) => {
            if rc.entry_func_name.is_empty() {
                return Err(invalid(
                    origin,
                    "runtimeConfig.entryFuncName",
                    "must not be empty",
                ));
            }
            if rc.memory.max_pages == Some(0) {
                return Err(invalid(
                    origin,
                    "runtimeConfig.memory.maxPages",
                    "must be at least 1",
                ));
            }
            if rc.timeout == Some(0) {
                return Err(invalid(
                    origin,
                    "runtimeConfig.timeout",
                    "must be at least 1 (milliseconds)",
                ));
            }
        }
        RuntimeConfig::Subprocess(rc) => {
            if m.api_version == ApiVersion::V1
                && m.plugin_type != PluginType::Getter
                && rc.platform_command.is_empty()
            {
                return Err(invalid(
                    origin,
                    "runtimeConfig.platformCommand",
                    "a subprocess plugin needs at least one command",
                ));
            }
            if m.plugin_type == PluginType::Getter
                && rc.platform_command.is_empty()
                && rc.protocol_commands.is_empty()
            {
                return Err(invalid(
                    origin,
                    "runtimeConfig.platformCommand",
                    "a subprocess getter needs platformCommand or protocolCommands",
                ));
            }
        }
    }
    Ok(())
}

fn is_valid_scheme(p: &str) -> bool {
    let mut chars = p.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GETTER: &str = "apiVersion: v1\nname: g\nversion: 1.2.3\ntype: getter/v1\nruntime: extism/v1\nconfig:\n  protocols: [example]\n";

    #[test]
    fn v1_extism_defaults() {
        let m = parse(GETTER, "g/plugin.yaml").unwrap();
        assert_eq!(m.api_version, ApiVersion::V1);
        assert_eq!(m.plugin_type, PluginType::Getter);
        let RuntimeConfig::Extism(rc) = &m.runtime_config else {
            panic!("expected extism runtime config");
        };
        assert_eq!(rc.entry_func_name, "helm_plugin_main");
        assert!(rc.allowed_hosts.is_empty());
        assert_eq!(rc.timeout, None);
    }

    #[test]
    fn unknown_top_level_field_names_field_and_line() {
        let text = "apiVersion: v1\nname: x\nversion: 0.1.0\ntype: cli/v1\nruntime: extism/v1\ncommand: evil\n";
        let err = parse(text, "x/plugin.yaml").unwrap_err().to_string();
        assert!(err.starts_with("x/plugin.yaml:6:"), "{err}");
        assert!(err.contains("command"), "{err}");
    }

    #[test]
    fn unknown_config_field_is_rejected() {
        let text = "apiVersion: v1\nname: x\nversion: 0.1.0\ntype: cli/v1\nruntime: extism/v1\nconfig:\n  usage: u\n  shorthelp: typo\n";
        let err = parse(text, "x/plugin.yaml").unwrap_err().to_string();
        assert!(err.contains("shorthelp"), "{err}");
        assert!(err.starts_with("x/plugin.yaml:8:"), "{err}");
    }

    #[test]
    fn unknown_runtime_config_field_is_ignored() {
        let text = "apiVersion: v1\nname: x\nversion: 0.1.0\ntype: cli/v1\nruntime: extism/v1\nruntimeConfig:\n  futureKnob: 3\n";
        let m = parse(text, "x/plugin.yaml").unwrap();
        let RuntimeConfig::Extism(rc) = m.runtime_config else {
            panic!("expected extism runtime config");
        };
        assert!(rc.unknown.contains_key("futureKnob"));
    }

    #[test]
    fn validation_errors() {
        let cases = [
            (GETTER.replace("name: g", "name: a b"), "name"),
            (GETTER.replace("1.2.3", "v1.2"), "version"),
            (GETTER.replace("1.2.3", "1.2"), "version"),
            (GETTER.replace("getter/v1", "downloader/v1"), "type"),
            (GETTER.replace("extism/v1", "wasm"), "runtime"),
            (GETTER.replace("[example]", "[]"), "config.protocols"),
            (
                GETTER.replace("apiVersion: v1", "apiVersion: v2"),
                "apiVersion",
            ),
        ];
        for (text, field) in cases {
            match parse(&text, "p.yaml") {
                Err(ManifestError::Invalid { field: f, .. }) => assert_eq!(f, field, "{text}"),
                other => panic!("expected an error on {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn legacy_cli_and_downloader() {
        let cli = "name: diff\nversion: 3.9.0\nusage: Preview\ndescription: Preview changes\ncommand: $HELM_PLUGIN_DIR/bin/diff\nhooks:\n  install: install.sh\n";
        let m = parse(cli, "diff/plugin.yaml").unwrap();
        assert_eq!(m.api_version, ApiVersion::Legacy);
        assert_eq!(m.plugin_type, PluginType::Cli);
        assert_eq!(m.runtime, RuntimeKind::Subprocess);
        let RuntimeConfig::Subprocess(rc) = &m.runtime_config else {
            panic!("expected subprocess");
        };
        assert_eq!(rc.platform_command[0].command, "$HELM_PLUGIN_DIR/bin/diff");
        assert_eq!(rc.platform_hooks["install"][0].command, "sh");
        assert_eq!(rc.platform_hooks["install"][0].args, ["-c", "install.sh"]);
        assert!(!rc.expand_hook_args);
        let TypeConfig::Cli(cli) = &m.config else {
            panic!("expected cli config");
        };
        assert_eq!(cli.short_help, "Preview");
        assert_eq!(cli.long_help, "Preview changes");

        let dl = "name: s3\nversion: 0.1.0\ndownloaders:\n- command: bin/s3\n  protocols: [s3]\n";
        let m = parse(dl, "s3/plugin.yaml").unwrap();
        assert_eq!(m.plugin_type, PluginType::Getter);
        assert_eq!(
            m.config,
            TypeConfig::Getter(GetterConfig {
                protocols: vec!["s3".into()]
            })
        );
    }

    #[test]
    fn legacy_unknown_field_is_rejected() {
        let err = parse("name: x\nversion: 1\nbogus: 1\n", "x/plugin.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bogus") && err.starts_with("x/plugin.yaml:3:"),
            "{err}"
        );
    }
}
