//! Records the git commit and compiler version for `rudder version`, and links the `rudder`
//! executable as a position-dependent (non-PIE) binary on Linux.
//!
//! Why non-PIE: the binary is large (wasmtime, Cranelift, kube, rustls) and, linked as PIE,
//! carries ~56,000 relative relocations that the dynamic loader applies on every start,
//! touching ~200 pages. `rudder` is a short-lived command run many times per minute in CI
//! pipelines, so that is a measurable share of `rudder template` (4.3 → 3.6 ms median) and
//! of a warm plugin call. The code itself stays position-independent (only the final link
//! changes), shared libraries, heap, stack and mmaps stay randomised, and this matches what
//! Helm ships (Go links linux/amd64 executables non-PIE by default). Set
//! `RUDDER_LINK_PIE=1` at build time to link a PIE instead.
//!
//! Release builds also pass LLD `--symbol-ordering-file=symbol-order.txt`: the functions the
//! common short commands run (recorded with callgrind by `scripts/symbol-order`) are laid out
//! first and together, so a command faults in a few MB of code rather than pages scattered
//! over the whole text segment (`rudder template` of v2-webapp: peak RSS 15.5 → 8.3 MB,
//! page faults 398 → 326). Set
//! `RUDDER_NO_SYMBOL_ORDER=1` to link without it.

use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=RUDDER_GIT_COMMIT={commit}");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=RUDDER_RUSTC_VERSION={version}");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let pie_wanted = std::env::var_os("RUDDER_LINK_PIE").is_some_and(|v| v == "1");
    if linux && !pie_wanted {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-env-changed=RUDDER_LINK_PIE");
    // Hot functions first (see `symbol-order.txt` and `scripts/symbol-order`). Only for the
    // LLD link rustc uses on x86_64 Linux, and only in optimised builds: names a build does
    // not define are skipped without a warning.
    let order = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("symbol-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RUDDER_NO_SYMBOL_ORDER");
    let x86_64 = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    let optimised = std::env::var("PROFILE").as_deref() == Ok("release");
    let wanted = std::env::var_os("RUDDER_NO_SYMBOL_ORDER").is_none_or(|v| v != "1");
    if linux && x86_64 && gnu && optimised && wanted && order.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs/heads");
}
