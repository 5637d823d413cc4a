//! Helm's Docker-style registry `config.json` (`auths.<host>.auth` = base64 `user:password`).
//!
//! Unknown fields and other hosts' entries are kept when the file is rewritten.
//!
//! Credential helpers are honoured as Docker and Helm (oras) do: a host listed in
//! `credHelpers` uses that helper, else a non-empty `credsStore` is used for every host. Its
//! answer wins; when it has nothing for the host the `auths` entry (if any) is read, so a
//! file written before the helper was configured keeps working. Logging in with a helper
//! configured stores the credentials in the helper, not in the file.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use crate::error::CredentialsError;
use crate::helper::CredentialHelper;

/// How to authenticate to a registry.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// No credentials (anonymous, or an anonymous Bearer token when the registry offers one).
    #[default]
    Anonymous,
    /// A user name and password; sent as HTTP Basic, or exchanged for a Bearer token when the
    /// registry's challenge asks for one (oci-client runs that flow).
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
        }
    }
}

impl Auth {
    pub(crate) fn to_oci(&self) -> oci_client::secrets::RegistryAuth {
        match self {
            Self::Anonymous => oci_client::secrets::RegistryAuth::Anonymous,
            Self::Basic { username, password } => {
                oci_client::secrets::RegistryAuth::Basic(username.clone(), password.clone())
            }
        }
    }
}

/// The registry config file (`~/.config/helm/registry/config.json`, `--registry-config`).
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    path: PathBuf,
    doc: Map<String, Value>,
}

