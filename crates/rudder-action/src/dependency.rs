//! `dependency list/update/build`: resolving Chart.yaml's dependencies against repository
//! indexes (URL, `@name`/`alias:name` of a configured repository) and OCI registries,
//! writing Chart.lock exactly as Helm does (same digest), and filling `charts/`.
//!
//! Downloads run concurrently into a staging directory inside the chart; only when every
//! one succeeded are outdated archives removed and the new ones renamed into `charts/`, so a
//! failure leaves `charts/` as it was. Repository archives go through the content cache
//! (digest-checked against the index).

use std::path::{Path, PathBuf};

use rudder_chart::{Dependency, Lock};
use rudder_repo::repofile::cache_index_file;
use rudder_repo::urlutil::{is_http_url, resolve_reference, urls_equal};
use rudder_repo::{Digest, IndexFile, RepoEntry, RepoError, RepositoriesFile};

use crate::oci::{OciError, RegistryOptions};
use crate::repo::{RepoOpError, RepoPaths, entry_fetch_options, fetch_index, fetch_to_cache};

/// Why a dependency operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DependencyError {
    /// The chart could not be loaded.
    #[error(transparent)]
    Chart(#[from] rudder_chart::LoadError),
    /// Packaging a `file://` dependency failed.
    #[error(transparent)]
    Package(#[from] rudder_chart::PackageError),
    /// A repository operation failed.
    #[error(transparent)]
    Repo(#[from] RepoOpError),
    /// A registry operation failed.
    #[error(transparent)]
    Oci(#[from] OciError),
    /// The path is not a chart directory.
    #[error("only unpacked charts can be updated: {0}")]
    NotADirectory(PathBuf),
    /// A dependency names a repository alias that is not configured.
    #[error("no repository definition for {0}. Please add them via 'rudder repo add'")]
    NoRepositoryDefinition(String),
    /// A dependency's version is not a valid constraint.
    #[error("dependency {name:?} has an invalid version/constraint format: {message}")]
    BadConstraint {
        /// The dependency.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A repository index has no chart of that name.
    #[error("{name} chart not found in repo {repository}")]
    NotInRepo {
        /// The dependency.
        name: String,
        /// The repository.
        repository: String,
    },
    /// No version satisfies the constraints.
    #[error(
        "can't get a valid version for repositories {0}. Try changing the version constraint in Chart.yaml"
    )]
    NoValidVersion(String),
    /// Chart.lock does not match Chart.yaml.
    #[error(
        "the lock file ({0}) is out of sync with the dependencies file. Please update the dependencies"
    )]
    LockOutOfSync(String),
    /// A local (`file://` or unset repository) dependency is missing or wrong.
    #[error("{0}")]
    Local(String),
    /// A file could not be read or written.
    #[error("cannot {action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DependencyError {
    let path = path.to_path_buf();
    move |source| DependencyError::Io {
        action,
        path,
        source,
    }
}

/// Options of [`update`] and [`build`].
#[derive(Debug, Clone, Default)]
pub struct DependencyOptions {
    /// The chart directory.
    pub chart_dir: PathBuf,
    /// Use the cached repository indexes instead of refreshing them (`--skip-refresh`).
    pub skip_refresh: bool,
    /// Repository configuration and caches.
    pub paths: RepoPaths,
    /// Registry settings for `oci://` dependencies.
    pub registry: RegistryOptions,
}

/// What [`update`] or [`build`] did.
#[derive(Debug, Clone)]
pub struct DependencyOutput {
    /// The lock that describes `charts/`.
    pub lock: Lock,
    /// Whether Chart.lock was (re)written (Helm leaves an unchanged lock alone).
    pub lock_written: bool,
    /// The archives written into `charts/`.
    pub saved: Vec<PathBuf>,
}

/// Where a remote dependency comes from once its repository is known.
#[derive(Debug, Clone)]
enum Source {
    /// In `charts/` already (no repository).
    Local,
    /// A `file://` directory.
    File(PathBuf),
    /// An index repository (configured or not) with its fetch settings.
    Index {
        entry: RepoEntry,
        cached_name: Option<String>,
    },
    /// An OCI registry.
    Oci,
}

