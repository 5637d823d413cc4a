//! `rudder plugin install|list|uninstall`, `rudder <plugin-name> [args]`, and the
//! `--post-renderer` / getter wiring of `template` and `install`.
//!
//! Environment read here (and only here): `RUDDER_PLUGINS` (plugins directory; default
//! `$XDG_DATA_HOME/rudder/plugins`, else `~/.local/share/rudder/plugins`), `RUDDER_NO_PLUGINS`
//! (`1`/`true` disables running plugins), `XDG_CACHE_HOME` (compiled modules in
//! `$XDG_CACHE_HOME/rudder/wasm`, else `~/.cache/rudder/wasm`). The whole process environment
//! is offered to plugins, and the sandbox's rule decides what each one sees.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use rudder_action::install::InstallOptions;
use rudder_action::plugin::{
    self, InstallPluginOptions, Plugins, PluginsOptions, SharedPostRenderer,
};
use rudder_action::template::TemplateOptions;
use rudder_plugin::PluginType;

/// `rudder plugin …`.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Install a plugin from a local directory or a .tgz archive.
    ///
    /// A directory is copied into the plugins directory (Helm symlinks it): later changes to
    /// the source do not affect the installed plugin. Provenance verification is not
    /// implemented yet, so `--verify=false` is required.
    Install(PluginInstallArgs),
    /// List installed plugins.
    #[command(visible_alias = "ls")]
    List(PluginListArgs),
    /// Uninstall a plugin.
    #[command(visible_aliases = ["rm", "remove"])]
    Uninstall(PluginUninstallArgs),
}

/// `rudder plugin install`.
#[derive(Debug, Args)]
pub struct PluginInstallArgs {
    /// A plugin directory (with plugin.yaml) or a .tgz archive.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Verify the plugin's provenance before installing (not implemented yet: an unsigned
    /// plugin is refused unless `--verify=false`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub verify: bool,
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

fn options(for_running: bool) -> anyhow::Result<PluginsOptions> {
    let plugins_dir = if for_running && plugins_disabled() {
        None
    } else {
        Some(plugins_dir()?)
    };
    Ok(PluginsOptions {
        plugins_dir,
        cache_dir: home_dir("XDG_CACHE_HOME", ".cache").map(|d| d.join("rudder/wasm")),
        env: std::env::vars().collect(),
    })
}

/// Runs `rudder plugin …`.
pub fn run(cmd: PluginCommand) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::Install(args) => {
            let installed = plugin::install(&InstallPluginOptions {
                source: args.path,
                plugins_dir: plugins_dir()?,
                verify: args.verify,
            })?;
            println!(
                "Installed plugin: {} ({})",
                installed.metadata.name,
                installed.dir.display()
            );
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
pub fn run_external(args: Vec<String>) -> anyhow::Result<()> {
    let Some((name, rest)) = args.split_first() else {
        anyhow::bail!("no command given");
    };
    if plugins_disabled() {
        anyhow::bail!(
            "unknown command {name:?} for \"rudder\" (plugins are disabled by RUDDER_NO_PLUGINS)"
        );
    }
    let plugins = Plugins::open(options(true)?)?;
    if plugins.find(name).is_none() {
        anyhow::bail!("unknown command {name:?} for \"rudder\" (and no plugin of that name)");
    }
    let code = plugins.run_cli(name, rest.to_vec())?;
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
