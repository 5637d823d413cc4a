//! `rudder plugin install|list|uninstall|update|push`, `rudder <plugin-name> [args]`, and the
//! `--post-renderer` / getter wiring of `template` and `install`.
//!
//! Environment read here (and only here): `RUDDER_PLUGINS` (plugins directory; default
//! `$XDG_DATA_HOME/rudder/plugins`, else `~/.local/share/rudder/plugins`), `RUDDER_NO_PLUGINS`
//! (`1`/`true` disables running plugins), `XDG_CACHE_HOME` (compiled modules in
//! `$XDG_CACHE_HOME/rudder/wasm`, else `~/.cache/rudder/wasm`). The whole process environment
//! is offered to plugins, plus Helm's settings variables: `HELM_BIN` (this `rudder`
//! executable), `HELM_PLUGINS`, `HELM_DEBUG`, and `HELM_NAMESPACE`, `HELM_KUBECONTEXT` and
//! `KUBECONFIG` when given. The sandbox's rule decides what an `extism/v1` plugin sees; a
//! `subprocess` plugin (unsandboxed) sees all of it.
//!
//! As Helm does, `rudder <plugin> ARGS` takes Helm's global flags out of ARGS (`--debug`,
//! `-n/--namespace`, `--kube-context`, `--kubeconfig`, `--kube-token`, `--registry-config`…)
//! and passes them to the plugin as `HELM_*` variables instead.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use rudder_action::install::InstallOptions;
use rudder_action::oci::RegistryOptions;
use rudder_action::plugin::{
    self, InstallPluginOptions, Plugins, PluginsOptions, SharedPostRenderer,
};
use rudder_action::plugin_source::{self, PushPluginOptions, SourceInstallOptions};
use rudder_action::template::TemplateOptions;
use rudder_plugin::PluginType;

use super::registry::RegistryFlags;
use crate::cli::GlobalArgs;

/// `rudder plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin from a directory, a .tgz archive, an http(s) URL or an oci:// reference.
    ///
    /// A directory is copied into the plugins directory (Helm symlinks it): later changes to
    /// the source do not affect the installed plugin. A URL or registry download is installed
    /// like a local .tgz (with its .prov when the source has one). The source is recorded for
    /// `rudder plugin update`. A tarball must come with a `.prov` signed by a key of
    /// `--keyring` unless `--verify=false`; directories are "local dev" and not verified.
    ///
    /// Subprocess plugins are NOT sandboxed: they run with your full rights and environment,
    /// as under Helm, and their install/update/delete hooks run during these commands.
    #[command(visible_alias = "add")]
    Install(PluginInstallArgs),
    /// List installed plugins.
    #[command(visible_alias = "ls")]
    List(PluginListArgs),
    /// Uninstall a plugin.
    #[command(visible_aliases = ["rm", "remove"])]
    Uninstall(PluginUninstallArgs),
    /// Update plugins: re-install each from the source recorded when it was installed.
    #[command(visible_alias = "up")]
    Update(PluginUpdateArgs),
    /// Push a packaged plugin (.tgz, and its .tgz.prov if present) to an OCI registry.
    ///
    /// The plugin goes to `REMOTE/<name>:<version>` as an artifact of type
    /// application/vnd.helm.plugin.v1+json, which `helm plugin install oci://…` and
    /// `rudder plugin install oci://…` read. Helm has no such command.
    Push(PluginPushArgs),
    // --- provenance commands ---
    /// Package a plugin directory into <name>-<version>.tgz, signed by default (.tgz.prov).
    Package(super::provenance::PluginPackageArgs),
    /// Verify a plugin tarball (or a plugin installed from one) against its provenance.
    Verify(super::provenance::PluginVerifyArgs),
}

/// `rudder plugin install`.
#[derive(Debug, Args)]
pub struct PluginInstallArgs {
    /// A plugin directory (with plugin.yaml), a .tgz archive, an http(s):// URL of one, or an
    /// oci:// reference.
    #[arg(value_name = "PATH|URL")]
    pub source: String,
    /// Version constraint for an oci:// reference without a tag: an exact version or a range
    /// such as `^1.2`. The newest version when omitted.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Registry connection flags (for oci:// references).
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// Verify a tarball's provenance (<tarball>.prov) before installing; `--verify=false`
    /// installs without checking.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub verify: bool,
    /// Keyring of trusted public keys (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
}

