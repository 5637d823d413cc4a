//! Registry commands: `push`, `pull`, `registry login` and `registry logout`.
//!
//! Credentials live in Helm's registry config file, so a `helm registry login` is seen by
//! `rudder` and the reverse: `--registry-config`, else `$HELM_REGISTRY_CONFIG`, else
//! `$HELM_CONFIG_HOME/registry/config.json`, else `$XDG_CONFIG_HOME/helm/registry/config.json`,
//! else `~/.config/helm/registry/config.json`. Hosts that file has no credentials for are
//! looked up (read-only) in Docker's config: `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`. Credential helpers named in either file (`credsStore`,
//! `credHelpers`) are run as Docker runs them.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use rudder_action::oci::{self, PullOptions, RegistryOptions, TlsOptions};
use rudder_action::verify::VerifyOptions;

use crate::commands::repo::ConnectionFlags;

/// Connection flags shared by the registry commands.
#[derive(Debug, Clone, Args)]
pub struct RegistryFlags {
    /// Use insecure HTTP connections for the chart upload/download.
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Path to the registry config file.
    #[arg(long = "registry-config", value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
}

/// TLS flags: of `push` directly, and of `pull`, `template`, `install`, `upgrade` and the
/// repository commands through the repository connection flags, which apply them to
/// `oci://` registries and classic repositories alike.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsFlags {
    /// Verify certificates of HTTPS-enabled servers using this CA bundle.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Identify HTTPS client using this SSL certificate file (classic repositories; refused
    /// for OCI registries, whose client library cannot send one).
    #[arg(long, value_name = "FILE")]
    pub cert_file: Option<PathBuf>,
    /// Identify HTTPS client using this SSL key file (see --cert-file).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Skip tls certificate checks for the chart download or upload.
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
}

impl TlsFlags {
    pub(crate) fn options(&self) -> TlsOptions {
        TlsOptions {
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
        }
    }
}

/// `--verify`/`--keyring` as action options.
pub(crate) fn verify_options(verify: bool, keyring: Option<&PathBuf>) -> Option<VerifyOptions> {
    verify.then(|| VerifyOptions {
        keyring: keyring
            .cloned()
            .unwrap_or_else(crate::commands::provenance::default_keyring),
    })
}

/// Prints what `--verify` established, in Helm's words.
pub(crate) fn print_verification(
    out: &mut impl std::io::Write,
    v: &rudder_action::verify::ChartVerification,
) -> std::io::Result<()> {
    writeln!(out, "Signed by: {}", v.signer)?;
    writeln!(out, "Using Key With Fingerprint: {}", v.fingerprint)?;
    writeln!(out, "Chart Hash Verified: {}", v.file_hash)
}

/// The TLS settings carried by the repository connection flags.
pub(crate) fn tls_of(connection: &ConnectionFlags) -> TlsOptions {
    connection.tls.options()
}

/// Flags of commands that accept an `oci://` chart reference (`template`, `install`,
/// `upgrade`).
#[derive(Debug, Clone, Args)]
pub struct ChartSourceFlags {
    /// Version constraint for an `oci://` chart: an exact version or a range such as `^1.2`
    /// (Helm's Masterminds syntax). The newest version when omitted.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Registry connection flags.
    #[command(flatten)]
    pub registry: RegistryFlags,
    /// Verify the chart against its provenance (`<archive>.prov`, the provenance layer of an
    /// `oci://` chart, or `<url>.prov` of a repository chart) before using it.
    #[arg(long)]
    pub verify: bool,
    /// Keyring of trusted public keys for --verify (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
    // --- repo/dependency commands ---
    /// Repository flags for `repo/chart` references and `--dependency-update`.
    #[command(flatten)]
    pub repo: crate::commands::repo::RepoChartFlags,
}

impl ChartSourceFlags {
    /// The OCI source for `chart`, or `None` when it is not an `oci://` reference.
    pub(crate) fn oci_source(&self, chart: &str) -> anyhow::Result<Option<oci::OciSource>> {
        if !oci::is_oci_reference(chart) {
            return Ok(None);
        }
        Ok(Some(oci::OciSource {
            version: self.version.clone(),
            registry: self
                .registry
                .options(tls_of(&self.repo.locate.connection))?,
            verify: self.verify_options(),
        }))
    }

    /// The `--verify` settings, if asked for.
    pub(crate) fn verify_options(&self) -> Option<VerifyOptions> {
        verify_options(self.verify, self.keyring.as_ref())
    }
}

impl RegistryFlags {
    // --- repo/dependency commands: also used for `oci://` dependencies ---
    pub(crate) fn options(&self, tls: TlsOptions) -> anyhow::Result<RegistryOptions> {
        Ok(RegistryOptions {
            plain_http: self.plain_http,
            tls,
            docker_config: docker_config(),
            registry_config: match &self.registry_config {
                Some(p) => p.clone(),
                None => default_registry_config()?,
            },
        })
    }
}

/// Docker's config file (see the module docs), if its location can be known.
fn docker_config() -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    match env("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => env("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// Helm's default registry config path (see the module docs).
fn default_registry_config() -> anyhow::Result<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = env("HELM_REGISTRY_CONFIG") {
        return Ok(p.into());
    }
    let config_home = if let Some(h) = env("HELM_CONFIG_HOME") {
        PathBuf::from(h)
    } else if let Some(x) = env("XDG_CONFIG_HOME") {
        PathBuf::from(x).join("helm")
    } else if let Some(home) = env("HOME") {
        PathBuf::from(home).join(".config/helm")
    } else {
        anyhow::bail!("cannot locate the registry config: set --registry-config or HOME");
    };
    Ok(config_home.join("registry/config.json"))
}

