//! `repositories.yaml`: the configured chart repositories, in Helm's format (field names,
//! key order, the zero `generated` time Helm leaves in a file it created), and the names of
//! each repository's files in the repository cache.

use std::path::{Path, PathBuf};

use rudder_values::goyaml::Node;
use serde_json::Value;

use crate::{RepoError, ZERO_TIME};

/// One configured repository (Helm's `repo.Entry`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RepoEntry {
    /// The name used in `name/chart` references.
    pub name: String,
    /// The repository URL (where `index.yaml` lives).
    pub url: String,
    /// Basic-auth user name.
    pub username: String,
    /// Basic-auth password.
    pub password: String,
    /// Client certificate file (PEM).
    pub cert_file: String,
    /// Client key file (PEM).
    pub key_file: String,
    /// CA bundle that verifies the server (PEM).
    pub ca_file: String,
    /// Skip verifying the server certificate.
    pub insecure_skip_tls_verify: bool,
    /// Send the credentials to every host, not only the repository's.
    pub pass_credentials_all: bool,
}

impl std::fmt::Debug for RepoEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoEntry")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("ca_file", &self.ca_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("pass_credentials_all", &self.pass_credentials_all)
            .finish()
    }
}

impl RepoEntry {
    fn to_node(&self) -> Node {
        let s = |k: &str, v: &str| (k.to_string(), Node::Str(v.to_string()));
        Node::Map(vec![
            s("name", &self.name),
            s("url", &self.url),
            s("username", &self.username),
            s("password", &self.password),
            s("certFile", &self.cert_file),
            s("keyFile", &self.key_file),
            s("caFile", &self.ca_file),
            (
                "insecure_skip_tls_verify".into(),
                Node::Bool(self.insecure_skip_tls_verify),
            ),
            (
                "pass_credentials_all".into(),
                Node::Bool(self.pass_credentials_all),
            ),
        ])
    }

    fn from_value(v: &Value) -> RepoEntry {
        let s = |k: &str| match v.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let b = |k: &str| matches!(v.get(k), Some(Value::Bool(true)));
        RepoEntry {
            name: s("name"),
            url: s("url"),
            username: s("username"),
            password: s("password"),
            cert_file: s("certFile"),
            key_file: s("keyFile"),
            ca_file: s("caFile"),
            insecure_skip_tls_verify: b("insecure_skip_tls_verify"),
            pass_credentials_all: b("pass_credentials_all"),
        }
    }
}

/// `repositories.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepositoriesFile {
    /// `apiVersion` (Helm leaves it empty in a file `repo add` created).
    pub api_version: String,
    /// `generated` (Go's zero time in a file `repo add` created).
    pub generated: String,
    /// The repositories, in the order they were added.
    pub repositories: Vec<RepoEntry>,
}

impl RepositoriesFile {
    /// Reads the file; a missing file is an empty list (as `helm repo add` treats it).
    pub fn load(path: &Path) -> Result<Self, RepoError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(RepoError::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let origin = path.display().to_string();
        let root = rudder_values::yaml::from_str(&text, &origin).map_err(|e| RepoError::Parse {
            origin: origin.clone(),
            message: e
                .to_string()
                .trim_start_matches(&format!("{origin}: "))
                .to_string(),
        })?;
        let text_of = |k: &str| match root.get(k) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let repositories = match root.get("repositories") {
            Some(Value::Array(items)) => items
                .iter()
                .filter(|v| v.is_object())
                .map(RepoEntry::from_value)
                .collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                return Err(RepoError::Parse {
                    origin,
                    message: "repositories must be a list".into(),
                });
            }
        };
        Ok(RepositoriesFile {
            api_version: text_of("apiVersion"),
            generated: text_of("generated"),
            repositories,
        })
    }

    /// The repository called `name`.
    pub fn get(&self, name: &str) -> Option<&RepoEntry> {
        self.repositories.iter().find(|r| r.name == name)
    }

    /// Replaces the repository of the same name, or appends `entry`.
    pub fn update(&mut self, entry: RepoEntry) {
        match self.repositories.iter_mut().find(|r| r.name == entry.name) {
            Some(slot) => *slot = entry,
            None => self.repositories.push(entry),
        }
    }

    /// Removes the repository called `name`; returns whether it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.repositories.len();
        self.repositories.retain(|r| r.name != name);
        before != self.repositories.len()
    }

    /// The file as Helm writes it.
    pub fn to_yaml(&self) -> String {
        let generated = if self.generated.is_empty() {
            ZERO_TIME
        } else {
            &self.generated
        };
        let root = Node::Map(vec![
            ("apiVersion".into(), Node::Str(self.api_version.clone())),
            ("generated".into(), Node::Str(generated.to_string())),
            (
                "repositories".into(),
                Node::Seq(self.repositories.iter().map(RepoEntry::to_node).collect()),
            ),
        ]);
        rudder_values::goyaml::to_string(&root)
    }

    /// Writes the file atomically with mode 0600 (it may hold passwords), creating its
    /// directory.
    pub fn save(&self, path: &Path) -> Result<(), RepoError> {
        crate::cache::write_atomic(path, self.to_yaml().as_bytes(), 0o600)
    }
}

/// The cached index of repository `name`: `<cache>/<name>-index.yaml` (Helm's name).
pub fn cache_index_file(cache_dir: &Path, name: &str) -> PathBuf {
    cache_dir.join(format!("{name}-index.yaml"))
}

/// The chart-name list of repository `name`: `<cache>/<name>-charts.txt` (Helm's name).
pub fn cache_charts_file(cache_dir: &Path, name: &str) -> PathBuf {
    cache_dir.join(format!("{name}-charts.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_helms_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/repositories.yaml");
        let mut f = RepositoriesFile::load(&path).unwrap();
        assert!(f.repositories.is_empty());
        f.update(RepoEntry {
            name: "myrepo".into(),
            url: "http://127.0.0.1:18765".into(),
            ..RepoEntry::default()
        });
        f.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // Byte for byte what `helm repo add myrepo http://127.0.0.1:18765` writes.
        assert_eq!(
            text,
            r#"apiVersion: ""
generated: "0001-01-01T00:00:00Z"
repositories:
- caFile: ""
  certFile: ""
  insecure_skip_tls_verify: false
  keyFile: ""
  name: myrepo
  pass_credentials_all: false
  password: ""
  url: http://127.0.0.1:18765
  username: ""
"#
        );
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut again = RepositoriesFile::load(&path).unwrap();
        assert_eq!(again.repositories, f.repositories);
        assert_eq!(again.generated, ZERO_TIME);
        assert!(again.remove("myrepo"));
        assert!(!again.remove("myrepo"));
    }

    #[test]
    fn debug_redacts_the_password() {
        let e = RepoEntry {
            password: "hunter2".into(),
            ..RepoEntry::default()
        };
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