/// Plugin types, as `--type` takes them.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PluginTypeArg {
    /// cli/v1
    #[value(name = "cli/v1")]
    Cli,
    /// getter/v1
    #[value(name = "getter/v1")]
    Getter,
    /// postrenderer/v1
    #[value(name = "postrenderer/v1")]
    PostRenderer,
}

/// `rudder plugin list`.
#[derive(Debug, Args)]
pub struct PluginListArgs {
    /// Only list plugins of this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub plugin_type: Option<PluginTypeArg>,
}

/// `rudder plugin uninstall`.
#[derive(Debug, Args)]
pub struct PluginUninstallArgs {
    /// Plugin names.
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
}

/// `rudder plugin update`.
#[derive(Debug, Args)]
pub struct PluginUpdateArgs {
    /// Plugin names.
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
    /// Verify the new version's provenance (see `plugin install --verify`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub verify: bool,
    /// Registry connection flags (for plugins installed from oci://).
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// `rudder plugin push`.
#[derive(Debug, Args)]
pub struct PluginPushArgs {
    /// The packaged plugin (`<name>-<version>.tgz`).
    #[arg(value_name = "PLUGIN")]
    pub archive: PathBuf,
    /// The registry and path, e.g. oci://registry.example.com/plugins.
    #[arg(value_name = "REMOTE")]
    pub remote: String,
    /// Registry connection flags.
    #[command(flatten)]
    pub registry: RegistryFlags,
}

/// `--post-renderer` and `--post-renderer-args` of `template` and `install`.
#[derive(Debug, Args, Default, Clone)]
pub struct PostRenderArgs {
    /// The name of a postrenderer/v1 plugin to pass the rendered manifests (hooks included) through.
    #[arg(long = "post-renderer", value_name = "NAME")]
    pub post_renderer: Option<String>,
    /// An argument to the post-renderer (can specify multiple).
    #[arg(
        long = "post-renderer-args",
        value_name = "ARG",
        allow_hyphen_values = true
    )]
    pub post_renderer_args: Vec<String>,
}

fn home_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)),
    }
}

/// The plugins directory.
fn plugins_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RUDDER_PLUGINS").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    home_dir("XDG_DATA_HOME", ".local/share")
        .map(|d| d.join("rudder/plugins"))
        .context("cannot find the plugins directory: set RUDDER_PLUGINS or HOME")
}

fn plugins_disabled() -> bool {
    std::env::var("RUDDER_NO_PLUGINS")
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// Helm's global flags a plugin invocation takes out of the plugin's arguments, and the
/// variable each one sets (Helm's `manuallyProcessArgs`).
const PLUGIN_GLOBAL_FLAGS: &[(&str, &str)] = &[
    ("--namespace", "HELM_NAMESPACE"),
    ("-n", "HELM_NAMESPACE"),
    ("--kube-context", "HELM_KUBECONTEXT"),
    ("--kubeconfig", "KUBECONFIG"),
    ("--kube-apiserver", "HELM_KUBEAPISERVER"),
    ("--kube-token", "HELM_KUBETOKEN"),
    ("--kube-as-user", "HELM_KUBEASUSER"),
    ("--kube-as-group", "HELM_KUBEASGROUPS"),
    ("--kube-ca-file", "HELM_KUBECAFILE"),
    ("--kube-tls-server-name", "HELM_KUBETLS_SERVER_NAME"),
    ("--registry-config", "HELM_REGISTRY_CONFIG"),
    ("--repository-cache", "HELM_REPOSITORY_CACHE"),
    ("--repository-config", "HELM_REPOSITORY_CONFIG"),
];

/// Splits a plugin's arguments into Helm global flags (as variables) and the rest.
fn take_global_flags(args: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let var_of = |flag: &str| {
        PLUGIN_GLOBAL_FLAGS
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.to_string())
    };
    let mut vars = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--debug" {
            vars.push(("HELM_DEBUG".to_string(), "true".to_string()));
        } else if let Some(var) = var_of(a) {
            i += 1;
            if let Some(value) = args.get(i) {
                vars.push((var, value.clone()));
            }
        } else if let Some((flag, value)) = a.split_once('=')
            && let Some(var) = var_of(flag)
        {
            vars.push((var, value.to_string()));
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    (vars, rest)
}

