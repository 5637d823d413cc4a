//! Release lifecycle commands: `upgrade`, `rollback`, `history`, `get`.
//!
//! Their clap arguments live here; each command connects like the release commands
//! (`super::release`), runs the action and prints Helm's layout (or `-o json|yaml`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use rudder_action::get::Release;
use rudder_action::get::{self, ReleaseMetadata};
use rudder_action::history::{self, HistoryOptions};
use rudder_action::install::DryRun;
use rudder_action::release_ops::{ReleaseSummary, WaitMode, go_ansic};
use rudder_action::rollback::{self, RollbackOptions};
use rudder_action::upgrade::{self, UpgradeOptions, ValuesPolicy};

use super::release::{connect, flatten, print_release, progress, runtime, table, value_sources};
use crate::cli::{DryRunArg, GlobalArgs, OutputFormat, ValuesArgs, WaitArg, parse_duration};

/// `rudder upgrade`.
///
/// Unlike Helm, rudder waits by default (`--wait=watcher`) until every release object is
/// ready; `--wait=hookOnly` restores Helm's behaviour.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The chart (a directory, a .tgz, or `oci://host/path/name`).
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// Chart version and registry flags for `oci://` charts.
    #[command(flatten)]
    pub source: super::registry::ChartSourceFlags,
    /// Values flags.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// If a release by this name doesn't already exist, run an install.
    #[arg(short = 'i', long)]
    pub install: bool,
    /// Reuse the last release's values and merge in any overrides from the command line.
    #[arg(long)]
    pub reuse_values: bool,
    /// Reset the values to the ones built into the chart (overrides the other values flags).
    #[arg(long)]
    pub reset_values: bool,
    /// Reset to the chart's values, then merge the last release's values and the overrides.
    #[arg(long)]
    pub reset_then_reuse_values: bool,
    /// What to wait for: watcher (rudder's default: every object ready), hookOnly (Helm's
    /// default: only hooks), legacy. A bare --wait means watcher.
    #[arg(long, value_enum, value_name = "STRATEGY", default_value = "watcher",
          num_args = 0..=1, default_missing_value = "watcher", require_equals = true)]
    pub wait: WaitArg,
    /// Time to wait for each step (CRDs, each hook, the release objects), e.g. 5m, 90s.
    #[arg(long, value_name = "DURATION", default_value = "5m0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Limit the maximum number of revisions saved per release (0 for no limit).
    #[arg(long, value_name = "N", default_value_t = 10, env = "HELM_MAX_HISTORY")]
    pub history_max: usize,
    /// Add a custom description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Simulate an upgrade: client renders only; server also validates with the API server.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1,
          default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRunArg>,
    /// Take over fields owned by other field managers (server-side apply conflicts).
    #[arg(long)]
    pub force_conflicts: bool,
    /// On failure, roll back to the previously deployed revision (Helm's --atomic).
    #[arg(long, visible_alias = "atomic")]
    pub rollback_on_failure: bool,
    /// Prevent hooks from running.
    #[arg(long)]
    pub no_hooks: bool,
    /// With --install, when the release is installed: do not install CRDs from crds/ (an
    /// upgrade never applies crds/, as in Helm).
    #[arg(long)]
    pub skip_crds: bool,
    /// Skip JSON schema validation of values.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    /// --wait-for-jobs, --take-ownership, --labels, --force-pending.
    #[command(flatten)]
    pub release_flags: super::release::ReleaseFlags,
}

/// `rudder rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Revision to roll back to (default: the previous one).
    #[arg(value_name = "REVISION")]
    pub revision: Option<i64>,
    /// What to wait for (watcher, hookOnly, legacy). A bare --wait means watcher.
    #[arg(long, value_enum, value_name = "STRATEGY", default_value = "watcher",
          num_args = 0..=1, default_missing_value = "watcher", require_equals = true)]
    pub wait: WaitArg,
    /// Time to wait for each step, e.g. 5m, 90s.
    #[arg(long, value_name = "DURATION", default_value = "5m0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Limit the maximum number of revisions saved per release (0 for no limit).
    #[arg(long, value_name = "N", default_value_t = 10, env = "HELM_MAX_HISTORY")]
    pub history_max: usize,
    /// Simulate a rollback.
    #[arg(long)]
    pub dry_run: bool,
    /// Take over fields owned by other field managers (server-side apply conflicts).
    #[arg(long)]
    pub force_conflicts: bool,
    /// Prevent hooks from running.
    #[arg(long)]
    pub no_hooks: bool,
    /// Also wait until Jobs have completed (with the watcher strategy).
    #[arg(long)]
    pub wait_for_jobs: bool,
    /// Mark a pending newest revision failed and go on, even without an expired rudder lease
    /// showing that its operation was interrupted.
    #[arg(long)]
    pub force_pending: bool,
}

