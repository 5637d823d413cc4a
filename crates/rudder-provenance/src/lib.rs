//! Helm-compatible provenance: `.prov` files for chart and plugin archives.
//!
//! A provenance file is an OpenPGP clear-signed message (`Hash: SHA512`) whose body is the
//! archive's metadata YAML, a line `...`, and `files:` mapping the archive's file name to
//! `sha256:<hex>` ([`ProvBody`]). Helm writes one beside `helm package --sign` and `helm
//! plugin package` archives and checks it in `helm verify`, `pull --verify`, `install
//! --verify` and `plugin install`. This crate signs and verifies that format so files
//! produced by either tool pass the other's verification.
//!
//! **Owns:** reading keyrings ([`Keyring`]: GnuPG's legacy binary `pubring.gpg` /
//! `secring.gpg`, or armored keys), the body format, clear-signing with a secret key chosen
//! by Helm's `--key` rule ([`sign`]), verifying a signature against a keyring ([`verify`])
//! and an archive against its `.prov` ([`verify_archive`]), and generating key pairs for
//! tests and demos ([`keygen`]).
//!
//! **Must not:** know what a chart or a plugin is (callers pass the metadata YAML), touch
//! the network, call `gpg`, read environment variables, print, or log key material or
//! passphrases. Key expiry and revocation are not evaluated (Helm's verifier checks the
//! signature and the digest; rudder does the same).
//!
//! The OpenPGP work is done by `pgp` (rpgp), a pure-Rust implementation.

mod body;
mod error;
pub mod keygen;
mod keyring;

use std::path::Path;

use pgp::composed::{ArmorOptions, CleartextSignedMessage, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, KeyVersion, Password, SigningKey, Timestamp};
use sha2::{Digest, Sha256};

pub use body::ProvBody;
pub use error::ProvenanceError;
pub use keyring::{KeyInfo, Keyring};

/// The provenance file of `archive`: `<archive>.prov`.
pub fn prov_path(archive: &Path) -> std::path::PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".prov");
    name.into()
}

/// `sha256:<hex>` of `bytes`, as provenance files list digests.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signer's first user id (`Name <email>`).
    pub signer: String,
    /// The signer's primary key fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The signed body.
    pub body: ProvBody,
}

/// Clear-signs `body` with the secret key of `keyring` that `key_name` names (a user-id
/// substring, as Helm's `--key`, or a fingerprint / key id). `passphrase` unlocks a
/// protected key. Returns the complete `.prov` text.
pub fn sign(
    body: &ProvBody,
    keyring: &Keyring,
    key_name: &str,
    passphrase: Option<&str>,
) -> Result<String, ProvenanceError> {
    let entity = keyring
        .find(key_name)
        .ok_or_else(|| ProvenanceError::KeyNotFound {
            name: key_name.to_string(),
        })?;
    let fingerprint = entity.fingerprint();
    let Some(secret) = &entity.secret else {
        return Err(ProvenanceError::NoSecretKey {
            fingerprint,
            user: entity.first_user(),
        });
    };
    // Trailing blanks are not part of a clear-signed line; drop them so the text written is
    // the text signed.
    let text: String = body
        .to_text()
        .split_inclusive('\n')
        .map(|line| {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let trimmed = content.trim_end_matches([' ', '\t', '\r']);
            if line.ends_with('\n') {
                format!("{trimmed}\n")
            } else {
                trimmed.to_string()
            }
        })
        .collect();
    let password = passphrase
        .map(Password::from)
        .unwrap_or_else(Password::empty);
    let message = match signing_subkey(secret) {
        Some(subkey) => sign_text(
            &text,
            subkey,
            subkey.secret_params().is_encrypted(),
            passphrase.is_some(),
            &password,
            &fingerprint,
        )?,
        None => sign_text(
            &text,
            &secret.primary_key,
            secret.primary_key.secret_params().is_encrypted(),
            passphrase.is_some(),
            &password,
            &fingerprint,
        )?,
    };
    // Helm's files carry no armor checksum line and end right after the END line.
    let armored = message
        .to_armored_string(ArmorOptions {
            headers: None,
            include_checksum: false,
        })
        .map_err(|e| ProvenanceError::Sign {
            fingerprint: fingerprint.clone(),
            reason: e.to_string(),
        })?;
    let armored = armored.trim_end_matches('\n').to_string();
    tracing::debug!("signed provenance with key {fingerprint}");
    Ok(armored)
}

