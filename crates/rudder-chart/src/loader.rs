//! Loading a chart from a directory or a `.tgz` archive.
//!
//! The rules follow Helm 4.1.4's loader (`pkg/chart/loader`, `pkg/chart/v2/loader`,
//! `internal/chart/v3/loader`); where Rudder is stricter, the item says so.
//!
//! * Chart.yaml decides the apiVersion: `v1`, `v2`, `v3`, or empty (which Helm treats as
//!   `v1`). Anything else is an error.
//! * Chart.yaml is validated as Helm validates it (name, version, type, dependency
//!   aliases; control characters are stripped and whitespace becomes a space). v1/v2
//!   versions follow Helm's lenient SemVer; v3 versions must be strict SemVer 2.
//! * `requirements.yaml`/`requirements.lock` supply dependencies and the lock for v1 (and,
//!   with a warning, v2) charts; v1 charts also keep them in `files`. v3 rejects them.
//! * `values.yaml` may hold several documents; they are merged in order. It is absent →
//!   an empty map. `values.schema.json` must be valid JSON.
//! * `templates/**` become templates; each `charts/<name>/` directory and `charts/*.tgz`
//!   becomes a subchart (recursively); `charts/*.prov` and everything else become `files`.
//!   Entries in `charts/` whose name starts with `_` or `.` are skipped.
//! * In a directory, `.helmignore` (gitignore syntax) and the default rule
//!   `templates/.?*` exclude files. Symlinks are followed but must resolve inside the
//!   chart root (Helm follows them anywhere). `.helmignore` is not applied to archives.
//! * Limits: see [`LoadOptions`]. One budget covers a chart and every nested archive.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use rudder_values::yaml::{YamlError, from_str_multi, from_str_typed};
use rudder_values::{Map, Value};
use serde::Deserialize;

use crate::archive::{Budget, BufferedFile, read_archive, trim_bom};
use crate::error::{ArchiveError, LoadError};
use crate::gostring::GoString;
use crate::model::{
    ApiVersion, Chart, ChartType, Dependency, File, Lock, Maintainer, Metadata, ModTimes,
};
use crate::version::{is_lenient_semver, is_strict_semver};

/// Helm's default limit on the decompressed size of a chart archive (100 MiB,
/// `archive.MaxDecompressedChartSize` in Helm 4.1.4's `pkg/chart/loader/archive`; older
/// notes that say 20 MiB do not match the code).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 100 * 1024 * 1024;

/// Helm's default limit on one file of a chart (5 MiB, `archive.MaxDecompressedFileSize`).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

/// The name of the ignore file of a directory chart.
pub const HELMIGNORE: &str = ".helmignore";

/// Limits applied while loading.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// The most bytes a chart may hold once decompressed, counted over every file of the
    /// chart and of all its nested archives, as they are actually read (tar headers are
    /// not trusted). Directory charts are counted the same way.
    pub max_decompressed_bytes: u64,
    /// The largest single file (after decompression).
    pub max_file_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl LoadOptions {
    fn budget(&self) -> Budget {
        Budget {
            remaining: self.max_decompressed_bytes,
            total_limit: self.max_decompressed_bytes,
            file_limit: self.max_file_bytes,
        }
    }
}

/// Loads a chart from a directory or an archive with the default limits.
pub fn load(path: impl AsRef<Path>) -> Result<Chart, LoadError> {
    load_with(path, &LoadOptions::default())
}

/// Loads a chart from a directory or an archive (anything that is not a directory is read
/// as a gzip-compressed tar, as Helm does).
pub fn load_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Chart, LoadError> {
    let path = path.as_ref();
    let meta = fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        load_dir(path, opts)
    } else {
        load_file(path, opts)
    }
}

