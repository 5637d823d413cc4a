//! The `extism/v1` runtime on wasmtime.
//!
//! One [`PluginHost`] owns the wasmtime [`Engine`], the linker with WASI preview 1 and the
//! Extism functions, the optional compiled-module cache and a one-thread tokio runtime that
//! advances the epoch (timeouts) and serves WASI's async internals. [`PluginHost::load_dir`] gives a [`WasmPlugin`]; each
//! [`WasmPlugin::invoke`] runs in a fresh [`Store`] with its own WASI context (stdio, env,
//! args, optional private `/tmp`), kernel arena and limits, so a failed call leaves nothing
//! behind.
//!
//! Calls are blocking. WASI in wasmtime uses tokio internally for some operations; from an
//! async context, call [`WasmPlugin::invoke`] inside `tokio::task::spawn_blocking`.
//!
//! The call sequence (as Extism's): instantiate; run `_initialize` (or `__wasm_call_ctors`)
//! if exported; write the input into the kernel arena; call the entry export (`() -> i32` or
//! `() -> ()`); a non-zero return or an error set with `error_set` fails the call; the output
//! is the block given to `output_set`. WASI `proc_exit(0)` counts as success.

mod cache;
mod clock;
pub(crate) mod extism;
pub mod host_kube;
mod kernel;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Config, Engine, InstancePre, Linker, Module, Store, Trap, ValType};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

pub use cache::{ModuleCache, ModuleSource};

use crate::error::{Failure, PluginError};
use crate::manifest::{ExtismConfig, MANIFEST_FILE, Metadata, RuntimeConfig};
use crate::messages::{Message, Response};
use crate::sandbox::{self, Limits};
use extism::{CallPolicy, State};

/// The file holding a plugin's module inside its directory (Helm requires this name).
pub const WASM_FILE: &str = "plugin.wasm";

/// How often the epoch advances; timeouts are enforced with this granularity.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Most bytes captured from a plugin's stdout or stderr; writing more traps.
pub const MAX_CAPTURED_OUTPUT: usize = 16 << 20;

/// Options of a [`PluginHost`].
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Directory for compiled modules (for example `$RUDDER_CACHE_HOME/wasm`); `None` disables
    /// the on-disk cache.
    pub cache_dir: Option<PathBuf>,
}

/// The runtime's one background thread, until dropped: a single-worker tokio runtime that
/// advances the engine epoch every [`EPOCH_TICK`] (timeouts) and drives the I/O and timers of
/// WASI calls. wasmtime-wasi runs its host calls on the ambient tokio runtime and, when there
/// is none, starts its own multi-threaded one with a worker per CPU; entering this one during
/// a call ([`Ticker::enter`]) replaces that, and the epoch needs no thread of its own.
struct Ticker {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Ticker {
    fn start(engine: Engine) -> Result<Self, PluginError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("rudder-plugin-rt")
            .enable_time()
            .enable_io()
            .build()
            .map_err(|e| PluginError::Engine(format!("starting the plugin runtime: {e}")))?;
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(EPOCH_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                engine.increment_epoch();
            }
        });
        Ok(Ticker {
            runtime: Some(runtime),
        })
    }

    /// Makes this runtime the ambient one for WASI calls on the current thread.
    fn enter(&self) -> Option<tokio::runtime::EnterGuard<'_>> {
        self.runtime.as_ref().map(tokio::runtime::Runtime::enter)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        // Without waiting: a host may be dropped inside async code, where blocking is refused.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Runs `extism/v1` plugins. Create one per process and share it.
