//! Key pairs for tests and demos (there may be no `gpg` where tests run).
//!
//! Real users create keys with GnuPG and export them as Helm expects
//! (`gpg --export > pubring.gpg`, `gpg --export-secret-keys > secring.gpg`); the files
//! written here have the same binary format.
//!
//! ```no_run
//! use rudder_provenance::keygen::{generate, KeyAlgorithm, KeyGenOptions};
//! let key = generate(&KeyGenOptions {
//!     user_id: "Chart Signer <signer@example.com>".into(),
//!     passphrase: None,
//!     algorithm: KeyAlgorithm::Rsa2048,
//! })?;
//! key.write_secret_keyring(std::path::Path::new("secring.gpg"))?;
//! key.write_public_keyring(std::path::Path::new("pubring.gpg"))?;
//! # Ok::<(), rudder_provenance::ProvenanceError>(())
//! ```

use std::path::Path;

use pgp::composed::{KeyType, SecretKeyParamsBuilder, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize;
use pgp::types::KeyDetails;

use crate::ProvenanceError;

/// The primary key's algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlgorithm {
    /// RSA 2048 (what `gpg --quick-gen-key … rsa2048` makes; every OpenPGP tool reads it).
    #[default]
    Rsa2048,
    /// EdDSA on Curve25519 in the v4 ("legacy") encoding that GnuPG uses; fast to generate.
    Ed25519,
}

/// What to generate.
#[derive(Debug, Clone, Default)]
pub struct KeyGenOptions {
    /// The user id, e.g. `Name <email>`.
    pub user_id: String,
    /// Protect the secret key with this passphrase.
    pub passphrase: Option<String>,
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
}

/// A generated key pair (a v4 primary key that can sign and certify).
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    secret: SignedSecretKey,
}

impl GeneratedKey {
    /// Primary key fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        hex::encode_upper(self.secret.primary_key.fingerprint().as_bytes())
    }

    /// The secret key as a binary transferable key (a one-key `secring.gpg`).
    pub fn secret_keyring_bytes(&self) -> Result<Vec<u8>, ProvenanceError> {
        self.secret.to_bytes().map_err(generation_error)
    }

    /// The public key as a binary transferable key (a one-key `pubring.gpg`).
    pub fn public_keyring_bytes(&self) -> Result<Vec<u8>, ProvenanceError> {
        self.secret
            .to_public_key()
            .to_bytes()
            .map_err(generation_error)
    }

    /// The public key, ASCII-armored.
    pub fn armored_public_key(&self) -> Result<String, ProvenanceError> {
        self.secret
            .to_public_key()
            .to_armored_string(Default::default())
            .map_err(generation_error)
    }

    /// Writes [`secret_keyring_bytes`](Self::secret_keyring_bytes) to `path`.
    pub fn write_secret_keyring(&self, path: &Path) -> Result<(), ProvenanceError> {
        write(path, &self.secret_keyring_bytes()?)
    }

    /// Writes [`public_keyring_bytes`](Self::public_keyring_bytes) to `path`.
    pub fn write_public_keyring(&self, path: &Path) -> Result<(), ProvenanceError> {
        write(path, &self.public_keyring_bytes()?)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ProvenanceError> {
    std::fs::write(path, bytes).map_err(|source| ProvenanceError::Io {
        path: path.to_path_buf(),
        what: "cannot write keyring",
        source,
    })
}

fn generation_error(e: impl std::fmt::Display) -> ProvenanceError {
    ProvenanceError::KeyGeneration {
        reason: e.to_string(),
    }
}

/// Generates a key pair.
pub fn generate(opts: &KeyGenOptions) -> Result<GeneratedKey, ProvenanceError> {
    let key_type = match opts.algorithm {
        KeyAlgorithm::Rsa2048 => KeyType::Rsa(2048),
        KeyAlgorithm::Ed25519 => KeyType::Ed25519Legacy,
    };
    let params = SecretKeyParamsBuilder::default()
        .key_type(key_type)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(opts.user_id.clone())
        .passphrase(opts.passphrase.clone())
        .preferred_hash_algorithms(vec![HashAlgorithm::Sha512, HashAlgorithm::Sha256].into())
        .build()
        .map_err(generation_error)?;
    let secret = params
        .generate(rand_core::OsRng)
        .map_err(generation_error)?;
    Ok(GeneratedKey { secret })
}
