//! The on-disk cache of compiled modules.
//!
//! Entries are keyed by `sha256(wasm)` and a fingerprint of the engine
//! ([`wasmtime::Engine::precompile_compatibility_hash`]: wasmtime version, target and every
//! code-generation setting), so a change of either compiles afresh. An entry is two files:
//! `<key>.cwasm`, exactly the bytes of [`wasmtime::Module::serialize`], and `<key>.crc`,
//! `MAGIC ‖ crc32(cwasm)`. Each is written to a temporary file in the same directory, synced,
//! and renamed into place (the checksum first), so readers never see a partial file; an entry
//! file is never modified in place, only replaced. A missing, damaged or stale entry is
//! logged, recompiled and rewritten.
//!
//! On a hit the `.cwasm` file is mapped, not read: its checksum is computed over the mapping
//! and the same open file is then handed to [`Module::deserialize_open_file`], which maps it
//! again copy-on-write, so a warm start neither copies the compiled code nor allocates for it.
//!
//! The checksum is there to catch accidental damage (a disk or filesystem fault, a stray
//! write), not an attacker: whoever can write the 0700 cache directory can already replace the
//! user's binaries. CRC-32 detects every burst error up to 32 bits and misses random damage
//! with probability 2⁻³², at memory speed.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// Checksum file format tag; other contents count as damage.
const MAGIC: &[u8; 8] = b"RDRCRC01";

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
        match open_verified(&path) {
            Ok(Some(file)) => match deserialize_trusted(engine, file) {
                Ok(module) => return Ok((module, ModuleSource::Cache)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding stale compiled module")
                }
            },
            Ok(None) => {
                tracing::warn!(path = %path.display(), "discarding damaged compiled module")
            }
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
        let mut sum = MAGIC.to_vec();
        sum.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        write_replacing(&self.dir, &checksum_path(path), &sum)?;
        write_replacing(&self.dir, path, payload)
    }
}

/// The checksum file of the entry at `path`.
fn checksum_path(path: &Path) -> PathBuf {
    path.with_extension("crc")
}

/// Writes `bytes` to a temporary file in `dir`, syncs it and renames it onto `path`.
fn write_replacing(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
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

/// Opens the entry at `path` if its checksum file is intact and matches its contents;
/// `Ok(None)` if it does not.
fn open_verified(path: &Path) -> std::io::Result<Option<File>> {
    let sum = std::fs::read(checksum_path(path))?;
    let file = File::open(path)?;
    Ok(checksum_matches(&sum, &file)?.then_some(file))
}

/// Whether `sum` is a checksum file whose CRC-32 is that of `file`'s contents.
#[allow(unsafe_code)]
fn checksum_matches(sum: &[u8], file: &File) -> std::io::Result<bool> {
    let Some(expected) = sum.strip_prefix(MAGIC.as_slice()) else {
        return Ok(false);
    };
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    // SAFETY: mapping a file is unsound only if the file is changed while mapped. Entry files
    // live in Rudder's private cache directory and are never written in place: `store`
    // replaces them by renaming a new file over the name, which leaves this inode untouched.
    let map = unsafe { memmap2::Mmap::map(file)? };
    Ok(crc32fast::hash(&map).to_le_bytes().as_slice() == expected)
}

/// Turns a verified cache entry back into a module.
#[allow(unsafe_code)]
fn deserialize_trusted(engine: &Engine, file: File) -> wasmtime::Result<Module> {
    // SAFETY: `Module::deserialize_open_file` is unsafe because it maps the file as executable
    // machine code without validating it, and because the file must not change while the
    // module lives. The file was produced by `Module::serialize` (written by
    // `ModuleCache::store` into Rudder's own 0700 cache directory), its CRC-32 was just
    // verified over this same open file (not the path, so a concurrent replacement cannot slip
    // in), which rules out truncation and accidental corruption, and entry files are only ever
    // replaced by rename, never modified. wasmtime additionally checks its version and the
    // engine configuration recorded in the file and returns an error on mismatch. Someone able
    // to write this directory can already replace the user's binaries, so it is not a trust
    // boundary.
    unsafe { Module::deserialize_open_file(engine, file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_checks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("entry.cwasm");
        let payload = b"compiled";
        std::fs::write(&path, payload).expect("write");
        let file = File::open(&path).expect("open");
        let mut sum = MAGIC.to_vec();
        sum.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        assert!(checksum_matches(&sum, &file).expect("check"));
        let mut damaged = sum.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 1;
        }
        assert!(!checksum_matches(&damaged, &file).expect("check"));
        assert!(!checksum_matches(&sum[..MAGIC.len()], &file).expect("check"));
        assert!(!checksum_matches(b"RDRCWSM1", &file).expect("check"));
        std::fs::write(&path, b"").expect("truncate");
        let empty = File::open(&path).expect("open");
        assert!(!checksum_matches(&sum, &empty).expect("check"));
    }
}
