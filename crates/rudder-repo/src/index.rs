//! The repository index (`index.yaml`) as Helm reads and writes it.
//!
//! An entry keeps the chart's metadata as the JSON object Helm marshals (`chart.Metadata`'s
//! field names), so fields this crate does not interpret survive `repo index --merge`; the
//! index-only fields (`urls`, `created`, `removed`, `digest`) are typed. Output goes through
//! Helm's YAML writer (`sigs.k8s.io/yaml`: keys sorted, go-yaml v2 layout).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rudder_values::goyaml::Node;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::urlutil::url_join;
use crate::{RepoError, ZERO_TIME};

/// The index API version Helm writes and requires.
pub const API_VERSION_V1: &str = "v1";

/// One version of a chart in an index.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartVersion {
    /// The chart metadata (Chart.yaml as Helm marshals it: `name`, `version`, `apiVersion`,
    /// `appVersion`, `description`, `keywords`, `dependencies`…).
    pub metadata: Map<String, Value>,
    /// Download URLs, absolute or relative to the repository URL.
    pub urls: Vec<String>,
    /// When the entry was added (Go's RFC 3339 form).
    pub created: String,
    /// Whether the version was removed.
    pub removed: bool,
    /// Hex sha256 of the chart archive (empty when the index has none).
    pub digest: String,
}

impl ChartVersion {
    fn text(&self, key: &str) -> &str {
        self.metadata
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The chart name.
    pub fn name(&self) -> &str {
        self.text("name")
    }

    /// The chart version.
    pub fn version(&self) -> &str {
        self.text("version")
    }

    /// The application version.
    pub fn app_version(&self) -> &str {
        self.text("appVersion")
    }

    /// The one-line description.
    pub fn description(&self) -> &str {
        self.text("description")
    }

    /// Keywords.
    pub fn keywords(&self) -> Vec<&str> {
        self.metadata
            .get("keywords")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether the chart is marked deprecated.
    pub fn deprecated(&self) -> bool {
        self.metadata
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn to_node(&self) -> Node {
        let mut m: Vec<(String, Node)> = self
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), Node::from_json(v)))
            .collect();
        m.push((
            "urls".into(),
            Node::Seq(self.urls.iter().map(|u| Node::Str(u.clone())).collect()),
        ));
        let created = if self.created.is_empty() {
            ZERO_TIME.to_string()
        } else {
            self.created.clone()
        };
        m.push(("created".into(), Node::Str(created)));
        if self.removed {
            m.push(("removed".into(), Node::Bool(true)));
        }
        if !self.digest.is_empty() {
            m.push(("digest".into(), Node::Str(self.digest.clone())));
        }
        Node::Map(m)
    }
}

/// A repository index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexFile {
    /// Always `v1`.
    pub api_version: String,
    /// When the index was generated (Go's RFC 3339 form).
    pub generated: String,
    /// Chart name → versions, newest first once [`IndexFile::sort_entries`] ran.
    pub entries: BTreeMap<String, Vec<ChartVersion>>,
    /// Public keys (`publicKeys`).
    pub public_keys: Vec<String>,
    /// Free-form annotations.
    pub annotations: BTreeMap<String, String>,
}

