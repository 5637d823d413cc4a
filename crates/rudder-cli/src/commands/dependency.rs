//! `rudder dependency list/update/build` (aliases `dep`, `dependencies`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rudder_action::dependency::{self, DependencyOptions};

use crate::commands::registry::RegistryFlags;
use crate::commands::repo::RepoPathFlags;

/// `rudder dependency`.
#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// List the dependencies for the given chart.
    #[command(visible_alias = "ls")]
    List(DependencyListArgs),
    /// Update charts/ based on the contents of Chart.yaml (and write Chart.lock).
    #[command(visible_alias = "up")]
    Update(DependencyUpdateArgs),
    /// Rebuild the charts/ directory based on the Chart.lock file.
    Build(DependencyUpdateArgs),
}

/// `rudder dependency list`.
#[derive(Debug, Args)]
pub struct DependencyListArgs {
    /// The chart directory.
    #[arg(value_name = "CHART", default_value = ".")]
    pub chart: PathBuf,
    /// Maximum column width for the table output.
    #[arg(long, default_value_t = 80)]
    pub max_col_width: usize,
}

/// `rudder dependency update` and `build`.
#[derive(Debug, Clone, Args)]
pub struct DependencyUpdateArgs {
    /// The chart directory.
    #[arg(value_name = "CHART", default_value = ".")]
    pub chart: PathBuf,
    /// Do not refresh the local repository cache.
    #[arg(long)]
    pub skip_refresh: bool,
    /// Registry flags for `oci://` dependencies.
    #[command(flatten)]
    pub registry: RegistryFlags,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn options(
    args: &DependencyUpdateArgs,
    paths: &RepoPathFlags,
) -> anyhow::Result<DependencyOptions> {
    Ok(DependencyOptions {
        chart_dir: args.chart.clone(),
        skip_refresh: args.skip_refresh,
        paths: paths.paths()?,
        registry: args.registry.options(Default::default())?,
    })
}

fn print_line(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// `dependency update` (also the `--dependency-update` hook of `template`, `install` and
/// `upgrade`).
pub(crate) fn update_dir(args: &DependencyUpdateArgs, paths: &RepoPathFlags) -> anyhow::Result<()> {
    let opts = options(args, paths)?;
    runtime()?.block_on(dependency::update(&opts, &print_line))?;
    Ok(())
}

/// Runs `rudder dependency …`.
pub fn run(cmd: DependencyCommand, paths: &RepoPathFlags) -> anyhow::Result<()> {
    match cmd {
        DependencyCommand::List(args) => {
            let deps = dependency::list(&args.chart)?;
            let mut out = std::io::stdout().lock();
            if deps.is_empty() {
                writeln!(
                    out,
                    "WARNING: no dependencies at {}",
                    args.chart.join("charts").display()
                )?;
                return Ok(());
            }
            let mut rows = vec![vec![
                "NAME".to_string(),
                "VERSION".to_string(),
                "REPOSITORY".to_string(),
                "STATUS".to_string(),
            ]];
            rows.extend(
                deps.into_iter()
                    .map(|d| vec![d.name, d.version, d.repository, d.status]),
            );
            out.write_all(crate::commands::repo::table(&rows, args.max_col_width).as_bytes())?;
            writeln!(out)?;
        }
        DependencyCommand::Update(args) => {
            update_dir(&args, paths)?;
        }
        DependencyCommand::Build(args) => {
            let opts = options(&args, paths)?;
            runtime()?.block_on(dependency::build(&opts, &print_line))?;
        }
    }
    Ok(())
}
