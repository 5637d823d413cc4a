//! Classic chart repositories: `repo add/list/update/remove/index`, `search repo`, and
//! resolving `repo/chart` (or `--repo URL`, or `http(s)://…/chart.tgz`) references to a
//! verified archive in the content cache, as Helm 4's `LocateChart` does, for `template`,
//! `install`, `upgrade`, `show` and `pull`.
//!
//! Every path comes from the caller ([`RepoPaths`]); nothing here reads the environment or
//! prints. Chart bytes are only ever returned from the content cache after their sha256 was
//! checked against the index digest (when the index has one).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rudder_repo::http::{MAX_CHART_SIZE, MAX_INDEX_SIZE};
use rudder_repo::repofile::{cache_charts_file, cache_index_file};
use rudder_repo::urlutil::{is_http_url, resolve_reference};
use rudder_repo::{ContentCache, Digest, FetchOptions, Fetcher, IndexFile, RepositoriesFile};
pub use rudder_repo::{Credentials, RepoEntry, RepoError, TlsFiles};

/// Why a repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoOpError {
    /// `--verify` refused the chart (no provenance, unknown signer, bad signature, digest).
    #[error(transparent)]
    Verify(Box<crate::ActionError>),
    /// Fetching, parsing, caching or verifying failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// `repo add` was given a name with a `/`.
    #[error("repository name ({0}) contains '/', please specify a different name without '/'")]
    NameWithSlash(String),
    /// `repo add` with a name that is configured differently.
    #[error("repository name ({0}) already exists, please specify a different name")]
    NameTaken(String),
    /// The repository does not serve a valid index.
    #[error("looks like {url:?} is not a valid chart repository or cannot be reached")]
    NotARepository {
        /// The repository URL.
        url: String,
        /// Why.
        #[source]
        source: RepoError,
    },
    /// No repository of that name is configured.
    #[error("no repo named {0:?} found")]
    UnknownRepo(String),
    /// `repo update NAME…` named repositories that are not configured.
    #[error("no repositories found matching '{0}'. Nothing will be updated")]
    NoMatchingRepos(String),
    /// No repositories are configured.
    #[error("no repositories configured")]
    NoRepositories,
    /// The repository's index was never downloaded.
    #[error("no cached repo found for {name:?}. (try 'rudder repo update')")]
    NotCached {
        /// The repository.
        name: String,
        /// Why it could not be read.
        #[source]
        source: RepoError,
    },
    /// The chart was not found in the repository index.
    #[error("{source}. (try 'rudder repo update')")]
    NotInIndex {
        /// What the lookup said.
        source: RepoError,
    },
    /// The index entry has no URL to download from.
    #[error("chart {0:?} has no downloadable URLs")]
    NoUrls(String),
    /// The reference is neither `repo/chart` nor a URL.
    #[error("non-absolute URLs should be in form of repo_name/path_to_chart, got: {0}")]
    BadReference(String),
    /// A path-like reference does not exist.
    #[error("path {0:?} not found")]
    PathNotFound(String),
    /// `--regexp` search with an invalid expression.
    #[error("invalid regular expression {pattern:?}: {message}")]
    Regexp {
        /// The expression.
        pattern: String,
        /// What is wrong.
        message: String,
    },
    /// `pull --untar` target exists.
    #[error("failed to untar: a file or directory with the name {0} already exists")]
    UntarExists(PathBuf),
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
    /// The downloaded chart could not be loaded.
    #[error(transparent)]
    Chart(#[from] rudder_chart::LoadError),
}

/// Where repository state lives (`--repository-config`, `--repository-cache`,
/// `--content-cache`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoPaths {
    /// `repositories.yaml`.
    pub repository_config: PathBuf,
    /// Directory of the downloaded indexes (`<name>-index.yaml`).
    pub repository_cache: PathBuf,
    /// Root of the content-addressed chart cache.
    pub content_cache: PathBuf,
}

