//! Test support: builds the guest plugins (examples in `plugins/`, hostile ones in
//! `testdata/plugins/`) for wasm32-wasip1 once per test binary, and assembles plugin
//! directories (`plugin.yaml` + `plugin.wasm`) in temporary directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rudder_plugin::{HostOptions, PluginHost, WasmPlugin};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_workspace(dir: &Path, target_dir: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["build", "--release", "--target", "wasm32-wasip1"])
        .env("CARGO_TARGET_DIR", target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .map_err(|e| format!("running cargo in {}: {e}", dir.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hint = if stderr.contains("wasm32-wasip1")
        && (stderr.contains("not installed")
            || stderr.contains("can't find crate for `std`")
            || stderr.contains("can't find crate for `core`"))
    {
        "\nThe wasm32-wasip1 target is missing: run `rustup target add wasm32-wasip1`."
    } else {
        ""
    };
    Err(format!(
        "building the guest plugins in {} failed:{hint}\n{stderr}",
        dir.display()
    ))
}

/// Builds every guest module once and returns the directory holding the `.wasm` files.
pub fn wasm_dir() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = DIR.get_or_init(|| {
        let root = repo_root();
        let target = root.join("plugins/target");
        build_workspace(&root.join("plugins"), &target)?;
        build_workspace(&root.join("testdata/plugins"), &target)?;
        Ok(target.join("wasm32-wasip1/release"))
    });
    match result {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// A plugin directory in a temporary directory: `manifest_dir/plugin.yaml` plus `wasm` as
/// `plugin.wasm`.
pub fn plugin_dir(manifest_dir: &Path, wasm: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        manifest_dir.join("plugin.yaml"),
        dir.path().join("plugin.yaml"),
    )
    .expect("copy plugin.yaml");
    std::fs::copy(wasm_dir().join(wasm), dir.path().join("plugin.wasm")).expect("copy wasm");
    dir
}

/// Loads an example plugin from `plugins/<name>`.
pub fn example(host: &PluginHost, name: &str) -> WasmPlugin {
    let wasm = format!("{}.wasm", name.replace('-', "_"));
    let dir = plugin_dir(&repo_root().join("plugins").join(name), &wasm);
    host.load_dir(dir.path()).expect("load example plugin")
}

/// Loads a hostile plugin from `testdata/plugins/<name>` (all share `hostile.wasm`).
pub fn hostile(host: &PluginHost, name: &str) -> WasmPlugin {
    let dir = plugin_dir(
        &repo_root().join("testdata/plugins").join(name),
        "hostile.wasm",
    );
    host.load_dir(dir.path()).expect("load hostile plugin")
}

/// A host sharing one compiled-module cache per test build (compiling with a debug build of
/// Cranelift is slow; the cache itself is tested in `examples.rs`).
pub fn host() -> PluginHost {
    let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rudder-plugin-module-cache");
    PluginHost::new(HostOptions {
        cache_dir: Some(cache_dir),
    })
    .expect("plugin host")
}
