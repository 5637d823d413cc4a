//! Finding installed plugins: `<plugins dir>/*/plugin.yaml`, one level deep, as Helm does.
//!
//! The caller chooses the directory (the CLI resolves `RUDDER_PLUGINS`, defaulting to the
//! user's data directory, and honours `RUDDER_NO_PLUGINS=1`); this module reads no environment.
//! A plugin whose manifest fails to load is reported and skipped; two plugins with the same
//! name are an error, since Rudder could not tell which one a command means.

use std::path::{Path, PathBuf};

use crate::error::PluginError;
use crate::manifest::{MANIFEST_FILE, Metadata};

/// An installed plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledPlugin {
    /// The plugin's directory (symlinks are kept as found).
    pub dir: PathBuf,
    /// Its manifest.
    pub metadata: Metadata,
}

/// The result of scanning a plugins directory.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Plugins that loaded, sorted by name.
    pub plugins: Vec<InstalledPlugin>,
    /// Plugins that did not load (to be logged), in directory order.
    pub errors: Vec<PluginError>,
}

/// Two installed plugins share a name.
#[derive(Debug, thiserror::Error)]
#[error("two plugins are named {name:?}: {} and {}", first.display(), second.display())]
pub struct DuplicatePlugin {
    /// The name.
    pub name: String,
    /// The first directory.
    pub first: PathBuf,
    /// The second directory.
    pub second: PathBuf,
}

/// Scans `plugins_dir`. A missing directory means no plugins.
pub fn discover(plugins_dir: &Path) -> Result<Discovery, DuplicatePlugin> {
    let mut discovery = Discovery::default();
    let entries = match std::fs::read_dir(plugins_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(discovery),
        Err(source) => {
            discovery.errors.push(PluginError::Read {
                path: plugins_dir.to_path_buf(),
                source,
            });
            return Ok(discovery);
        }
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let path = dir.join(MANIFEST_FILE);
        let loaded = std::fs::read_to_string(&path)
            .map_err(|source| PluginError::Read {
                path: path.clone(),
                source,
            })
            .and_then(|text| {
                crate::manifest::parse(&text, &path.display().to_string()).map_err(Into::into)
            });
        match loaded {
            Ok(metadata) => discovery.plugins.push(InstalledPlugin { dir, metadata }),
            Err(e) => discovery.errors.push(e),
        }
    }
    discovery
        .plugins
        .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    if let Some(pair) = discovery
        .plugins
        .windows(2)
        .find(|w| w[0].metadata.name == w[1].metadata.name)
    {
        return Err(DuplicatePlugin {
            name: pair[0].metadata.name.clone(),
            first: pair[0].dir.clone(),
            second: pair[1].dir.clone(),
        });
    }
    Ok(discovery)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, sub: &str, text: &str) {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        std::fs::write(dir.join(sub).join(MANIFEST_FILE), text).unwrap();
    }

    const CLI: &str =
        "apiVersion: v1\nname: NAME\nversion: 0.1.0\ntype: cli/v1\nruntime: extism/v1\n";

    #[test]
    fn finds_plugins_and_reports_broken_ones() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "b", &CLI.replace("NAME", "bravo"));
        write(tmp.path(), "a", &CLI.replace("NAME", "alpha"));
        write(tmp.path(), "broken", "apiVersion: v1\nname: x\n");
        std::fs::create_dir_all(tmp.path().join("not-a-plugin")).unwrap();
        let d = discover(tmp.path()).unwrap();
        let names: Vec<&str> = d.plugins.iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(names, ["alpha", "bravo"]);
        assert_eq!(d.errors.len(), 1);
        assert!(
            d.errors[0].to_string().contains("broken"),
            "{}",
            d.errors[0]
        );
        assert!(
            discover(&tmp.path().join("missing"))
                .unwrap()
                .plugins
                .is_empty()
        );
    }

    #[test]
    fn duplicate_names_are_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "one", &CLI.replace("NAME", "same"));
        write(tmp.path(), "two", &CLI.replace("NAME", "same"));
        let err = discover(tmp.path()).unwrap_err();
        assert_eq!(err.name, "same");
    }
}
