//! The sandbox policy of `extism/v1` plugins: what a plugin may see and use.
//!
//! Deny by default:
//!
//! | resource | default | opt-in (`runtimeConfig`) |
//! |---|---|---|
//! | memory | [`DEFAULT_MAX_PAGES`] pages (64 MiB), guest memory + kernel arena | `memory.maxPages` |
//! | time | [`DEFAULT_TIMEOUT_MS`] (30 s) wall clock per call, epoch interruption | `timeout` (ms) |
//! | filesystem | none (no preopened directory) | `fileSystem.createTempDir`: a private per-call directory at `/tmp`, removed afterwards |
//! | network | none (`http_request` refused) | `allowedHosts` globs (redirects are not followed) |
//! | environment | see [`plugin_env`] | `env` (Rudder extension: extra names) |
//! | host functions | the Extism kernel and standard functions only | `hostFunctions: [rudder_kube_list]` (Rudder extension, read-only cluster listing; see `runtime::host_kube`); any other name is refused at load time |
//!
//! Helm 4 leaves `maxPages` unlimited when unset and hands CLI plugins the whole environment;
//! Rudder does neither.

use crate::manifest::{ExtismConfig, Metadata};

/// Memory limit when `memory.maxPages` is not set: 1024 pages of 64 KiB (64 MiB).
pub const DEFAULT_MAX_PAGES: u32 = 1024;
/// Call time limit when `timeout` is not set: 30 seconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Variable store limit when `memory.maxVarBytes` is not set: 1 MiB (Extism's default).
pub const DEFAULT_MAX_VAR_BYTES: u64 = 1 << 20;
/// HTTP response limit when `memory.maxHttpResponseBytes` is not set: 50 MiB (Extism's default).
pub const DEFAULT_MAX_HTTP_RESPONSE_BYTES: u64 = 50 << 20;
/// Size of one WebAssembly page.
pub const PAGE_SIZE: u64 = 64 * 1024;

/// Substrings (matched case-insensitively) that mark an environment variable name as a secret.
pub const SECRET_NAME_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "KEY",
    "AUTH",
    "COOKIE",
    "SESSION",
    "PRIVATE",
];

/// Prefixes of variables passed to plugins unless their name looks secret.
pub const PASSED_PREFIXES: &[&str] = &["RUDDER_", "HELM_"];

/// The resolved limits of one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory limit in pages.
    pub max_pages: u32,
    /// Wall-clock limit of one call, in milliseconds.
    pub timeout_ms: u64,
    /// Variable store limit in bytes (0 disables `var_set`).
    pub max_var_bytes: u64,
    /// HTTP response body limit in bytes.
    pub max_http_response_bytes: u64,
}

impl Limits {
    /// Applies Rudder's defaults to a plugin's `runtimeConfig`.
    pub fn from_config(rc: &ExtismConfig) -> Self {
        Limits {
            max_pages: rc.memory.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
            timeout_ms: rc.timeout.unwrap_or(DEFAULT_TIMEOUT_MS),
            max_var_bytes: rc.memory.max_var_bytes.unwrap_or(DEFAULT_MAX_VAR_BYTES),
            max_http_response_bytes: rc
                .memory
                .max_http_response_bytes
                .unwrap_or(DEFAULT_MAX_HTTP_RESPONSE_BYTES),
        }
    }

    /// The memory limit in bytes.
    pub fn memory_bytes(&self) -> u64 {
        u64::from(self.max_pages) * PAGE_SIZE
    }
}

/// True if an environment variable name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// The environment a plugin sees, chosen from `candidates` (usually the process environment).
///
/// The exact rule:
/// 1. a name containing any of [`SECRET_NAME_PARTS`] (case-insensitive: `GITHUB_TOKEN`,
///    `HELM_REPO_PASSWORD`, `AWS_SECRET_ACCESS_KEY`, `RUDDER_TEST_TOKEN`…) is never passed;
/// 2. otherwise a name is passed if it starts with `RUDDER_` or `HELM_`, or is listed in the
///    plugin's `runtimeConfig.env`;
/// 3. Rudder then sets `HELM_PLUGIN_NAME` and `RUDDER_PLUGIN_NAME` to the plugin's name.
///
/// Everything else (`HOME`, `PATH`, `USER`, `KUBECONFIG`…) is withheld. The result is sorted by
/// name; later duplicates in `candidates` win.
pub fn plugin_env<I>(
    candidates: I,
    metadata: &Metadata,
    declared: &[String],
) -> Vec<(String, String)>
where
    I: IntoIterator<Item = (String, String)>,
{
    let mut env = std::collections::BTreeMap::new();
    for (name, value) in candidates {
        if is_secret_name(&name) {
            continue;
        }
        let passed =
            PASSED_PREFIXES.iter().any(|p| name.starts_with(p)) || declared.contains(&name);
        if passed {
            env.insert(name, value);
        }
    }
    env.insert("HELM_PLUGIN_NAME".to_string(), metadata.name.clone());
    env.insert("RUDDER_PLUGIN_NAME".to_string(), metadata.name.clone());
    env.into_iter().collect()
}

/// True if `host` matches one of the `allowedHosts` globs (`*` matches any run of characters,
/// comparison is case-insensitive). An empty list allows nothing.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    allowed
        .iter()
        .any(|pattern| glob_match(&pattern.to_ascii_lowercase(), &host))
}

fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Metadata {
        crate::manifest::parse(
            "apiVersion: v1\nname: p\nversion: 0.1.0\ntype: cli/v1\nruntime: extism/v1\n",
            "p.yaml",
        )
        .unwrap()
    }

    #[test]
    fn env_rule() {
        let candidates = [
            ("HOME", "/root"),
            ("PATH", "/bin"),
            ("HELM_DEBUG", "1"),
            ("RUDDER_NAMESPACE", "ns"),
            ("RUDDER_TEST_TOKEN", "s3cret"),
            ("HELM_REPO_PASSWORD", "pw"),
            ("helm_kube_apikey", "k"),
            ("LANG", "C"),
            ("GITHUB_TOKEN", "t"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let env = plugin_env(candidates, &meta(), &["LANG".into(), "GITHUB_TOKEN".into()]);
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "HELM_DEBUG",
                "HELM_PLUGIN_NAME",
                "LANG",
                "RUDDER_NAMESPACE",
                "RUDDER_PLUGIN_NAME"
            ]
        );
    }

    #[test]
    fn host_globs() {
        let allowed = vec!["example.com".to_string(), "*.charts.io".to_string()];
        assert!(host_allowed("example.com", &allowed));
        assert!(host_allowed("EXAMPLE.com", &allowed));
        assert!(host_allowed("a.b.charts.io", &allowed));
        assert!(!host_allowed("charts.io", &allowed));
        assert!(!host_allowed("example.com.evil.net", &allowed));
        assert!(!host_allowed("anything", &[]));
    }

    #[test]
    fn defaults() {
        let l = Limits::from_config(&ExtismConfig::default());
        assert_eq!(l.max_pages, DEFAULT_MAX_PAGES);
        assert_eq!(l.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(l.memory_bytes(), 64 << 20);
    }
}