/// `rudder push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The packaged chart (`.tgz`).
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,
    /// The registry location (`oci://host/path`).
    #[arg(value_name = "REMOTE")]
    pub remote: String,
    #[command(flatten)]
    pub registry: RegistryFlags,
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// `rudder pull`.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// The chart reference (`oci://host/path/name[:tag][@sha256:digest]`).
    #[arg(value_name = "CHART")]
    pub chart: String,
    /// Version or version constraint (Masterminds semver); the newest when omitted.
    #[arg(long)]
    pub version: Option<String>,
    /// Unpack the chart after downloading it.
    #[arg(long)]
    pub untar: bool,
    /// Where to unpack the chart with `--untar`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub untardir: PathBuf,
    /// Verify the chart against its provenance before writing anything.
    #[arg(long)]
    pub verify: bool,
    /// Keyring of trusted public keys for --verify (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
    /// Fetch the provenance file, but don't perform verification.
    #[arg(long)]
    pub prov: bool,
    /// Directory to write the chart to.
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    #[command(flatten)]
    pub registry: RegistryFlags,
    // --- repo/dependency commands ---
    /// Repository flags for `repo/chart` references.
    #[command(flatten)]
    pub repo: crate::commands::repo::LocateFlags,
}

/// `rudder registry`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Log in to a registry (credentials are checked, then stored in the registry config).
    Login(LoginArgs),
    /// Log out of a registry (remove its stored credentials).
    Logout(LogoutArgs),
}

/// `rudder registry login`. Its `Debug` output redacts the password.
#[derive(Args)]
pub struct LoginArgs {
    /// Registry host (`host[:port]`).
    #[arg(value_name = "HOST")]
    pub host: String,
    /// Registry username.
    #[arg(short = 'u', long)]
    pub username: String,
    /// Registry password or identity token.
    #[arg(short = 'p', long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from stdin.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
    /// Verify certificates of HTTPS-enabled servers using this CA bundle.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Identify registry client using this SSL certificate file (not supported for OCI
    /// registries: refused with an error).
    #[arg(long, value_name = "FILE")]
    pub cert_file: Option<PathBuf>,
    /// Identify registry client using this SSL key file (see --cert-file).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Allow connections to TLS registry without certs.
    #[arg(long)]
    pub insecure: bool,
    #[command(flatten)]
    pub registry: RegistryFlags,
}

impl std::fmt::Debug for LoginArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginArgs")
            .field("host", &self.host)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_stdin", &self.password_stdin)
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("insecure", &self.insecure)
            .field("registry", &self.registry)
            .finish()
    }
}

/// `rudder registry logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Registry host (`host[:port]`).
    #[arg(value_name = "HOST")]
    pub host: String,
    /// Path to the registry config file.
    #[arg(long = "registry-config", value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `rudder push`.
pub fn push(args: PushArgs) -> anyhow::Result<()> {
    let opts = args.registry.options(args.tls.options())?;
    let out = runtime()?.block_on(oci::push(&args.chart, &args.remote, &opts))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Pushed: {}", out.reference)?;
    writeln!(stdout, "Digest: {}", out.digest)?;
    Ok(())
}

/// Runs `rudder pull`.
pub fn pull(args: PullArgs) -> anyhow::Result<()> {
    if !oci::is_oci_reference(&args.chart) {
        anyhow::bail!(
            "{}: only oci:// references can be pulled (classic repositories are not supported yet)",
            args.chart
        );
    }
    let opts = args.registry.options(tls_of(&args.repo.connection))?;
    let pull = PullOptions {
        version: args.version,
        destination: args.destination,
        untar: args.untar,
        untar_dir: args.untardir,
        verify: verify_options(args.verify, args.keyring.as_ref()),
    };
    let out = runtime()?.block_on(oci::pull(&args.chart, &pull, &opts))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Pulled: {}", out.reference)?;
    writeln!(stdout, "Digest: {}", out.digest)?;
    if let Some(v) = &out.verification {
        print_verification(&mut stdout, v)?;
    }
    Ok(())
}

/// Runs `rudder registry …`.
pub fn registry(cmd: RegistryCommand) -> anyhow::Result<()> {
    match cmd {
        RegistryCommand::Login(args) => login(args),
        RegistryCommand::Logout(args) => logout(args),
    }
}

fn login(args: LoginArgs) -> anyhow::Result<()> {
    let password = match (args.password, args.password_stdin) {
        (Some(p), _) => p,
        (None, true) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the password from stdin")?;
            s.trim_end_matches(['\n', '\r']).to_string()
        }
        (None, false) => anyhow::bail!("give the password with -p/--password or --password-stdin"),
    };
    let tls = TlsOptions {
        ca_file: args.ca_file.clone(),
        cert_file: args.cert_file.clone(),
        key_file: args.key_file.clone(),
        insecure_skip_tls_verify: args.insecure,
    };
    let opts = args.registry.options(tls)?;
    runtime()?.block_on(oci::login(&args.host, &args.username, &password, &opts))?;
    writeln!(std::io::stdout().lock(), "Login Succeeded")?;
    Ok(())
}

fn logout(args: LogoutArgs) -> anyhow::Result<()> {
    let opts = RegistryFlags {
        plain_http: false,
        registry_config: args.registry_config,
    }
    .options(TlsOptions::default())?;
    if !oci::logout(&args.host, &opts)? {
        anyhow::bail!("not logged in to {}", args.host);
    }
    writeln!(
        std::io::stderr().lock(),
        "Removing login credentials for {}",
        args.host
    )?;
    Ok(())
}