/// The newest secret subkey whose binding signature allows signing, if any (GnuPG puts
/// the signing capability on the primary key by default, so this is usually `None`).
fn signing_subkey(secret: &SignedSecretKey) -> Option<&pgp::packet::SecretSubkey> {
    secret
        .secret_subkeys
        .iter()
        .filter(|s| s.signatures.iter().any(|sig| sig.key_flags().sign()))
        .max_by_key(|s| s.key.public_key().created_at())
        .map(|s| &s.key)
}

fn sign_text<K: SigningKey>(
    text: &str,
    key: &K,
    encrypted: bool,
    have_passphrase: bool,
    password: &Password,
    fingerprint: &str,
) -> Result<CleartextSignedMessage, ProvenanceError> {
    if encrypted && !have_passphrase {
        return Err(ProvenanceError::Passphrase {
            fingerprint: fingerprint.to_string(),
            reason: "the key is protected and no passphrase was given",
        });
    }
    let sign_error = |e: pgp::errors::Error| {
        if encrypted {
            ProvenanceError::Passphrase {
                fingerprint: fingerprint.to_string(),
                reason: "wrong passphrase",
            }
        } else {
            ProvenanceError::Sign {
                fingerprint: fingerprint.to_string(),
                reason: e.to_string(),
            }
        }
    };
    let other = |e: pgp::errors::Error| ProvenanceError::Sign {
        fingerprint: fingerprint.to_string(),
        reason: e.to_string(),
    };
    let mut config = match key.version() {
        KeyVersion::V6 => SignatureConfig::v6(
            rand_core::OsRng,
            SignatureType::Text,
            key.algorithm(),
            HashAlgorithm::Sha512,
        )
        .map_err(other)?,
        _ => SignatureConfig::v4(SignatureType::Text, key.algorithm(), HashAlgorithm::Sha512),
    };
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::now()))
            .map_err(other)?,
        Subpacket::regular(SubpacketData::IssuerFingerprint(key.fingerprint())).map_err(other)?,
    ];
    if key.version() <= KeyVersion::V4 {
        config.unhashed_subpackets = vec![
            Subpacket::regular(SubpacketData::IssuerKeyId(key.legacy_key_id())).map_err(other)?,
        ];
    }
    CleartextSignedMessage::new(text, config, key, password).map_err(sign_error)
}

