//! Repository commands (`repo add/list/update/remove/index`, `search repo`, `pull repo/chart`)
//! and the hook that turns `repo/chart`, `--repo URL` and `http(s)://` chart references into
//! a verified archive in the content cache before `template`, `install`, `upgrade` and
//! `show` load them.
//!
//! Paths: `--repository-config` (else `$RUDDER_REPOSITORY_CONFIG`, else
//! `$XDG_CONFIG_HOME/rudder/repositories.yaml`, else `~/.config/rudder/repositories.yaml`),
//! `--repository-cache` (`$RUDDER_REPOSITORY_CACHE`, else `<cache>/rudder/repository`) and
//! `--content-cache` (`$RUDDER_CONTENT_CACHE`, else `<cache>/rudder/content`), where
//! `<cache>` is `$XDG_CACHE_HOME` or `~/.cache`. The files have Helm's formats.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rudder_action::repo::{self, Connection, Credentials, LocateOptions, RepoPaths, TlsFiles};

use crate::cli::OutputFormat;

/// Where repository state lives (global flags).
#[derive(Debug, Clone, Default, Args)]
pub struct RepoPathFlags {
    /// Path to the file containing repository names and URLs.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "RUDDER_REPOSITORY_CONFIG"
    )]
    pub repository_config: Option<PathBuf>,
    /// Path to the directory containing cached repository indexes.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "RUDDER_REPOSITORY_CACHE"
    )]
    pub repository_cache: Option<PathBuf>,
    /// Path to the directory containing cached content (e.g. charts).
    #[arg(long, global = true, value_name = "DIR", env = "RUDDER_CONTENT_CACHE")]
    pub content_cache: Option<PathBuf>,
}

impl RepoPathFlags {
    /// The paths, with the defaults the module docs describe.
    pub(crate) fn paths(&self) -> anyhow::Result<RepoPaths> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = || env("HOME").context("cannot locate the user's directories: set HOME");
        let config = match env("XDG_CONFIG_HOME") {
            Some(x) => x.join("rudder"),
            None => home()?.join(".config/rudder"),
        };
        let cache = match env("XDG_CACHE_HOME") {
            Some(x) => x.join("rudder"),
            None => home()?.join(".cache/rudder"),
        };
        Ok(RepoPaths {
            repository_config: self
                .repository_config
                .clone()
                .unwrap_or_else(|| config.join("repositories.yaml")),
            repository_cache: self
                .repository_cache
                .clone()
                .unwrap_or_else(|| cache.join("repository")),
            content_cache: self
                .content_cache
                .clone()
                .unwrap_or_else(|| cache.join("content")),
        })
    }
}

/// Credentials and TLS flags for reaching a chart repository.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionFlags {
    /// Chart repository username.
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Chart repository password.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// Pass credentials to all domains.
    #[arg(long)]
    pub pass_credentials: bool,
    /// TLS files and switches (shared with the registry commands).
    #[command(flatten)]
    pub tls: crate::commands::registry::TlsFlags,
}

impl ConnectionFlags {
    fn connection(&self, password: Option<String>) -> Connection {
        let password = password.or_else(|| self.password.clone());
        Connection {
            credentials: (self.username.is_some() || password.is_some()).then(|| Credentials {
                username: self.username.clone().unwrap_or_default(),
                password: password.unwrap_or_default(),
            }),
            pass_credentials_all: self.pass_credentials,
            tls: TlsFiles {
                ca_file: self.tls.ca_file.clone(),
                cert_file: self.tls.cert_file.clone(),
                key_file: self.tls.key_file.clone(),
                insecure_skip_tls_verify: self.tls.insecure_skip_tls_verify,
            },
            timeout: None,
        }
    }
}

/// How to find a chart in a repository (`--repo`, `--devel` and the connection flags).
#[derive(Debug, Clone, Default, Args)]
pub struct LocateFlags {
    /// Chart repository URL where to locate the requested chart.
    #[arg(long = "repo", value_name = "URL")]
    pub repo_url: Option<String>,
    /// Use development versions, too (equivalent to version '>0.0.0-0'); ignored with --version.
    #[arg(long)]
    pub devel: bool,
    /// Connection flags.
    #[command(flatten)]
    pub connection: ConnectionFlags,
}

