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
    /// Print the version information.
    Version(VersionArgs),
    /// Generate the autocompletion script for the specified shell.
    Completion(CompletionArgs),
}

/// Values flags shared by template, install, upgrade and lint (Helm's `--values`/`--set` family).
#[derive(Debug, Args, Default, Clone)]
pub struct ValuesArgs {
    /// Specify values in a YAML file (can specify multiple; multi-document files are merged in order).
    #[arg(short = 'f', long = "values", value_name = "FILE", value_delimiter = ',')]
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
    #[arg(short = 'a', long = "api-versions", value_name = "VERSION", value_delimiter = ',')]
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
}
