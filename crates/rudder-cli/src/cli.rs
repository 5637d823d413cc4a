//! Command-line definitions (clap derive). Flag names and meanings follow Helm 4 so
//! that scripts written for `helm` work with `rudder`; each command's handler turns
//! these "low" arguments into an options struct of `rudder-action`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Rudder: a Helm 4-compatible Kubernetes chart and plugin manager.
///
/// Charts of apiVersion v1/v2 render as Helm renders them; apiVersion v3 charts are
/// Rudder's own format (Jinja templates). Exit codes: 0 success, 1 an operation failed,
/// 2 the command line was invalid.
#[derive(Debug, Parser)]
#[command(name = "rudder", version, max_term_width = 100)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Enable verbose output (debug logs on stderr).
    #[arg(long, global = true)]
    pub debug: bool,

    /// Namespace scope for this request.
    #[arg(short = 'n', long, global = true, env = "RUDDER_NAMESPACE")]
    pub namespace: Option<String>,

    /// Path to the kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// Name of the kubeconfig context to use.
    #[arg(long = "kube-context", global = true, value_name = "NAME")]
    pub kube_context: Option<String>,

    // --- repo/dependency commands ---
    /// Repository configuration and cache locations.
    #[command(flatten)]
    pub repo: crate::commands::repo::RepoPathFlags,
}

/// Rudder's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Locally render templates.
    Template(TemplateArgs),
    /// Examine a chart for possible issues.
    Lint(LintArgs),
    /// Package a chart directory into a chart archive.
    Package(PackageArgs),
    /// Create a new chart (apiVersion v3) with the given name.
    Create(CreateArgs),
    /// Show information of a chart.
    #[command(subcommand)]
    Show(ShowCommand),
    /// Install a chart as a new release (waits until its objects are ready by default).
    ///
    /// Deliberate difference from Helm: rudder waits by default (`--wait=watcher`) until every
    /// release object is ready (kstatus rules, driven by the watch API), so a release reported
    /// as deployed is running. `--wait=hookOnly` restores Helm's default (only hooks are waited
    /// for). Objects are applied with server-side apply as field manager `helm` (Helm's own,
    /// so either tool can upgrade what the other applied) and carry Helm's ownership markers;
    /// the release record is Helm's (`helm.sh/release.v1`), so `helm` can list, show, upgrade
    /// and uninstall it. `HELM_DRIVER` selects the storage (secret by default).
    Install(InstallArgs),
    /// List releases.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Display the status of the named release.
    Status(StatusArgs),
    /// Run the tests of a release (its `helm.sh/hook: test` hooks).
    Test(TestArgs),
    /// Uninstall a release.
    #[command(visible_aliases = ["un", "del", "delete"])]
    Uninstall(UninstallArgs),
    // --- release lifecycle commands (upgrade, rollback, history, get, test) ---
    /// Upgrade a release to a new chart or new values (waits until ready by default).
    Upgrade(crate::commands::lifecycle::UpgradeArgs),
    /// Roll a release back to a previous revision.
    Rollback(crate::commands::lifecycle::RollbackArgs),
    /// Fetch release history.
    History(crate::commands::lifecycle::HistoryArgs),
    /// Download extended information of a named release.
    #[command(subcommand)]
    Get(crate::commands::lifecycle::GetCommand),
    // --- plugin commands ---
    /// Install, list or uninstall plugins.
    #[command(subcommand)]
    Plugin(crate::commands::plugin::PluginCommand),
    /// Run an installed cli/v1 plugin: `rudder <plugin-name> [args]`.
    #[command(external_subcommand)]
    External(Vec<String>),
    // --- registry commands (push, pull, registry) ---
    /// Push a chart archive to an OCI registry.
    Push(crate::commands::registry::PushArgs),
    /// Download a chart from an OCI registry.
    Pull(crate::commands::registry::PullArgs),
    /// Log in to or out of an OCI registry.
    #[command(subcommand)]
    Registry(crate::commands::registry::RegistryCommand),
    // --- provenance commands ---
    /// Verify that a chart archive is signed (<chart>.tgz.prov) by a key of the keyring and
    /// unmodified.
    Verify(crate::commands::provenance::VerifyArgs),
    // --- repo/dependency commands ---
    /// Add, list, remove, update, and index chart repositories.
    #[command(subcommand)]
    Repo(crate::commands::repo::RepoCommand),
    /// Search for a keyword in charts.
    #[command(subcommand)]
    Search(crate::commands::repo::SearchCommand),
    /// Manage a chart's dependencies.
    #[command(subcommand, visible_aliases = ["dep", "dependencies"])]
    Dependency(crate::commands::dependency::DependencyCommand),
    /// Print the version information.
    Version(VersionArgs),
    /// Generate the autocompletion script for the specified shell.
    Completion(CompletionArgs),
}

