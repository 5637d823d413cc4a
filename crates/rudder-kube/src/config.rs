//! Client configuration: kubeconfig files, context, namespace and Helm's `--kube-*` overrides.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::SecretString;

use crate::Error;

/// How to reach the cluster: what Helm's global flags say.
///
/// The CLI fills this from its flags and environment; this crate reads no environment
/// variables itself, except that when [`kubeconfig`](Self::kubeconfig) is empty kube's own
/// lookup runs (`KUBECONFIG`, a list of files merged first-wins, else `~/.kube/config`), and
/// when that finds nothing, kube's in-cluster configuration (service-account token and
/// `KUBERNETES_SERVICE_HOST`/`_PORT`).
///
/// Helm's `--qps` and `--burst-limit` have no counterpart: kube-rs has no client-side rate
/// limiter (the API server's priority and fairness still applies).
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Kubeconfig files (`--kubeconfig`, or the CLI's own split of `KUBECONFIG`), merged in
    /// order with kubectl's rules (the first file to set a value wins). Empty: kube's lookup.
    pub kubeconfig: Vec<PathBuf>,
    /// `--kube-context`: the context to use instead of `current-context`.
    pub context: Option<String>,
    /// `-n/--namespace`: overrides the context's namespace (which defaults to `default`).
    pub namespace: Option<String>,
    /// `--kube-apiserver`: the API server URL, replacing the context's cluster server.
    pub api_server: Option<String>,
    /// `--kube-token`: a bearer token, replacing the user's credentials plugin or token file.
    pub token: Option<SecretString>,
    /// `--kube-as-user`: the user to impersonate.
    pub as_user: Option<String>,
    /// `--kube-as-group`: groups to impersonate (repeatable).
    pub as_groups: Vec<String>,
    /// `--kube-ca-file`: a PEM bundle of CAs that replaces the cluster's CA.
    pub ca_file: Option<PathBuf>,
    /// `--kube-insecure-skip-tls-verify`: do not verify the server certificate.
    pub insecure_skip_tls_verify: bool,
    /// `--kube-tls-server-name`: the name to verify the server certificate against.
    pub tls_server_name: Option<String>,
}

/// Installs rustls' ring provider as the process default, once. A provider installed earlier
/// (by this function or anyone else) is kept.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Builds kube client settings from `options`, and the namespace to use by default.
///
/// # Errors
/// [`Error::Kubeconfig`] when a file cannot be read or parsed, the context does not exist, the
/// server URL is invalid; [`Error::CaFile`] when the CA file cannot be read.
pub async fn load_config(options: &ClientOptions) -> Result<(Config, String), Error> {
    let kubeconfig_error = |source| Error::Kubeconfig {
        paths: options.kubeconfig.clone(),
        source: Box::new(source),
    };
    let kubeconfig = if options.kubeconfig.is_empty() {
        match Kubeconfig::read() {
            Ok(kubeconfig) => Some(kubeconfig),
            Err(error) => {
                // Neither KUBECONFIG nor ~/.kube/config: in a pod, use the in-cluster settings;
                // with an explicit --kube-apiserver, start from nothing.
                if options.api_server.is_some() {
                    None
                } else {
                    match Config::incluster() {
                        Ok(config) => return finish(config, options),
                        Err(_) => return Err(kubeconfig_error(error)),
                    }
                }
            }
        }
    } else {
        let mut merged = Kubeconfig::default();
        for path in &options.kubeconfig {
            let next = Kubeconfig::read_from(path).map_err(kubeconfig_error)?;
            merged = merged.merge(next).map_err(kubeconfig_error)?;
        }
        Some(merged)
    };
    let config = match kubeconfig {
        Some(kubeconfig) if !(kubeconfig.contexts.is_empty() && options.api_server.is_some()) => {
            let kube_options = KubeConfigOptions {
                context: options.context.clone(),
                cluster: None,
                user: None,
            };
            Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(kubeconfig_error)?
        }
        _ => {
            let server = options.api_server.as_deref().unwrap_or_default();
            Config::new(parse_server(server).map_err(kubeconfig_error)?)
        }
    };
    finish(config, options)
}

fn parse_server(server: &str) -> Result<http::Uri, KubeconfigError> {
    server
        .parse::<http::Uri>()
        .map_err(KubeconfigError::ParseClusterUrl)
}

/// Applies Helm's overrides to settings loaded from a kubeconfig or the cluster.
fn finish(mut config: Config, options: &ClientOptions) -> Result<(Config, String), Error> {
    let error = |source| Error::Kubeconfig {
        paths: options.kubeconfig.clone(),
        source: Box::new(source),
    };
    if let Some(server) = &options.api_server {
        config.cluster_url = parse_server(server).map_err(error)?;
    }
    if let Some(path) = &options.ca_file {
        let ca_error = |reason: String| Error::CaFile {
            path: path.clone(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no PEM certificate in the file".into()));
        }
        config.root_cert = Some(certs);
    }
    if options.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
        config.root_cert = None;
    }
    if let Some(name) = &options.tls_server_name {
        config.tls_server_name = Some(name.clone());
    }
    if let Some(token) = &options.token {
        let auth = &mut config.auth_info;
        auth.token = Some(token.clone());
        auth.token_file = None;
        auth.exec = None;
        auth.auth_provider = None;
        auth.username = None;
        auth.password = None;
    }
    if let Some(user) = &options.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !options.as_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(options.as_groups.clone());
    }
    let namespace = options
        .namespace
        .clone()
        .unwrap_or_else(|| config.default_namespace.clone());
    config.default_namespace.clone_from(&namespace);
    Ok((config, namespace))
}