/// Helm's settings variables for plugins (see the module docs); later entries win.
fn helm_env(global: Option<&GlobalArgs>) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        env.push(("HELM_BIN".to_string(), exe.to_string_lossy().into_owned()));
    }
    if let Ok(dir) = plugins_dir() {
        env.push((
            "HELM_PLUGINS".to_string(),
            dir.to_string_lossy().into_owned(),
        ));
    }
    let debug = global.is_some_and(|g| g.debug);
    env.push(("HELM_DEBUG".to_string(), debug.to_string()));
    if let Some(g) = global {
        if let Some(ns) = &g.namespace {
            env.push(("HELM_NAMESPACE".to_string(), ns.clone()));
        }
        if let Some(ctx) = &g.kube_context {
            env.push(("HELM_KUBECONTEXT".to_string(), ctx.clone()));
        }
        if let Some(k) = &g.kubeconfig {
            env.push(("KUBECONFIG".to_string(), k.to_string_lossy().into_owned()));
        }
    } else if let Ok(ns) = std::env::var("RUDDER_NAMESPACE") {
        env.push(("HELM_NAMESPACE".to_string(), ns));
    }
    env
}

fn options_with(for_running: bool, global: Option<&GlobalArgs>) -> anyhow::Result<PluginsOptions> {
    let plugins_dir = if for_running && plugins_disabled() {
        None
    } else {
        Some(plugins_dir()?)
    };
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    env.extend(helm_env(global));
    Ok(PluginsOptions {
        plugins_dir,
        cache_dir: home_dir("XDG_CACHE_HOME", ".cache").map(|d| d.join("rudder/wasm")),
        env,
    })
}

fn options(for_running: bool) -> anyhow::Result<PluginsOptions> {
    options_with(for_running, None)
}

/// Registry settings from the registry flags (`--registry-config` or Helm's default file).
fn registry_options(flags: &RegistryFlags) -> anyhow::Result<RegistryOptions> {
    flags.options(Default::default())
}

/// Runs `rudder plugin …`.
pub fn run(cmd: PluginCommand) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::Install(args) => {
            let installed = plugin_source::install(&SourceInstallOptions {
                source: args.source,
                install: InstallPluginOptions {
                    source: PathBuf::new(),
                    plugins_dir: plugins_dir()?,
                    verify: args.verify,
                    keyring: Some(
                        args.keyring
                            .unwrap_or_else(super::provenance::default_keyring),
                    ),
                },
                version: args.version.clone(),
                registry: registry_options(&args.registry)?,
                env: options(false)?.env,
            })?;
            println!(
                "Installed plugin: {} ({})",
                installed.metadata.name,
                installed.dir.display()
            );
            Ok(())
        }
        // --- provenance commands ---
        PluginCommand::Package(args) => super::provenance::plugin_package(args),
        PluginCommand::Verify(args) => super::provenance::plugin_verify(args),
        PluginCommand::Update(args) => {
            let opts = SourceInstallOptions {
                source: String::new(),
                install: InstallPluginOptions {
                    source: PathBuf::new(),
                    plugins_dir: plugins_dir()?,
                    verify: args.verify,
                    keyring: Some(super::provenance::default_keyring()),
                },
                version: None,
                registry: registry_options(&args.registry)?,
                env: options(false)?.env,
            };
            for name in &args.names {
                let updated = plugin_source::update(name, &opts)?;
                println!(
                    "Updated plugin: {} ({})",
                    updated.metadata.name, updated.metadata.version
                );
            }
            Ok(())
        }
        PluginCommand::Push(args) => {
            let pushed = plugin_source::push(&PushPluginOptions {
                archive: args.archive,
                remote: args.remote,
                registry: registry_options(&args.registry)?,
            })?;
            println!("Pushed: {}", pushed.reference);
            println!("Digest: {}", pushed.digest);
            Ok(())
        }
        PluginCommand::List(args) => {
            let plugins = Plugins::open(options(false)?)?;
            let ty = args.plugin_type.map(|t| match t {
                PluginTypeArg::Cli => PluginType::Cli,
                PluginTypeArg::Getter => PluginType::Getter,
                PluginTypeArg::PostRenderer => PluginType::PostRenderer,
            });
            let rows = plugin::list(&plugins, ty);
            let mut table = vec![
                [
                    "NAME",
                    "VERSION",
                    "TYPE",
                    "APIVERSION",
                    "PROVENANCE",
                    "SOURCE",
                    "RUNTIME",
                ]
                .map(String::from),
            ];
            for r in rows {
                table.push([
                    r.name,
                    r.version,
                    r.plugin_type,
                    r.api_version,
                    r.provenance,
                    r.source,
                    r.runtime,
                ]);
            }
            let widths: Vec<usize> = (0..7)
                .map(|i| table.iter().map(|r| r[i].len()).max().unwrap_or(0))
                .collect();
            for row in &table {
                let line: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                println!("{}", line.join("\t").trim_end());
            }
            Ok(())
        }
        PluginCommand::Uninstall(args) => {
            let plugins = Plugins::open(options(false)?)?;
            for name in &args.names {
                plugin::uninstall(&plugins, name)?;
                println!("Uninstalled plugin: {name}");
            }
            Ok(())
        }
    }
}

