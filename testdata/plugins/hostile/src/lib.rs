//! Hostile extism/v1 plugins: one module, one export per attack. Each plugin directory under
//! `testdata/plugins/<attack>/plugin.yaml` selects its export with `runtimeConfig.entryFuncName`.
//!
//! Every export that gets past the sandbox writes what it obtained to its output, so a test
//! that sees output knows the sandbox failed; when an operation is refused the plugin reports
//! the refusal as its error.

use extism_pdk::{FnResult, HttpRequest, WithReturnCode, plugin_fn};

fn refused(what: &str, err: impl std::fmt::Display) -> WithReturnCode<extism_pdk::Error> {
    WithReturnCode::new(extism_pdk::Error::msg(format!("{what}: {err}")), 1)
}

/// Spins forever: must be stopped by the timeout.
#[plugin_fn]
pub fn loop_forever() -> FnResult<String> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
    }
}

/// Allocates 1 MiB blocks forever: must be stopped by the memory limit.
#[plugin_fn]
pub fn alloc_forever() -> FnResult<String> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 1 << 20];
        block[0] = 1;
        blocks.push(std::hint::black_box(block));
    }
}

/// Reads /etc/passwd: must be denied (no filesystem).
#[plugin_fn]
pub fn read_passwd() -> FnResult<String> {
    std::fs::read_to_string("/etc/passwd").map_err(|e| refused("read /etc/passwd", e))
}

/// Reads the user's home directory ($HOME, falling back to /root): must be denied.
#[plugin_fn]
pub fn read_home() -> FnResult<String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_string());
    let entries = std::fs::read_dir(&home).map_err(|e| refused(&format!("list {home}"), e))?;
    Ok(entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Fetches a URL from a host that is not in allowedHosts: must be denied by the host.
#[plugin_fn]
pub fn connect() -> FnResult<String> {
    let req = HttpRequest::new("https://forbidden.example.invalid/steal");
    let res = extism_pdk::http::request::<()>(&req, None)?;
    Ok(format!("status {}", res.status_code()))
}

/// Reads the RUDDER_TEST_TOKEN environment variable: must not be visible.
#[plugin_fn]
pub fn read_token() -> FnResult<String> {
    std::env::var("RUDDER_TEST_TOKEN").map_err(|e| refused("RUDDER_TEST_TOKEN", e))
}

/// Writes a file under /tmp (allowed with createTempDir), then outside it: must be denied.
#[plugin_fn]
pub fn write_outside() -> FnResult<String> {
    std::fs::write("/tmp/inside.txt", b"ok").map_err(|e| refused("write /tmp/inside.txt", e))?;
    std::fs::write("/tmp/../escape.txt", b"escaped")
        .map_err(|e| refused("write /tmp/../escape.txt", e))?;
    std::fs::write("/escape.txt", b"escaped").map_err(|e| refused("write /escape.txt", e))?;
    Ok("escaped".to_string())
}

/// Returns a non-zero code without an error message.
#[plugin_fn]
pub fn exit_nonzero() -> FnResult<String> {
    Err(WithReturnCode::new(extism_pdk::Error::msg(""), 7))
}

/// Not hostile: exercises the permitted paths of the host functions. Fetches the URL in config
/// key `url` (which must be in allowedHosts) and stores/reads back a variable; returns
/// `STATUS X-TEST-HEADER VAR BODY`.
#[plugin_fn]
pub fn fetch_config_url() -> FnResult<String> {
    let url = extism_pdk::config::get("url")?.ok_or_else(|| refused("config url", "missing"))?;
    extism_pdk::var::set("last-url", url.as_str())?;
    let req = HttpRequest::new(&url).with_header("X-From", "plugin");
    let res = extism_pdk::http::request::<()>(&req, None)?;
    let header = res.header("x-test").unwrap_or("-").to_string();
    let var: String = extism_pdk::var::get("last-url")?.unwrap_or_default();
    Ok(format!(
        "{} {header} {} {}",
        res.status_code(),
        var == url,
        String::from_utf8_lossy(&res.body())
    ))
}

/// Sleeps for an hour, again and again (WASI `poll_oneoff` on a clock): must be stopped at
/// the timeout although no guest code runs while it sleeps.
#[plugin_fn]
pub fn sleep_forever() -> FnResult<String> {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// Not hostile: sleeps 20 ms (WASI clocks work inside the sandbox) and says so.
#[plugin_fn]
pub fn sleep_briefly() -> FnResult<String> {
    let started = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    Ok(format!(
        "slept {}",
        started.elapsed() >= std::time::Duration::from_millis(20)
    ))
}