/// Values flags shared by template, install, upgrade and lint (Helm's `--values`/`--set` family).
#[derive(Debug, Args, Default, Clone)]
pub struct ValuesArgs {
    /// Specify values in a YAML file (can specify multiple; multi-document files are merged in order).
    #[arg(
        short = 'f',
        long = "values",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub values: Vec<PathBuf>,
    /// Set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set STRING values on the command line.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set values from respective files specified via the command line (key1=path1,key2=path2).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set JSON values on the command line (key1=jsonval1 or a whole JSON object).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a literal STRING value on the command line.
    #[arg(long = "set-literal", value_name = "KEY=VALUE")]
    pub set_literal: Vec<String>,
}

/// `rudder template`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Release name, then the chart (a directory or a .tgz). With one argument it is the chart.
    #[arg(value_name = "[NAME] CHART", num_args = 1..=2, required = true)]
    pub args: Vec<String>,
    /// Chart version and registry flags for `oci://` charts.
    #[command(flatten)]
    pub source: crate::commands::registry::ChartSourceFlags,
    /// Post-renderer flags.
    #[command(flatten)]
    pub post_render: crate::commands::plugin::PostRenderArgs,
    /// Values flags.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Include CRDs in the templated output.
    #[arg(long)]
    pub include_crds: bool,
    /// If set, no CRDs will be rendered (overrides --include-crds).
    #[arg(long)]
    pub skip_crds: bool,
    /// Only show manifests rendered from the given templates.
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    pub show_only: Vec<String>,
    /// Write the executed templates to files in this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Use the release name in the output-dir path.
    #[arg(long)]
    pub release_name: bool,
    /// Kubernetes version used for Capabilities.KubeVersion.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Kubernetes api versions used for Capabilities.APIVersions (can specify multiple).
    #[arg(
        short = 'a',
        long = "api-versions",
        value_name = "VERSION",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,
    /// Set .Release.IsUpgrade instead of .Release.IsInstall.
    #[arg(long)]
    pub is_upgrade: bool,
    /// Skip tests from templated output.
    #[arg(long)]
    pub skip_tests: bool,
    /// Prevent hooks from being rendered.
    #[arg(long)]
    pub no_hooks: bool,
    /// Skip JSON schema validation of values.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Generate the release name (and omit the NAME argument).
    #[arg(short = 'g', long)]
    pub generate_name: bool,
}

/// `-o` for release commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text (Helm's layout).
    #[default]
    Table,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// `--wait` strategies (Helm 4's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitArg {
    /// Wait until every release object is ready (kstatus, watch-driven).
    Watcher,
    /// Wait for hooks only (Helm's default).
    #[value(name = "hookOnly")]
    HookOnly,
    /// Helm 3's readiness poller (rudder waits with the watcher).
    Legacy,
}

/// `--dry-run` modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunArg {
    /// Render only; no cluster access for objects, `lookup` returns nothing.
    Client,
    /// Render with live `lookup` and have the API server validate every object.
    Server,
}

