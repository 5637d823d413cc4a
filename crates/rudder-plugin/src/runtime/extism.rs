//! The `extism:host/env` import namespace: kernel functions over [`Kernel`] and the standard
//! Extism host functions (`config_get`, `var_*`, `http_*`, `log_*`), plus the per-call state.
//!
//! Ownership follows Extism: host functions free the handles passed to them and return fresh
//! allocations (0 for "none") that the guest owns.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Caller, Linker, ResourceLimiter};
use wasmtime_wasi::p1::WasiP1Ctx;

use super::kernel::Kernel;
use crate::error::Failure;

/// The namespace of the Extism ABI.
pub(crate) const ENV_MODULE: &str = "extism:host/env";

/// Every function this host provides in [`ENV_MODULE`].
pub(crate) const ENV_FUNCTIONS: &[&str] = &[
    "alloc",
    "free",
    "length",
    "length_unsafe",
    "load_u8",
    "load_u64",
    "store_u8",
    "store_u64",
    "input_length",
    "input_load_u8",
    "input_load_u64",
    "input_set",
    "input_offset",
    "output_set",
    "output_offset",
    "output_length",
    "error_set",
    "error_get",
    "reset",
    "memory_bytes",
    "config_get",
    "var_get",
    "var_set",
    "http_request",
    "http_status_code",
    "http_headers",
    "log_trace",
    "log_debug",
    "log_info",
    "log_warn",
    "log_error",
    "get_log_level",
];

/// Largest table a plugin may grow (elements).
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Policy shared by every call of one plugin.
#[derive(Debug, Clone)]
pub(crate) struct CallPolicy {
    pub(crate) plugin: String,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) max_var_bytes: u64,
    pub(crate) max_http_response_bytes: u64,
    /// Serves the granted `rudder_kube_*` host functions (see `host_kube`).
    pub(crate) kube: Option<super::host_kube::KubeHostHandle>,
}

/// The store data of one call.
pub(crate) struct State {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) kernel: Kernel,
    pub(crate) policy: Arc<CallPolicy>,
    /// Memory budget in bytes (guest linear memory + kernel arena).
    budget: u64,
    wasm_bytes: u64,
    /// Set when an allocation was refused for lack of budget.
    pub(crate) oom: bool,
    /// Set when a host function refused an operation; takes precedence over the trap.
    pub(crate) denial: Option<Failure>,
    vars: BTreeMap<String, Vec<u8>>,
    http_status: i32,
    http_headers: Option<Vec<u8>>,
    deadline: Instant,
}

impl State {
    pub(crate) fn new(
        wasi: WasiP1Ctx,
        policy: Arc<CallPolicy>,
        budget: u64,
        deadline: Instant,
    ) -> Self {
        State {
            wasi,
            kernel: Kernel::new(),
            policy,
            budget,
            wasm_bytes: 0,
            oom: false,
            denial: None,
            vars: BTreeMap::new(),
            http_status: 0,
            http_headers: None,
            deadline,
        }
    }

    /// When the call must end.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Bytes the kernel arena may still grow by.
    pub(crate) fn kernel_room(&self) -> u64 {
        self.budget
            .saturating_sub(self.wasm_bytes.saturating_add(self.kernel.size()))
    }

    /// Allocates a kernel block holding `data` (0 for empty data). Over budget, records the
    /// out-of-memory condition and fails, which traps the guest: PDKs do not check for a 0
    /// handle, so carrying on would silently lose data.
    pub(crate) fn alloc_bytes(&mut self, data: &[u8]) -> wasmtime::Result<u64> {
        if data.is_empty() {
            return Ok(0);
        }
        let room = self.kernel_room();
        match self.kernel.alloc_bytes(data, room) {
            0 => Err(self.out_of_memory(data.len() as u64)),
            h => Ok(h),
        }
    }

    fn out_of_memory(&mut self, n: u64) -> wasmtime::Error {
        self.oom = true;
        wasmtime::Error::msg(format!(
            "kernel allocation of {n} bytes exceeds the memory limit"
        ))
    }

    fn deny(&mut self, failure: Failure) -> wasmtime::Error {
        let err = wasmtime::Error::msg(failure.to_string());
        self.denial = Some(failure);
        err
    }
}