/// Resolves `@name`/`alias:name` to configured repository URLs (changing the declaration,
/// as Helm does before hashing) and classifies each dependency.
fn classify(
    deps: &mut [Dependency],
    file: &RepositoriesFile,
    chart_dir: &Path,
) -> Result<Vec<Source>, DependencyError> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for d in deps.iter_mut() {
        let repo = d.repository.clone();
        let source = if repo.is_empty() {
            Source::Local
        } else if let Some(p) = repo.strip_prefix("file://") {
            let path = if p.starts_with('/') {
                PathBuf::from(p)
            } else {
                chart_dir.join(p)
            };
            if !path.exists() {
                return Err(DependencyError::Local(format!(
                    "directory {} not found",
                    path.display()
                )));
            }
            Source::File(path)
        } else if repo.starts_with("oci://") {
            Source::Oci
        } else if let Some(alias) = repo
            .strip_prefix('@')
            .or_else(|| repo.strip_prefix("alias:"))
        {
            match file.get(alias) {
                Some(entry) => {
                    d.repository = entry.url.clone();
                    Source::Index {
                        entry: entry.clone(),
                        cached_name: Some(entry.name.clone()),
                    }
                }
                None => {
                    missing.push(repo.clone());
                    continue;
                }
            }
        } else if let Some(entry) = file.repositories.iter().find(|r| urls_equal(&r.url, &repo)) {
            Source::Index {
                entry: entry.clone(),
                cached_name: Some(entry.name.clone()),
            }
        } else if is_http_url(&repo) {
            Source::Index {
                entry: RepoEntry {
                    url: repo.clone(),
                    ..RepoEntry::default()
                },
                cached_name: None,
            }
        } else {
            missing.push(repo.clone());
            continue;
        };
        out.push(source);
    }
    if !missing.is_empty() {
        return Err(DependencyError::NoRepositoryDefinition(missing.join(", ")));
    }
    Ok(out)
}

