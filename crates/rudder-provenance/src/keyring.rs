//! OpenPGP keyrings: GnuPG's legacy `pubring.gpg`/`secring.gpg` (binary transferable keys,
//! concatenated) or ASCII-armored key blocks, holding public and/or secret keys.

use std::path::{Path, PathBuf};

use pgp::composed::{PublicOrSecret, SignedPublicKey, SignedSecretKey};
use pgp::types::KeyDetails;

use crate::ProvenanceError;

/// One key (with its subkeys and user ids) of a keyring.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    /// The public view (for secret keys: derived from the secret key).
    pub(crate) public: SignedPublicKey,
    /// The secret key, when the keyring holds it.
    pub(crate) secret: Option<SignedSecretKey>,
}

impl Entity {
    pub(crate) fn fingerprint(&self) -> String {
        fingerprint_hex(&self.public.primary_key.fingerprint())
    }

    pub(crate) fn user_ids(&self) -> Vec<String> {
        self.public
            .details
            .users
            .iter()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    pub(crate) fn first_user(&self) -> String {
        self.user_ids().into_iter().next().unwrap_or_default()
    }
}

/// Upper-case hex, as Helm prints fingerprints.
pub(crate) fn fingerprint_hex(fp: &pgp::types::Fingerprint) -> String {
    hex::encode_upper(fp.as_bytes())
}

/// A summary of one key of a [`Keyring`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Primary key fingerprint, upper-case hex.
    pub fingerprint: String,
    /// User ids (`Name (comment) <email>`).
    pub user_ids: Vec<String>,
    /// Whether the keyring holds the secret key.
    pub has_secret: bool,
}

/// The keys read from one keyring file.
#[derive(Debug, Clone)]
pub struct Keyring {
    path: PathBuf,
    entities: Vec<Entity>,
}

impl Keyring {
    /// Reads a keyring: binary transferable keys (GnuPG's `pubring.gpg`/`secring.gpg`, as
    /// `gpg --export` / `gpg --export-secret-keys` write them) or ASCII-armored key blocks.
    /// Keys the OpenPGP library cannot read are skipped with a warning; a file without any
    /// readable key is an error.
    pub fn load(path: &Path) -> Result<Keyring, ProvenanceError> {
        let bytes = std::fs::read(path).map_err(|source| ProvenanceError::Io {
            path: path.to_path_buf(),
            what: "cannot read keyring",
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses keyring bytes; `origin` names the source in messages.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Keyring, ProvenanceError> {
        let invalid = |reason: String| ProvenanceError::InvalidKeyring {
            path: origin.to_path_buf(),
            reason,
        };
        let mut entities = Vec::new();
        let mut first_error = None;
        let mut take = |item: pgp::errors::Result<PublicOrSecret>| match item {
            Ok(PublicOrSecret::Public(public)) => entities.push(Entity {
                public,
                secret: None,
            }),
            Ok(PublicOrSecret::Secret(secret)) => entities.push(Entity {
                public: secret.to_public_key(),
                secret: Some(secret),
            }),
            Err(e) => {
                tracing::warn!("{}: skipping an unreadable key: {e}", origin.display());
                first_error.get_or_insert_with(|| e.to_string());
            }
        };
        let text_start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        if bytes[text_start..].starts_with(b"-----BEGIN PGP") {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| invalid("armored keyring is not UTF-8".to_string()))?;
            for block in armored_blocks(text) {
                match PublicOrSecret::from_armor_many(block.as_bytes()) {
                    Ok((keys, _headers)) => keys.for_each(&mut take),
                    Err(e) => take(Err(e)),
                }
            }
        } else {
            match PublicOrSecret::from_bytes_many(bytes) {
                Ok(keys) => keys.for_each(&mut take),
                Err(e) => take(Err(e)),
            }
        }
        if entities.is_empty() {
            return Err(invalid(
                first_error.unwrap_or_else(|| "it holds no key".to_string()),
            ));
        }
        tracing::debug!("{}: {} key(s) loaded", origin.display(), entities.len());
        Ok(Keyring {
            path: origin.to_path_buf(),
            entities,
        })
    }

    /// The file the keyring was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keys, in file order.
    pub fn keys(&self) -> Vec<KeyInfo> {
        self.entities
            .iter()
            .map(|e| KeyInfo {
                fingerprint: e.fingerprint(),
                user_ids: e.user_ids(),
                has_secret: e.secret.is_some(),
            })
            .collect()
    }

    pub(crate) fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// The first key matching `name` (Helm's `--key`): a fingerprint or key id (hex, an
    /// optional `0x`, spaces ignored; 8 digits or more, matched at the end of the
    /// fingerprint), else a substring of a user id. Keys with a secret part are preferred.
    pub(crate) fn find(&self, name: &str) -> Option<&Entity> {
        let hex: String = name
            .trim_start_matches("0x")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let is_hex = hex.len() >= 8 && hex.chars().all(|c| c.is_ascii_hexdigit());
        let matches = |e: &&Entity| {
            (is_hex && e.fingerprint().ends_with(&hex))
                || e.user_ids().iter().any(|u| u.contains(name))
        };
        self.entities
            .iter()
            .filter(|e| e.secret.is_some())
            .find(matches)
            .or_else(|| self.entities.iter().find(matches))
    }
}

/// Splits armored text into its `-----BEGIN PGP …-----` … `-----END PGP …-----` blocks.
fn armored_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN PGP") {
        let from = &rest[start..];
        let end = from
            .find("-----END PGP")
            .and_then(|e| {
                from[e..]
                    .find('\n')
                    .map(|nl| e + nl + 1)
                    .or(Some(from.len()))
            })
            .unwrap_or(from.len());
        blocks.push(&from[..end]);
        rest = &from[end..];
    }
    blocks
}