/// Connection settings given on the command line (credentials, TLS, timeout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Basic auth.
    pub credentials: Option<Credentials>,
    /// Send the credentials to every host.
    pub pass_credentials_all: bool,
    /// TLS files and switches.
    pub tls: TlsFiles,
    /// Per-request timeout (`None`: 120 s).
    pub timeout: Option<Duration>,
}

impl Connection {
    fn fetch_options(&self) -> FetchOptions {
        FetchOptions {
            credentials: self.credentials.clone(),
            pass_credentials_all: self.pass_credentials_all,
            tls: self.tls.clone(),
            timeout: self.timeout.unwrap_or(FetchOptions::default().timeout),
        }
    }

    /// The repository entry these settings describe.
    fn entry(&self, name: &str, url: &str) -> RepoEntry {
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let (username, password) = match &self.credentials {
            Some(c) => (c.username.clone(), c.password.clone()),
            None => (String::new(), String::new()),
        };
        RepoEntry {
            name: name.to_string(),
            url: url.to_string(),
            username,
            password,
            cert_file: path(&self.tls.cert_file),
            key_file: path(&self.tls.key_file),
            ca_file: path(&self.tls.ca_file),
            insecure_skip_tls_verify: self.tls.insecure_skip_tls_verify,
            pass_credentials_all: self.pass_credentials_all,
        }
    }
}

/// The fetch settings stored for a configured repository.
pub(crate) fn entry_fetch_options(e: &RepoEntry, timeout: Option<Duration>) -> FetchOptions {
    let opt = |s: &str| (!s.is_empty()).then(|| PathBuf::from(s));
    FetchOptions {
        credentials: (!e.username.is_empty() || !e.password.is_empty()).then(|| Credentials {
            username: e.username.clone(),
            password: e.password.clone(),
        }),
        pass_credentials_all: e.pass_credentials_all,
        tls: TlsFiles {
            ca_file: opt(&e.ca_file),
            cert_file: opt(&e.cert_file),
            key_file: opt(&e.key_file),
            insecure_skip_tls_verify: e.insecure_skip_tls_verify,
        },
        timeout: timeout.unwrap_or(FetchOptions::default().timeout),
    }
}

/// Downloads and validates a repository's `index.yaml`.
pub(crate) async fn fetch_index(
    url: &str,
    opts: &FetchOptions,
) -> Result<(Vec<u8>, IndexFile), RepoOpError> {
    let wrap = |source: RepoError| RepoOpError::NotARepository {
        url: url.to_string(),
        source,
    };
    let index_url = resolve_reference(url, "index.yaml").map_err(wrap)?;
    let fetcher = Fetcher::new(opts)?;
    let data = fetcher
        .get(&index_url, url, MAX_INDEX_SIZE)
        .await
        .map_err(wrap)?;
    let index = IndexFile::parse(&data, &index_url).map_err(wrap)?;
    Ok((data, index))
}

/// Downloads the index of `entry` into the repository cache (`<name>-index.yaml` as
/// served, and `<name>-charts.txt`), both written atomically after the index parsed.
pub async fn update_one(
    entry: &RepoEntry,
    cache_dir: &Path,
    timeout: Option<Duration>,
) -> Result<IndexFile, RepoOpError> {
    let (data, index) = fetch_index(&entry.url, &entry_fetch_options(entry, timeout)).await?;
    let mut names = String::new();
    for name in index.entries.keys() {
        names.push_str(name);
        names.push('\n');
    }
    rudder_repo::cache::write_atomic(
        &cache_charts_file(cache_dir, &entry.name),
        names.as_bytes(),
        0o644,
    )?;
    rudder_repo::cache::write_atomic(&cache_index_file(cache_dir, &entry.name), &data, 0o644)?;
    Ok(index)
}

/// Options of [`add`].
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// The repository name.
    pub name: String,
    /// The repository URL.
    pub url: String,
    /// Credentials and TLS settings stored with the repository.
    pub connection: Connection,
    /// Replace a repository of the same name configured differently.
    pub force_update: bool,
}