/// Loads the indexes the dependencies need: configured repositories from the cache
/// (refreshed first unless `skip_refresh`), others straight from their URL.
async fn load_indexes(
    sources: &[Source],
    opts: &DependencyOptions,
    on_message: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Option<IndexFile>>, DependencyError> {
    let mut refreshed = std::collections::HashSet::new();
    let mut out = Vec::new();
    for s in sources {
        let Source::Index { entry, cached_name } = s else {
            out.push(None);
            continue;
        };
        let index = match cached_name {
            Some(name) => {
                if !opts.skip_refresh && refreshed.insert(name.clone()) {
                    match crate::repo::update_one(entry, &opts.paths.repository_cache, None).await {
                        Ok(_) => on_message(&format!(
                            "...Successfully got an update from the {name:?} chart repository"
                        )),
                        Err(e) => on_message(&format!(
                            "...Unable to get an update from the {name:?} chart repository ({}): {e}",
                            entry.url
                        )),
                    }
                }
                IndexFile::load(&cache_index_file(&opts.paths.repository_cache, name)).map_err(
                    |source| RepoOpError::NotCached {
                        name: name.clone(),
                        source,
                    },
                )?
            }
            None => {
                fetch_index(&entry.url, &entry_fetch_options(entry, None))
                    .await?
                    .1
            }
        };
        out.push(Some(index));
    }
    Ok(out)
}

/// Picks the locked version of each dependency (Helm's resolver: the newest index entry
/// with a URL that satisfies the constraint; `file://` charts lock their own version).
fn resolve(
    deps: &[Dependency],
    sources: &[Source],
    indexes: &[Option<IndexFile>],
) -> Result<Vec<Dependency>, DependencyError> {
    let mut locked = Vec::new();
    let mut missing = Vec::new();
    for ((d, s), index) in deps.iter().zip(sources).zip(indexes) {
        let mut l = Dependency {
            name: d.name.clone(),
            repository: d.repository.clone(),
            version: d.version.clone(),
            ..Dependency::default()
        };
        match s {
            Source::Local | Source::Oci => {}
            Source::File(path) => {
                let chart = rudder_chart::loader::load_dir(
                    path,
                    &rudder_chart::loader::LoadOptions::default(),
                )?;
                l.version = chart.metadata.version;
            }
            Source::Index { .. } => {
                let constraint = rudder_semver::Constraints::parse(&d.version).map_err(|e| {
                    DependencyError::BadConstraint {
                        name: d.name.clone(),
                        message: e.to_string(),
                    }
                })?;
                let versions = index
                    .as_ref()
                    .and_then(|i| i.entries.get(&d.name))
                    .ok_or_else(|| DependencyError::NotInRepo {
                        name: d.name.clone(),
                        repository: d.repository.clone(),
                    })?;
                let found = versions.iter().find(|cv| {
                    !cv.urls.is_empty()
                        && rudder_semver::Version::parse(cv.version())
                            .is_ok_and(|v| constraint.check(&v))
                });
                match found {
                    Some(cv) => l.version = cv.version().to_string(),
                    None => missing.push(d.name.clone()),
                }
            }
        }
        locked.push(l);
    }
    if !missing.is_empty() {
        return Err(DependencyError::NoValidVersion(missing.join(", ")));
    }
    Ok(locked)
}

/// Downloads (or packages) one locked dependency into `staging`; returns the file and the
/// version it holds.
async fn fetch_one(
    dep: &Dependency,
    source: &Source,
    index: Option<&IndexFile>,
    staging: &Path,
    opts: &DependencyOptions,
) -> Result<Option<(PathBuf, String)>, DependencyError> {
    match source {
        Source::Local => Ok(None),
        Source::File(path) => {
            let written = rudder_chart::package::package(
                path,
                staging,
                &rudder_chart::package::PackageOptions::default(),
            )?;
            Ok(Some((written, dep.version.clone())))
        }
        Source::Oci => {
            let reference = format!("{}/{}", dep.repository.trim_end_matches('/'), dep.name);
            let fetched = crate::oci::fetch(&reference, Some(&dep.version), &opts.registry).await?;
            let cache = rudder_repo::ContentCache::new(&opts.paths.content_cache);
            cache
                .put_chart(&fetched.pulled.chart, None, &reference)
                .map_err(RepoOpError::from)?;
            let path = staging.join(format!("{}-{}.tgz", dep.name, fetched.version));
            rudder_repo::cache::write_atomic(&path, &fetched.pulled.chart, 0o644)
                .map_err(RepoOpError::from)?;
            Ok(Some((path, fetched.version)))
        }
        Source::Index { entry, .. } => {
            let cv = index
                .and_then(|i| i.entries.get(&dep.name))
                .and_then(|vs| vs.iter().find(|cv| cv.version() == dep.version))
                .ok_or_else(|| DependencyError::NoValidVersion(dep.name.clone()))?;
            let first = cv
                .urls
                .first()
                .ok_or_else(|| RepoOpError::NoUrls(dep.name.clone()))?;
            let url = resolve_reference(&entry.url, first).map_err(RepoOpError::from)?;
            let expected = if cv.digest.is_empty() {
                None
            } else {
                Some(Digest::parse(&cv.digest).map_err(RepoOpError::from)?)
            };
            let (cached, _) = fetch_to_cache(
                &url,
                &entry.url,
                &entry_fetch_options(entry, None),
                expected.as_ref(),
                &opts.paths,
            )
            .await?;
            let name = url
                .split(['?', '#'])
                .next()
                .unwrap_or(&url)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let path = staging.join(name);
            let data = std::fs::read(&cached).map_err(io("read", &cached))?;
            rudder_repo::cache::write_atomic(&path, &data, 0o644).map_err(RepoOpError::from)?;
            Ok(Some((path, dep.version.clone())))
        }
    }
}

/// Downloads every dependency concurrently into a staging directory, then replaces the
/// outdated archives in `charts/`. On any failure `charts/` is left untouched.
async fn download_all(
    locked: &mut [Dependency],
    sources: &[Source],
    indexes: &[Option<IndexFile>],
    opts: &DependencyOptions,
    on_message: &(dyn Fn(&str) + Sync),
) -> Result<Vec<PathBuf>, DependencyError> {
    let charts = opts.chart_dir.join("charts");
    std::fs::create_dir_all(&charts).map_err(io("create directory", &charts))?;
    for (d, s) in locked.iter().zip(sources) {
        if let Source::Local = s {
            check_local(d, &charts)?;
        }
    }
    on_message(&format!("Saving {} charts", locked.len()));
    let staging = tempfile::Builder::new()
        .prefix(".rudder-deps-")
        .tempdir_in(&charts)
        .map_err(io("create a temporary directory in", &charts))?;
    let tasks = locked.iter().zip(sources).zip(indexes).map(|((d, s), i)| {
        if !matches!(s, Source::Local | Source::File(_)) {
            on_message(&format!(
                "Downloading {} from repo {}",
                d.name, d.repository
            ));
        }
        fetch_one(d, s, i.as_ref(), staging.path(), opts)
    });
    let results = futures::future::join_all(tasks).await;
    let mut staged = Vec::new();
    for (d, r) in locked.iter_mut().zip(results) {
        if let Some((path, version)) = r? {
            d.version = version;
            staged.push((d.name.clone(), path));
        }
    }
    on_message("Deleting outdated charts");
    for (name, _) in &staged {
        delete_outdated(name, &charts)?;
    }
    let mut saved = Vec::new();
    // Two dependencies (aliases of one chart) may share an archive.
    staged.sort_by(|a, b| a.1.cmp(&b.1));
    staged.dedup_by(|a, b| a.1 == b.1);
    for (_, path) in staged {
        let file_name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let dest = charts.join(file_name);
        std::fs::rename(&path, &dest).map_err(io("move into place", &dest))?;
        saved.push(dest);
    }
    Ok(saved)
}

/// A dependency without a repository must already be unpacked in `charts/` at a version
/// satisfying its constraint.
fn check_local(d: &Dependency, charts: &Path) -> Result<(), DependencyError> {
    let dir = charts.join(&d.name);
    let chart = rudder_chart::loader::load_dir(&dir, &rudder_chart::loader::LoadOptions::default())
        .map_err(|e| {
            DependencyError::Local(format!("unable to load chart '{}': {e}", dir.display()))
        })?;
    let constraint = rudder_semver::Constraints::parse(&d.version).map_err(|e| {
        DependencyError::BadConstraint {
            name: d.name.clone(),
            message: e.to_string(),
        }
    })?;
    let ok =
        rudder_semver::Version::parse(&chart.metadata.version).is_ok_and(|v| constraint.check(&v));
    if !ok {
        return Err(DependencyError::Local(format!(
            "dependency {} at version {} does not satisfy the constraint {}",
            d.name, chart.metadata.version, d.version
        )));
    }
    Ok(())
}

/// Helm's `safeDeleteDep`: removes `charts/<name>-*.tgz` archives that really are chart
/// `name`.
fn delete_outdated(name: &str, charts: &Path) -> Result<(), DependencyError> {
    let entries = std::fs::read_dir(charts).map_err(io("read directory", charts))?;
    for e in entries {
        let path = e.map_err(io("read directory", charts))?.path();
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        if !(file.starts_with(&format!("{name}-")) && file.ends_with(".tgz") && path.is_file()) {
            continue;
        }
        match rudder_chart::loader::load_file(&path, &rudder_chart::loader::LoadOptions::default())
        {
            Ok(c) if c.metadata.name == name => {
                std::fs::remove_file(&path).map_err(io("remove", &path))?;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(
                "could not verify {} for deletion: {e} (skipping)",
                path.display()
            ),
        }
    }
    Ok(())
}

fn load_chart_dir(dir: &Path) -> Result<rudder_chart::Chart, DependencyError> {
    if !dir.is_dir() {
        return Err(DependencyError::NotADirectory(dir.to_path_buf()));
    }
    Ok(rudder_chart::loader::load_dir(
        dir,
        &rudder_chart::loader::LoadOptions::default(),
    )?)
}

fn lock_file_name(chart: &rudder_chart::Chart) -> &'static str {
    if chart.metadata.api_version == rudder_chart::ApiVersion::V1 {
        "requirements.lock"
    } else {
        "Chart.lock"
    }
}

/// `dependency update`: resolves every dependency to the newest satisfying version,
/// downloads them into `charts/` and writes Chart.lock (unless its digest is unchanged).
pub async fn update(
    opts: &DependencyOptions,
    on_message: &(dyn Fn(&str) + Sync),
) -> Result<DependencyOutput, DependencyError> {
    let chart = load_chart_dir(&opts.chart_dir)?;
    let mut req = chart.metadata.dependencies.clone();
    if req.is_empty() {
        return Ok(DependencyOutput {
            lock: Lock {
                generated: rudder_repo::now_rfc3339(),
                digest: rudder_repo::lock::digest(&[], &[]),
                dependencies: Vec::new(),
            },
            lock_written: false,
            saved: Vec::new(),
        });
    }
    let file = RepositoriesFile::load(&opts.paths.repository_config).map_err(RepoOpError::from)?;
    let sources = classify(&mut req, &file, &opts.chart_dir)?;
    let indexes = load_indexes(&sources, opts, on_message).await?;
    let mut locked = resolve(&req, &sources, &indexes)?;
    let saved = download_all(&mut locked, &sources, &indexes, opts, on_message).await?;
    let digest = rudder_repo::lock::digest(&req, &locked);
    let lock = Lock {
        generated: rudder_repo::now_rfc3339(),
        digest,
        dependencies: locked,
    };
    let unchanged = chart.lock.as_ref().is_some_and(|l| l.digest == lock.digest);
    if !unchanged {
        let path = opts.chart_dir.join(lock_file_name(&chart));
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(DependencyError::Local(format!(
                "the {} file is a symlink",
                path.display()
            )));
        }
        rudder_repo::cache::write_atomic(
            &path,
            rudder_repo::lock::to_yaml(&lock).as_bytes(),
            0o644,
        )
        .map_err(RepoOpError::from)?;
    }
    Ok(DependencyOutput {
        lock,
        lock_written: !unchanged,
        saved,
    })
}

