//! Release commands: `install`, `list`, `status`, `uninstall`.
//!
//! Each builds a Tokio runtime, connects with the global kube flags, picks the storage driver
//! from `HELM_DRIVER`, runs the action and prints Helm's layout (or `-o json|yaml`). Wait
//! progress goes to stderr as plain lines: `Deployment/web: InProgress: Available: 2/3`.

use std::io::Write;

use crate::cli::{
    DryRunArg, GlobalArgs, InstallArgs, ListArgs, OutputFormat, StatusArgs, TestArgs,
    UninstallArgs, ValuesArgs, WaitArg,
};
use anyhow::Context;
use rudder_action::install::{self, DryRun, InstallOptions};
use rudder_action::list::{self, ListOptions};
use rudder_action::release_ops::Status;
use rudder_action::release_ops::{
    ClientOptions, ObjectRef, ObjectStatus, ReleaseClient, ReleaseSummary, StorageChoice, WaitMode,
};
use rudder_action::status::{self, StatusOptions};
use rudder_action::test_hooks::{self, TestFilter, TestOptions};
use rudder_action::uninstall::{self, UninstallOptions};
use rudder_action::values::ValueSources;

/// Flags install and upgrade share: `--wait-for-jobs`, `--take-ownership`, `--labels`,
/// `--force-pending`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReleaseFlags {
    /// Also wait until Jobs have completed (with the watcher strategy).
    #[arg(long)]
    pub wait_for_jobs: bool,
    /// Adopt existing objects even if they carry no (or another release's) Helm ownership
    /// markers.
    #[arg(long)]
    pub take_ownership: bool,
    /// Labels stored on the release record, e.g. team=a,tier=web (upgrade merges them over
    /// the previous ones; the value null removes one). Helm's system labels are reserved.
    #[arg(long, value_name = "KEY=VALUE,...", value_parser = parse_labels)]
    pub labels: Option<std::collections::BTreeMap<String, String>>,
    /// Mark a pending-install/upgrade/rollback newest revision failed and go on, even though
    /// no expired rudder lease shows that its operation was interrupted (rudder detects its own
    /// interrupted operations by their expired lease; use this for one left by helm).
    #[arg(long)]
    pub force_pending: bool,
}

/// Parses `k=v,k2=v2` (Helm's `--labels`).
pub(super) fn parse_labels(
    text: &str,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut out = std::collections::BTreeMap::new();
    for pair in text.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} must be formatted as key=value"))?;
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

pub(super) fn value_sources(args: ValuesArgs) -> ValueSources {
    ValueSources {
        files: args.values,
        set: args.set,
        set_string: args.set_string,
        set_file: args.set_file,
        set_json: args.set_json,
        set_literal: args.set_literal,
    }
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn client_options(global: &GlobalArgs) -> ClientOptions {
    ClientOptions {
        kubeconfig: global.kubeconfig.iter().cloned().collect(),
        context: global.kube_context.clone(),
        namespace: global.namespace.clone(),
        ..ClientOptions::default()
    }
}

fn storage_choice(max_history: usize) -> anyhow::Result<StorageChoice> {
    let driver = std::env::var("HELM_DRIVER")
        .unwrap_or_default()
        .parse()
        .context("HELM_DRIVER")?;
    Ok(StorageChoice {
        driver,
        max_history,
    })
}

pub(super) async fn connect(
    global: &GlobalArgs,
    all_namespaces: bool,
    max_history: usize,
) -> anyhow::Result<ReleaseClient> {
    let choice = storage_choice(max_history)?;
    Ok(ReleaseClient::connect(&client_options(global), all_namespaces, choice).await?)
}

/// Prints wait progress as plain lines on stderr.
pub(super) fn progress(id: &ObjectRef, status: &ObjectStatus) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{}/{}: {}: {}",
        id.kind, id.name, status.status, status.message
    );
}

pub fn install(args: InstallArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let oci = args.source.oci_source(&args.chart.to_string_lossy())?;
    let mut opts = InstallOptions::new(args.name, args.chart);
    opts.oci = oci;
    super::plugin::install_plugins(&args.post_render, &mut opts)?;
    opts.values = value_sources(args.values);
    opts.create_namespace = args.create_namespace;
    opts.wait = match args.wait {
        WaitArg::Watcher => WaitMode::Watcher,
        WaitArg::HookOnly => WaitMode::HookOnly,
        WaitArg::Legacy => WaitMode::Legacy,
    };
    opts.timeout = args.timeout;
    opts.dry_run = match args.dry_run {
        None => DryRun::None,
        Some(DryRunArg::Client) => DryRun::Client,
        Some(DryRunArg::Server) => DryRun::Server,
    };
    opts.description = args.description;
    opts.skip_crds = args.skip_crds;
    opts.no_hooks = args.no_hooks;
    opts.skip_schema_validation = args.skip_schema_validation;
    opts.wait_for_jobs = args.release_flags.wait_for_jobs;
    opts.take_ownership = args.release_flags.take_ownership;
    opts.labels = args.release_flags.labels.unwrap_or_default();
    opts.force_pending = args.release_flags.force_pending;
    let release = runtime()?.block_on(async {
        let client = connect(global, false, args.history_max).await?;
        install::install(&client, &opts, &progress)
            .await
            .map_err(|e| flatten(&e))
    })?;
    print_release(&ReleaseSummary::of(&release), args.output)
}