/// Runs `rudder <plugin-name> [args]` and exits with the plugin's exit code.
pub fn run_external(args: Vec<String>, global: &GlobalArgs) -> anyhow::Result<()> {
    let Some((name, rest)) = args.split_first() else {
        anyhow::bail!("no command given");
    };
    if plugins_disabled() {
        anyhow::bail!(
            "unknown command {name:?} for \"rudder\" (plugins are disabled by RUDDER_NO_PLUGINS)"
        );
    }
    let (flag_vars, rest) = take_global_flags(rest);
    let mut options = options_with(true, Some(global))?;
    options.env.extend(flag_vars);
    let plugins = Plugins::open(options)?;
    if plugins.find(name).is_none() {
        anyhow::bail!("unknown command {name:?} for \"rudder\" (and no plugin of that name)");
    }
    let code = plugins.run_cli(name, rest)?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// The post-renderer and getters for a `template` run (struct-update base for
/// [`TemplateOptions`]).
pub fn template_plugins(args: &PostRenderArgs) -> anyhow::Result<TemplateOptions> {
    let (post_renderer, getters) = load(args)?;
    Ok(TemplateOptions {
        post_renderer,
        getters,
        ..TemplateOptions::default()
    })
}

/// Sets the post-renderer and getters of an `install`.
pub fn install_plugins(args: &PostRenderArgs, opts: &mut InstallOptions) -> anyhow::Result<()> {
    (opts.post_renderer, opts.getters) = load(args)?;
    Ok(())
}

type Loaded = (Option<SharedPostRenderer>, Option<Arc<Plugins>>);

fn load(args: &PostRenderArgs) -> anyhow::Result<Loaded> {
    let options = options(true)?;
    // Avoid creating the WebAssembly engine when no plugin can be involved.
    let has_getters = options.plugins_dir.as_deref().is_some_and(|dir| {
        rudder_plugin::discover(dir).is_ok_and(|d| {
            d.plugins
                .iter()
                .any(|p| p.metadata.plugin_type == PluginType::Getter)
        })
    });
    if args.post_renderer.is_none() && !has_getters {
        return Ok((None, None));
    }
    let plugins = Arc::new(Plugins::open(options)?);
    let post = match &args.post_renderer {
        Some(name) => Some(SharedPostRenderer(Arc::new(
            plugins.post_renderer(name, args.post_renderer_args.clone())?,
        ))),
        None => None,
    };
    Ok((post, has_getters.then_some(plugins)))
}