/// `dependency build`: downloads exactly the versions in Chart.lock (after checking that
/// the lock matches Chart.yaml); without a lock it is [`update`].
pub async fn build(
    opts: &DependencyOptions,
    on_message: &(dyn Fn(&str) + Sync),
) -> Result<DependencyOutput, DependencyError> {
    let chart = load_chart_dir(&opts.chart_dir)?;
    let Some(lock) = chart.lock.clone() else {
        return update(opts, on_message).await;
    };
    let mut req = chart.metadata.dependencies.clone();
    let file = RepositoriesFile::load(&opts.paths.repository_config).map_err(RepoOpError::from)?;
    classify(&mut req, &file, &opts.chart_dir)?;
    if rudder_repo::lock::digest(&req, &lock.dependencies) != lock.digest {
        return Err(DependencyError::LockOutOfSync(
            lock_file_name(&chart).into(),
        ));
    }
    let mut locked = lock.dependencies.clone();
    let sources = classify(&mut locked, &file, &opts.chart_dir)?;
    let indexes = load_indexes(&sources, opts, on_message).await?;
    let saved = download_all(&mut locked, &sources, &indexes, opts, on_message).await?;
    Ok(DependencyOutput {
        lock,
        lock_written: false,
        saved,
    })
}

/// The state of one dependency in `charts/` (Helm's `dependency list` statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyStatus {
    /// The dependency name.
    pub name: String,
    /// The declared version or constraint.
    pub version: String,
    /// The declared repository.
    pub repository: String,
    /// `ok`, `missing`, `wrong version`, `misnamed`, `too many matches`, `unpacked` or
    /// `invalid version`.
    pub status: String,
}

