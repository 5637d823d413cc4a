//! The content-addressed chart cache Helm 4 introduced (`--content-cache`):
//! `<root>/<hex[0:2]>/<sha256 hex>.chart`, keyed by the sha256 of the archive.
//!
//! Unlike Helm, every read re-hashes the file: content that does not match its key is
//! removed and reported, never returned. Writes go to a temporary file in the target
//! directory and are renamed into place, so a failed or interrupted write leaves nothing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::RepoError;

/// A sha256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Digest {
        Digest(Sha256::digest(data).into())
    }

    /// Parses 64 hex digits, optionally prefixed with `sha256:` (index files have the bare
    /// form, OCI and Chart.lock the prefixed one).
    pub fn parse(text: &str) -> Result<Digest, RepoError> {
        let hex_part = text.strip_prefix("sha256:").unwrap_or(text);
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out)
            .map_err(|_| RepoError::InvalidDigest(text.to_string()))?;
        Ok(Digest(out))
    }

    /// Lower-case hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

/// The content cache rooted at a directory.
#[derive(Debug, Clone)]
pub struct ContentCache {
    root: PathBuf,
}

/// File extension of cached chart archives (Helm's `CacheChart`).
const CHART_SUFFIX: &str = ".chart";

impl ContentCache {
    /// A cache rooted at `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ContentCache { root: root.into() }
    }

    /// The cache directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the chart with `digest` is stored.
    pub fn chart_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root
            .join(&hex[..2])
            .join(format!("{hex}{CHART_SUFFIX}"))
    }

    /// The cached chart with `digest`, verified: `Ok(None)` when absent (or empty, as Helm
    /// treats an empty file); an error, after removing the file, when its content does not
    /// hash to `digest`.
    pub fn get_chart(&self, digest: &Digest) -> Result<Option<(PathBuf, Vec<u8>)>, RepoError> {
        let path = self.chart_path(digest);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RepoError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        if data.is_empty() {
            return Ok(None);
        }
        let actual = Digest::of(&data);
        if actual != *digest {
            std::fs::remove_file(&path).map_err(RepoError::io("remove", &path))?;
            return Err(RepoError::CacheCorrupt {
                path,
                actual: actual.hex(),
            });
        }
        tracing::debug!("found chart in cache: {digest}");
        Ok(Some((path, data)))
    }

    /// Stores `data` under its own digest and returns the path. When `expected` is given
    /// and differs from the content's digest, nothing is written and the mismatch is an
    /// error naming `what`.
    pub fn put_chart(
        &self,
        data: &[u8],
        expected: Option<&Digest>,
        what: &str,
    ) -> Result<(Digest, PathBuf), RepoError> {
        let actual = Digest::of(data);
        if let Some(exp) = expected
            && *exp != actual
        {
            return Err(RepoError::DigestMismatch {
                what: what.to_string(),
                expected: exp.hex(),
                actual: actual.hex(),
            });
        }
        let path = self.chart_path(&actual);
        write_atomic(&path, data, 0o644)?;
        tracing::debug!("put chart in cache: {actual}");
        Ok((actual, path))
    }
}

/// Writes `data` to `path` through a temporary file in the same directory that is renamed
/// into place (the directory is created first). On error the temporary file is removed.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), RepoError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(RepoError::io("create directory", &dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".rudder-tmp-")
        .tempfile_in(&dir)
        .map_err(RepoError::io("create a temporary file in", &dir))?;
    tmp.write_all(data)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(RepoError::io("write", tmp.path()))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(RepoError::io("set permissions of", tmp.path()))?;
    }
    tmp.persist(path).map_err(|e| RepoError::Io {
        action: "write",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_helms() {
        let cache = ContentCache::new("/c");
        let d = Digest::of(b"hello");
        assert_eq!(
            cache.chart_path(&d),
            PathBuf::from(
                "/c/2c/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.chart"
            )
        );
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        assert_eq!(Digest::parse(&d.hex()).unwrap(), d);
        assert!(Digest::parse("sha256:abc").is_err());
    }

    #[test]
    fn reads_are_verified_and_bad_content_removed() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ContentCache::new(dir.path());
        let (d, path) = cache.put_chart(b"chart bytes", None, "x").unwrap();
        assert_eq!(cache.get_chart(&d).unwrap().unwrap().1, b"chart bytes");
        std::fs::write(&path, b"tampered").unwrap();
        let err = cache.get_chart(&d).unwrap_err();
        assert!(matches!(err, RepoError::CacheCorrupt { .. }), "{err}");
        assert!(!path.exists());
        assert!(cache.get_chart(&d).unwrap().is_none());
    }

    #[test]
    fn a_mismatching_put_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ContentCache::new(dir.path());
        let wrong = Digest::of(b"other");
        let err = cache
            .put_chart(b"data", Some(&wrong), "a-1.0.0.tgz")
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("digest mismatch for a-1.0.0.tgz")
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // An empty file is absent, as for Helm.
        let d = Digest::of(b"x");
        let p = cache.chart_path(&d);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, b"").unwrap();
        assert!(cache.get_chart(&d).unwrap().is_none());
    }

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/file");
        write_atomic(&target, b"one", 0o644).unwrap();
        write_atomic(&target, b"two", 0o644).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            1
        );
        // A directory in the way: the write fails and no temporary file stays behind.
        let blocked = dir.path().join("a/b/dir");
        std::fs::create_dir(&blocked).unwrap();
        assert!(write_atomic(&blocked, b"x", 0o644).is_err());
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            2
        );
    }
}