/// Loads a chart archive file.
pub fn load_file(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Chart, LoadError> {
    let path = path.as_ref();
    let f = fs::File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_archive(
        std::io::BufReader::new(f),
        &path.display().to_string(),
        opts,
    )
}

/// Loads a chart from a gzip-compressed tar stream. `name` names the archive in errors.
pub fn load_archive(reader: impl Read, name: &str, opts: &LoadOptions) -> Result<Chart, LoadError> {
    let mut budget = opts.budget();
    load_archive_budget(reader, name, &mut budget)
}

fn load_archive_budget(
    reader: impl Read,
    name: &str,
    budget: &mut Budget,
) -> Result<Chart, LoadError> {
    let (top, files) = read_archive(reader, name, budget)?;
    load_files(files, &format!("{name}:{top}/"), budget)
}

/// Loads a chart directory.
pub fn load_dir(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<Chart, LoadError> {
    let path = path.as_ref();
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| LoadError::Io { path: p, source }
    };
    let root = fs::canonicalize(path).map_err(io_err(path))?;
    let ignore_path = root.join(HELMIGNORE);
    let mut builder = GitignoreBuilder::new(&root);
    let display = path.display().to_string();
    let prefix = format!("{}/", display.trim_end_matches('/'));
    if ignore_path.is_file() {
        let text = fs::read_to_string(&ignore_path).map_err(io_err(&ignore_path))?;
        for (i, line) in text.lines().enumerate() {
            builder
                .add_line(None, line)
                .map_err(|e| LoadError::Helmignore {
                    file: format!("{prefix}{HELMIGNORE}"),
                    line: i + 1,
                    message: e.to_string(),
                })?;
        }
    }
    builder
        .add_line(None, "templates/.?*")
        .map_err(|e| LoadError::Helmignore {
            file: "(default rules)".into(),
            line: 1,
            message: e.to_string(),
        })?;
    let rules = builder.build().map_err(|e| LoadError::Helmignore {
        file: format!("{prefix}{HELMIGNORE}"),
        line: 0,
        message: e.to_string(),
    })?;
    let mut budget = opts.budget();
    let mut walker = Walker {
        root: &root,
        rules: &rules,
        budget: &mut budget,
        visited: HashSet::from([root.clone()]),
        files: Vec::new(),
    };
    walker.walk(&root, path, "")?;
    let files = walker.files;
    load_files(files, &prefix, &mut budget)
}

struct Walker<'a> {
    root: &'a Path,
    rules: &'a Gitignore,
    budget: &'a mut Budget,
    visited: HashSet<PathBuf>,
    files: Vec<BufferedFile>,
}

impl Walker<'_> {
    /// Walks `real` (a canonical directory), naming entries under `shown` (the path as the
    /// user gave it, for messages) and `rel` (relative to the chart root, `/`-separated).
    fn walk(&mut self, real: &Path, shown: &Path, rel: &str) -> Result<(), LoadError> {
        let io_err = |p: &Path| {
            let p = p.to_path_buf();
            move |source| LoadError::Io { path: p, source }
        };
        let mut names: Vec<_> = fs::read_dir(real)
            .map_err(io_err(shown))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(io_err(shown))?;
        // Go's filepath.Walk order: names sorted bytewise in each directory.
        names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        for name in names {
            let path = real.join(&name);
            let shown_path = shown.join(&name);
            let name = name.to_string_lossy();
            let rel_path = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            let lmeta = fs::symlink_metadata(&path).map_err(io_err(&shown_path))?;
            let (target, meta) = if lmeta.file_type().is_symlink() {
                let target = fs::canonicalize(&path).map_err(io_err(&shown_path))?;
                if !target.starts_with(self.root) {
                    return Err(LoadError::SymlinkEscape {
                        path: shown_path,
                        target,
                        root: self.root.to_path_buf(),
                    });
                }
                let meta = fs::metadata(&target).map_err(io_err(&shown_path))?;
                (target, meta)
            } else {
                (path, lmeta)
            };
            if meta.is_dir() {
                if self.rules.matched(&rel_path, true).is_ignore() {
                    continue;
                }
                if !self.visited.insert(target.clone()) {
                    return Err(LoadError::SymlinkLoop {
                        path: shown_path,
                        target,
                    });
                }
                self.walk(&target, &shown_path, &rel_path)?;
                continue;
            }
            if self.rules.matched(&rel_path, false).is_ignore() {
                continue;
            }
            if !meta.is_file() {
                return Err(LoadError::IrregularFile { path: shown_path });
            }
            let label = shown_path.display().to_string();
            if meta.len() > self.budget.file_limit {
                return Err(LoadError::FileTooLarge {
                    file: label,
                    limit: self.budget.file_limit,
                });
            }
            let f = fs::File::open(&target).map_err(io_err(&shown_path))?;
            let data = self
                .budget
                .read_limited(&label, f)
                .map_err(io_err(&shown_path))??;
            self.files.push(BufferedFile {
                name: rel_path,
                data: trim_bom(data),
                modified: meta.modified().ok(),
            });
        }
        Ok(())
    }
}

