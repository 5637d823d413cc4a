//! One type for an installed plugin ready to run, whatever its runtime.

use std::path::Path;

use crate::error::PluginError;
use crate::manifest::{MANIFEST_FILE, Metadata, RuntimeKind};
use crate::messages::Message;
use crate::runtime::{CallIo, Invocation, PluginHost, WASM_FILE, WasmPlugin};
use crate::subprocess::SubprocessPlugin;

/// A plugin loaded for calls: an `extism/v1` module in the sandbox, or an unsandboxed
/// `subprocess` command.
#[derive(Debug)]
pub enum LoadedPlugin {
    /// Runs in Rudder's WebAssembly sandbox.
    Wasm(WasmPlugin),
    /// Runs as a child process with the user's rights (not sandboxed).
    Subprocess(SubprocessPlugin),
}

impl LoadedPlugin {
    /// Loads the plugin in `dir` with the runtime its manifest names (`host` compiles
    /// `extism/v1` modules).
    pub fn load_dir(host: &PluginHost, dir: &Path) -> Result<Self, PluginError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| PluginError::Read {
            path: path.clone(),
            source,
        })?;
        let metadata = crate::manifest::parse(&text, &path.display().to_string())?;
        match metadata.runtime {
            RuntimeKind::Subprocess => Ok(LoadedPlugin::Subprocess(SubprocessPlugin::new(
                dir, metadata,
            )?)),
            RuntimeKind::ExtismV1 => {
                let wasm_path = dir.join(WASM_FILE);
                let wasm = std::fs::read(&wasm_path).map_err(|source| PluginError::Read {
                    path: wasm_path,
                    source,
                })?;
                Ok(LoadedPlugin::Wasm(host.load(metadata, &wasm)?))
            }
        }
    }

    /// The manifest.
    pub fn metadata(&self) -> &Metadata {
        match self {
            LoadedPlugin::Wasm(p) => p.metadata(),
            LoadedPlugin::Subprocess(p) => p.metadata(),
        }
    }

    /// Whether the plugin runs in the sandbox (only `extism/v1` plugins do).
    pub fn is_sandboxed(&self) -> bool {
        self.metadata().runtime == RuntimeKind::ExtismV1
    }

    /// Sends `message` (see [`WasmPlugin::invoke`] and [`SubprocessPlugin::invoke`]).
    pub fn invoke(&self, message: &Message, io: CallIo) -> Result<Invocation, PluginError> {
        match self {
            LoadedPlugin::Wasm(p) => p.invoke(message, io),
            LoadedPlugin::Subprocess(p) => p.invoke(message, io),
        }
    }
}