/// What [`add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// The repository was added (or replaced with `force_update`).
    Added,
    /// A repository with the same name and configuration exists; nothing changed.
    Unchanged,
}

/// `repo add`: checks that the URL serves a valid index, caches it, then records the
/// repository. Nothing is written when the index cannot be fetched.
pub async fn add(opts: &AddOptions, paths: &RepoPaths) -> Result<AddOutcome, RepoOpError> {
    if opts.name.contains('/') {
        return Err(RepoOpError::NameWithSlash(opts.name.clone()));
    }
    let mut file = RepositoriesFile::load(&paths.repository_config)?;
    let entry = opts.connection.entry(&opts.name, &opts.url);
    if let Some(existing) = file.get(&opts.name)
        && !opts.force_update
    {
        if *existing == entry {
            return Ok(AddOutcome::Unchanged);
        }
        return Err(RepoOpError::NameTaken(opts.name.clone()));
    }
    update_one(&entry, &paths.repository_cache, opts.connection.timeout).await?;
    file.update(entry);
    file.save(&paths.repository_config)?;
    Ok(AddOutcome::Added)
}

/// `repo list`: the configured repositories.
pub fn list(paths: &RepoPaths) -> Result<Vec<RepoEntry>, RepoOpError> {
    Ok(RepositoriesFile::load(&paths.repository_config)?.repositories)
}

/// The outcome of updating one repository.
#[derive(Debug)]
pub struct UpdateResult {
    /// The repository name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Whether its index was refreshed.
    pub result: Result<(), RepoOpError>,
}

