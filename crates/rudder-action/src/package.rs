//! `package`: write a reproducible chart archive, and with [`PackageOptions::sign`] its
//! provenance file (`<archive>.prov`) as `helm package --sign` does.

use std::path::{Path, PathBuf};

use crate::ActionError;

/// Options of [`package`].
#[derive(Debug, Clone, Default)]
pub struct PackageOptions {
    /// Directory to write the archive to.
    pub destination: PathBuf,
    /// Replace the chart version.
    pub version: Option<String>,
    /// Replace the app version.
    pub app_version: Option<String>,
    /// Sign the archive: write `<archive>.prov` beside it.
    pub sign: Option<SigningOptions>,
}

/// How to sign an archive (Helm's `--key`, `--keyring`, `--passphrase-file`).
#[derive(Clone)]
pub struct SigningOptions {
    /// The keyring holding the secret key (GnuPG `secring.gpg` or an armored secret key).
    pub keyring: PathBuf,
    /// The key: a user-id substring or a fingerprint.
    pub key: String,
    /// The passphrase of a protected key.
    pub passphrase: Option<String>,
}

impl std::fmt::Debug for SigningOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningOptions")
            .field("keyring", &self.keyring)
            .field("key", &self.key)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Packages the chart directory `chart_dir` into `<destination>/<name>-<version>.tgz`.
/// The same input always gives the same bytes. With [`PackageOptions::sign`], the
/// archive's provenance is written to `<archive>.prov` (see [`sign_chart`]).
pub fn package(chart_dir: &Path, opts: &PackageOptions) -> Result<PathBuf, ActionError> {
    // Read the keyring first: an unreadable keyring fails before anything is written.
    let keyring = match &opts.sign {
        Some(sign) => Some(rudder_provenance::Keyring::load(&sign.keyring)?),
        None => None,
    };
    let mut options = rudder_chart::package::PackageOptions::default();
    if let Some(v) = &opts.version {
        options = options.with_version(v.clone());
    }
    if let Some(v) = &opts.app_version {
        options = options.with_app_version(v.clone());
    }
    let archive = rudder_chart::package::package(chart_dir, &opts.destination, &options)?;
    if let (Some(sign), Some(keyring)) = (&opts.sign, &keyring) {
        sign_chart_with(&archive, keyring, sign)?;
    }
    Ok(archive)
}

/// Writes `<archive>.prov` for an existing chart archive and returns its path. The signed
/// metadata is the archive's Chart.yaml as Helm marshals it.
pub fn sign_chart(archive: &Path, sign: &SigningOptions) -> Result<PathBuf, ActionError> {
    let keyring = rudder_provenance::Keyring::load(&sign.keyring)?;
    sign_chart_with(archive, &keyring, sign)
}

fn sign_chart_with(
    archive: &Path,
    keyring: &rudder_provenance::Keyring,
    sign: &SigningOptions,
) -> Result<PathBuf, ActionError> {
    let bytes = std::fs::read(archive).map_err(|source| ActionError::Write {
        path: archive.to_path_buf(),
        source,
    })?;
    let name = file_name(archive);
    let chart = rudder_chart::loader::load_archive(
        bytes.as_slice(),
        &name,
        &rudder_chart::loader::LoadOptions::default(),
    )?;
    let body = rudder_provenance::ProvBody::for_archive(
        rudder_chart::metadata_yaml(&chart.metadata),
        &name,
        &bytes,
    );
    let text = rudder_provenance::sign(&body, keyring, &sign.key, sign.passphrase.as_deref())?;
    let prov = rudder_provenance::prov_path(archive);
    std::fs::write(&prov, text).map_err(|source| ActionError::Write {
        path: prov.clone(),
        source,
    })?;
    tracing::debug!("wrote {}", prov.display());
    Ok(prov)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
