//! Error types of the crate.

use std::path::PathBuf;

/// A `plugin.yaml` that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The YAML is malformed or has an unknown or mistyped key.
    #[error("{origin}{}: {message}", location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Yaml {
        /// The manifest file, as named by the caller.
        origin: String,
        /// 1-based line and column, when the parser reports them.
        location: Option<(u64, u64)>,
        /// The parser's message (one line).
        message: String,
    },
    /// A field has a value Helm would reject.
    #[error("{origin}: field {field}: {reason}")]
    Invalid {
        /// The manifest file, as named by the caller.
        origin: String,
        /// Path of the offending field (for example `config.protocols`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why a plugin call failed. Each variant renders as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The call ran longer than the plugin's `timeout`.
    #[error("timed out after {limit_ms} ms")]
    Timeout {
        /// The limit, in milliseconds.
        limit_ms: u64,
    },
    /// The plugin tried to use more memory than `memory.maxPages` allows.
    #[error("out of memory (limit {limit_pages} pages = {} MiB)", limit_pages * 64 / 1024)]
    OutOfMemory {
        /// The limit, in 64 KiB pages.
        limit_pages: u64,
    },
    /// The plugin asked for a host not listed in `allowedHosts`.
    #[error("network access denied: host {host:?} is not in allowedHosts")]
    NetworkDenied {
        /// The host the plugin tried to reach.
        host: String,
    },
    /// The plugin reported an error (Extism `error_set`) or returned a non-zero code.
    #[error("plugin error (code {code}): {message}")]
    Reported {
        /// The entry function's return code.
        code: i32,
        /// The plugin's message (empty if it set none).
        message: String,
    },
    /// The plugin called WASI `proc_exit` with a non-zero status.
    #[error("exited with status {0}")]
    Exit(i32),
    /// The WebAssembly code trapped (or a host function failed).
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin's output is not the JSON message its type requires.
    #[error("invalid output message: {0}")]
    InvalidOutput(String),
    /// The plugin could not be set up for the call (temp dir, WASI context, instantiation).
    #[error("could not start: {0}")]
    Setup(String),
}

/// An error of the plugin runtime.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A plugin file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The module is not valid WebAssembly or could not be compiled.
    #[error("plugin {plugin:?}: invalid WebAssembly module: {message}")]
    Compile {
        /// Plugin name.
        plugin: String,
        /// The compiler's message (one line).
        message: String,
    },
    /// The module imports something the host does not provide.
    #[error("plugin {plugin:?}: {message}")]
    Link {
        /// Plugin name.
        plugin: String,
        /// What is missing.
        message: String,
    },
    /// The plugin does not use the runtime asked to run it.
    #[error("plugin {plugin:?}: runtime {runtime} is not run by the {expected} runtime")]
    WrongRuntime {
        /// Plugin name.
        plugin: String,
        /// Its runtime.
        runtime: crate::manifest::RuntimeKind,
        /// The runtime that was asked to run it.
        expected: crate::manifest::RuntimeKind,
    },
    /// The message does not match the plugin's type.
    #[error("plugin {plugin:?} is a {actual} plugin, not {expected}")]
    WrongType {
        /// Plugin name.
        plugin: String,
        /// The plugin's type.
        actual: crate::manifest::PluginType,
        /// The type the message belongs to.
        expected: crate::manifest::PluginType,
    },
    /// The engine could not be created (bad engine configuration).
    #[error("creating the WebAssembly engine: {0}")]
    Engine(String),
    /// A call failed; the host remains usable.
    #[error("plugin {plugin:?} failed: {failure}")]
    Invoke {
        /// Plugin name.
        plugin: String,
        /// Why.
        failure: Failure,
    },
}

impl PluginError {
    /// The failure of a call, if this error is one.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            PluginError::Invoke { failure, .. } => Some(failure),
            _ => None,
        }
    }
}