/// `rudder history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Maximum number of revisions to include in history.
    #[arg(long, value_name = "N", default_value_t = history::DEFAULT_MAX)]
    pub max: usize,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// `rudder get` subcommands.
#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// Download all information for a named release.
    All(GetArgs),
    /// Download the values file for a named release.
    Values(GetValuesArgs),
    /// Download the manifest for a named release.
    Manifest(GetArgs),
    /// Download the notes for a named release.
    Notes(GetArgs),
    /// Download all hooks for a named release.
    Hooks(GetArgs),
    /// Fetch metadata for a given release.
    Metadata(GetMetadataArgs),
}

/// Arguments of `get all|manifest|notes|hooks`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Get the named release with revision.
    #[arg(long, value_name = "N")]
    pub revision: Option<i64>,
}

/// Arguments of `get values`.
#[derive(Debug, Args)]
pub struct GetValuesArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Get the named release with revision.
    #[arg(long, value_name = "N")]
    pub revision: Option<i64>,
    /// Dump all (computed) values.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// Arguments of `get metadata`.
#[derive(Debug, Args)]
pub struct GetMetadataArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Get the named release with revision.
    #[arg(long, value_name = "N")]
    pub revision: Option<i64>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

fn wait_mode(arg: WaitArg) -> WaitMode {
    match arg {
        WaitArg::Watcher => WaitMode::Watcher,
        WaitArg::HookOnly => WaitMode::HookOnly,
        WaitArg::Legacy => WaitMode::Legacy,
    }
}

pub fn upgrade(args: UpgradeArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let oci = args.source.oci_source(&args.chart.to_string_lossy())?;
    let mut opts = UpgradeOptions::new(args.name.clone(), args.chart);
    opts.oci = oci;
    opts.values = value_sources(args.values);
    opts.values_policy = ValuesPolicy::from_flags(
        args.reuse_values,
        args.reset_values,
        args.reset_then_reuse_values,
    );
    opts.install = args.install;
    opts.wait = wait_mode(args.wait);
    opts.timeout = args.timeout;
    opts.dry_run = match args.dry_run {
        None => DryRun::None,
        Some(DryRunArg::Client) => DryRun::Client,
        Some(DryRunArg::Server) => DryRun::Server,
    };
    opts.description = args.description;
    opts.force_conflicts = args.force_conflicts;
    opts.rollback_on_failure = args.rollback_on_failure;
    opts.no_hooks = args.no_hooks;
    opts.skip_crds = args.skip_crds;
    opts.skip_schema_validation = args.skip_schema_validation;
    opts.wait_for_jobs = args.release_flags.wait_for_jobs;
    opts.take_ownership = args.release_flags.take_ownership;
    opts.labels = args.release_flags.labels.unwrap_or_default();
    opts.force_pending = args.release_flags.force_pending;
    let release = runtime()?.block_on(async {
        let client = connect(global, false, args.history_max).await?;
        upgrade::upgrade(&client, &opts, &progress)
            .await
            .map_err(|e| flatten(&e))
    })?;
    if args.output == OutputFormat::Table {
        let mut out = std::io::stdout().lock();
        if release.version > 1 {
            writeln!(
                out,
                "Release \"{}\" has been upgraded. Happy Helming!",
                args.name
            )?;
        } else {
            writeln!(
                out,
                "Release \"{}\" does not exist. Installing it now.",
                args.name
            )?;
        }
    }
    print_release(&ReleaseSummary::of(&release), args.output)
}

pub fn rollback(args: RollbackArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let mut opts = RollbackOptions::new(args.name);
    opts.revision = args.revision;
    opts.wait = wait_mode(args.wait);
    opts.timeout = args.timeout;
    opts.dry_run = args.dry_run;
    opts.force_conflicts = args.force_conflicts;
    opts.no_hooks = args.no_hooks;
    opts.wait_for_jobs = args.wait_for_jobs;
    opts.force_pending = args.force_pending;
    runtime()?.block_on(async {
        let client = connect(global, false, args.history_max).await?;
        rollback::rollback(&client, &opts, &progress)
            .await
            .map_err(|e| flatten(&e))
    })?;
    writeln!(std::io::stdout(), "Rollback was a success! Happy Helming!")?;
    Ok(())
}

/// One `history` line (`-o json|yaml` field names as Helm's).
#[derive(serde::Serialize)]
struct HistoryEntry {
    revision: i64,
    updated: String,
    status: String,
    chart: String,
    app_version: String,
    description: String,
}