/// `repo update [NAME…]`: refreshes the named repositories (all when none are named)
/// concurrently. Per-repository failures are reported in the results.
pub async fn update(
    names: &[String],
    paths: &RepoPaths,
    timeout: Option<Duration>,
) -> Result<Vec<UpdateResult>, RepoOpError> {
    let file = RepositoriesFile::load(&paths.repository_config)?;
    if file.repositories.is_empty() {
        return Err(RepoOpError::NoRepositories);
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| file.get(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(RepoOpError::NoMatchingRepos(unknown.join(", ")));
    }
    let selected: Vec<&RepoEntry> = file
        .repositories
        .iter()
        .filter(|r| names.is_empty() || names.contains(&r.name))
        .collect();
    let tasks = selected.iter().map(|entry| async move {
        UpdateResult {
            name: entry.name.clone(),
            url: entry.url.clone(),
            result: update_one(entry, &paths.repository_cache, timeout)
                .await
                .map(|_| ()),
        }
    });
    Ok(futures::future::join_all(tasks).await)
}

/// `repo remove NAME…`: forgets the repositories and deletes their cached index files.
pub fn remove(names: &[String], paths: &RepoPaths) -> Result<(), RepoOpError> {
    let mut file = RepositoriesFile::load(&paths.repository_config)?;
    for name in names {
        if !file.remove(name) {
            return Err(RepoOpError::UnknownRepo(name.clone()));
        }
    }
    file.save(&paths.repository_config)?;
    for name in names {
        for path in [
            cache_index_file(&paths.repository_cache, name),
            cache_charts_file(&paths.repository_cache, name),
        ] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(RepoOpError::Io {
                        action: "remove",
                        path,
                        source,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Options of [`index`].
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// The directory of chart archives.
    pub dir: PathBuf,
    /// Base URL of the charts (`--url`); URLs are relative when empty.
    pub url: String,
    /// An existing index whose entries are kept (`--merge`); created if missing.
    pub merge: Option<PathBuf>,
}

/// `repo index`: writes `<dir>/index.yaml` for the archives in `dir`.
pub fn index(opts: &IndexOptions) -> Result<PathBuf, RepoOpError> {
    let out = opts.dir.join("index.yaml");
    let mut index = rudder_repo::index::index_directory(&opts.dir, &opts.url)?;
    if let Some(merge) = &opts.merge {
        let other = if merge.exists() {
            IndexFile::load(merge)?
        } else {
            let empty = IndexFile::new();
            empty.write(merge)?;
            empty
        };
        index.merge(&other);
    }
    index.sort_entries();
    index.write(&out)?;
    Ok(out)
}

/// Options of [`search`].
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Search terms (joined with spaces); every chart when empty.
    pub keyword: String,
    /// Treat the keyword as a regular expression.
    pub regexp: bool,
    /// Version constraint; Helm's default is stable versions only.
    pub version: Option<String>,
    /// List every matching version, not only the newest.
    pub versions: bool,
    /// Include prereleases (when no version is given).
    pub devel: bool,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// `repo/chart`.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// App version.
    pub app_version: String,
    /// Description.
    pub description: String,
    score: usize,
}

/// What [`search`] found, and the repositories whose index could not be read.
#[derive(Debug, Clone, Default)]
pub struct SearchOutput {
    /// Matches, best first.
    pub hits: Vec<SearchHit>,
    /// Repositories skipped because their cached index is missing or corrupt.
    pub unreadable: Vec<String>,
}

/// Separator of the searched fields (Helm's `\v`): a match's score is how many fields
/// precede it (name, repo/name, description, keywords).
const SEP: char = '\u{b}';

/// `search repo`: Helm's search over the cached indexes of every configured repository.
pub fn search(opts: &SearchOptions, paths: &RepoPaths) -> Result<SearchOutput, RepoOpError> {
    let file = RepositoriesFile::load(&paths.repository_config)?;
    if file.repositories.is_empty() {
        return Err(RepoOpError::NoRepositories);
    }
    let version = match &opts.version {
        Some(v) if !v.is_empty() => v.clone(),
        _ if opts.devel => ">0.0.0-0".to_string(),
        _ => ">0.0.0".to_string(),
    };
    let constraint =
        rudder_semver::Constraints::parse(&version).map_err(|e| RepoError::Constraint {
            constraint: version.clone(),
            message: e.to_string(),
        })?;
    let regex = if opts.regexp {
        Some(
            regex::Regex::new(&opts.keyword).map_err(|e| RepoOpError::Regexp {
                pattern: opts.keyword.clone(),
                message: e.to_string(),
            })?,
        )
    } else {
        None
    };
    let term = opts.keyword.to_lowercase();
    let mut out = SearchOutput::default();
    for repo in &file.repositories {
        let index = match IndexFile::load(&cache_index_file(&paths.repository_cache, &repo.name)) {
            Ok(i) => i,
            Err(e) => {
                tracing::debug!("repository {}: {e}", repo.name);
                out.unreadable.push(repo.name.clone());
                continue;
            }
        };
        for (name, versions) in &index.entries {
            for cv in versions {
                let full = format!("{}/{}", repo.name, name);
                let line = format!(
                    "{}{SEP}{}/{}{SEP}{}{SEP}{}",
                    cv.name(),
                    repo.name,
                    cv.name(),
                    cv.description(),
                    cv.keywords().join(" ")
                );
                let (found, shown) = if opts.keyword.is_empty() {
                    (Some(0), full)
                } else if let Some(re) = &regex {
                    (re.find(&line).map(|m| m.start()), full)
                } else {
                    // Helm matches and names literal results in lower case.
                    (line.to_lowercase().find(&term), full.to_lowercase())
                };
                let Some(at) = found else { continue };
                let score = line[..at.min(line.len())].matches(SEP).count();
                out.hits.push(SearchHit {
                    name: shown,
                    version: cv.version().to_string(),
                    app_version: cv.app_version().to_string(),
                    description: cv.description().to_string(),
                    score,
                });
            }
        }
    }
    out.hits.sort_by(|a, b| {
        a.score.cmp(&b.score).then_with(|| {
            if a.name == b.name {
                let va = rudder_semver::Version::parse(&a.version).ok();
                let vb = rudder_semver::Version::parse(&b.version).ok();
                match (va, vb) {
                    (Some(x), Some(y)) => y.compare(&x),
                    _ => std::cmp::Ordering::Equal,
                }
            } else {
                a.name.cmp(&b.name)
            }
        })
    });
    let mut seen = std::collections::HashSet::new();
    out.hits.retain(|h| {
        if !opts.versions && seen.contains(&h.name) {
            return false;
        }
        let ok = rudder_semver::Version::parse(&h.version).is_ok_and(|v| constraint.check(&v));
        if ok {
            seen.insert(h.name.clone());
        }
        ok
    });
    Ok(out)
}

/// How to find a chart in a repository (`--version`, `--devel`, `--repo` and the
/// connection flags).
#[derive(Debug, Clone, Default)]
pub struct LocateOptions {
    /// Exact version or Masterminds constraint; the newest release when `None`.
    pub version: Option<String>,
    /// Consider prereleases when no version is given.
    pub devel: bool,
    /// Look the chart name up in this repository URL instead of a configured repository.
    pub repo_url: Option<String>,
    /// Credentials and TLS settings for `repo_url` and direct URLs.
    pub connection: Connection,
    /// Also download the chart's provenance (`<archive URL>.prov`, as Helm), for `--prov`.
    /// Its absence is then an error.
    pub provenance: bool,
    /// Verify the archive against its provenance (downloaded for it) before the chart is
    /// handed out (`--verify`).
    pub verify: Option<crate::verify::VerifyOptions>,
}

/// Whether `reference` is for this module rather than a local path or another scheme:
/// an `http(s)://` URL, a chart name with `repo_url`, or `repo/chart` that is not an
/// existing path. Existing paths always win, as in Helm.
pub fn is_repo_reference(reference: &str, repo_url: Option<&str>) -> bool {
    if reference.starts_with("oci://") {
        return false;
    }
    if is_http_url(reference) {
        return true;
    }
    if reference.contains("://") || Path::new(reference).exists() {
        return false;
    }
    repo_url.is_some_and(|u| !u.is_empty())
        || (reference.contains('/') && !reference.starts_with('/') && !reference.starts_with('.'))
}

/// A chart found in a repository and stored in the content cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedChart {
    /// The verified archive in the content cache.
    pub path: PathBuf,
    /// The URL it was downloaded from.
    pub url: String,
    /// The file name Helm gives the archive (`<chart>-<version>.tgz`, from the URL).
    pub file_name: String,
    /// The chart version from the index (empty for a direct URL).
    pub version: String,
    /// The content digest.
    pub digest: Digest,
    /// The provenance file, when [`LocateOptions::provenance`] or `verify` asked for it.
    pub provenance: Option<Vec<u8>>,
    /// What [`LocateOptions::verify`] established.
    pub verification: Option<crate::verify::ChartVerification>,
}

/// Resolves a repository reference to a verified archive in the content cache: a cached
/// copy is used when the index gives a digest and the cached file still hashes to it;
/// otherwise the archive is downloaded, checked against the index digest, and stored.
pub async fn locate_chart(
    reference: &str,
    opts: &LocateOptions,
    paths: &RepoPaths,
) -> Result<LocatedChart, RepoOpError> {
    let version = match &opts.version {
        Some(v) if !v.is_empty() => v.clone(),
        _ if opts.devel => ">0.0.0-0".to_string(),
        _ => String::new(),
    };
    // (download URL, repository URL for the credential rule, fetch options, digest, version)
    let (url, owner, fetch, digest, found_version) =
        if let Some(repo_url) = opts.repo_url.as_deref().filter(|u| !u.is_empty()) {
            let fetch = opts.connection.fetch_options();
            let (_, index) = fetch_index(repo_url, &fetch).await?;
            let cv = index
                .get(reference, &version, repo_url)
                .map_err(|source| RepoOpError::NotInIndex { source })?;
            let first = cv
                .urls
                .first()
                .ok_or_else(|| RepoOpError::NoUrls(reference.to_string()))?;
            (
                resolve_reference(repo_url, first)?,
                repo_url.to_string(),
                fetch,
                cv.digest.clone(),
                cv.version().to_string(),
            )
        } else if is_http_url(reference) {
            let file = RepositoriesFile::load(&paths.repository_config)?;
            // Use a configured repository's credentials and TLS settings when the URL is in it.
            match file.repositories.iter().find(|r| {
                reference
                    .strip_prefix(r.url.trim_end_matches('/'))
                    .is_some_and(|rest| rest.starts_with('/'))
            }) {
                Some(entry) => (
                    reference.to_string(),
                    entry.url.clone(),
                    entry_fetch_options(entry, opts.connection.timeout),
                    String::new(),
                    String::new(),
                ),
                None => (
                    reference.to_string(),
                    reference.to_string(),
                    opts.connection.fetch_options(),
                    String::new(),
                    String::new(),
                ),
            }
        } else {
            if reference.starts_with('/') || reference.starts_with('.') {
                return Err(RepoOpError::PathNotFound(reference.to_string()));
            }
            let Some((repo_name, chart)) = reference.split_once('/') else {
                return Err(RepoOpError::BadReference(reference.to_string()));
            };
            let file = RepositoriesFile::load(&paths.repository_config)?;
            let entry = file
                .get(repo_name)
                .ok_or_else(|| RepoOpError::UnknownRepo(repo_name.to_string()))?;
            let index = IndexFile::load(&cache_index_file(&paths.repository_cache, repo_name))
                .map_err(|source| RepoOpError::NotCached {
                    name: repo_name.to_string(),
                    source,
                })?;
            let cv = index
                .get(chart, &version, repo_name)
                .map_err(|source| RepoOpError::NotInIndex { source })?;
            let first = cv
                .urls
                .first()
                .ok_or_else(|| RepoOpError::NoUrls(reference.to_string()))?;
            (
                resolve_reference(&entry.url, first)?,
                entry.url.clone(),
                entry_fetch_options(entry, opts.connection.timeout),
                cv.digest.clone(),
                cv.version().to_string(),
            )
        };
    let expected = if digest.is_empty() {
        None
    } else {
        Some(Digest::parse(&digest)?)
    };
    let (path, digest) = fetch_to_cache(&url, &owner, &fetch, expected.as_ref(), paths).await?;
    let provenance = if opts.provenance || opts.verify.is_some() {
        let prov_url = match url.split_once(['?', '#']) {
            Some((base, rest)) => {
                let sep = &url[base.len()..=base.len()];
                format!("{base}.prov{sep}{rest}")
            }
            None => format!("{url}.prov"),
        };
        Some(
            Fetcher::new(&fetch)?
                .get(&prov_url, &owner, MAX_PROVENANCE_SIZE)
                .await?,
        )
    } else {
        None
    };
    let file_name = url
        .split(['?', '#'])
        .next()
        .unwrap_or(&url)
        .rsplit('/')
        .next()
        .unwrap_or("chart.tgz")
        .to_string();
    let verification = match &opts.verify {
        Some(verify) => {
            let data = read_cached(&paths.content_cache, &digest, &path)?;
            Some(
                crate::verify::verify_chart_bytes(
                    &data,
                    &file_name,
                    provenance.as_deref(),
                    reference,
                    verify,
                )
                .map_err(|e| RepoOpError::Verify(Box::new(e)))?,
            )
        }
        None => None,
    };
    Ok(LocatedChart {
        path,
        url,
        file_name,
        version: found_version,
        digest,
        provenance,
        verification,
    })
}

/// The archive with `digest` from the content cache, its digest checked on the read.
fn read_cached(content_cache: &Path, digest: &Digest, path: &Path) -> Result<Vec<u8>, RepoOpError> {
    ContentCache::new(content_cache)
        .get_chart(digest)?
        .map(|(_, d)| d)
        .ok_or_else(|| RepoOpError::Io {
            action: "read",
            path: path.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })
}

/// Returns the archive at `url` from the content cache, downloading it when it is not
/// cached (or when no digest is known). A digest mismatch writes nothing.
pub(crate) async fn fetch_to_cache(
    url: &str,
    owner: &str,
    fetch: &FetchOptions,
    expected: Option<&Digest>,
    paths: &RepoPaths,
) -> Result<(PathBuf, Digest), RepoOpError> {
    let cache = ContentCache::new(&paths.content_cache);
    if let Some(d) = expected
        && let Some((path, _)) = cache.get_chart(d)?
    {
        return Ok((path, *d));
    }
    let data = Fetcher::new(fetch)?.get(url, owner, MAX_CHART_SIZE).await?;
    let (digest, path) = cache.put_chart(&data, expected, url)?;
    Ok((path, digest))
}

/// [`locate_chart`] for synchronous callers (the CLI's chart-reference hook).
pub fn locate_chart_blocking(
    reference: &str,
    opts: &LocateOptions,
    paths: &RepoPaths,
) -> Result<LocatedChart, RepoOpError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|source| RepoOpError::Io {
                        action: "start the async runtime for",
                        path: PathBuf::from(reference),
                        source,
                    })?;
                runtime.block_on(locate_chart(reference, opts, paths))
            })
            .join()
            .unwrap_or_else(|_| Err(RepoOpError::BadReference(reference.to_string())))
    })
}