impl IndexFile {
    /// An empty index generated now.
    pub fn new() -> Self {
        IndexFile {
            api_version: API_VERSION_V1.to_string(),
            generated: crate::now_rfc3339(),
            entries: BTreeMap::new(),
            public_keys: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }

    /// Parses an index (JSON or YAML, as Helm accepts both). Entries that are empty or lack
    /// a name or version are skipped with a warning, as Helm skips them; versions are sorted
    /// newest first. `origin` names the document in errors.
    pub fn parse(data: &[u8], origin: &str) -> Result<Self, RepoError> {
        let err = |message: String| RepoError::Parse {
            origin: origin.to_string(),
            message,
        };
        if data.iter().all(u8::is_ascii_whitespace) {
            return Err(err("empty index.yaml file".into()));
        }
        let text = std::str::from_utf8(data).map_err(|e| err(e.to_string()))?;
        let root: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => {
                rudder_values::yaml::from_str(text, origin).map_err(|e| RepoError::Parse {
                    origin: origin.to_string(),
                    message: e
                        .to_string()
                        .trim_start_matches(&format!("{origin}: "))
                        .to_string(),
                })?
            }
        };
        let Value::Object(mut root) = root else {
            return Err(err("an index must be a mapping".into()));
        };
        let api_version = match root.remove("apiVersion") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return Err(err("no API version specified".into())),
        };
        let generated = scalar_text(root.get("generated")).unwrap_or_default();
        let mut entries = BTreeMap::new();
        match root.remove("entries") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, list) in map {
                    let items = match list {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        _ => return Err(err(format!("entries.{name} must be a list"))),
                    };
                    let mut versions = Vec::new();
                    for item in items {
                        match chart_version(item) {
                            Ok(cv) => versions.push(cv),
                            Err(why) => tracing::warn!(
                                "skipping loading invalid entry for chart {name:?} from {origin}: {why}"
                            ),
                        }
                    }
                    entries.insert(name, versions);
                }
            }
            Some(_) => return Err(err("entries must be a mapping".into())),
        }
        let public_keys = match root.get("publicKeys") {
            Some(Value::Array(a)) => a.iter().filter_map(|v| scalar_text(Some(v))).collect(),
            _ => Vec::new(),
        };
        let annotations = match root.get("annotations") {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_text(Some(v))?)))
                .collect(),
            _ => BTreeMap::new(),
        };
        let mut index = IndexFile {
            api_version,
            generated,
            entries,
            public_keys,
            annotations,
        };
        index.sort_entries();
        Ok(index)
    }

    /// Reads and parses an index file.
    pub fn load(path: &Path) -> Result<Self, RepoError> {
        let data = std::fs::read(path).map_err(RepoError::io("read", path))?;
        Self::parse(&data, &path.display().to_string())
    }

    /// Sorts every chart's versions newest first (Helm's `SortEntries`: versions that do not
    /// parse go last; the sort is stable).
    pub fn sort_entries(&mut self) {
        for versions in self.entries.values_mut() {
            versions.sort_by(|a, b| {
                let pa = rudder_semver::Version::parse(a.version()).ok();
                let pb = rudder_semver::Version::parse(b.version()).ok();
                match (pa, pb) {
                    (Some(x), Some(y)) => y.compare(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
            });
        }
    }

    /// Whether the index has `name` at exactly `version`.
    pub fn has(&self, name: &str, version: &str) -> bool {
        self.entries
            .get(name)
            .is_some_and(|vs| vs.iter().any(|v| v.version() == version))
    }

    /// Helm's `IndexFile.Get`: the entry equal to `version`, else the newest satisfying it as
    /// a Masterminds constraint; an empty `version` is the newest release (prereleases are
    /// skipped). `repo` names the repository in errors.
    pub fn get(&self, name: &str, version: &str, repo: &str) -> Result<&ChartVersion, RepoError> {
        let versions = self
            .entries
            .get(name)
            .ok_or_else(|| RepoError::ChartNotFound {
                chart: name.to_string(),
                repo: repo.to_string(),
            })?;
        let candidates: Vec<&str> = versions.iter().map(ChartVersion::version).collect();
        let found = rudder_semver::first_match(
            &candidates,
            version,
            rudder_semver::Lookup::RepositoryIndex,
        )
        .map_err(|e| RepoError::Constraint {
            constraint: version.to_string(),
            message: e.to_string(),
        })?;
        found
            .and_then(|v| versions.iter().find(|cv| cv.version() == v))
            .ok_or_else(|| RepoError::VersionNotFound {
                chart: name.to_string(),
                version: version.to_string(),
                repo: repo.to_string(),
            })
    }

    /// Helm's `Merge`: adds the versions of `other` that this index does not have.
    pub fn merge(&mut self, other: &IndexFile) {
        for versions in other.entries.values() {
            for cv in versions {
                if !self.has(cv.name(), cv.version()) {
                    self.entries
                        .entry(cv.name().to_string())
                        .or_default()
                        .push(cv.clone());
                }
            }
        }
    }

    /// Adds a chart archive's entry, as Helm's `MustAdd`: the URL is `filename` joined onto
    /// `base_url` (or `filename` itself when there is no base URL).
    pub fn add(
        &mut self,
        metadata: Map<String, Value>,
        filename: &str,
        base_url: &str,
        digest: &str,
    ) {
        let file = filename.rsplit('/').next().unwrap_or(filename);
        let url = if base_url.is_empty() {
            filename.to_string()
        } else {
            url_join(base_url, &[file])
        };
        let cv = ChartVersion {
            metadata,
            urls: vec![url],
            created: crate::now_rfc3339(),
            removed: false,
            digest: digest.to_string(),
        };
        self.entries
            .entry(cv.name().to_string())
            .or_default()
            .push(cv);
    }

    /// The index as Helm writes `index.yaml`.
    pub fn to_yaml(&self) -> String {
        let mut m = vec![
            (
                "apiVersion".to_string(),
                Node::Str(self.api_version.clone()),
            ),
            (
                "entries".to_string(),
                Node::Map(
                    self.entries
                        .iter()
                        .map(|(k, vs)| {
                            (
                                k.clone(),
                                Node::Seq(vs.iter().map(ChartVersion::to_node).collect()),
                            )
                        })
                        .collect(),
                ),
            ),
            (
                "generated".to_string(),
                Node::Str(if self.generated.is_empty() {
                    ZERO_TIME.to_string()
                } else {
                    self.generated.clone()
                }),
            ),
        ];
        if !self.public_keys.is_empty() {
            m.push((
                "publicKeys".into(),
                Node::Seq(
                    self.public_keys
                        .iter()
                        .map(|k| Node::Str(k.clone()))
                        .collect(),
                ),
            ));
        }
        if !self.annotations.is_empty() {
            m.push((
                "annotations".into(),
                Node::Map(
                    self.annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), Node::Str(v.clone())))
                        .collect(),
                ),
            ));
        }
        rudder_values::goyaml::to_string(&Node::Map(m))
    }

    /// Writes the index atomically (temporary file, then rename).
    pub fn write(&self, path: &Path) -> Result<(), RepoError> {
        crate::cache::write_atomic(path, self.to_yaml().as_bytes(), 0o644)
    }
}