/// Checks the clear-signed `prov_text` against `keyring` and returns the signer and the
/// signed body. The archive digest is not checked here (see [`verify_archive`]).
pub fn verify(prov_text: &str, keyring: &Keyring) -> Result<Verified, ProvenanceError> {
    let (message, _headers) =
        CleartextSignedMessage::from_string(prov_text).map_err(|e| ProvenanceError::Malformed {
            reason: format!("not a PGP clear-signed message: {e}"),
        })?;
    let signed_text = message.signed_text();
    let mut unknown_issuer = None;
    let mut bad = None;
    for signature in message.signatures() {
        let fingerprints = signature.issuer_fingerprint();
        let key_ids = signature.issuer_key_id();
        let names_issuer = |fp: &pgp::types::Fingerprint, id: &pgp::types::KeyId| {
            (fingerprints.is_empty() && key_ids.is_empty())
                || fingerprints.contains(&fp)
                || key_ids.contains(&id)
        };
        for entity in keyring.entities() {
            let primary = &entity.public.primary_key;
            let result = if names_issuer(&primary.fingerprint(), &primary.legacy_key_id()) {
                Some(signature.verify(primary, signed_text.as_bytes()))
            } else {
                entity
                    .public
                    .public_subkeys
                    .iter()
                    .find(|s| names_issuer(&s.key.fingerprint(), &s.key.legacy_key_id()))
                    .map(|s| {
                        s.verify_bindings(primary)
                            .and_then(|()| signature.verify(&s.key, signed_text.as_bytes()))
                    })
            };
            match result {
                Some(Ok(())) => {
                    let body = ProvBody::parse(&signed_text)?;
                    return Ok(Verified {
                        signer: entity.first_user(),
                        fingerprint: entity.fingerprint(),
                        body,
                    });
                }
                Some(Err(e)) => {
                    tracing::debug!("signature check with {} failed: {e}", entity.fingerprint());
                    bad.get_or_insert_with(|| entity.fingerprint());
                }
                None => {}
            }
        }
        unknown_issuer.get_or_insert_with(|| {
            fingerprints
                .first()
                .map(|f| keyring::fingerprint_hex(f))
                .or_else(|| key_ids.first().map(|k| hex::encode_upper(k.as_ref())))
                .unwrap_or_else(|| "(unnamed)".to_string())
        });
    }
    if let Some(fingerprint) = bad {
        return Err(ProvenanceError::BadSignature { fingerprint });
    }
    match unknown_issuer {
        Some(issuer) => Err(ProvenanceError::UnknownSigner { issuer }),
        None => Err(ProvenanceError::Malformed {
            reason: "the message carries no signature".to_string(),
        }),
    }
}

/// The signed text of a clear-signed message, **without** checking the signature (for
/// status displays such as `plugin list`, which report the form of a `.prov` file).
pub fn unverified_text(prov_text: &str) -> Result<String, ProvenanceError> {
    let (message, _headers) =
        CleartextSignedMessage::from_string(prov_text).map_err(|e| ProvenanceError::Malformed {
            reason: format!("not a PGP clear-signed message: {e}"),
        })?;
    Ok(message.signed_text().replace("\r\n", "\n"))
}

/// Verifies `archive` against the provenance file `prov`: the signature must be valid
/// for a key of `keyring`, and the sha256 of the archive must equal the `files` entry for
/// the archive's file name.
pub fn verify_archive(
    archive: &Path,
    prov: &Path,
    keyring: &Keyring,
) -> Result<Verified, ProvenanceError> {
    let prov_bytes = match std::fs::read(prov) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProvenanceError::MissingProvenance {
                path: prov.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(ProvenanceError::Io {
                path: prov.to_path_buf(),
                what: "cannot read provenance file",
                source,
            });
        }
    };
    let archive_bytes = std::fs::read(archive).map_err(|source| ProvenanceError::Io {
        path: archive.to_path_buf(),
        what: "cannot read archive",
        source,
    })?;
    let file = archive
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    verify_bytes(
        &archive_bytes,
        &file,
        &String::from_utf8_lossy(&prov_bytes),
        keyring,
    )
}

/// [`verify_archive`] over bytes already in memory: `file_name` is the name the
/// provenance must list.
pub fn verify_bytes(
    archive_bytes: &[u8],
    file_name: &str,
    prov_text: &str,
    keyring: &Keyring,
) -> Result<Verified, ProvenanceError> {
    let verified = verify(prov_text, keyring)?;
    let actual = sha256_digest(archive_bytes);
    match verified.body.files.get(file_name) {
        None => Err(ProvenanceError::NotListed {
            file: file_name.to_string(),
        }),
        Some(expected) if *expected != actual => Err(ProvenanceError::DigestMismatch {
            file: file_name.to_string(),
            expected: expected.clone(),
            actual,
        }),
        Some(_) => Ok(verified),
    }
}

#[cfg(test)]
mod tests;