/// Chart.yaml as written, decoded with Helm's leniency; validated into [`Metadata`].
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    #[serde(default)]
    api_version: GoString,
    #[serde(default)]
    name: GoString,
    #[serde(default)]
    home: GoString,
    #[serde(default)]
    sources: Option<Vec<GoString>>,
    #[serde(default)]
    version: GoString,
    #[serde(default)]
    description: GoString,
    #[serde(default)]
    keywords: Option<Vec<GoString>>,
    #[serde(default)]
    maintainers: Option<Vec<Option<RawMaintainer>>>,
    #[serde(default)]
    icon: GoString,
    #[serde(default)]
    condition: GoString,
    #[serde(default)]
    tags: GoString,
    #[serde(default)]
    app_version: GoString,
    #[serde(default)]
    deprecated: Option<bool>,
    #[serde(default)]
    annotations: Option<BTreeMap<GoString, GoString>>,
    #[serde(default)]
    kube_version: GoString,
    #[serde(default)]
    dependencies: Option<Vec<Option<RawDependency>>>,
    #[serde(default, rename = "type")]
    chart_type: GoString,
}

#[derive(Deserialize, Default)]
struct RawMaintainer {
    #[serde(default)]
    name: GoString,
    #[serde(default)]
    email: GoString,
    #[serde(default)]
    url: GoString,
}

#[derive(Deserialize, Default)]
struct RawDependency {
    #[serde(default)]
    name: GoString,
    #[serde(default)]
    version: GoString,
    #[serde(default)]
    repository: GoString,
    #[serde(default)]
    condition: GoString,
    #[serde(default)]
    tags: Option<Vec<GoString>>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default, rename = "import-values")]
    import_values: Option<Vec<Value>>,
    #[serde(default)]
    alias: GoString,
}

/// `requirements.yaml`: only its dependencies matter.
#[derive(Deserialize, Default)]
struct RawRequirements {
    #[serde(default)]
    dependencies: Option<Vec<Option<RawDependency>>>,
}

#[derive(Deserialize, Default)]
struct RawLock {
    #[serde(default)]
    generated: GoString,
    #[serde(default)]
    digest: GoString,
    #[serde(default)]
    dependencies: Option<Vec<Option<RawDependency>>>,
}

/// Converts a YAML error, dropping the parser's own " at line N, column M" suffix when the
/// location is already in the `file:line:col` prefix.
fn tidy(mut e: YamlError) -> LoadError {
    if let Some(loc) = &e.location {
        let suffix = format!(" at line {}, column {}", loc.line, loc.column);
        if let Some(stripped) = e.message.strip_suffix(&suffix) {
            e.message = stripped.to_string();
        }
    }
    LoadError::Yaml(e)
}

/// Helm's `sanitizeString`: whitespace becomes a space, unprintable characters go.
fn sanitize(s: String) -> String {
    if s.chars().all(|c| !c.is_whitespace() || c == ' ') && !s.chars().any(char::is_control) {
        return s;
    }
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

fn text<'a>(data: &'a [u8], origin: &str) -> Result<&'a str, LoadError> {
    std::str::from_utf8(data).map_err(|e| {
        LoadError::Yaml(YamlError {
            origin: origin.to_string(),
            location: None,
            message: format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        })
    })
}