/// Builds a client from settings (needs a running tokio runtime).
///
/// # Errors
/// [`Error::BuildClient`] when TLS material or the proxy settings are unusable.
pub fn build_client(config: Config) -> Result<Client, Error> {
    install_crypto_provider();
    let server = config.cluster_url.to_string();
    Client::try_from(config).map_err(|source| Error::BuildClient {
        server,
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const A: &str = r#"
apiVersion: v1
kind: Config
current-context: a
contexts:
- name: a
  context: {cluster: ca, user: ua, namespace: team-a}
- name: b
  context: {cluster: cb, user: ub}
clusters:
- name: ca
  cluster: {server: "https://a.example:6443"}
- name: cb
  cluster: {server: "https://b.example:6443"}
users:
- name: ua
  user: {token: token-a}
- name: ub
  user: {token: token-b}
"#;

    const B: &str = r#"
apiVersion: v1
kind: Config
current-context: c
contexts:
- name: c
  context: {cluster: cc, user: uc, namespace: team-c}
- name: a
  context: {cluster: cc, user: uc, namespace: shadowed}
clusters:
- name: cc
  cluster: {server: "https://c.example:6443"}
users:
- name: uc
  user: {token: token-c}
"#;

    fn files() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, A).unwrap();
        std::fs::write(&b, B).unwrap();
        (dir, a, b)
    }

    #[tokio::test]
    async fn merged_files_first_wins_and_context_namespace_applies() {
        let (_dir, a, b) = files();
        let options = ClientOptions {
            kubeconfig: vec![b.clone(), a.clone()],
            ..ClientOptions::default()
        };
        let (config, ns) = load_config(&options).await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://c.example:6443/");
        assert_eq!(ns, "team-c");

        // Context "a" is defined by both files: b's (listed first) wins.
        let options = ClientOptions {
            kubeconfig: vec![b, a.clone()],
            context: Some("a".into()),
            ..ClientOptions::default()
        };
        let (_, ns) = load_config(&options).await.unwrap();
        assert_eq!(ns, "shadowed");

        let options = ClientOptions {
            kubeconfig: vec![a],
            context: Some("b".into()),
            ..ClientOptions::default()
        };
        let (config, ns) = load_config(&options).await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://b.example:6443/");
        assert_eq!(ns, "default");
        let token = config.auth_info.token.unwrap();
        assert_eq!(token.expose_secret(), "token-b");
    }

    #[tokio::test]
    async fn helm_overrides_replace_kubeconfig_values() {
        let (_dir, a, _) = files();
        let options = ClientOptions {
            kubeconfig: vec![a],
            namespace: Some("override".into()),
            api_server: Some("https://override.example:443".into()),
            token: Some("t0k3n".to_owned().into()),
            as_user: Some("jane".into()),
            as_groups: vec!["devs".into(), "ops".into()],
            insecure_skip_tls_verify: true,
            tls_server_name: Some("api.internal".into()),
            ..ClientOptions::default()
        };
        let (config, ns) = load_config(&options).await.unwrap();
        assert_eq!(ns, "override");
        assert_eq!(config.default_namespace, "override");
        assert_eq!(
            config.cluster_url.to_string(),
            "https://override.example:443/"
        );
        assert_eq!(config.auth_info.token.unwrap().expose_secret(), "t0k3n");
        assert_eq!(config.auth_info.impersonate.as_deref(), Some("jane"));
        assert_eq!(
            config.auth_info.impersonate_groups,
            Some(vec!["devs".to_owned(), "ops".to_owned()])
        );
        assert!(config.accept_invalid_certs);
        assert_eq!(config.tls_server_name.as_deref(), Some("api.internal"));
    }

    #[tokio::test]
    async fn missing_context_and_bad_ca_file_are_errors() {
        let (dir, a, _) = files();
        let options = ClientOptions {
            kubeconfig: vec![a.clone()],
            context: Some("nope".into()),
            ..ClientOptions::default()
        };
        let err = load_config(&options).await.unwrap_err();
        assert!(
            err.to_string().starts_with("could not load kubeconfig "),
            "{err}"
        );
        let options = ClientOptions {
            kubeconfig: vec![a],
            ca_file: Some(dir.path().join("missing.pem")),
            ..ClientOptions::default()
        };
        let err = load_config(&options).await.unwrap_err();
        assert!(matches!(err, Error::CaFile { .. }), "{err}");
    }

    #[tokio::test]
    async fn api_server_alone_needs_no_kubeconfig_contexts() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.yaml");
        std::fs::write(&empty, "").unwrap();
        let options = ClientOptions {
            kubeconfig: vec![empty],
            api_server: Some("https://10.0.0.1:6443".into()),
            ..ClientOptions::default()
        };
        let (config, ns) = load_config(&options).await.unwrap();
        assert_eq!(config.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert_eq!(ns, "default");
    }
}