impl LocateFlags {
    fn options(&self, version: Option<&str>) -> LocateOptions {
        LocateOptions {
            version: version.map(str::to_string),
            devel: self.devel,
            repo_url: self.repo_url.clone(),
            connection: self.connection.connection(None),
            provenance: false,
            verify: None,
        }
    }
}

/// Repository flags of `template`, `install` and `upgrade`.
#[derive(Debug, Clone, Default, Args)]
pub struct RepoChartFlags {
    /// How to locate a repository chart.
    #[command(flatten)]
    pub locate: LocateFlags,
    /// Update dependencies if they are missing before installing the chart.
    #[arg(long)]
    pub dependency_update: bool,
}

/// Source flags of `show` (`--version` and the repository flags).
#[derive(Debug, Clone, Default, Args)]
pub struct ShowSourceFlags {
    /// Version constraint for a repository chart (the newest release when omitted).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// How to locate a repository chart.
    #[command(flatten)]
    pub locate: LocateFlags,
}

/// Resolves a repository reference to its archive in the content cache; any other
/// reference (a path, `oci://`, a plugin scheme) is returned unchanged. With `verify`, a
/// repository chart is checked against its downloaded `.prov` and a local archive against
/// the `.prov` beside it (a chart directory cannot be verified, as in Helm); `oci://` charts
/// are verified when they are fetched (see `ChartSourceFlags::oci_source`).
pub(crate) fn resolve_chart(
    chart: &Path,
    version: Option<&str>,
    locate: &LocateFlags,
    verify: Option<rudder_action::verify::VerifyOptions>,
    paths: &RepoPathFlags,
) -> anyhow::Result<PathBuf> {
    let text = chart.to_string_lossy();
    if !repo::is_repo_reference(&text, locate.repo_url.as_deref()) {
        if let Some(verify) = verify.filter(|_| !text.starts_with("oci://")) {
            rudder_action::verify::verify_chart(chart, &verify)?;
        }
        return Ok(chart.to_path_buf());
    }
    let options = LocateOptions {
        verify,
        ..locate.options(version)
    };
    let located = repo::locate_chart_blocking(&text, &options, &paths.paths()?)?;
    tracing::debug!("{text}: {} ({})", located.url, located.digest);
    Ok(located.path)
}

/// The hook for `template`, `install` and `upgrade`: locates repository charts, and with
/// `--dependency-update` fills a local chart's missing dependencies first.
pub(crate) fn prepare_chart(
    chart: &Path,
    source: &crate::commands::registry::ChartSourceFlags,
    paths: &RepoPathFlags,
) -> anyhow::Result<PathBuf> {
    let resolved = resolve_chart(
        chart,
        source.version.as_deref(),
        &source.repo.locate,
        source.verify_options(),
        paths,
    )?;
    if source.repo.dependency_update
        && resolved.is_dir()
        && rudder_action::dependency::missing_dependencies(&resolved)?
    {
        let args = crate::commands::dependency::DependencyUpdateArgs {
            chart: resolved.clone(),
            skip_refresh: false,
            registry: source.registry.clone(),
        };
        crate::commands::dependency::update_dir(&args, paths)?;
    }
    Ok(resolved)
}

/// [`prepare_chart`] for `template`, whose chart is the last positional argument.
pub(crate) fn prepare_template(
    args: &mut crate::cli::TemplateArgs,
    paths: &RepoPathFlags,
) -> anyhow::Result<()> {
    if let Some(chart) = args.args.last_mut() {
        let resolved = prepare_chart(Path::new(chart.as_str()), &args.source, paths)?;
        *chart = resolved.to_string_lossy().into_owned();
    }
    Ok(())
}