/// `dependency list`: each declared dependency and whether `charts/` satisfies it.
pub fn list(chart_dir: &Path) -> Result<Vec<DependencyStatus>, DependencyError> {
    let chart = rudder_chart::loader::load(chart_dir)?;
    let charts = chart_dir.join("charts");
    Ok(chart
        .metadata
        .dependencies
        .iter()
        .map(|d| DependencyStatus {
            name: d.name.clone(),
            version: d.version.clone(),
            repository: d.repository.clone(),
            status: status(d, &charts).to_string(),
        })
        .collect())
}

fn status(d: &Dependency, charts: &Path) -> &'static str {
    let satisfies = |version: &str| -> Option<bool> {
        let v = rudder_semver::Version::parse(version).ok()?;
        let c = rudder_semver::Constraints::parse(&d.version).ok()?;
        Some(c.check(&v))
    };
    let prefix = format!("{}-", d.name);
    let archives: Vec<PathBuf> = std::fs::read_dir(charts)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|f| f.to_str())
                        .is_some_and(|f| f.starts_with(&prefix) && f.ends_with(".tgz"))
                })
                .collect()
        })
        .unwrap_or_default();
    if archives.len() > 1 {
        return "too many matches";
    }
    if let Some(a) = archives.first() {
        return match rudder_chart::loader::load_file(
            a,
            &rudder_chart::loader::LoadOptions::default(),
        ) {
            Err(_) => "corrupt",
            Ok(c) if c.metadata.name != d.name => "misnamed",
            Ok(c) => match satisfies(&c.metadata.version) {
                None => "invalid version",
                Some(false) => "wrong version",
                Some(true) => "ok",
            },
        };
    }
    let dir = charts.join(&d.name);
    if dir.is_dir() {
        return match rudder_chart::loader::load_dir(
            &dir,
            &rudder_chart::loader::LoadOptions::default(),
        ) {
            Err(_) => "corrupt",
            Ok(c) if c.metadata.name != d.name => "misnamed",
            Ok(c) => match satisfies(&c.metadata.version) {
                None => "invalid version",
                Some(false) => "wrong version",
                Some(true) => "unpacked",
            },
        };
    }
    "missing"
}

/// Whether a chart directory lacks any of its declared dependencies in `charts/` (Helm's
/// `CheckDependencies`, used by `--dependency-update`).
pub fn missing_dependencies(chart_dir: &Path) -> Result<bool, DependencyError> {
    let chart = load_chart_dir(chart_dir)?;
    let present: Vec<&str> = chart.dependencies.iter().map(|c| c.name()).collect();
    Ok(chart
        .metadata
        .dependencies
        .iter()
        .any(|d| !present.contains(&d.name.as_str())))
}

impl From<RepoError> for DependencyError {
    fn from(e: RepoError) -> Self {
        DependencyError::Repo(RepoOpError::Repo(e))
    }
}