pub fn list(args: ListArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let releases = runtime()?.block_on(async {
        let client = connect(global, args.all_namespaces, 0).await?;
        let filters = [
            (args.deployed, Status::Deployed),
            (args.failed, Status::Failed),
            (args.pending, Status::PendingInstall),
            (args.superseded, Status::Superseded),
            (args.uninstalled, Status::Uninstalled),
            (args.uninstalling, Status::Uninstalling),
        ];
        let opts = ListOptions {
            statuses: filters
                .into_iter()
                .filter_map(|(on, status)| on.then_some(status))
                .collect(),
        };
        anyhow::Ok(list::list(&client, &opts).await?)
    })?;
    let summaries: Vec<ReleaseSummary> = releases.iter().map(ReleaseSummary::of).collect();
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(&summaries)?)?,
        OutputFormat::Yaml => out.write_all(serde_saphyr::to_string(&summaries)?.as_bytes())?,
        OutputFormat::Table => {
            let mut rows = vec![
                [
                    "NAME",
                    "NAMESPACE",
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                ]
                .map(str::to_owned)
                .to_vec(),
            ];
            for s in &summaries {
                rows.push(vec![
                    s.name.clone(),
                    s.namespace.clone(),
                    s.revision.to_string(),
                    s.updated_text.clone(),
                    s.status.clone(),
                    s.chart.clone(),
                    s.app_version.clone(),
                ]);
            }
            out.write_all(table(&rows).as_bytes())?;
        }
    }
    Ok(())
}

pub fn status(args: StatusArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let release = runtime()?.block_on(async {
        let client = connect(global, false, 0).await?;
        let opts = StatusOptions {
            release_name: args.name,
            revision: args.revision,
        };
        anyhow::Ok(status::status(&client, &opts).await?)
    })?;
    print_release(&ReleaseSummary::of(&release), args.output)
}

pub fn uninstall(args: UninstallArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = connect(global, false, 0).await?;
        for name in &args.names {
            let mut opts = UninstallOptions::new(name.clone());
            opts.keep_history = args.keep_history;
            opts.wait = args.wait;
            opts.timeout = args.timeout;
            opts.no_hooks = args.no_hooks;
            opts.description.clone_from(&args.description);
            let report = uninstall::uninstall(&client, &opts, &progress)
                .await
                .map_err(|e| flatten(&e))?;
            let mut out = std::io::stdout().lock();
            if !report.kept.is_empty() {
                writeln!(out, "These resources were kept due to the resource policy:")?;
                for id in &report.kept {
                    writeln!(out, "[{}] {}", id.kind, id.name)?;
                }
                writeln!(out)?;
            }
            writeln!(out, "release \"{name}\" uninstalled")?;
        }
        anyhow::Ok(())
    })
}

/// An error whose chain has multi-line messages (a wait listing every object not ready) as
/// one line, so the CLI's one-line error report keeps every object: lines joined by `; `.
pub(super) fn flatten(err: &(dyn std::error::Error + 'static)) -> anyhow::Error {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text.lines().collect::<Vec<_>>().join("; "));
        }
        next = e.source();
    }
    anyhow::anyhow!(parts.join(": "))
}

pub(super) fn print_release(summary: &ReleaseSummary, format: OutputFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string(summary)?)?,
        OutputFormat::Yaml => out.write_all(serde_saphyr::to_string(summary)?.as_bytes())?,
        OutputFormat::Table => {
            writeln!(out, "NAME: {}", summary.name)?;
            writeln!(out, "LAST DEPLOYED: {}", summary.deployed_text)?;
            writeln!(out, "NAMESPACE: {}", summary.namespace)?;
            writeln!(out, "STATUS: {}", summary.status)?;
            writeln!(out, "REVISION: {}", summary.revision)?;
            writeln!(out, "DESCRIPTION: {}", summary.description)?;
            match &summary.test_suite {
                None => writeln!(out, "TEST SUITE: None")?,
                Some(tests) => {
                    for t in tests {
                        writeln!(out, "TEST SUITE:     {}", t.name)?;
                        writeln!(out, "Last Started:   {}", t.started)?;
                        writeln!(out, "Last Completed: {}", t.completed)?;
                        writeln!(out, "Phase:          {}", t.phase)?;
                    }
                }
            }
            if !summary.notes.is_empty() {
                writeln!(out, "NOTES:\n{}", summary.notes.trim_end())?;
            }
        }
    }
    Ok(())
}

/// Left-aligned columns separated by a tab, each padded to its widest cell (Helm's uitable).
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

pub fn test(args: TestArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = connect(global, false, 0).await?;
        let opts = TestOptions {
            release_name: args.name,
            timeout: args.timeout,
            filter: TestFilter::parse(&args.filter)?,
        };
        let report = test_hooks::test(&client, &opts, &progress).await?;
        print_release(&ReleaseSummary::of(&report.release), args.output)?;
        if args.logs {
            let mut out = std::io::stdout().lock();
            for (pod, log) in test_hooks::test_logs(&client, &report.release, &opts.filter).await? {
                writeln!(out, "POD LOGS: {pod}\n{log}")?;
            }
        }
        match report.failure {
            Some(e) => Err(flatten(&e)),
            None => anyhow::Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_pads_columns() {
        let rows = vec![
            vec!["NAME".to_owned(), "STATUS".to_owned()],
            vec!["web-frontend".to_owned(), "deployed".to_owned()],
        ];
        assert_eq!(
            super::table(&rows),
            "NAME        \tSTATUS  \nweb-frontend\tdeployed\n"
        );
    }
}