impl Default for IndexFile {
    fn default() -> Self {
        Self::new()
    }
}

fn scalar_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn chart_version(item: Value) -> Result<ChartVersion, String> {
    let Value::Object(mut m) = item else {
        return Err("empty entry".into());
    };
    let urls = match m.remove("urls") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| scalar_text(Some(v))).collect(),
        _ => Vec::new(),
    };
    let created = scalar_text(m.remove("created").as_ref()).unwrap_or_default();
    let removed = matches!(m.remove("removed"), Some(Value::Bool(true)));
    let digest = scalar_text(m.remove("digest").as_ref()).unwrap_or_default();
    // Helm 2 fields Helm 3+ accepts and ignores.
    for deprecated in ["checksum", "engine", "tillerVersion", "url"] {
        m.remove(deprecated);
    }
    for key in ["name", "version", "appVersion"] {
        if let Some(v @ (Value::Number(_) | Value::Bool(_))) = m.get(key) {
            let text = scalar_text(Some(v)).unwrap_or_default();
            m.insert(key.into(), Value::String(text));
        }
    }
    if !m.contains_key("apiVersion") {
        m.insert("apiVersion".into(), Value::String("v1".into()));
    }
    let cv = ChartVersion {
        metadata: m,
        urls,
        created,
        removed,
        digest,
    };
    if cv.name().is_empty() {
        return Err("chart.metadata.name is required".into());
    }
    if cv.version().is_empty() {
        return Err("chart.metadata.version is required".into());
    }
    Ok(cv)
}