fn dependencies(
    raw: Option<Vec<Option<RawDependency>>>,
    file: &str,
) -> Result<Vec<Dependency>, LoadError> {
    let mut out = Vec::new();
    for d in raw.unwrap_or_default() {
        let Some(d) = d else {
            return Err(LoadError::Validation {
                file: file.to_string(),
                message: "dependencies must not contain empty or null nodes".into(),
            });
        };
        out.push(Dependency {
            name: sanitize(d.name.0),
            version: sanitize(d.version.0),
            repository: sanitize(d.repository.0),
            condition: sanitize(d.condition.0),
            tags: d
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| sanitize(t.0))
                .collect(),
            enabled: d.enabled.unwrap_or(false),
            import_values: d.import_values.unwrap_or_default(),
            alias: d.alias.0,
        });
    }
    Ok(out)
}

fn parse_lock(data: &[u8], origin: &str) -> Result<Lock, LoadError> {
    let raw: RawLock = from_str_typed(text(data, origin)?, origin).map_err(tidy)?;
    Ok(Lock {
        generated: raw.generated.0,
        digest: raw.digest.0,
        dependencies: dependencies(raw.dependencies, origin)?,
    })
}

fn parse_api_version(raw: &str, file: &str) -> Result<ApiVersion, LoadError> {
    match raw {
        // Helm: "if APIVersion is unset, we should assume we're loading a v1 chart".
        "" | "v1" => Ok(ApiVersion::V1),
        "v2" => Ok(ApiVersion::V2),
        "v3" => Ok(ApiVersion::V3),
        other => Err(LoadError::UnsupportedApiVersion {
            file: file.to_string(),
            version: other.to_string(),
        }),
    }
}

fn parse_metadata(data: &[u8], origin: &str) -> Result<Metadata, LoadError> {
    let raw: RawMetadata = from_str_typed(text(data, origin)?, origin).map_err(tidy)?;
    let api_version = parse_api_version(&raw.api_version.0, origin)?;
    let invalid = |message: String| LoadError::Validation {
        file: origin.to_string(),
        message,
    };
    let chart_type = match raw.chart_type.0.as_str() {
        "" | "application" => ChartType::Application,
        "library" => ChartType::Library,
        _ => {
            return Err(invalid(
                "chart.metadata.type must be application or library".into(),
            ));
        }
    };
    let mut maintainers = Vec::new();
    for m in raw.maintainers.unwrap_or_default() {
        let Some(m) = m else {
            return Err(invalid(
                "maintainers must not contain empty or null nodes".into(),
            ));
        };
        maintainers.push(Maintainer {
            name: sanitize(m.name.0),
            email: sanitize(m.email.0),
            url: sanitize(m.url.0),
        });
    }
    Ok(Metadata {
        api_version,
        name: sanitize(raw.name.0),
        version: raw.version.0,
        home: sanitize(raw.home.0),
        sources: raw
            .sources
            .unwrap_or_default()
            .into_iter()
            .map(|s| sanitize(s.0))
            .collect(),
        description: sanitize(raw.description.0),
        keywords: raw
            .keywords
            .unwrap_or_default()
            .into_iter()
            .map(|s| sanitize(s.0))
            .collect(),
        maintainers,
        icon: sanitize(raw.icon.0),
        app_version: sanitize(raw.app_version.0),
        deprecated: raw.deprecated.unwrap_or(false),
        annotations: raw
            .annotations
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.0, v.0))
            .collect(),
        kube_version: sanitize(raw.kube_version.0),
        dependencies: dependencies(raw.dependencies, origin)?,
        chart_type,
        type_explicit: !raw.chart_type.0.is_empty(),
        condition: sanitize(raw.condition.0),
        tags: sanitize(raw.tags.0),
    })
}