pub fn history(args: HistoryArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let revisions = runtime()?.block_on(async {
        let client = connect(global, false, 0).await?;
        let opts = HistoryOptions {
            release_name: args.name,
            max: args.max,
        };
        anyhow::Ok(history::history(&client, &opts).await?)
    })?;
    let entries: Vec<HistoryEntry> = revisions
        .iter()
        .map(|r| {
            let s = ReleaseSummary::of(r);
            HistoryEntry {
                revision: s.revision,
                updated: s.last_deployed,
                status: s.status,
                chart: s.chart,
                app_version: s.app_version,
                description: s.description,
            }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&entries)?)?,
        OutputFormat::Yaml => out.write_all(serde_saphyr::to_string(&entries)?.as_bytes())?,
        OutputFormat::Table => {
            let mut rows = vec![
                [
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                    "DESCRIPTION",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for (e, r) in entries.iter().zip(&revisions) {
                let updated = r
                    .info
                    .as_ref()
                    .map(|i| go_ansic(&i.last_deployed))
                    .unwrap_or_default();
                rows.push(vec![
                    e.revision.to_string(),
                    updated,
                    e.status.clone(),
                    e.chart.clone(),
                    e.app_version.clone(),
                    e.description.clone(),
                ]);
            }
            out.write_all(table(&rows).as_bytes())?;
        }
    }
    Ok(())
}

fn fetch(global: &GlobalArgs, name: &str, revision: Option<i64>) -> anyhow::Result<Release> {
    runtime()?.block_on(async {
        let client = connect(global, false, 0).await?;
        anyhow::Ok(get::get(&client, name, revision).await?)
    })
}

fn values_text(
    release: &Release,
    all: bool,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let values = get::values(release, all);
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&values)?)?,
        OutputFormat::Yaml => out.write_all(serde_saphyr::to_string(&values)?.as_bytes())?,
        OutputFormat::Table => {
            let title = if all { "COMPUTED" } else { "USER-SUPPLIED" };
            writeln!(out, "{title} VALUES:")?;
            if values.is_empty() {
                writeln!(out, "null")?;
            } else {
                out.write_all(serde_saphyr::to_string(&values)?.as_bytes())?;
            }
        }
    }
    Ok(())
}

fn metadata_text(release: &Release, out: &mut dyn Write) -> anyhow::Result<()> {
    let m = ReleaseMetadata::of(release);
    writeln!(out, "NAME: {}", m.name)?;
    writeln!(out, "CHART: {}", m.chart)?;
    writeln!(out, "VERSION: {}", m.version)?;
    writeln!(out, "APP_VERSION: {}", m.app_version)?;
    writeln!(out, "NAMESPACE: {}", m.namespace)?;
    writeln!(out, "REVISION: {}", m.revision)?;
    writeln!(out, "STATUS: {}", m.status)?;
    writeln!(out, "DEPLOYED_AT: {}", m.deployed_at)?;
    writeln!(out, "APPLY_METHOD: {}", m.apply_method)?;
    Ok(())
}

pub fn get(cmd: GetCommand, global: &GlobalArgs) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cmd {
        GetCommand::Values(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            values_text(&release, a.all, a.output, &mut out)?;
        }
        GetCommand::Manifest(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            out.write_all(release.manifest.as_bytes())?;
        }
        GetCommand::Notes(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            let notes = ReleaseSummary::of(&release).notes;
            if !notes.is_empty() {
                writeln!(out, "NOTES:\n{}", notes.trim_end())?;
            }
        }
        GetCommand::Hooks(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            out.write_all(get::hooks_text(&release).as_bytes())?;
        }
        GetCommand::Metadata(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            match a.output {
                OutputFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&ReleaseMetadata::of(&release))?
                )?,
                OutputFormat::Yaml => out.write_all(
                    serde_saphyr::to_string(&ReleaseMetadata::of(&release))?.as_bytes(),
                )?,
                OutputFormat::Table => metadata_text(&release, &mut out)?,
            }
        }
        GetCommand::All(a) => {
            let release = fetch(global, &a.name, a.revision)?;
            drop(out);
            print_release(&ReleaseSummary::of(&release), OutputFormat::Table)?;
            let mut out = stdout.lock();
            values_text(&release, false, OutputFormat::Table, &mut out)?;
            writeln!(out, "\nHOOKS:")?;
            out.write_all(get::hooks_text(&release).as_bytes())?;
            writeln!(out, "MANIFEST:")?;
            out.write_all(release.manifest.as_bytes())?;
        }
    }
    Ok(())
}
