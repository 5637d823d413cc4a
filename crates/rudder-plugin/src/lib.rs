//! Rudder's plugins: the Helm 4 `plugin.yaml` format, the `extism/v1` runtime on wasmtime and
//! its deny-by-default sandbox.
//!
//! This crate owns:
//! - [`manifest`]: `plugin.yaml` apiVersion `v1` and legacy, strict parsing and validation;
//! - [`messages`]: the JSON messages of `cli/v1`, `getter/v1` and `postrenderer/v1`, as Helm 4
//!   sends them (post-renderers get their manifests as a string, which Helm 4.1.4 fails to do);
//! - [`runtime`]: the Extism ABI (`extism:host/env` kernel and host functions) written on
//!   wasmtime, WASI preview 1 with per-call stdio/env/args, and a compiled-module cache;
//! - [`sandbox`]: the limits and the environment rule;
//! - [`subprocess`]: the `subprocess` runtime for Helm's native plugins (unsandboxed: they run
//!   with the user's rights, as under Helm);
//! - [`LoadedPlugin`]: either runtime behind one `invoke`;
//! - [`discovery`]: finding installed plugins in a plugins directory.
//!
//! It must not: render charts, talk to a cluster or a registry, print, or read the process
//! environment by itself (callers pass the candidate environment in [`runtime::CallIo`]). The
//! action crate adapts plugins to the render (post-renderer) and chart-loading (getter) seams.
//!
//! Unsafe code: the workspace forbids it; this crate lowers the lint to `deny` so that exactly
//! one function, the cache's wrapper around wasmtime's `Module::deserialize`, can allow it.
//! Its safety argument is written next to it (`runtime/cache.rs`).
//!
//! ```no_run
//! use rudder_plugin::{PluginHost, HostOptions, CallIo, Message, messages::GetterInput};
//! # fn main() -> Result<(), rudder_plugin::PluginError> {
//! let host = PluginHost::new(HostOptions::default())?;
//! let plugin = host.load_dir(std::path::Path::new("plugins/example-getter"))?;
//! let call = plugin.invoke(
//!     &Message::Getter(Box::new(GetterInput::for_url("example://charts/example-0.1.0.tgz"))),
//!     CallIo::default(),
//! )?;
//! # let _ = call; Ok(()) }
//! ```

pub mod discovery;
pub mod error;
mod loaded;
pub mod manifest;
pub mod messages;
pub mod runtime;
pub mod sandbox;
pub mod subprocess;

pub use discovery::{Discovery, DuplicatePlugin, InstalledPlugin, discover};
pub use error::{Failure, ManifestError, PluginError};
pub use loaded::LoadedPlugin;
pub use manifest::{Metadata, PluginType, RuntimeKind};
pub use messages::{Message, Response};
pub use runtime::{
    CallIo, HostOptions, Invocation, ModuleCache, ModuleSource, OutputSink, PluginHost, RawOutput,
    StdinSource, WasmPlugin,
};
pub use subprocess::{HookEvent, SubprocessPlugin};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn host_and_plugins_can_be_shared_between_threads() {
        assert_send_sync::<crate::PluginHost>();
        assert_send_sync::<crate::WasmPlugin>();
    }
}
