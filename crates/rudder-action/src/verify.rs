//! `verify`: check a chart archive against its provenance file (`<archive>.prov`), as
//! `helm verify` does: the signature must be made by a key of the keyring, and the
//! archive's sha256 must be the one the provenance lists for its file name.

use std::path::{Path, PathBuf};

use crate::ActionError;

/// Options of [`verify_chart`].
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The keyring holding the trusted public keys.
    pub keyring: PathBuf,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVerification {
    /// The signer's user id.
    pub signer: String,
    /// The signer's key fingerprint (upper-case hex).
    pub fingerprint: String,
    /// `sha256:<hex>` of the archive.
    pub file_hash: String,
}

/// Why a chart cannot be verified before any provenance is read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A chart directory was given.
    #[error("{}: unpacked charts cannot be verified", path.display())]
    Directory {
        /// The path given.
        path: PathBuf,
    },
    /// `--verify` was asked for a chart that has no provenance.
    #[error(
        "{chart}: no provenance file to verify the chart against (sign it with `package --sign`)"
    )]
    NoProvenance {
        /// The chart (reference or file name).
        chart: String,
    },
    /// The path is not a gzip'd archive.
    #[error("{}: chart must be a tgz file", path.display())]
    NotArchive {
        /// The path given.
        path: PathBuf,
    },
}

/// Verifies the chart archive `archive` against `<archive>.prov`.
pub fn verify_chart(
    archive: &Path,
    opts: &VerifyOptions,
) -> Result<ChartVerification, ActionError> {
    if archive.is_dir() {
        return Err(VerifyError::Directory {
            path: archive.to_path_buf(),
        }
        .into());
    }
    let mut magic = [0u8; 2];
    let is_gzip = std::fs::File::open(archive)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b];
    if !is_gzip && archive.exists() {
        return Err(VerifyError::NotArchive {
            path: archive.to_path_buf(),
        }
        .into());
    }
    let prov = rudder_provenance::prov_path(archive);
    if !prov.is_file() {
        return Err(rudder_provenance::ProvenanceError::MissingProvenance { path: prov }.into());
    }
    let read = |path: &Path, what: &'static str| {
        std::fs::read(path).map_err(|source| rudder_provenance::ProvenanceError::Io {
            path: path.to_path_buf(),
            what,
            source,
        })
    };
    let archive_bytes = read(archive, "cannot read archive")?;
    let prov_bytes = read(&prov, "cannot read provenance file")?;
    let name = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    verify_chart_bytes(
        &archive_bytes,
        &name,
        Some(&prov_bytes),
        &archive.display().to_string(),
        opts,
    )
}

/// Verifies chart archive bytes (downloaded, not yet written) against provenance bytes:
/// `file_name` is the name the provenance must list (`<chart>-<version>.tgz`), `shown` names
/// the chart in errors. A missing provenance is an error: the caller asked to verify.
pub fn verify_chart_bytes(
    archive: &[u8],
    file_name: &str,
    provenance: Option<&[u8]>,
    shown: &str,
    opts: &VerifyOptions,
) -> Result<ChartVerification, ActionError> {
    let Some(prov) = provenance else {
        return Err(VerifyError::NoProvenance {
            chart: shown.to_string(),
        }
        .into());
    };
    let keyring = rudder_provenance::Keyring::load(&opts.keyring)?;
    let verified = rudder_provenance::verify_bytes(
        archive,
        file_name,
        &String::from_utf8_lossy(prov),
        &keyring,
    )?;
    let file_hash = verified
        .body
        .files
        .get(file_name)
        .cloned()
        .unwrap_or_default();
    Ok(ChartVerification {
        signer: verified.signer,
        fingerprint: verified.fingerprint,
        file_hash,
    })
}