/// [`resolve_chart`] for every `show` subcommand.
pub(crate) fn prepare_show(
    cmd: &mut crate::cli::ShowCommand,
    paths: &RepoPathFlags,
) -> anyhow::Result<()> {
    use crate::cli::ShowCommand as S;
    let args = match cmd {
        S::All(a) | S::Chart(a) | S::Values(a) | S::Readme(a) | S::Crds(a) => a,
    };
    args.chart = resolve_chart(
        &args.chart,
        args.source.version.as_deref(),
        &args.source.locate,
        None,
        paths,
    )?;
    Ok(())
}

/// Whether `pull` should go through the repository path.
pub(crate) fn is_repo_pull(args: &crate::commands::registry::PullArgs) -> bool {
    repo::is_repo_reference(&args.chart, args.repo.repo_url.as_deref())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `pull repo/chart`.
pub(crate) fn pull(
    args: crate::commands::registry::PullArgs,
    paths: &RepoPathFlags,
) -> anyhow::Result<()> {
    let pull = repo::PullOptions {
        destination: args.destination,
        untar: args.untar,
        untar_dir: args.untardir,
        verify: crate::commands::registry::verify_options(args.verify, args.keyring.as_ref()),
        prov: args.prov,
    };
    let out = runtime()?.block_on(repo::pull(
        &args.chart,
        &args.repo.options(args.version.as_deref()),
        &pull,
        &paths.paths()?,
    ))?;
    if let Some(v) = &out.verification {
        crate::commands::registry::print_verification(&mut std::io::stdout().lock(), v)?;
    }
    Ok(())
}

/// `rudder repo`.
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Add a chart repository.
    Add(RepoAddArgs),
    /// List chart repositories.
    #[command(visible_alias = "ls")]
    List(RepoListArgs),
    /// Update information of available charts locally from chart repositories.
    #[command(visible_alias = "up")]
    Update(RepoUpdateArgs),
    /// Remove one or more chart repositories.
    #[command(visible_alias = "rm")]
    Remove(RepoRemoveArgs),
    /// Generate an index file given a directory containing packaged charts.
    Index(RepoIndexArgs),
}

/// `rudder repo add`. Its `Debug` output redacts the password.
#[derive(Args)]
pub struct RepoAddArgs {
    /// Repository name.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Repository URL.
    #[arg(value_name = "URL")]
    pub url: String,
    /// Credentials and TLS flags stored with the repository.
    #[command(flatten)]
    pub connection: ConnectionFlags,
    /// Read chart repository password from stdin.
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// Replace (overwrite) the repo if it already exists.
    #[arg(long)]
    pub force_update: bool,
    /// Time to wait for the index file download to complete.
    #[arg(long, value_name = "DURATION", default_value = "2m0s", value_parser = crate::cli::parse_duration)]
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for RepoAddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoAddArgs")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.connection.username)
            .field(
                "password",
                &self.connection.password.as_ref().map(|_| "<redacted>"),
            )
            .field("force_update", &self.force_update)
            .finish_non_exhaustive()
    }
}

/// `rudder repo list`.
#[derive(Debug, Args)]
pub struct RepoListArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
    /// Suppress headers in the table output.
    #[arg(long)]
    pub no_headers: bool,
}

/// `rudder repo update`.
#[derive(Debug, Args)]
pub struct RepoUpdateArgs {
    /// Repositories to update (all when none is given).
    #[arg(value_name = "REPO")]
    pub names: Vec<String>,
    /// Update the repositories with a deadline per repository.
    #[arg(long, value_name = "DURATION", default_value = "2m0s", value_parser = crate::cli::parse_duration)]
    pub timeout: std::time::Duration,
}

/// `rudder repo remove`.
#[derive(Debug, Args)]
pub struct RepoRemoveArgs {
    /// Repositories to remove.
    #[arg(value_name = "REPO", required = true)]
    pub names: Vec<String>,
}

/// `rudder repo index`.
#[derive(Debug, Args)]
pub struct RepoIndexArgs {
    /// Directory of packaged charts.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// URL of the chart repository.
    #[arg(long)]
    pub url: Option<String>,
    /// Merge the generated index into the given index.
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,
}

