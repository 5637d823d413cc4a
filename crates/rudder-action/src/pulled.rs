//! Writing a pulled chart to disk, shared by `pull oci://…` and `pull repo/chart`: the archive
//! and its provenance are each written to a temporary file and renamed into place, and
//! `--untar` unpacks into a staging directory beside the target that is renamed into place
//! only when every entry is out. A corrupt archive or a failed write leaves nothing behind
//! (an existing target is refused before anything is written, as Helm does).

use std::path::{Path, PathBuf};

/// Why writing a pulled chart failed.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// `--untar` target already exists.
    Exists(PathBuf),
    /// A file or directory operation failed.
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The atomic file write failed.
    Write(rudder_repo::RepoError),
}

/// Writes the archive as `destination/file_name` (and its provenance beside it, if given).
pub(crate) fn write_archive(
    destination: &Path,
    file_name: &str,
    archive: &[u8],
    provenance: Option<&[u8]>,
) -> Result<PathBuf, WriteError> {
    // Drop `.` components: create_dir_all refuses a trailing `.`.
    let destination: PathBuf = destination.components().collect();
    let path = destination.join(file_name);
    rudder_repo::cache::write_atomic(&path, archive, 0o644).map_err(WriteError::Write)?;
    if let Some(prov) = provenance {
        rudder_repo::cache::write_atomic(&rudder_provenance::prov_path(&path), prov, 0o644)
            .map_err(WriteError::Write)?;
    }
    Ok(path)
}

/// The directory `--untar` unpacks into: `untar_dir`, relative to `destination` unless
/// absolute.
pub(crate) fn untar_parent(destination: &Path, untar_dir: &Path) -> PathBuf {
    let dir = if untar_dir.is_absolute() {
        untar_dir.to_path_buf()
    } else {
        destination.join(untar_dir)
    };
    dir.components().collect()
}

/// Unpacks the chart archive `archive`, whose top directory is `chart_name`, to
/// `parent/chart_name`; returns that path.
pub(crate) fn untar(
    archive: &[u8],
    chart_name: &str,
    parent: &Path,
) -> Result<PathBuf, WriteError> {
    let target = parent.join(chart_name);
    if target.exists() {
        return Err(WriteError::Exists(target));
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(parent).map_err(io("create directory", parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".rudder-untar-")
        .tempdir_in(parent)
        .map_err(io("create a temporary directory in", parent))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let entries = tar.entries().map_err(io("unpack", &target))?;
    for entry in entries {
        let mut entry = entry.map_err(io("unpack", &target))?;
        // unpack_in refuses entries escaping the directory (absolute paths, `..`).
        entry
            .unpack_in(staging.path())
            .map_err(io("unpack", &target))?;
    }
    std::fs::rename(staging.path().join(chart_name), &target)
        .map_err(io("move into place", &target))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip'd tar with `demo/Chart.yaml`.
    fn chart_tgz() -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        let body = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, "demo/Chart.yaml", &body[..])
            .expect("append");
        builder.into_inner().expect("tar").finish().expect("gzip")
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn untar_is_all_or_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = chart_tgz();
        let target = untar(&good, "demo", dir.path()).expect("untar");
        assert!(target.join("Chart.yaml").is_file());
        assert!(matches!(
            untar(&good, "demo", dir.path()),
            Err(WriteError::Exists(_))
        ));

        // A truncated archive fails and leaves neither the chart nor the staging directory.
        let other = tempfile::tempdir().expect("tempdir");
        let err = untar(&good[..good.len() / 2], "demo", other.path()).expect_err("truncated");
        assert!(matches!(err, WriteError::Io { .. }), "{err:?}");
        assert!(names(other.path()).is_empty(), "{:?}", names(other.path()));
    }

    #[test]
    fn archive_and_provenance_are_written_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_archive(
            &dir.path().join("."),
            "demo-0.1.0.tgz",
            b"tgz",
            Some(b"prov"),
        )
        .expect("write");
        assert_eq!(std::fs::read(&path).expect("archive"), b"tgz");
        assert_eq!(
            std::fs::read(rudder_provenance::prov_path(&path)).expect("prov"),
            b"prov"
        );
        assert_eq!(names(dir.path()), ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"]);
    }
}