pub struct PluginHost {
    engine: Engine,
    linker: Arc<Linker<State>>,
    cache: Option<ModuleCache>,
    ticker: Arc<Ticker>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    /// Creates the engine, the linker and the epoch ticker.
    pub fn new(options: HostOptions) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        // One linear memory per plugin, so the memory budget is simple to account.
        config.wasm_multi_memory(false);
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(e.to_string()))?;
        let mut linker: Linker<State> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)
            .map_err(|e| PluginError::Engine(e.to_string()))?;
        clock::add_to_linker(&mut linker).map_err(|e| PluginError::Engine(e.to_string()))?;
        extism::add_to_linker(&mut linker).map_err(|e| PluginError::Engine(e.to_string()))?;
        let ticker = Arc::new(Ticker::start(engine.clone())?);
        Ok(PluginHost {
            engine,
            linker: Arc::new(linker),
            cache: options.cache_dir.map(ModuleCache::new),
            ticker,
        })
    }

    /// The compiled-module cache, if enabled.
    pub fn cache(&self) -> Option<&ModuleCache> {
        self.cache.as_ref()
    }

    /// Loads `<dir>/plugin.yaml` and `<dir>/plugin.wasm`.
    pub fn load_dir(&self, dir: &Path) -> Result<WasmPlugin, PluginError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path).map_err(|source| PluginError::Read {
            path: manifest_path.clone(),
            source,
        })?;
        let metadata = crate::manifest::parse(&text, &manifest_path.display().to_string())?;
        let wasm_path = dir.join(WASM_FILE);
        let wasm = std::fs::read(&wasm_path).map_err(|source| PluginError::Read {
            path: wasm_path,
            source,
        })?;
        self.load(metadata, &wasm)
    }

    /// Prepares a plugin from its manifest and module bytes: compiles (or loads from the cache)
    /// and links the module, checking its imports.
    pub fn load(&self, metadata: Metadata, wasm: &[u8]) -> Result<WasmPlugin, PluginError> {
        let rc = match &metadata.runtime_config {
            RuntimeConfig::Extism(rc) => rc.clone(),
            RuntimeConfig::Subprocess(_) => {
                return Err(PluginError::WrongRuntime {
                    plugin: metadata.name.clone(),
                    runtime: metadata.runtime,
                    expected: crate::manifest::RuntimeKind::ExtismV1,
                });
            }
        };
        let link_err = |message: String| PluginError::Link {
            plugin: metadata.name.clone(),
            message,
        };
        host_kube::check_grants(&rc.host_functions).map_err(link_err)?;
        let compile = || Module::new(&self.engine, wasm);
        let compiled = match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, wasm, compile),
            None => compile().map(|m| (m, ModuleSource::Compiled)),
        };
        let (module, source) = compiled.map_err(|e| PluginError::Compile {
            plugin: metadata.name.clone(),
            message: one_line(&e),
        })?;
        check_imports(&module).map_err(link_err)?;
        host_kube::check_user_imports(&module, &rc.host_functions).map_err(link_err)?;
        check_entry(&module, &rc.entry_func_name).map_err(link_err)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| link_err(one_line(&e)))?;
        let limits = Limits::from_config(&rc);
        let policy = Arc::new(CallPolicy {
            plugin: metadata.name.clone(),
            config: rc.config.clone(),
            allowed_hosts: rc.allowed_hosts.clone(),
            max_var_bytes: limits.max_var_bytes,
            max_http_response_bytes: limits.max_http_response_bytes,
            kube: None,
        });
        Ok(WasmPlugin {
            metadata,
            extism: rc,
            limits,
            policy,
            pre,
            engine: self.engine.clone(),
            source,
            ticker: Arc::clone(&self.ticker),
        })
    }
}

fn one_line(e: &wasmtime::Error) -> String {
    e.to_string()
        .lines()
        .next()
        .unwrap_or("unknown error")
        .to_string()
}

fn check_imports(module: &Module) -> Result<(), String> {
    for import in module.imports() {
        match import.module() {
            "wasi_snapshot_preview1" => {}
            // Checked against the grants by `host_kube::check_user_imports`.
            host_kube::USER_MODULE => {}
            extism::ENV_MODULE => {
                if !extism::ENV_FUNCTIONS.contains(&import.name()) {
                    return Err(format!(
                        "imports {}::{}, which this host does not provide (PDK newer than the host?)",
                        extism::ENV_MODULE,
                        import.name()
                    ));
                }
            }
            other => {
                return Err(format!(
                    "plugin requested host function {:?} not found (module {other:?})",
                    import.name()
                ));
            }
        }
    }
    Ok(())
}

fn check_entry(module: &Module, entry: &str) -> Result<(), String> {
    let Some(export) = module.get_export(entry) else {
        return Err(format!(
            "the module does not export the entry function {entry:?}"
        ));
    };
    let Some(func) = export.func() else {
        return Err(format!("export {entry:?} is not a function"));
    };
    let results: Vec<ValType> = func.results().collect();
    let ok_results = results.is_empty() || (results.len() == 1 && results[0].is_i32());
    if func.params().len() != 0 || !ok_results {
        return Err(format!(
            "entry function {entry:?} must take no parameters and return nothing or an i32"
        ));
    }
    Ok(())
}

/// Where a plugin's stdin comes from.
#[derive(Debug, Clone, Default)]
pub enum StdinSource {
    /// Empty (end of file).
    #[default]
    Empty,
    /// These bytes.
    Bytes(Vec<u8>),
    /// The host process's stdin (for interactive CLI plugins).
    Inherit,
}

/// Where a plugin's stdout or stderr goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputSink {
    /// Captured into [`Invocation`] (up to [`MAX_CAPTURED_OUTPUT`] bytes).
    #[default]
    Capture,
    /// The host process's stream (CLI plugins).
    Inherit,
    /// Discarded.
    Discard,
}

