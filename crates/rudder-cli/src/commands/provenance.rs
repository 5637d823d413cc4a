//! Provenance commands: `rudder verify CHART.tgz`, `rudder plugin package`, `rudder plugin
//! verify`, and the signing options of `rudder package --sign`.
//!
//! Environment read here: `GNUPGHOME` and `HOME` (the default keyring, as Helm:
//! `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`) and `HELM_KEY_PASSPHRASE` (the
//! signing key's passphrase when no `--passphrase-file` is given). Passphrases are never
//! printed or logged.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use rudder_action::package::SigningOptions;
use rudder_action::plugin_provenance::{self, PluginPackageOptions};
use rudder_action::verify::{self, VerifyOptions};

/// Helm's default keyring: `$GNUPGHOME/pubring.gpg`, else `~/.gnupg/pubring.gpg`.
pub(crate) fn default_keyring() -> PathBuf {
    match std::env::var_os("GNUPGHOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join("pubring.gpg"),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".gnupg/pubring.gpg"),
    }
}

/// The passphrase: the first line of `file` (`-` is stdin), else `$HELM_KEY_PASSPHRASE`.
fn passphrase(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    let Some(file) = file else {
        return Ok(std::env::var("HELM_KEY_PASSPHRASE").ok());
    };
    let mut line = String::new();
    if file == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the passphrase from stdin")?;
    } else {
        let f = std::fs::File::open(file)
            .with_context(|| format!("cannot read passphrase file {}", file.display()))?;
        std::io::BufReader::new(f)
            .read_line(&mut line)
            .with_context(|| format!("cannot read passphrase file {}", file.display()))?;
    }
    let line = line.strip_suffix('\n').unwrap_or(&line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(Some(line.to_string()))
}

/// The signing options of `package --sign` / `plugin package`.
pub(crate) fn signing(
    key: Option<String>,
    keyring: Option<PathBuf>,
    passphrase_file: Option<&Path>,
) -> anyhow::Result<SigningOptions> {
    let key = key
        .filter(|k| !k.is_empty())
        .context("--key is required for signing a package")?;
    Ok(SigningOptions {
        keyring: keyring.unwrap_or_else(default_keyring),
        key,
        passphrase: passphrase(passphrase_file)?,
    })
}

/// `rudder verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The chart archive (its provenance is <archive>.prov).
    #[arg(value_name = "PATH")]
    pub chart: PathBuf,
    /// Keyring of trusted public keys (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
}

/// Runs `rudder verify` and prints Helm's report.
pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let result = verify::verify_chart(
        &args.chart,
        &VerifyOptions {
            keyring: args.keyring.unwrap_or_else(default_keyring),
        },
    )?;
    println!("Signed by: {}", result.signer);
    println!("Using Key With Fingerprint: {}", result.fingerprint);
    println!("Chart Hash Verified: {}", result.file_hash);
    Ok(())
}

/// `rudder plugin package`.
#[derive(Debug, Args)]
pub struct PluginPackageArgs {
    /// The plugin directory (with plugin.yaml).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Sign the tarball with a PGP private key (Helm's default); `--sign=false` skips it.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    pub sign: bool,
    /// Name of the key to use when signing (a user-id substring or a fingerprint).
    #[arg(long, value_name = "NAME")]
    pub key: Option<String>,
    /// Keyring holding the signing key (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
    /// File whose first line is the key's passphrase ("-" reads stdin).
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
    /// Location to write the tarball.
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
}

/// Runs `rudder plugin package`.
pub fn plugin_package(args: PluginPackageArgs) -> anyhow::Result<()> {
    let sign = if args.sign {
        Some(signing(
            args.key,
            args.keyring,
            args.passphrase_file.as_deref(),
        )?)
    } else {
        None
    };
    let written = plugin_provenance::package(
        &args.path,
        &PluginPackageOptions {
            destination: args.destination,
            sign,
        },
    )?;
    if let Some(prov) = &written.provenance {
        println!(
            "Successfully signed. Signature written to: {}",
            prov.display()
        );
    }
    println!(
        "Successfully packaged plugin and saved it to: {}",
        written.archive.display()
    );
    Ok(())
}

/// `rudder plugin verify`.
#[derive(Debug, Args)]
pub struct PluginVerifyArgs {
    /// A plugin tarball (its provenance is <tarball>.prov), or an installed plugin's
    /// directory (checks the tarball it was installed from).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Keyring of trusted public keys (default: $GNUPGHOME/pubring.gpg, else
    /// ~/.gnupg/pubring.gpg).
    #[arg(long, value_name = "PATH")]
    pub keyring: Option<PathBuf>,
}

/// Runs `rudder plugin verify` and prints Helm's report.
pub fn plugin_verify(args: PluginVerifyArgs) -> anyhow::Result<()> {
    let keyring = args.keyring.unwrap_or_else(default_keyring);
    let result = plugin_provenance::verify(&args.path, &keyring)
        .map_err(|e| anyhow::anyhow!("plugin verification failed: {e}"))?;
    println!("Signed by: {}", result.verified.signer);
    println!(
        "Using Key With Fingerprint: {}",
        result.verified.fingerprint
    );
    println!("Plugin Hash Verified: {}", result.file_hash);
    Ok(())
}