impl ResourceLimiter for State {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired.saturating_add(self.kernel.size()) > self.budget {
            self.oom = true;
            return Ok(false);
        }
        self.wasm_bytes = desired;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn memories(&self) -> usize {
        1
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Adds the Extism kernel and host functions to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    let m = ENV_MODULE;
    linker.func_wrap(
        m,
        "alloc",
        |mut c: Caller<'_, State>, n: i64| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            let room = s.kernel_room();
            match s.kernel.alloc(n as u64, room) {
                0 if n != 0 => Err(s.out_of_memory(n as u64)),
                h => Ok(h as i64),
            }
        },
    )?;
    linker.func_wrap(m, "free", |mut c: Caller<'_, State>, h: i64| {
        c.data_mut().kernel.free(h as u64)
    })?;
    linker.func_wrap(m, "length", |c: Caller<'_, State>, h: i64| -> i64 {
        c.data().kernel.length(h as u64) as i64
    })?;
    linker.func_wrap(m, "length_unsafe", |c: Caller<'_, State>, h: i64| -> i64 {
        c.data().kernel.length(h as u64) as i64
    })?;
    linker.func_wrap(m, "load_u8", |c: Caller<'_, State>, p: i64| -> i32 {
        i32::from(c.data().kernel.load_u8(p as u64))
    })?;
    linker.func_wrap(m, "load_u64", |c: Caller<'_, State>, p: i64| -> i64 {
        c.data().kernel.load_u64(p as u64) as i64
    })?;
    linker.func_wrap(m, "store_u8", |mut c: Caller<'_, State>, p: i64, v: i32| {
        c.data_mut().kernel.store_u8(p as u64, v as u8)
    })?;
    linker.func_wrap(
        m,
        "store_u64",
        |mut c: Caller<'_, State>, p: i64, v: i64| {
            c.data_mut().kernel.store_u64(p as u64, v as u64)
        },
    )?;
    linker.func_wrap(m, "input_length", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.input_length() as i64
    })?;
    linker.func_wrap(m, "input_load_u8", |c: Caller<'_, State>, o: i64| -> i32 {
        i32::from(c.data().kernel.input_load_u8(o as u64))
    })?;
    linker.func_wrap(m, "input_load_u64", |c: Caller<'_, State>, o: i64| -> i64 {
        c.data().kernel.input_load_u64(o as u64) as i64
    })?;
    linker.func_wrap(
        m,
        "input_set",
        |mut c: Caller<'_, State>, h: i64, n: i64| {
            c.data_mut().kernel.set_input(h as u64, n as u64)
        },
    )?;
    linker.func_wrap(m, "input_offset", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.input_offset() as i64
    })?;
    linker.func_wrap(
        m,
        "output_set",
        |mut c: Caller<'_, State>, h: i64, n: i64| {
            c.data_mut().kernel.set_output(h as u64, n as u64)
        },
    )?;
    linker.func_wrap(m, "output_offset", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.output().0 as i64
    })?;
    linker.func_wrap(m, "output_length", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.output().1 as i64
    })?;
    linker.func_wrap(m, "error_set", |mut c: Caller<'_, State>, h: i64| {
        c.data_mut().kernel.set_error(h as u64)
    })?;
    linker.func_wrap(m, "error_get", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.error() as i64
    })?;
    linker.func_wrap(m, "reset", |mut c: Caller<'_, State>| {
        c.data_mut().kernel.reset()
    })?;
    linker.func_wrap(m, "memory_bytes", |c: Caller<'_, State>| -> i64 {
        c.data().kernel.size() as i64
    })?;

    linker.func_wrap(
        m,
        "config_get",
        |mut c: Caller<'_, State>, key: i64| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            let key = lossy(&s.kernel.take(key as u64));
            match s.policy.config.get(&key).cloned() {
                Some(v) => Ok(s.alloc_bytes(v.as_bytes())? as i64),
                None => Ok(0),
            }
        },
    )?;
    linker.func_wrap(
        m,
        "var_get",
        |mut c: Caller<'_, State>, key: i64| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            let key = lossy(&s.kernel.take(key as u64));
            match s.vars.get(&key).cloned() {
                Some(v) => Ok(s.alloc_bytes(&v)? as i64),
                None => Ok(0),
            }
        },
    )?;
    linker.func_wrap(
        m,
        "var_set",
        |mut c: Caller<'_, State>, key: i64, value: i64| -> wasmtime::Result<()> {
            let s = c.data_mut();
            let key = lossy(&s.kernel.take(key as u64));
            if value == 0 {
                s.vars.remove(&key);
                return Ok(());
            }
            let value = s.kernel.take(value as u64);
            let others: u64 = s
                .vars
                .iter()
                .filter(|(k, _)| **k != key)
                .map(|(k, v)| (k.len() + v.len()) as u64)
                .sum();
            let total = others + (key.len() + value.len()) as u64;
            if total > s.policy.max_var_bytes {
                return Err(wasmtime::Error::msg(format!(
                    "variables exceed memory.maxVarBytes ({} bytes)",
                    s.policy.max_var_bytes
                )));
            }
            s.vars.insert(key, value);
            Ok(())
        },
    )?;
    linker.func_wrap(
        m,
        "http_request",
        |mut c: Caller<'_, State>, req: i64, body: i64| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            let req = s.kernel.take(req as u64);
            let body = if body == 0 {
                Vec::new()
            } else {
                s.kernel.take(body as u64)
            };
            http_request(s, &req, body)
        },
    )?;
    linker.func_wrap(m, "http_status_code", |c: Caller<'_, State>| -> i32 {
        c.data().http_status
    })?;
    linker.func_wrap(
        m,
        "http_headers",
        |mut c: Caller<'_, State>| -> wasmtime::Result<i64> {
            let s = c.data_mut();
            match s.http_headers.take() {
                Some(h) => Ok(s.alloc_bytes(&h)? as i64),
                None => Ok(0),
            }
        },
    )?;
    for (name, level) in [
        ("log_trace", tracing::Level::TRACE),
        ("log_debug", tracing::Level::DEBUG),
        ("log_info", tracing::Level::INFO),
        ("log_warn", tracing::Level::WARN),
        ("log_error", tracing::Level::ERROR),
    ] {
        linker.func_wrap(m, name, move |mut c: Caller<'_, State>, msg: i64| {
            let s = c.data_mut();
            let text = lossy(&s.kernel.take(msg as u64));
            let plugin = s.policy.plugin.as_str();
            match level {
                tracing::Level::TRACE => tracing::trace!(plugin, "{text}"),
                tracing::Level::DEBUG => tracing::debug!(plugin, "{text}"),
                tracing::Level::INFO => tracing::info!(plugin, "{text}"),
                tracing::Level::WARN => tracing::warn!(plugin, "{text}"),
                _ => tracing::error!(plugin, "{text}"),
            }
        })?;
    }
    linker.func_wrap(m, "get_log_level", |_c: Caller<'_, State>| -> i32 {
        use tracing::level_filters::LevelFilter;
        match LevelFilter::current() {
            LevelFilter::TRACE => 0,
            LevelFilter::DEBUG => 1,
            LevelFilter::INFO => 2,
            LevelFilter::WARN => 3,
            LevelFilter::ERROR => 4,
            _ => i32::MAX,
        }
    })?;
    // Rudder's user host functions (granted per plugin when it is loaded).
    super::host_kube::add_to_linker(linker)?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct HttpRequest {
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Performs an Extism `http_request` if the host is allowed; returns the body handle.
fn http_request(s: &mut State, req: &[u8], body: Vec<u8>) -> wasmtime::Result<i64> {
    let req: HttpRequest = serde_json::from_slice(req)
        .map_err(|e| wasmtime::Error::msg(format!("http_request: invalid request JSON: {e}")))?;
    let uri: ureq::http::Uri = req.url.parse().map_err(|e| {
        wasmtime::Error::msg(format!("http_request: invalid URL {:?}: {e}", req.url))
    })?;
    let host = uri.host().unwrap_or_default().to_string();
    if !crate::sandbox::host_allowed(&host, &s.policy.allowed_hosts) {
        return Err(s.deny(Failure::NetworkDenied { host }));
    }
    let remaining = s.deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(wasmtime::Error::msg(
            "http_request: no time left before the timeout",
        ));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(remaining.max(Duration::from_millis(1))))
        .http_status_as_error(false)
        // A redirect could lead to a host outside allowedHosts: never follow one.
        .max_redirects(0)
        .build()
        .into();
    let method = req.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let mut builder = ureq::http::Request::builder()
        .method(method.as_str())
        .uri(uri);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let request = builder
        .body(body)
        .map_err(|e| wasmtime::Error::msg(format!("http_request: {e}")))?;
    let mut response = agent
        .run(request)
        .map_err(|e| wasmtime::Error::msg(format!("http_request to {host}: {e}")))?;
    s.http_status = i32::from(response.status().as_u16());
    let headers: BTreeMap<String, String> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), lossy(v.as_bytes())))
        .collect();
    s.http_headers = serde_json::to_vec(&headers).ok();
    let limit = s.policy.max_http_response_bytes;
    let data = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| {
            wasmtime::Error::msg(format!(
                "http_request to {host}: reading the response (limit {limit} bytes): {e}"
            ))
        })?;
    Ok(s.alloc_bytes(&data)? as i64)
}