/// `rudder install`.
///
/// Unlike Helm, rudder waits by default (`--wait=watcher`) until every release object is
/// ready, so a release reported as deployed is running; `--wait=hookOnly` restores Helm's
/// behaviour (only hooks are waited for).
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The chart (a directory, a .tgz, or `oci://host/path/name`).
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// Chart version and registry flags for `oci://` charts.
    #[command(flatten)]
    pub source: crate::commands::registry::ChartSourceFlags,
    /// Post-renderer flags.
    #[command(flatten)]
    pub post_render: crate::commands::plugin::PostRenderArgs,
    /// Values flags.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Create the release namespace if not present.
    #[arg(long)]
    pub create_namespace: bool,
    /// What to wait for: watcher (rudder's default: every object ready), hookOnly (Helm's
    /// default: only hooks), legacy. A bare --wait means watcher.
    #[arg(long, value_enum, value_name = "STRATEGY", default_value = "watcher",
          num_args = 0..=1, default_missing_value = "watcher", require_equals = true)]
    pub wait: WaitArg,
    /// Time to wait for each step (CRDs, each hook, the release objects), e.g. 5m, 90s.
    #[arg(long, value_name = "DURATION", default_value = "5m0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Simulate an install: client renders only; server also validates with the API server.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1,
          default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRunArg>,
    /// Add a custom description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Do not install CRDs from the chart's crds/ directory.
    #[arg(long)]
    pub skip_crds: bool,
    /// Prevent hooks from running.
    #[arg(long)]
    pub no_hooks: bool,
    /// Skip JSON schema validation of values.
    #[arg(long)]
    pub skip_schema_validation: bool,
    /// Limit the maximum number of revisions saved per release (0 for no limit).
    #[arg(long, value_name = "N", default_value_t = 10, env = "HELM_MAX_HISTORY")]
    pub history_max: usize,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    // --- release helper: --wait-for-jobs, --take-ownership, --labels, --force-pending ---
    #[command(flatten)]
    pub release_flags: crate::commands::release::ReleaseFlags,
}

/// `rudder list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// List releases across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Show deployed releases (with other status filters: only those; none: every status).
    #[arg(long)]
    pub deployed: bool,
    /// Show failed releases.
    #[arg(long)]
    pub failed: bool,
    /// Show pending releases (pending-install, pending-upgrade, pending-rollback).
    #[arg(long)]
    pub pending: bool,
    /// Show superseded releases.
    #[arg(long)]
    pub superseded: bool,
    /// Show releases uninstalled with --keep-history.
    #[arg(long)]
    pub uninstalled: bool,
    /// Show releases being uninstalled.
    #[arg(long)]
    pub uninstalling: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// `rudder status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Show the status of this revision instead of the newest.
    #[arg(long, value_name = "N")]
    pub revision: Option<i64>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// `rudder test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Release name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Time to wait for each test to complete.
    #[arg(long, value_name = "DURATION", default_value = "5m0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Print the logs of the test Pods.
    #[arg(long)]
    pub logs: bool,
    /// Run only the tests named (`name=NAME`), or all but them (`!name=NAME`); repeatable.
    #[arg(long, value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// `rudder uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release names.
    #[arg(value_name = "NAME", required = true)]
    pub names: Vec<String>,
    /// Remove all associated resources and mark the release as deleted, but retain the history.
    #[arg(long)]
    pub keep_history: bool,
    /// Wait until all deleted objects are gone.
    #[arg(long)]
    pub wait: bool,
    /// Time to wait for each step, e.g. 5m, 90s.
    #[arg(long, value_name = "DURATION", default_value = "5m0s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Prevent hooks from running.
    #[arg(long)]
    pub no_hooks: bool,
    /// Add a custom description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

/// Parses a Go-style duration (`5m`, `1h2m3s`, `90s`, `1.5s`, `300ms`); a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return duration_secs(secs, text);
    }
    let mut total = 0f64;
    let mut rest = text;
    if rest.is_empty() {
        return Err("empty duration".to_owned());
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in duration {text:?}"))?;
        let number: f64 = rest[..end]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            unit => return Err(format!("unknown unit {unit:?} in duration {text:?}")),
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    duration_secs(total, text)
}

