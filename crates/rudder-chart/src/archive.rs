//! Reading chart archives (`.tgz`) safely.
//!
//! The reader streams the gzip-compressed tar and keeps only regular files. It counts the
//! bytes it actually decompresses (tar headers are never trusted for sizes), and rejects,
//! naming the entry: absolute paths, `..` escapes, entries outside the single top-level
//! chart directory, symlinks and hard links, and special files.

use std::io::{self, Read};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{ArchiveError, LoadError};

/// A file read from an archive or a directory, before it is sorted into a chart.
#[derive(Debug, Clone)]
pub(crate) struct BufferedFile {
    /// Path relative to the chart root, `/`-separated.
    pub name: String,
    /// Contents, without a leading UTF-8 byte-order mark.
    pub data: Vec<u8>,
    /// Modification time.
    pub modified: Option<SystemTime>,
}

/// The size limits of one load, shared by a chart and all its nested archives.
#[derive(Debug)]
pub(crate) struct Budget {
    /// Bytes that may still be decompressed or read.
    pub remaining: u64,
    /// The total limit (for messages).
    pub total_limit: u64,
    /// The per-file limit.
    pub file_limit: u64,
}

impl Budget {
    /// Charges `n` bytes read for `file`, failing when a limit is crossed.
    pub fn charge(&mut self, file: &str, n: u64) -> Result<(), LoadError> {
        if n > self.file_limit {
            return Err(LoadError::FileTooLarge {
                file: file.to_string(),
                limit: self.file_limit,
            });
        }
        if n > self.remaining {
            return Err(LoadError::TooLarge {
                file: file.to_string(),
                limit: self.total_limit,
            });
        }
        self.remaining -= n;
        Ok(())
    }

    /// Reads `reader` to the end, never holding more than the limits allow.
    pub fn read_limited(
        &mut self,
        file: &str,
        reader: impl Read,
    ) -> io::Result<Result<Vec<u8>, LoadError>> {
        let cap = self.file_limit.min(self.remaining);
        let mut data = Vec::new();
        let n = reader.take(cap.saturating_add(1)).read_to_end(&mut data)? as u64;
        Ok(self.charge(file, n).map(|()| data))
    }
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Removes a leading UTF-8 byte-order mark, as Helm does for every chart file.
pub(crate) fn trim_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(UTF8_BOM) {
        data.drain(..UTF8_BOM.len());
    }
    data
}

/// Go's `path.Clean` for `/`-separated relative paths.
pub(crate) fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(last) if *last != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    }
}

fn has_drive_prefix(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/'
}

/// Reads every regular file of a gzip-compressed chart archive.
///
/// Returns the top-level directory name (the chart directory inside the archive) and the
/// files with names relative to it. `archive` names the archive in errors.
pub(crate) fn read_archive(
    reader: impl Read,
    archive: &str,
    budget: &mut Budget,
) -> Result<(String, Vec<BufferedFile>), LoadError> {
    let mut reader = reader;
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(LoadError::Io {
                    path: archive.into(),
                    source,
                });
            }
        }
    }
    if got < 3 || head != [0x1f, 0x8b, 0x08] {
        return Err(ArchiveError::NotGzip {
            archive: archive.to_string(),
        }
        .into());
    }
    let gz = flate2::read::MultiGzDecoder::new(io::Cursor::new(head).chain(reader));
    let mut tar = tar::Archive::new(gz);
    let corrupt = |source: io::Error| -> LoadError {
        ArchiveError::Corrupt {
            archive: archive.to_string(),
            source,
        }
        .into()
    };
    let mut top: Option<String> = None;
    let mut files = Vec::new();
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw = entry.path_bytes().into_owned();
        let raw = String::from_utf8(raw).map_err(|e| ArchiveError::NonUtf8Name {
            archive: archive.to_string(),
            entry: String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let name = checked_name(&raw, kind.is_dir(), archive, &mut top)?;
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            return Err(ArchiveError::Link {
                archive: archive.to_string(),
                entry: raw,
                kind: if kind.is_symlink() {
                    "symlink"
                } else {
                    "hard link"
                },
                target,
            }
            .into());
        }
        if !(kind.is_file() || kind.is_contiguous()) {
            return Err(ArchiveError::UnsupportedEntry {
                archive: archive.to_string(),
                entry: raw,
                kind: char::from(kind.as_byte()),
            }
            .into());
        }
        let Some(name) = name else {
            return Err(ArchiveError::OutsideChartDir {
                archive: archive.to_string(),
                entry: raw,
                top: top.unwrap_or_default(),
            }
            .into());
        };
        let modified = entry
            .header()
            .mtime()
            .ok()
            .map(|s| UNIX_EPOCH + Duration::from_secs(s));
        let label = format!("{archive}:{raw}");
        let data = budget.read_limited(&label, &mut entry).map_err(corrupt)??;
        files.push(BufferedFile {
            name,
            data: trim_bom(data),
            modified,
        });
    }
    match top {
        Some(top) if !files.is_empty() => Ok((top, files)),
        _ => Err(ArchiveError::Empty {
            archive: archive.to_string(),
        }
        .into()),
    }
}

