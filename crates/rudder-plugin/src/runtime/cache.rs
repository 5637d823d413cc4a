//! The on-disk cache of compiled modules.
//!
//! Entries are keyed by `sha256(wasm)` and a fingerprint of the engine
//! ([`wasmtime::Engine::precompile_compatibility_hash`]: wasmtime version, target and every
//! code-generation setting), so a change of either compiles afresh. An entry is
//! `MAGIC ‖ sha256(payload) ‖ payload`, where the payload is [`wasmtime::Module::serialize`];
//! it is written to a temporary file in the same directory and renamed into place, so readers
//! never see a partial entry. A damaged or stale entry is logged, recompiled and rewritten.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"RDRCWSM1";
const HEADER: usize = MAGIC.len() + 32;

/// Where a loaded module came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleSource {
    /// Compiled now (no cache, or a cache miss).
    Compiled,
    /// Read from the on-disk cache without compiling.
    Cache,
}

/// A directory of compiled modules.
#[derive(Debug, Clone)]
pub struct ModuleCache {
    dir: PathBuf,
}

impl ModuleCache {
    /// A cache in `dir` (created on first write, with mode 0700 on Unix).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModuleCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry path for `wasm` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut fingerprint = std::collections::hash_map::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut fingerprint);
        let digest = hex::encode(Sha256::digest(wasm));
        self.dir
            .join(format!("{digest}-{:016x}.cwasm", fingerprint.finish()))
    }

    /// Returns the cached module for `wasm`, or compiles it with `compile` and stores it.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        compile: impl FnOnce() -> wasmtime::Result<Module>,
    ) -> wasmtime::Result<(Module, ModuleSource)> {
        let path = self.entry_path(engine, wasm);
        match std::fs::read(&path) {
            Ok(bytes) => match verified_payload(&bytes) {
                Some(payload) => match deserialize_trusted(engine, payload) {
                    Ok(module) => return Ok((module, ModuleSource::Cache)),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "discarding stale compiled module")
                    }
                },
                None => {
                    tracing::warn!(path = %path.display(), "discarding damaged compiled module")
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read compiled module")
            }
        }
        let module = compile()?;
        match module.serialize() {
            Ok(payload) => {
                if let Err(e) = self.store(&path, &payload) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot cache compiled module");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot serialize compiled module"),
        }
        Ok((module, ModuleSource::Compiled))
    }

    fn store(&self, path: &Path, payload: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(MAGIC)?;
        file.write_all(&Sha256::digest(payload))?;
        file.write_all(payload)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// The payload of an entry whose magic and checksum are intact.
fn verified_payload(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let (sum, payload) = bytes[MAGIC.len()..].split_at(32);
    (Sha256::digest(payload).as_slice() == sum).then_some(payload)
}

/// Turns a cache payload back into a module. This is the crate's only `unsafe` code.
#[allow(unsafe_code)]
fn deserialize_trusted(engine: &Engine, payload: &[u8]) -> wasmtime::Result<Module> {
    // SAFETY: `Module::deserialize` is unsafe because it maps the bytes as executable machine
    // code without validating them; the bytes must have been produced by `Module::serialize`.
    // Ours were: the payload comes from an entry in Rudder's own cache directory (created 0700),
    // written by `ModuleCache::store` from `Module::serialize`, and its SHA-256 checksum was
    // just verified, which rules out truncation and corruption. wasmtime additionally checks
    // its version and the engine configuration in the payload header and returns an error on
    // mismatch. Someone able to write this directory can already replace the user's binaries,
    // so it is not a trust boundary.
    unsafe { Module::deserialize(engine, payload) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_checks() {
        let payload = b"compiled";
        let mut entry = MAGIC.to_vec();
        entry.extend_from_slice(&Sha256::digest(payload));
        entry.extend_from_slice(payload);
        assert_eq!(verified_payload(&entry), Some(&payload[..]));
        let mut damaged = entry.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 1;
        }
        assert_eq!(verified_payload(&damaged), None);
        assert_eq!(verified_payload(&entry[..HEADER - 1]), None);
    }
}