fn duration_secs(secs: f64, text: &str) -> Result<std::time::Duration, String> {
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| format!("invalid duration {text:?}"))
}

/// `rudder lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Chart directories or archives to lint.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Values flags.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Fail on lint warnings.
    #[arg(long)]
    pub strict: bool,
    /// Print only warnings and errors.
    #[arg(long)]
    pub quiet: bool,
    /// Kubernetes version used for capabilities and deprecation checks.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Skip JSON schema validation of values.
    #[arg(long)]
    pub skip_schema_validation: bool,
}

/// `rudder package`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Chart directories to package.
    #[arg(value_name = "CHART_PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Location to write the chart archive.
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
    /// Set the version on the chart to this semver version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Set the appVersion on the chart to this version.
    #[arg(long, value_name = "VERSION")]
    pub app_version: Option<String>,
    // --- provenance commands ---
    /// Use a PGP private key to sign this package (writes <archive>.prov).
    #[arg(long)]
    pub sign: bool,
    /// Name of the key to use when signing (a user-id substring or a fingerprint).
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// Keyring holding the signing key (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg; signing needs the secret key, e.g. a secring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
    /// File whose first line is the passphrase of the signing key ("-" reads stdin; default:
    /// $HELM_KEY_PASSPHRASE).
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

/// `rudder create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name (and directory) of the chart to create.
    #[arg(value_name = "NAME")]
    pub name: PathBuf,
}

/// `rudder show` subcommands.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// Show all information of the chart.
    All(ShowArgs),
    /// Show the chart's definition (Chart.yaml).
    Chart(ShowArgs),
    /// Show the chart's values (values.yaml).
    Values(ShowArgs),
    /// Show the chart's README.
    Readme(ShowArgs),
    /// Show the chart's CRDs.
    Crds(ShowArgs),
}

/// Arguments of every `rudder show` subcommand.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The chart (a directory or a .tgz).
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    // --- repo/dependency commands ---
    /// Version and repository flags for `repo/chart` references.
    #[command(flatten)]
    pub source: crate::commands::repo::ShowSourceFlags,
}

/// `rudder version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the version number.
    #[arg(long)]
    pub short: bool,
    /// Template for the version string (supports `{{.Version}}`, `{{.GitCommit}}`, `{{.RustVersion}}`).
    #[arg(long)]
    pub template: Option<String>,
}

/// Shells for `rudder completion`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// GNU Bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

/// `rudder completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to generate the script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse_like_go() {
        use std::time::Duration;
        assert_eq!(super::parse_duration("5m0s"), Ok(Duration::from_secs(300)));
        assert_eq!(
            super::parse_duration("1h2m3s"),
            Ok(Duration::from_secs(3723))
        );
        assert_eq!(
            super::parse_duration("300ms"),
            Ok(Duration::from_millis(300))
        );
        assert_eq!(super::parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(super::parse_duration("5x").is_err());
        assert!(super::parse_duration("m").is_err());
    }

    #[test]
    fn wait_flag_forms() {
        use clap::Parser;
        let parse = |args: &[&str]| {
            let mut full = vec!["rudder", "install", "r", "chart"];
            full.extend_from_slice(args);
            match super::Cli::try_parse_from(full).map(|c| c.command) {
                Ok(super::Command::Install(a)) => Some((a.wait, a.dry_run)),
                _ => None,
            }
        };
        assert_eq!(parse(&[]), Some((super::WaitArg::Watcher, None)));
        assert_eq!(parse(&["--wait"]), Some((super::WaitArg::Watcher, None)));
        assert_eq!(
            parse(&["--wait=hookOnly"]),
            Some((super::WaitArg::HookOnly, None))
        );
        assert_eq!(
            parse(&["--dry-run"]),
            Some((super::WaitArg::Watcher, Some(super::DryRunArg::Client)))
        );
        assert_eq!(
            parse(&["--dry-run=server"]),
            Some((super::WaitArg::Watcher, Some(super::DryRunArg::Server)))
        );
    }
}