/// Checks an entry name and returns its path relative to the chart directory (`None` for
/// the chart directory itself).
fn checked_name(
    raw: &str,
    is_dir: bool,
    archive: &str,
    top: &mut Option<String>,
) -> Result<Option<String>, ArchiveError> {
    // Archives made on Windows may use `\`.
    let normalized = raw.replace('\\', "/");
    let err_entry = || raw.to_string();
    if normalized.starts_with('/') || has_drive_prefix(&normalized) {
        return Err(ArchiveError::AbsolutePath {
            archive: archive.to_string(),
            entry: err_entry(),
        });
    }
    let normalized = normalized.trim_start_matches("./");
    let (first, rest) = match normalized.split_once('/') {
        Some((first, rest)) => (first, rest),
        None => (normalized, ""),
    };
    if first == ".." {
        return Err(ArchiveError::PathEscape {
            archive: archive.to_string(),
            entry: err_entry(),
        });
    }
    match top {
        Some(t) if t != first => {
            return Err(ArchiveError::OutsideChartDir {
                archive: archive.to_string(),
                entry: err_entry(),
                top: format!("{t}/"),
            });
        }
        Some(_) => {}
        None => {
            if first.is_empty()
                || first == "."
                || (rest.is_empty() && !normalized.ends_with('/') && !is_dir)
            {
                // A file at the top level, such as `Chart.yaml`: there is no chart directory.
                return Err(ArchiveError::NoChartDir {
                    archive: archive.to_string(),
                    entry: err_entry(),
                });
            }
            *top = Some(first.to_string());
        }
    }
    if rest.starts_with('/') || has_drive_prefix(rest) {
        return Err(ArchiveError::AbsolutePath {
            archive: archive.to_string(),
            entry: err_entry(),
        });
    }
    let cleaned = clean(rest);
    if cleaned == ".." || cleaned.starts_with("../") {
        return Err(ArchiveError::PathEscape {
            archive: archive.to_string(),
            entry: err_entry(),
        });
    }
    if has_drive_prefix(&cleaned) {
        return Err(ArchiveError::AbsolutePath {
            archive: archive.to_string(),
            entry: err_entry(),
        });
    }
    if cleaned == "." {
        return Ok(None);
    }
    Ok(Some(cleaned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        assert_eq!(clean("a/./b//c/"), "a/b/c");
        assert_eq!(clean("a/../../b"), "../b");
        assert_eq!(clean("templates/../values.yaml"), "values.yaml");
        assert_eq!(clean(""), ".");
    }

    #[test]
    fn names_are_checked() {
        let mut top = None;
        assert_eq!(
            checked_name("c/templates/a.yaml", false, "x.tgz", &mut top).unwrap(),
            Some("templates/a.yaml".into())
        );
        assert!(matches!(
            checked_name("d/Chart.yaml", false, "x.tgz", &mut top),
            Err(ArchiveError::OutsideChartDir { .. })
        ));
        assert!(matches!(
            checked_name("c/../../evil", false, "x.tgz", &mut top),
            Err(ArchiveError::PathEscape { .. })
        ));
        assert!(matches!(
            checked_name("c//etc/passwd", false, "x.tgz", &mut top),
            Err(ArchiveError::AbsolutePath { .. })
        ));
        assert!(matches!(
            checked_name("c\\..\\..\\evil", false, "x.tgz", &mut top),
            Err(ArchiveError::PathEscape { .. })
        ));
        let mut top = None;
        assert!(matches!(
            checked_name("Chart.yaml", false, "x.tgz", &mut top),
            Err(ArchiveError::NoChartDir { .. })
        ));
    }
}
