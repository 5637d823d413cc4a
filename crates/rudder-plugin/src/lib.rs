//! Plugins: manifest, discovery, the extism/v1 runtime and its sandbox.