/// Helm's `Metadata.Validate`, plus strict SemVer for v3.
pub(crate) fn validate_metadata(md: &Metadata, file: &str) -> Result<(), LoadError> {
    let invalid = |message: String| {
        Err(LoadError::Validation {
            file: file.to_string(),
            message,
        })
    };
    if md.name.is_empty() {
        return invalid("chart.metadata.name is required".into());
    }
    if md.name == "." || md.name == ".." {
        return invalid(format!("chart.metadata.name {:?} is not allowed", md.name));
    }
    if md.name.contains('/') || md.name.contains('\\') {
        return invalid(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return invalid("chart.metadata.version is required".into());
    }
    if !is_lenient_semver(&md.version) {
        return invalid(format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        ));
    }
    if md.api_version == ApiVersion::V3 && !is_strict_semver(&md.version) {
        return Err(LoadError::NotStrictSemver {
            file: file.to_string(),
            version: md.version.clone(),
        });
    }
    let mut seen = HashSet::new();
    for d in &md.dependencies {
        if !d.alias.is_empty()
            && !d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return invalid(format!(
                "dependency {:?} has disallowed characters in the alias",
                d.name
            ));
        }
        let key = if d.alias.is_empty() {
            &d.name
        } else {
            &d.alias
        };
        if !seen.insert(key.clone()) {
            return invalid(format!(
                "more than one dependency with name or alias {key:?}"
            ));
        }
    }
    Ok(())
}

fn yaml_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "mapping",
    }
}

/// Merges `b` into `a` as Helm's `MergeMaps` does (maps merge recursively, others replace).
fn merge_maps(a: &mut Map, b: Map) {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(Value::Object(av)), Value::Object(bv)) => merge_maps(av, bv),
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

fn parse_values(data: &[u8], origin: &str) -> Result<Value, LoadError> {
    let docs = from_str_multi(text(data, origin)?, origin).map_err(tidy)?;
    let mut out = Map::new();
    for doc in docs {
        match doc {
            Value::Null => {}
            Value::Object(m) => merge_maps(&mut out, m),
            other => {
                return Err(LoadError::ValuesNotMapping {
                    file: origin.to_string(),
                    found: yaml_kind(&other),
                });
            }
        }
    }
    Ok(Value::Object(out))
}