/// Per-call I/O and environment.
#[derive(Debug, Clone, Default)]
pub struct CallIo {
    /// stdin.
    pub stdin: StdinSource,
    /// stdout.
    pub stdout: OutputSink,
    /// stderr.
    pub stderr: OutputSink,
    /// Candidate environment (usually `std::env::vars()`); filtered by
    /// [`sandbox::plugin_env`] before the plugin sees it.
    pub env: Vec<(String, String)>,
    /// WASI arguments after `argv[0]` (which is the plugin name).
    pub args: Vec<String>,
}

/// The raw result of a call.
#[derive(Debug, Clone, Default)]
pub struct RawOutput {
    /// The bytes the plugin passed to `output_set`.
    pub output: Vec<u8>,
    /// Captured stdout (empty unless [`OutputSink::Capture`]).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty unless [`OutputSink::Capture`]).
    pub stderr: Vec<u8>,
    /// Wall time of the call, instantiation included.
    pub elapsed: Duration,
}

/// The decoded result of [`WasmPlugin::invoke`].
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The plugin's answer.
    pub response: Response,
    /// Captured stdout.
    pub stdout: Vec<u8>,
    /// Captured stderr.
    pub stderr: Vec<u8>,
    /// Wall time of the call.
    pub elapsed: Duration,
}

/// A loaded `extism/v1` plugin, ready to be called any number of times (also concurrently).
pub struct WasmPlugin {
    metadata: Metadata,
    extism: ExtismConfig,
    limits: Limits,
    policy: Arc<CallPolicy>,
    pre: InstancePre<State>,
    engine: Engine,
    source: ModuleSource,
    /// Keeps the epoch advancing while the plugin exists, even if the host is dropped.
    ticker: Arc<Ticker>,
}

impl std::fmt::Debug for WasmPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPlugin")
            .field("name", &self.metadata.name)
            .field("limits", &self.limits)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

struct Captured {
    stdout: Option<MemoryOutputPipe>,
    stderr: Option<MemoryOutputPipe>,
}

impl WasmPlugin {
    /// The plugin's manifest.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The limits applied to each call.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the module was compiled now or read from the cache.
    pub fn module_source(&self) -> ModuleSource {
        self.source
    }

    /// Sends `message` and decodes the answer. The message must match the plugin's type.
    pub fn invoke(&self, message: &Message, io: CallIo) -> Result<Invocation, PluginError> {
        let expected = message.plugin_type();
        if expected != self.metadata.plugin_type {
            return Err(PluginError::WrongType {
                plugin: self.metadata.name.clone(),
                actual: self.metadata.plugin_type,
                expected,
            });
        }
        let raw = self.call_raw(&message.to_json(), io)?;
        let response = Response::decode(expected, &raw.output)
            .map_err(|m| self.fail(Failure::InvalidOutput(m)))?;
        Ok(Invocation {
            response,
            stdout: raw.stdout,
            stderr: raw.stderr,
            elapsed: raw.elapsed,
        })
    }

    fn fail(&self, failure: Failure) -> PluginError {
        PluginError::Invoke {
            plugin: self.metadata.name.clone(),
            failure,
        }
    }

    /// Calls the entry function with raw input bytes.
    pub fn call_raw(&self, input: &[u8], io: CallIo) -> Result<RawOutput, PluginError> {
        let started = Instant::now();
        let _runtime = self.ticker.enter();
        // The private /tmp lives until the end of this function (removed on drop).
        let temp_dir = if self.extism.file_system.create_temp_dir {
            Some(
                tempfile::Builder::new()
                    .prefix("rudder-plugin-")
                    .tempdir()
                    .map_err(|e| self.fail(Failure::Setup(format!("creating /tmp: {e}"))))?,
            )
        } else {
            None
        };
        let (wasi, captured) = self
            .wasi_context(&io, temp_dir.as_ref().map(|d| d.path()))
            .map_err(|m| self.fail(Failure::Setup(m)))?;
        let deadline = started + Duration::from_millis(self.limits.timeout_ms);
        let state = State::new(
            wasi,
            Arc::clone(&self.policy),
            self.limits.memory_bytes(),
            deadline,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| s);
        let ticks = self
            .limits
            .timeout_ms
            .div_ceil(EPOCH_TICK.as_millis() as u64)
            + 1;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let result = self.run(&mut store, input);
        let elapsed = started.elapsed();
        let output = result.map_err(|failure| self.fail(failure))?;
        let take = |pipe: Option<MemoryOutputPipe>| {
            pipe.map(|p| p.contents().to_vec()).unwrap_or_default()
        };
        let raw = RawOutput {
            output,
            stdout: take(captured.stdout),
            stderr: take(captured.stderr),
            elapsed,
        };
        drop(temp_dir);
        Ok(raw)
    }