/// The metadata of a chart as Helm marshals it into an index entry.
pub fn metadata_map(md: &rudder_chart::Metadata) -> Map<String, Value> {
    // `metadata_yaml` is Helm's exact marshalling of chart.Metadata (omitempty rules, an
    // explicit `type`); reading it back gives the same fields as JSON.
    let yaml = rudder_chart::metadata_yaml(md);
    match rudder_values::yaml::from_str(&yaml, "Chart.yaml") {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Helm's `IndexDirectory`: indexes the chart archives in `dir` and one level below
/// (`*.tgz`, `*/*.tgz`); files that are not charts are skipped. URLs are relative to the
/// index unless `base_url` is given.
pub fn index_directory(dir: &Path, base_url: &str) -> Result<IndexFile, RepoError> {
    let mut archives = tgz_files(dir)?;
    let mut nested = Vec::new();
    let mut subdirs: Vec<PathBuf> = read_dir(dir)?.into_iter().filter(|p| p.is_dir()).collect();
    subdirs.sort();
    for sub in subdirs {
        nested.extend(tgz_files(&sub)?);
    }
    archives.extend(nested);
    let mut index = IndexFile::new();
    for archive in archives {
        let rel = archive
            .strip_prefix(dir)
            .unwrap_or(&archive)
            .to_string_lossy()
            .replace('\\', "/");
        let (parent, file) = match rel.rsplit_once('/') {
            Some((p, f)) => (p.to_string(), f.to_string()),
            None => (String::new(), rel.clone()),
        };
        let parent_url = url_join(base_url, &[&parent]);
        let chart = match rudder_chart::loader::load_file(
            &archive,
            &rudder_chart::loader::LoadOptions::default(),
        ) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("{}: not a chart, skipped: {e}", archive.display());
                continue;
            }
        };
        let data = std::fs::read(&archive).map_err(RepoError::io("read", &archive))?;
        let digest = hex::encode(Sha256::digest(&data));
        index.add(metadata_map(&chart.metadata), &file, &parent_url, &digest);
    }
    Ok(index)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, RepoError> {
    let entries = std::fs::read_dir(dir).map_err(RepoError::io("read directory", dir))?;
    let mut out = Vec::new();
    for e in entries {
        out.push(e.map_err(RepoError::io("read directory", dir))?.path());
    }
    Ok(out)
}

fn tgz_files(dir: &Path) -> Result<Vec<PathBuf>, RepoError> {
    let mut files: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tgz") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELM_INDEX: &str = r#"apiVersion: v1
entries:
  alpha:
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2026-12-03T20:22:22.220037278Z"
    description: Alpha <chart> & more
    digest: 76cf45ee83c7c7136b0f994647588d2a46b003068eae231fa877adabd1dd5c04
    keywords:
    - web
    - demo
    maintainers:
    - email: b@x.io
      name: Bob
    name: alpha
    type: application
    urls:
    - alpha-0.1.1.tgz
    version: 0.1.1
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2026-12-03T20:22:22.221155304Z"
    description: Alpha <chart> & more
    digest: 7e4cfa5614d6268f6ceca033f094eccda183ca579dd0ed08cf114ae86485e67b
    name: alpha
    urls:
    - alpha-0.2.0-rc.1.tgz
    version: 0.2.0-rc.1
  - apiVersion: v2
    created: "2026-12-03T20:22:22.218803544Z"
    name: alpha
    urls:
    - alpha-0.1.0.tgz
    version: 0.1.0
  broken:
  - name: broken
generated: "2026-12-03T20:22:22.217343316Z"
"#;

    #[test]
    fn parses_sorts_and_skips_invalid_entries() {
        let index = IndexFile::parse(HELM_INDEX.as_bytes(), "index.yaml").unwrap();
        let versions: Vec<&str> = index.entries["alpha"].iter().map(|v| v.version()).collect();
        assert_eq!(versions, ["0.2.0-rc.1", "0.1.1", "0.1.0"]);
        assert!(index.entries["broken"].is_empty());
        let first = &index.entries["alpha"][1];
        assert_eq!(first.keywords(), ["web", "demo"]);
        assert_eq!(first.app_version(), "1.16.0");
        assert_eq!(
            first.digest,
            "76cf45ee83c7c7136b0f994647588d2a46b003068eae231fa877adabd1dd5c04"
        );
    }

    #[test]
    fn writes_helms_layout() {
        let mut index = IndexFile::parse(HELM_INDEX.as_bytes(), "index.yaml").unwrap();
        index.entries.remove("broken");
        index.entries.get_mut("alpha").unwrap().truncate(2);
        let text = index.to_yaml();
        let expected = r#"apiVersion: v1
entries:
  alpha:
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2026-12-03T20:22:22.221155304Z"
    description: Alpha <chart> & more
    digest: 7e4cfa5614d6268f6ceca033f094eccda183ca579dd0ed08cf114ae86485e67b
    name: alpha
    urls:
    - alpha-0.2.0-rc.1.tgz
    version: 0.2.0-rc.1
  - apiVersion: v2
    appVersion: 1.16.0
    created: "2026-12-03T20:22:22.220037278Z"
    description: Alpha <chart> & more
    digest: 76cf45ee83c7c7136b0f994647588d2a46b003068eae231fa877adabd1dd5c04
    keywords:
    - web
    - demo
    maintainers:
    - email: b@x.io
      name: Bob
    name: alpha
    type: application
    urls:
    - alpha-0.1.1.tgz
    version: 0.1.1
generated: "2026-12-03T20:22:22.217343316Z"
"#;
        assert_eq!(text, expected);
        // JSON indexes are accepted too.
        let json = r#"{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","urls":["a-1.0.0.tgz"]}]}}"#;
        let parsed = IndexFile::parse(json.as_bytes(), "index.json").unwrap();
        assert_eq!(parsed.entries["a"][0].urls, ["a-1.0.0.tgz"]);
    }

    #[test]
    fn get_follows_helms_lookup() {
        let index = IndexFile::parse(HELM_INDEX.as_bytes(), "index.yaml").unwrap();
        assert_eq!(index.get("alpha", "", "r").unwrap().version(), "0.1.1");
        assert_eq!(
            index.get("alpha", "~0.1.0", "r").unwrap().version(),
            "0.1.1"
        );
        assert_eq!(index.get("alpha", "0.1.0", "r").unwrap().version(), "0.1.0");
        assert_eq!(
            index.get("alpha", ">0.1.1-0", "r").unwrap().version(),
            "0.2.0-rc.1"
        );
        assert!(matches!(
            index.get("alpha", "9.9.9", "r"),
            Err(RepoError::VersionNotFound { .. })
        ));
        assert!(matches!(
            index.get("nope", "", "r"),
            Err(RepoError::ChartNotFound { .. })
        ));
        assert!(matches!(
            index.get("alpha", ">=abc", "r"),
            Err(RepoError::Constraint { .. })
        ));
    }

    #[test]
    fn merge_keeps_existing_versions() {
        let mut a = IndexFile::parse(HELM_INDEX.as_bytes(), "a").unwrap();
        let mut b = IndexFile::new();
        let mut md = Map::new();
        md.insert("name".into(), "alpha".into());
        md.insert("version".into(), "0.1.0".into());
        b.add(md.clone(), "other.tgz", "", "");
        md.insert("version".into(), "0.3.0".into());
        b.add(md, "alpha-0.3.0.tgz", "http://h/c", "");
        a.merge(&b);
        a.sort_entries();
        let alpha = &a.entries["alpha"];
        assert_eq!(alpha[0].version(), "0.3.0");
        assert_eq!(alpha[0].urls, ["http://h/c/alpha-0.3.0.tgz"]);
        assert_eq!(alpha.iter().filter(|v| v.version() == "0.1.0").count(), 1);
        assert_eq!(alpha.last().unwrap().urls, ["alpha-0.1.0.tgz"]);
    }

    #[test]
    fn bad_indexes_are_refused() {
        assert!(IndexFile::parse(b"", "i").is_err());
        assert!(
            IndexFile::parse(b"entries: {}\n", "i")
                .unwrap_err()
                .to_string()
                .contains("no API version")
        );
        assert!(IndexFile::parse(b"apiVersion: v1\nentries: [1]\n", "i").is_err());
    }
}