fn check_schema(data: &[u8], origin: &str) -> Result<(), LoadError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(data).map_err(|e| {
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_string(),
            None => full,
        };
        LoadError::SchemaJson {
            file: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    Ok(())
}

fn to_file(f: BufferedFile) -> File {
    File {
        name: f.name,
        data: f.data,
        modified: f.modified,
    }
}

/// Sorts files into a chart. `prefix` names the chart in errors (`dir/`, `a.tgz:top/`,
/// `parent/charts/sub/`).
fn load_files(
    files: Vec<BufferedFile>,
    prefix: &str,
    budget: &mut Budget,
) -> Result<Chart, LoadError> {
    let chart_yaml = format!("{prefix}Chart.yaml");
    let Some(cf) = files.iter().rev().find(|f| f.name == "Chart.yaml") else {
        return Err(LoadError::ChartYamlMissing {
            chart: prefix.trim_end_matches(['/', ':']).to_string(),
        });
    };
    let mut metadata = parse_metadata(&cf.data, &chart_yaml)?;
    let mut modified = ModTimes {
        chart_yaml: cf.modified,
        ..ModTimes::default()
    };
    let api = metadata.api_version;
    let mut lock = None;
    let mut values = Value::Object(Map::new());
    let mut raw_values = None;
    let mut schema = None;
    let mut templates = Vec::new();
    let mut other = Vec::new();
    let mut subcharts: Vec<(String, Vec<BufferedFile>)> = Vec::new();
    for f in files {
        let origin = format!("{prefix}{}", f.name);
        match f.name.as_str() {
            "Chart.yaml" => {}
            "Chart.lock" => lock = Some(parse_lock(&f.data, &origin)?),
            "values.yaml" => {
                values = parse_values(&f.data, &origin)?;
                modified.values = f.modified;
                raw_values = Some(f.data);
            }
            "values.schema.json" => {
                check_schema(&f.data, &origin)?;
                modified.schema = f.modified;
                schema = Some(f.data);
            }
            "requirements.yaml" | "requirements.lock" if api == ApiVersion::V3 => {
                return Err(LoadError::RequirementsInV3 { file: origin });
            }
            "requirements.yaml" => {
                if api != ApiVersion::V1 {
                    tracing::warn!(
                        file = %origin,
                        "dependencies are handled in Chart.yaml since apiVersion v2; migrate requirements.yaml"
                    );
                }
                let raw: RawRequirements =
                    from_str_typed(text(&f.data, &origin)?, &origin).map_err(tidy)?;
                if raw.dependencies.is_some() {
                    metadata.dependencies = dependencies(raw.dependencies, &origin)?;
                }
                if api == ApiVersion::V1 {
                    other.push(to_file(f));
                }
            }
            "requirements.lock" => {
                if api != ApiVersion::V1 {
                    tracing::warn!(
                        file = %origin,
                        "dependency locking is handled in Chart.lock since apiVersion v2; migrate requirements.lock"
                    );
                }
                lock = Some(parse_lock(&f.data, &origin)?);
                if api == ApiVersion::V1 {
                    other.push(to_file(f));
                }
            }
            n if n.starts_with("templates/") => templates.push(to_file(f)),
            n if n.starts_with("charts/") && !n.ends_with(".prov") => {
                let rest = &n["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or(rest).to_string();
                let f = BufferedFile {
                    name: rest.to_string(),
                    ..f
                };
                match subcharts.iter_mut().find(|(c, _)| *c == cname) {
                    Some((_, v)) => v.push(f),
                    None => subcharts.push((cname, vec![f])),
                }
            }
            _ => other.push(to_file(f)),
        }
    }
    validate_metadata(&metadata, &chart_yaml)?;

    let mut deps = Vec::new();
    for (cname, files) in subcharts {
        if cname.starts_with('_') || cname.starts_with('.') {
            continue;
        }
        let entry = format!("{prefix}charts/{cname}");
        if cname.ends_with(".tgz") {
            let [file] = files.as_slice() else {
                return Err(ArchiveError::NestedNotAFile {
                    archive: prefix.trim_end_matches(['/', ':']).to_string(),
                    entry: format!("charts/{cname}"),
                }
                .into());
            };
            if file.name != cname {
                return Err(ArchiveError::NestedNotAFile {
                    archive: prefix.trim_end_matches(['/', ':']).to_string(),
                    entry: format!("charts/{cname}"),
                }
                .into());
            }
            deps.push(load_archive_budget(file.data.as_slice(), &entry, budget)?);
            continue;
        }
        let inner: Vec<BufferedFile> = files
            .into_iter()
            .filter_map(|f| {
                let (_, rest) = f.name.split_once('/')?;
                Some(BufferedFile {
                    name: rest.to_string(),
                    ..f
                })
            })
            .collect();
        if inner.is_empty() {
            return Err(LoadError::NotAChart { path: entry });
        }
        deps.push(load_files(inner, &format!("{entry}/"), budget)?);
    }

    Ok(Chart {
        metadata,
        lock,
        values,
        raw_values,
        schema,
        templates,
        files: other,
        dependencies: deps,
        modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_like_helm() {
        assert_eq!(sanitize("a\tb\nc\u{7}".into()), "a b c");
        assert_eq!(sanitize("plain".into()), "plain");
    }

    #[test]
    fn values_documents_merge() {
        let v = parse_values(b"a: {x: 1, y: 2}\n---\na: {y: 3}\nb: no\n", "c/values.yaml").unwrap();
        assert_eq!(v, serde_json::json!({"a": {"x": 1, "y": 3}, "b": false}));
    }

    #[test]
    fn values_must_be_a_mapping() {
        let e = parse_values(b"- a\n", "c/values.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c/values.yaml: values must be a mapping, got sequence"
        );
    }
}