    fn wasi_context(
        &self,
        io: &CallIo,
        temp_dir: Option<&Path>,
    ) -> Result<(wasmtime_wasi::p1::WasiP1Ctx, Captured), String> {
        let mut b = WasiCtxBuilder::new();
        b.allow_blocking_current_thread(true);
        match &io.stdin {
            StdinSource::Empty => {}
            StdinSource::Bytes(bytes) => {
                b.stdin(MemoryInputPipe::new(bytes.clone()));
            }
            StdinSource::Inherit => {
                b.inherit_stdin();
            }
        }
        let mut captured = Captured {
            stdout: None,
            stderr: None,
        };
        match io.stdout {
            OutputSink::Capture => {
                let pipe = MemoryOutputPipe::new(MAX_CAPTURED_OUTPUT);
                b.stdout(pipe.clone());
                captured.stdout = Some(pipe);
            }
            OutputSink::Inherit => {
                b.inherit_stdout();
            }
            OutputSink::Discard => {}
        }
        match io.stderr {
            OutputSink::Capture => {
                let pipe = MemoryOutputPipe::new(MAX_CAPTURED_OUTPUT);
                b.stderr(pipe.clone());
                captured.stderr = Some(pipe);
            }
            OutputSink::Inherit => {
                b.inherit_stderr();
            }
            OutputSink::Discard => {}
        }
        let env = sandbox::plugin_env(io.env.iter().cloned(), &self.metadata, &self.extism.env);
        b.envs(&env);
        b.arg(&self.metadata.name);
        b.args(&io.args);
        if let Some(dir) = temp_dir {
            b.preopened_dir(dir, "/tmp", FsPerms::ReadWrite)
                .map_err(|e| format!("mounting /tmp: {e}"))?;
        }
        Ok((b.build_p1(), captured))
    }

    fn run(&self, store: &mut Store<State>, input: &[u8]) -> Result<Vec<u8>, Failure> {
        let instance = self
            .pre
            .instantiate(&mut *store)
            .map_err(|e| self.classify(store, &e))?;
        for init in ["_initialize", "__wasm_call_ctors"] {
            if let Ok(f) = instance.get_typed_func::<(), ()>(&mut *store, init) {
                f.call(&mut *store, ())
                    .map_err(|e| self.classify(store, &e))?;
                break;
            }
        }
        let state = store.data_mut();
        let Ok(handle) = state.alloc_bytes(input) else {
            return Err(Failure::OutOfMemory {
                limit_pages: u64::from(self.limits.max_pages),
            });
        };
        state.kernel.set_input(handle, input.len() as u64);

        let entry = &self.extism.entry_func_name;
        let func = instance
            .get_func(&mut *store, entry)
            .ok_or_else(|| Failure::Setup(format!("entry function {entry:?} not exported")))?;
        let returns_code = func.ty(&*store).results().len() == 1;
        let mut results = [wasmtime::Val::I32(0)];
        let results = if returns_code {
            &mut results[..]
        } else {
            &mut results[..0]
        };
        let code = match func.call(&mut *store, &[], results) {
            Ok(()) => results.first().and_then(wasmtime::Val::i32).unwrap_or(0),
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(I32Exit(0)) => 0,
                _ => return Err(self.classify(store, &e)),
            },
        };
        let state = store.data();
        let error = state.kernel.error();
        if code != 0 || error != 0 {
            let message = String::from_utf8_lossy(state.kernel.block(error))
                .lines()
                .collect::<Vec<_>>()
                .join(" ");
            return Err(Failure::Reported { code, message });
        }
        Ok(state.kernel.output_bytes().to_vec())
    }

    /// Turns a wasmtime error into the reason the call failed.
    fn classify(&self, store: &mut Store<State>, e: &wasmtime::Error) -> Failure {
        let state = store.data_mut();
        if let Some(denial) = state.denial.take() {
            return denial;
        }
        if let Some(I32Exit(code)) = e.downcast_ref::<I32Exit>() {
            return Failure::Exit(*code);
        }
        if let Some(Trap::Interrupt) = e.downcast_ref::<Trap>() {
            return Failure::Timeout {
                limit_ms: self.limits.timeout_ms,
            };
        }
        if state.oom {
            return Failure::OutOfMemory {
                limit_pages: u64::from(self.limits.max_pages),
            };
        }
        match e.downcast_ref::<Trap>() {
            Some(trap) => Failure::Trap(trap.to_string()),
            None => Failure::Trap(
                e.root_cause()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("unknown error")
                    .to_string(),
            ),
        }
    }
}