/// `rudder search`.
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Search repositories for a keyword in charts.
    Repo(SearchRepoArgs),
}

/// `rudder search repo`.
#[derive(Debug, Args)]
pub struct SearchRepoArgs {
    /// Keywords (joined with spaces); every chart when omitted.
    #[arg(value_name = "KEYWORD")]
    pub keywords: Vec<String>,
    /// Use regular expressions for searching.
    #[arg(short = 'r', long)]
    pub regexp: bool,
    /// Search using semantic versioning constraints.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Show the long listing, with each version of each chart on its own line.
    #[arg(short = 'l', long)]
    pub versions: bool,
    /// Use development versions (alpha, beta, and release candidate releases), too.
    #[arg(long)]
    pub devel: bool,
    /// Maximum column width for the table output.
    #[arg(long, default_value_t = 50)]
    pub max_col_width: usize,
    /// Fail when no results are found.
    #[arg(long)]
    pub fail_on_no_result: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: OutputFormat,
}

/// Runs `rudder repo …`.
pub fn run(cmd: RepoCommand, paths: &RepoPathFlags) -> anyhow::Result<()> {
    let paths = paths.paths()?;
    let mut out = std::io::stdout().lock();
    match cmd {
        RepoCommand::Add(args) => {
            let password = if args.password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("cannot read the password from stdin")?;
                Some(s.trim_end_matches(['\n', '\r']).to_string())
            } else {
                None
            };
            let mut connection = args.connection.connection(password);
            connection.timeout = Some(args.timeout);
            let opts = repo::AddOptions {
                name: args.name.clone(),
                url: args.url.clone(),
                connection,
                force_update: args.force_update,
            };
            match runtime()?.block_on(repo::add(&opts, &paths))? {
                repo::AddOutcome::Added => {
                    writeln!(out, "{:?} has been added to your repositories", args.name)?;
                }
                repo::AddOutcome::Unchanged => writeln!(
                    out,
                    "{:?} already exists with the same configuration, skipping",
                    args.name
                )?,
            }
        }
        RepoCommand::List(args) => {
            let repos = repo::list(&paths)?;
            match args.output {
                OutputFormat::Table => {
                    if repos.is_empty() {
                        anyhow::bail!("no repositories to show");
                    }
                    let mut rows = Vec::new();
                    if !args.no_headers {
                        rows.push(vec!["NAME".to_string(), "URL".to_string()]);
                    }
                    rows.extend(repos.iter().map(|r| vec![r.name.clone(), r.url.clone()]));
                    out.write_all(table(&rows, 0).as_bytes())?;
                }
                format => {
                    let value: Vec<RepoRecord<'_>> = repos
                        .iter()
                        .map(|r| RepoRecord {
                            name: &r.name,
                            url: &r.url,
                        })
                        .collect();
                    write_structured(&mut out, &value, format)?;
                }
            }
        }
        RepoCommand::Update(args) => {
            writeln!(
                out,
                "Hang tight while we grab the latest from your chart repositories..."
            )?;
            let results =
                runtime()?.block_on(repo::update(&args.names, &paths, Some(args.timeout)))?;
            let mut failed = Vec::new();
            for r in &results {
                match &r.result {
                    Ok(()) => writeln!(
                        out,
                        "...Successfully got an update from the {:?} chart repository",
                        r.name
                    )?,
                    Err(e) => {
                        writeln!(
                            out,
                            "...Unable to get an update from the {:?} chart repository ({}): {}",
                            r.name,
                            r.url,
                            error_chain(e)
                        )?;
                        failed.push(r.name.clone());
                    }
                }
            }
            if !failed.is_empty() {
                anyhow::bail!(
                    "failed to update the following repositories: [{}]",
                    failed.join(" ")
                );
            }
            writeln!(out, "Update Complete. ⎈Happy Helming!⎈")?;
        }
        RepoCommand::Remove(args) => {
            repo::remove(&args.names, &paths)?;
            for name in &args.names {
                writeln!(out, "{name:?} has been removed from your repositories")?;
            }
        }
        RepoCommand::Index(args) => {
            repo::index(&repo::IndexOptions {
                dir: args.dir,
                url: args.url.unwrap_or_default(),
                merge: args.merge,
            })?;
        }
    }
    Ok(())
}

