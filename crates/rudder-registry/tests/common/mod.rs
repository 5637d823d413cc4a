//! Test support: a real registry started by `scripts/registry`, and the demo chart.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How to start a registry (see `scripts/registry --help`).
#[derive(Debug, Default, Clone)]
pub struct Options<'a> {
    /// HTTP basic auth for `user:pass`.
    pub htpasswd: Option<&'a str>,
    /// Bearer token auth: a local token server issues tokens to `user:pass`.
    pub token: Option<&'a str>,
    /// HTTPS with a certificate signed by a CA generated for this registry.
    pub tls: bool,
}

/// A running registry; stopped (and its state removed) on drop.
pub struct Registry {
    pub addr: String,
    pub state: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Anonymous registry.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Registry requiring HTTP basic auth for `user:pass`.
    pub fn start_htpasswd(creds: &str) -> Self {
        Self::start_with(Some(creds))
    }

    fn start_with(creds: Option<&str>) -> Self {
        Self::start_opts(&Options {
            htpasswd: creds,
            ..Options::default()
        })
    }

    /// A registry started with `opts`.
    pub fn start_opts(opts: &Options<'_>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("registry");
        let mut cmd = Command::new(repo_root().join("scripts/registry"));
        cmd.arg("up").arg("--state").arg(&state);
        if let Some(c) = opts.htpasswd {
            cmd.arg("--htpasswd").arg(c);
        }
        if let Some(c) = opts.token {
            cmd.arg("--token").arg(c);
        }
        if opts.tls {
            cmd.arg("--tls");
        }
        let out = cmd.output().expect("run scripts/registry");
        assert!(
            out.status.success(),
            "scripts/registry up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let addr = String::from_utf8(out.stdout)
            .expect("utf8")
            .trim()
            .to_string();
        assert!(
            addr.starts_with("127.0.0.1:"),
            "unexpected address {addr:?}"
        );
        Self {
            addr,
            state,
            _dir: dir,
        }
    }

    /// The CA bundle that verifies a `--tls` registry.
    pub fn ca_file(&self) -> PathBuf {
        self.state.join("tls/ca.pem")
    }

    /// The filesystem path of a blob in the registry's storage (to tamper with it).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
        self.state
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/registry"))
            .arg("down")
            .arg("--state")
            .arg(&self.state)
            .status();
    }
}

/// Fixed archive mtime used as the `created` annotation: 2020-01-02T03:04:05Z.
pub const CREATED_SECS: u64 = 1_577_934_245;
pub const CREATED: &str = "2020-01-02T03:04:05Z";

/// Packages testdata/registry/demo with rudder-chart into `dir`, sets its mtime to
/// [`CREATED_SECS`], and returns (path, bytes).
pub fn demo_archive(dir: &Path) -> (PathBuf, Vec<u8>) {
    let src = repo_root().join("testdata/registry/demo");
    let path = rudder_chart::package(&src, dir, &rudder_chart::PackageOptions::default())
        .expect("package demo chart");
    let f = std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open archive");
    f.set_modified(UNIX_EPOCH + Duration::from_secs(CREATED_SECS))
        .expect("set mtime");
    let bytes = std::fs::read(&path).expect("read archive");
    (path, bytes)
}

/// A loopback port nothing listens on (bound then released).
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Runs real Helm with its homes under `home`, asserting success; returns stdout + stderr.
#[allow(dead_code)] // not every test binary that includes this module runs helm
pub fn run_helm(helm: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new(helm)
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("HELM_CONTENT_CACHE", home.join("content"))
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
