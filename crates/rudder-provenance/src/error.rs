//! Errors of the provenance crate.

use std::path::PathBuf;

/// Why loading a keyring, signing or verifying failed. Every message is one line and
/// names the file, key or archive involved; none contains key material or passphrases.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    /// A file (keyring, archive, provenance) could not be read or written.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The keyring file holds no readable OpenPGP key.
    #[error("{}: not an OpenPGP keyring: {reason}", path.display())]
    InvalidKeyring {
        /// The keyring file.
        path: PathBuf,
        /// What the parser reported.
        reason: String,
    },
    /// No key in the keyring matches the `--key` name.
    #[error("private key not found: no key in the keyring matches {name:?}")]
    KeyNotFound {
        /// The name asked for (a user-id substring or a fingerprint).
        name: String,
    },
    /// The matching key has no secret part (a public keyring was given for signing).
    #[error(
        "key {fingerprint} ({user}) has no secret key in this keyring: sign with a secret keyring (gpg --export-secret-keys)"
    )]
    NoSecretKey {
        /// Fingerprint of the key found.
        fingerprint: String,
        /// Its first user id.
        user: String,
    },
    /// The secret key is protected and the passphrase is missing or wrong.
    #[error("cannot unlock secret key {fingerprint}: {reason}")]
    Passphrase {
        /// Fingerprint of the key.
        fingerprint: String,
        /// `passphrase required` or `wrong passphrase`.
        reason: &'static str,
    },
    /// Producing the signature failed.
    #[error("signing with key {fingerprint} failed: {reason}")]
    Sign {
        /// Fingerprint of the key.
        fingerprint: String,
        /// What the OpenPGP library reported.
        reason: String,
    },
    /// The provenance file is absent.
    #[error("{}: provenance file not found (expected a .prov file beside the archive)", path.display())]
    MissingProvenance {
        /// The expected `.prov` path.
        path: PathBuf,
    },
    /// The provenance text is not a clear-signed message or its body is not
    /// `metadata ... files`.
    #[error("malformed provenance: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The signature was made by a key that is not in the keyring.
    #[error("signature made by unknown key {issuer}: it is not in the keyring")]
    UnknownSigner {
        /// The issuer key id or fingerprint named by the signature.
        issuer: String,
    },
    /// The signature does not match the signed text (tampered provenance) or the key.
    #[error(
        "invalid signature by key {fingerprint}: the provenance was modified or not signed by this key"
    )]
    BadSignature {
        /// Fingerprint of the keyring key the signature claims.
        fingerprint: String,
    },
    /// The archive's sha256 is not the one the provenance lists.
    #[error("sha256 sum does not match for {file}: provenance has {expected}, archive is {actual}")]
    DigestMismatch {
        /// Archive file name.
        file: String,
        /// `sha256:<hex>` from the provenance.
        expected: String,
        /// `sha256:<hex>` of the archive.
        actual: String,
    },
    /// The provenance lists no digest for the archive's file name.
    #[error("provenance does not contain a SHA for a file named {file:?}")]
    NotListed {
        /// Archive file name.
        file: String,
    },
    /// Key generation failed.
    #[error("generating a key failed: {reason}")]
    KeyGeneration {
        /// What the OpenPGP library reported.
        reason: String,
    },
}