/// Runs `rudder search …`.
pub fn search(cmd: SearchCommand, paths: &RepoPathFlags) -> anyhow::Result<()> {
    let SearchCommand::Repo(args) = cmd;
    let opts = repo::SearchOptions {
        keyword: args.keywords.join(" "),
        regexp: args.regexp,
        version: args.version,
        versions: args.versions,
        devel: args.devel,
    };
    let found = repo::search(&opts, &paths.paths()?)?;
    for name in &found.unreadable {
        tracing::warn!("repo {name:?} is corrupt or missing. Try 'rudder repo update'.");
    }
    if args.fail_on_no_result && found.hits.is_empty() {
        anyhow::bail!("no results found");
    }
    let mut out = std::io::stdout().lock();
    match args.output {
        OutputFormat::Table => {
            if found.hits.is_empty() {
                writeln!(out, "No results found")?;
                return Ok(());
            }
            let mut rows = vec![vec![
                "NAME".to_string(),
                "CHART VERSION".to_string(),
                "APP VERSION".to_string(),
                "DESCRIPTION".to_string(),
            ]];
            rows.extend(found.hits.iter().map(|h| {
                vec![
                    h.name.clone(),
                    h.version.clone(),
                    h.app_version.clone(),
                    h.description.clone(),
                ]
            }));
            out.write_all(table(&rows, args.max_col_width).as_bytes())?;
        }
        format => {
            let value: Vec<SearchRecord<'_>> = found
                .hits
                .iter()
                .map(|h| SearchRecord {
                    name: &h.name,
                    version: &h.version,
                    app_version: &h.app_version,
                    description: &h.description,
                })
                .collect();
            write_structured(&mut out, &value, format)?;
        }
    }
    Ok(())
}

/// An error and its causes on one line.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        source = s.source();
    }
    text.lines().collect::<Vec<_>>().join(" ")
}

/// Writes `value` as Helm's `-o json` (Go's encoder: fields in declaration order, HTML
/// characters escaped, one line) or `-o yaml` (keys sorted).
pub(crate) fn write_structured<T: serde::Serialize>(
    out: &mut impl std::io::Write,
    value: &T,
    format: OutputFormat,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => {
            // In JSON text these characters only occur inside strings.
            let text = serde_json::to_string(value)?
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026");
            writeln!(out, "{text}")?;
        }
        _ => {
            // Through serde_json's sorted maps, as sigs.k8s.io/yaml sorts keys.
            let sorted = serde_json::to_value(value)?;
            out.write_all(repo::helm_yaml(&sorted).as_bytes())?;
        }
    }
    Ok(())
}

/// A search result as Helm's `-o json|yaml` writes it.
#[derive(serde::Serialize)]
struct SearchRecord<'a> {
    name: &'a str,
    version: &'a str,
    app_version: &'a str,
    description: &'a str,
}

/// A repository as `repo list -o json|yaml` writes it.
#[derive(serde::Serialize)]
struct RepoRecord<'a> {
    name: &'a str,
    url: &'a str,
}

/// A table as Helm's `uitable` prints it: every cell padded to its column's width
/// (truncated with `...` past `max_width` when that is not 0), cells joined with a tab.
pub(crate) fn table(rows: &[Vec<String>], max_width: usize) -> String {
    let cell = |s: &str| -> String {
        if max_width > 0 && s.chars().count() > max_width {
            let keep = max_width.saturating_sub(3);
            format!("{}...", s.chars().take(keep).collect::<String>())
        } else {
            s.to_string()
        }
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| cell(c)).collect())
        .collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect();
        out.push_str(&line.join("\t"));
        out.push('\n');
    }
    out
}