impl RegistryConfig {
    /// Loads `path`; a missing file is an empty config.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(CredentialsError::Io {
                    path: shown,
                    action: "read",
                    source,
                });
            }
        };
        let doc = if text.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(CredentialsError::Parse {
                        path: shown,
                        line: 1,
                        column: 1,
                        message: "expected a JSON object".into(),
                    });
                }
                Err(e) => {
                    return Err(CredentialsError::Parse {
                        path: shown,
                        line: e.line(),
                        column: e.column(),
                        message: e.to_string(),
                    });
                }
            }
        };
        if let Some(a) = doc.get("auths")
            && !a.is_object()
        {
            return Err(CredentialsError::Parse {
                path: shown,
                line: 1,
                column: 1,
                message: "\"auths\" must be an object".into(),
            });
        }
        Ok(Self { path, doc })
    }

    /// The file this config was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn auths(&self) -> Option<&Map<String, Value>> {
        self.doc.get("auths").and_then(Value::as_object)
    }

    /// The credential helper that serves `host`, if the file names one (see the module docs).
    pub fn helper_for(&self, host: &str) -> Option<CredentialHelper> {
        let named = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(CredentialHelper::new)
        };
        named(
            self.doc
                .get("credHelpers")
                .and_then(Value::as_object)
                .and_then(|m| m.get(host)),
        )
        .or_else(|| named(self.doc.get("credsStore")))
    }

    /// The credentials for `host` (`host[:port]`), or [`Auth::Anonymous`]: from its credential
    /// helper if one is configured and has them, else from the file.
    ///
    /// In the file: the bare host, then Docker's legacy `https://host` / `http://host` keys;
    /// `auth` (base64 `user:password`) or `username` + `password`.
    pub fn auth_for(&self, host: &str) -> Result<Auth, CredentialsError> {
        if let Some(helper) = self.helper_for(host)
            && let Some((username, password)) = helper.get(host)?
        {
            return Ok(Auth::Basic { username, password });
        }
        self.file_auth_for(host)
    }

    /// Stores credentials for `host` after a successful login: in its credential helper if
    /// one is configured (dropping any copy in the file), else in the file; saves the file.
    pub fn store_login(
        &mut self,
        host: &str,
        username: &str,
        password: &str,
    ) -> Result<(), CredentialsError> {
        match self.helper_for(host) {
            Some(helper) => {
                helper.store(host, username, password)?;
                if self.remove(host) {
                    self.save()?;
                }
                Ok(())
            }
            None => {
                self.set(host, username, password);
                self.save()
            }
        }
    }

    /// Forgets the credentials for `host` (helper and file); returns whether any existed.
    pub fn forget(&mut self, host: &str) -> Result<bool, CredentialsError> {
        let erased = match self.helper_for(host) {
            Some(helper) => helper.erase(host)?,
            None => false,
        };
        let removed = self.remove(host);
        if removed {
            self.save()?;
        }
        Ok(erased || removed)
    }

    fn file_auth_for(&self, host: &str) -> Result<Auth, CredentialsError> {
        let Some(auths) = self.auths() else {
            return Ok(Auth::Anonymous);
        };
        let keys = [
            host.to_string(),
            format!("https://{host}"),
            format!("http://{host}"),
        ];
        let Some((key, entry)) = keys.iter().find_map(|k| auths.get(k).map(|e| (k, e))) else {
            return Ok(Auth::Anonymous);
        };
        let bad = |message: &str| CredentialsError::BadAuth {
            path: self.path.display().to_string(),
            host: key.clone(),
            message: message.to_string(),
        };
        if let Some(encoded) = entry.get("auth").and_then(Value::as_str)
            && !encoded.is_empty()
        {
            let raw = STANDARD
                .decode(encoded.trim())
                .map_err(|_| bad("not valid base64"))?;
            let text = String::from_utf8(raw).map_err(|_| bad("not valid UTF-8"))?;
            let (u, p) = text
                .split_once(':')
                .ok_or_else(|| bad("missing ':' between user and password"))?;
            return Ok(Auth::Basic {
                username: u.to_string(),
                password: p.to_string(),
            });
        }
        match (
            entry.get("username").and_then(Value::as_str),
            entry.get("password").and_then(Value::as_str),
        ) {
            (Some(u), Some(p)) if !u.is_empty() => Ok(Auth::Basic {
                username: u.to_string(),
                password: p.to_string(),
            }),
            _ => Ok(Auth::Anonymous),
        }
    }

    /// Stores `username`/`password` for `host` as `auths.<host>.auth`.
    pub fn set(&mut self, host: &str, username: &str, password: &str) {
        let auths = self
            .doc
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        if let Value::Object(m) = auths {
            let mut entry = Map::new();
            entry.insert(
                "auth".into(),
                Value::from(STANDARD.encode(format!("{username}:{password}"))),
            );
            m.insert(host.to_string(), Value::Object(entry));
        }
    }

    /// Removes the entry for `host`; returns whether there was one.
    pub fn remove(&mut self, host: &str) -> bool {
        self.doc
            .get_mut("auths")
            .and_then(Value::as_object_mut)
            .is_some_and(|m| m.remove(host).is_some())
    }

    /// Writes the file as Helm does (tab-indented JSON, mode 0600 on Unix), atomically
    /// (temp file + rename),
    /// creating the parent directory.
    pub fn save(&self) -> Result<(), CredentialsError> {
        let shown = self.path.display().to_string();
        let io = |action, source| CredentialsError::Io {
            path: shown.clone(),
            action,
            source,
        };
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io("create directory", e))?;
        // Tab-indented without a trailing newline, as Helm (ORAS' file store) writes it.
        let mut text = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut text,
            serde_json::ser::PrettyFormatter::with_indent(b"\t"),
        );
        serde::Serialize::serialize(&self.doc, &mut ser).map_err(|e| io("serialise", e.into()))?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("config.json"),
            std::process::id()
        ));
        std::fs::write(&tmp, text).map_err(|e| io("write", e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io("chmod", e))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(|e| io("rename", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("registry/config.json");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            r#"{"auths":{"other:1":{"auth":"eDp5"}},"credHelpers":{"other:2":"desktop"}}"#,
        )
        .unwrap();
        let mut c = RegistryConfig::load(&p).unwrap();
        c.set("127.0.0.1:5000", "user", "p:ss");
        c.save().unwrap();
        let c = RegistryConfig::load(&p).unwrap();
        assert_eq!(
            c.auth_for("127.0.0.1:5000").unwrap(),
            Auth::Basic {
                username: "user".into(),
                password: "p:ss".into()
            }
        );
        assert_eq!(
            c.auth_for("other:1").unwrap(),
            Auth::Basic {
                username: "x".into(),
                password: "y".into()
            }
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("{\n\t\"auths\": {\n\t\t\""), "{text}");
        assert!(text.ends_with('}'), "{text}");
        let raw: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(raw["credHelpers"]["other:2"], "desktop");
        assert_eq!(raw["auths"]["127.0.0.1:5000"]["auth"], "dXNlcjpwOnNz");
        let mut c = c;
        assert!(c.remove("other:1"));
        assert_eq!(c.auth_for("other:1").unwrap(), Auth::Anonymous);
    }

    #[test]
    fn missing_file_is_anonymous_and_bad_json_names_line() {
        let dir = tempfile::tempdir().unwrap();
        let c = RegistryConfig::load(dir.path().join("none.json")).unwrap();
        assert_eq!(c.auth_for("h").unwrap(), Auth::Anonymous);
        let p = dir.path().join("bad.json");
        std::fs::write(&p, "{\n  \"auths\": {,}\n}").unwrap();
        let e = RegistryConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("bad.json: line 2, column"), "{e}");
        std::fs::write(&p, r#"{"auths":{"h":{"auth":"!!"}}}"#).unwrap();
        let e = RegistryConfig::load(&p)
            .unwrap()
            .auth_for("h")
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("auths.h.auth: not valid base64"), "{e}");
    }
}
