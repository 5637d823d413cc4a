//! HTTP(S) fetching for chart repositories, with Helm's getter options: basic auth (sent
//! only to the repository's own scheme, host and port unless `pass_credentials_all`),
//! `--ca-file` (then the only trusted roots, as in Helm), a client certificate and key,
//! `--insecure-skip-tls-verify`, a timeout and a size limit per response.
//!
//! TLS is rustls with the ring provider, installed as the process default when none is.

use std::path::PathBuf;
use std::time::Duration;

use crate::RepoError;
use crate::error::one_line;

/// Largest `index.yaml` accepted (large public indexes are tens of MiB).
pub const MAX_INDEX_SIZE: u64 = 256 << 20;
/// Largest chart archive accepted (Helm's decompressed-size limit is 100 MiB).
pub const MAX_CHART_SIZE: u64 = 100 << 20;

/// Basic-auth credentials. `Debug` does not show the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// TLS files and switches (`--ca-file`, `--cert-file`, `--key-file`,
/// `--insecure-skip-tls-verify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM bundle of the CAs that verify the server; replaces the system roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate.
    pub cert_file: Option<PathBuf>,
    /// PEM client key.
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate.
    pub insecure_skip_tls_verify: bool,
}

/// How to reach a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Basic auth, if any.
    pub credentials: Option<Credentials>,
    /// Send the credentials to other hosts too (Helm's `pass_credentials_all`).
    pub pass_credentials_all: bool,
    /// TLS settings.
    pub tls: TlsFiles,
    /// Limit on each request, connection included.
    pub timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            credentials: None,
            pass_credentials_all: false,
            tls: TlsFiles::default(),
            timeout: Duration::from_secs(120),
        }
    }
}

/// An HTTP client for one repository's settings.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    credentials: Option<Credentials>,
    pass_credentials_all: bool,
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, RepoError> {
    std::fs::read(path).map_err(RepoError::io("read", path))
}

impl Fetcher {
    /// Builds a client; fails when a CA, certificate or key file cannot be read or parsed.
    pub fn new(opts: &FetchOptions) -> Result<Self, RepoError> {
        // Err means a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls_err = |what: &str, e: reqwest::Error| RepoError::Tls {
            message: format!("{what}: {}", one_line(&e)),
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("rudder/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.timeout.min(Duration::from_secs(30)))
            .timeout(opts.timeout);
        if let Some(ca) = &opts.tls.ca_file {
            let certs = reqwest::Certificate::from_pem_bundle(&read_file(ca)?)
                .map_err(|e| tls_err(&ca.display().to_string(), e))?;
            if certs.is_empty() {
                return Err(RepoError::Tls {
                    message: format!("{}: no certificates found", ca.display()),
                });
            }
            builder = builder.tls_certs_only(certs);
        }
        match (&opts.tls.cert_file, &opts.tls.key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read_file(cert)?;
                pem.push(b'\n');
                pem.extend(read_file(key)?);
                let identity = reqwest::Identity::from_pem(&pem)
                    .map_err(|e| tls_err(&cert.display().to_string(), e))?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => {
                return Err(RepoError::Tls {
                    message: "a client certificate needs both a certificate and a key file".into(),
                });
            }
        }
        if opts.tls.insecure_skip_tls_verify {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder.build().map_err(|e| RepoError::Tls {
            message: one_line(&e),
        })?;
        Ok(Fetcher {
            client,
            credentials: opts.credentials.clone(),
            pass_credentials_all: opts.pass_credentials_all,
        })
    }

    /// Whether the credentials go with a request to `url` for the repository at `owner`:
    /// only to the same scheme, host and port, unless `pass_credentials_all`.
    pub fn sends_credentials(&self, url: &url::Url, owner: &str) -> bool {
        if self.credentials.is_none() {
            return false;
        }
        if self.pass_credentials_all {
            return true;
        }
        match url::Url::parse(owner) {
            Ok(o) => {
                o.scheme() == url.scheme()
                    && o.host_str() == url.host_str()
                    && o.port_or_known_default() == url.port_or_known_default()
            }
            Err(_) => false,
        }
    }

    /// GETs `url` (of the repository at `owner`) into memory, refusing more than `limit`
    /// bytes.
    pub async fn get(&self, url: &str, owner: &str, limit: u64) -> Result<Vec<u8>, RepoError> {
        let parsed = url::Url::parse(url).map_err(|e| RepoError::InvalidUrl {
            url: url.to_string(),
            message: e.to_string(),
        })?;
        let unreachable = |e: reqwest::Error| RepoError::Unreachable {
            url: url.to_string(),
            message: transport_message(&e),
        };
        let mut request = self
            .client
            .get(parsed.clone())
            .header("Accept", "application/gzip,application/octet-stream,*/*");
        if self.sends_credentials(&parsed, owner)
            && let Some(c) = &self.credentials
        {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        tracing::debug!("GET {url}");
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        if !status.is_success() {
            return Err(RepoError::Status {
                url: url.to_string(),
                status: status.to_string(),
            });
        }
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(RepoError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(RepoError::TooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The innermost cause of a transport error (e.g. `Connection refused (os error 111)`),
/// which is what a user needs, on one line.
fn transport_message(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    let inner = last.to_string();
    if e.is_timeout() {
        format!("timed out ({inner})")
    } else {
        inner.lines().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher(pass_all: bool) -> Fetcher {
        Fetcher::new(&FetchOptions {
            credentials: Some(Credentials {
                username: "u".into(),
                password: "p".into(),
            }),
            pass_credentials_all: pass_all,
            ..FetchOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn credentials_stay_with_the_repository_host() {
        let f = fetcher(false);
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(f.sends_credentials(&u("http://h:8080/a.tgz"), "http://h:8080/charts"));
        assert!(f.sends_credentials(&u("https://h/a.tgz"), "https://h:443/"));
        assert!(!f.sends_credentials(&u("http://h:8081/a.tgz"), "http://h:8080"));
        assert!(!f.sends_credentials(&u("https://h:8080/a.tgz"), "http://h:8080"));
        assert!(!f.sends_credentials(&u("http://cdn/a.tgz"), "http://h:8080"));
        assert!(fetcher(true).sends_credentials(&u("http://cdn/a.tgz"), "http://h:8080"));
        assert!(!format!("{:?}", f.credentials).contains("\"p\""));
    }

    #[test]
    fn unreadable_tls_files_are_reported() {
        let err = Fetcher::new(&FetchOptions {
            tls: TlsFiles {
                ca_file: Some("/nonexistent/ca.pem".into()),
                ..TlsFiles::default()
            },
            ..FetchOptions::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "not a certificate").unwrap();
        let err = Fetcher::new(&FetchOptions {
            tls: TlsFiles {
                ca_file: Some(ca),
                ..TlsFiles::default()
            },
            ..FetchOptions::default()
        })
        .unwrap_err();
        assert!(matches!(err, RepoError::Tls { .. }), "{err}");
    }

    #[tokio::test]
    async fn unreachable_servers_are_one_line_errors() {
        let f = Fetcher::new(&FetchOptions::default()).unwrap();
        // A port that was just free: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/index.yaml");
        let err = f.get(&url, &url, 10).await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(&format!("cannot reach {url}: ")), "{text}");
        assert!(!text.contains('\n'));
    }
}