/// Largest provenance file accepted (a `.prov` is a few KiB).
const MAX_PROVENANCE_SIZE: u64 = 1 << 20;

/// Options of [`pull`].
#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// Directory the archive is written to.
    pub destination: PathBuf,
    /// Unpack instead of keeping the archive.
    pub untar: bool,
    /// Where to unpack, relative to `destination` unless absolute.
    pub untar_dir: PathBuf,
    /// Verify the chart against its provenance before writing anything (`--verify`); the
    /// `.prov` is then written beside the archive too.
    pub verify: Option<crate::verify::VerifyOptions>,
    /// Also write the provenance file beside the archive, unverified (`--prov`).
    pub prov: bool,
}

/// What [`pull`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOutput {
    /// The archive written, or the directory unpacked.
    pub path: PathBuf,
    /// What `--verify` established.
    pub verification: Option<crate::verify::ChartVerification>,
}

/// `pull repo/chart`: copies the verified archive from the content cache into the
/// destination (atomically), or unpacks it. With `verify`, nothing is written unless the
/// provenance verifies.
pub async fn pull(
    reference: &str,
    locate: &LocateOptions,
    pull: &PullOptions,
    paths: &RepoPaths,
) -> Result<PullOutput, RepoOpError> {
    let locate = LocateOptions {
        provenance: locate.provenance || pull.prov,
        verify: pull.verify.clone().or_else(|| locate.verify.clone()),
        ..locate.clone()
    };
    let located = locate_chart(reference, &locate, paths).await?;
    let verification = located.verification.clone();
    let data = read_cached(&paths.content_cache, &located.digest, &located.path)?;
    let written = if pull.untar {
        // The chart's own name (the archive's top directory), checked by loading it.
        let chart = rudder_chart::loader::load_archive(
            data.as_slice(),
            &located.file_name,
            &rudder_chart::loader::LoadOptions::default(),
        )?;
        let parent = crate::pulled::untar_parent(&pull.destination, &pull.untar_dir);
        crate::pulled::untar(&data, chart.name(), &parent)
    } else {
        crate::pulled::write_archive(
            &pull.destination,
            &located.file_name,
            &data,
            located.provenance.as_deref(),
        )
    };
    let target = written.map_err(|e| match e {
        crate::pulled::WriteError::Exists(target) => RepoOpError::UntarExists(target),
        crate::pulled::WriteError::Io {
            action,
            path,
            source,
        } => RepoOpError::Io {
            action,
            path,
            source,
        },
        crate::pulled::WriteError::Write(e) => RepoOpError::Repo(e),
    })?;
    Ok(PullOutput {
        path: target,
        verification,
    })
}

/// `value` as Helm's `-o yaml` writes it (`sigs.k8s.io/yaml`: keys sorted, go-yaml v2's
/// quoting and layout).
pub fn helm_yaml(value: &serde_json::Value) -> String {
    rudder_values::goyaml::to_string(&rudder_values::goyaml::Node::from_json(value))
}
