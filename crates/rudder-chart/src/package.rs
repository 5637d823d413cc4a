//! Reproducible chart packaging, byte-compatible with Helm 4.
//!
//! `helm package` (Helm 4.1.4, `pkg/chart/v2/util/save.go`, PR #31323) writes the tar
//! stream this module writes:
//!
//! * entries, in order: `<name>/Chart.yaml` (re-serialised from the metadata, keys
//!   sorted; v1 charts without `dependencies`), `<name>/Chart.lock` (v2 and v3, re-serialised,
//!   its mtime is the lock's `generated` time), `values.yaml` and `values.schema.json` as
//!   they were, every template, every other file, then each subchart the same way under
//!   `<name>/charts/<subchart name>/` (nested `.tgz` subcharts are written expanded);
//! * no directory entries; every header is a regular file with mode `0644`, uid/gid 0,
//!   empty user and group names, and the source file's mtime rounded to the second;
//! * USTAR headers (long ASCII names split into prefix/name), or a PAX `path` record
//!   when a name is not ASCII or cannot be split, as Go's `archive/tar` chooses;
//! * the stream ends with two zero blocks, and is gzip-compressed with Helm's header
//!   (mtime 0, OS 255, Helm's `extra` field and the comment `Helm`).
//!
//! The deflate stream itself comes from a different compressor than Go's, so the `.tgz`
//! bytes differ from Helm's while the tar streams inside are identical; the same input
//! always gives the same bytes. A file without an mtime (built in memory) gets the Unix
//! epoch, where Helm would use the current time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::{Compression, GzBuilder};

use crate::error::PackageError;
use crate::loader::{LoadOptions, load_dir, validate_metadata};
use crate::model::{ApiVersion, Chart, Dependency, Lock, Metadata};
use crate::version::{is_lenient_semver, is_strict_semver};
use rudder_values::goyaml::{self, Node};

/// Helm's gzip `extra` header field, written verbatim into every chart archive.
const GZIP_EXTRA: &[u8] = b"+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=";
/// Helm's gzip comment.
const GZIP_COMMENT: &[u8] = b"Helm";

/// Options of [`package`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PackageOptions {
    /// Replaces the chart version (`--version`).
    pub version: Option<String>,
    /// Replaces the app version (`--app-version`).
    pub app_version: Option<String>,
    /// Limits used to load the chart directory.
    pub load: LoadOptions,
}

impl PackageOptions {
    /// Options with a version override.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Options with an app version override.
    pub fn with_app_version(mut self, app_version: impl Into<String>) -> Self {
        self.app_version = Some(app_version.into());
        self
    }
}

/// Packages the chart directory `chart_dir` into `dest_dir/<name>-<version>.tgz` and
/// returns that path. Dependencies declared in Chart.yaml must be present in `charts/`.
pub fn package(
    chart_dir: impl AsRef<Path>,
    dest_dir: impl AsRef<Path>,
    opts: &PackageOptions,
) -> Result<PathBuf, PackageError> {
    let mut chart = load_dir(chart_dir, &opts.load)?;
    if let Some(v) = &opts.version {
        chart.metadata.version = v.clone();
    }
    if let Some(v) = &opts.app_version {
        chart.metadata.app_version = v.clone();
    }
    check_version(&chart.metadata)?;
    let missing: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !chart.dependencies.iter().any(|c| c.metadata.name == d.name))
        .map(|d| d.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(PackageError::MissingDependencies {
            chart: chart.metadata.name.clone(),
            missing,
        });
    }
    package_chart(&chart, dest_dir)
}

fn check_version(md: &Metadata) -> Result<(), PackageError> {
    let invalid = |reason| PackageError::InvalidVersion {
        chart: md.name.clone(),
        version: md.version.clone(),
        reason,
    };
    if !is_lenient_semver(&md.version) {
        return Err(invalid("not a semantic version"));
    }
    if md.api_version == ApiVersion::V3 && !is_strict_semver(&md.version) {
        return Err(invalid("apiVersion v3 requires strict SemVer 2"));
    }
    Ok(())
}

/// Writes a loaded chart to `dest_dir/<name>-<version>.tgz` (atomically: a temporary file
/// in `dest_dir` is renamed into place) and returns that path.
pub fn package_chart(chart: &Chart, dest_dir: impl AsRef<Path>) -> Result<PathBuf, PackageError> {
    let md = &chart.metadata;
    validate_name(&md.name)?;
    validate_metadata(md, &format!("{}/Chart.yaml", md.name))?;
    let dest_dir = dest_dir.as_ref();
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Write { path, source }
    };
    std::fs::create_dir_all(dest_dir).map_err(write_err(dest_dir))?;
    let file_name = format!("{}-{}.tgz", md.name, md.version);
    let dest = dest_dir.join(&file_name);
    let tmp = dest_dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let f = std::fs::File::create(&tmp).map_err(write_err(&tmp))?;
        let mut w = std::io::BufWriter::new(f);
        write_archive(chart, &mut w).map_err(|e| match e {
            WriteError::Io(source) => PackageError::Write {
                path: dest.clone(),
                source,
            },
            WriteError::Package(p) => p,
        })?;
        let f = w.into_inner().map_err(|e| PackageError::Write {
            path: dest.clone(),
            source: e.into_error(),
        })?;
        f.sync_all().map_err(write_err(&dest))?;
        std::fs::rename(&tmp, &dest).map_err(write_err(&dest))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| dest)
}

enum WriteError {
    Io(std::io::Error),
    Package(PackageError),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

impl From<PackageError> for WriteError {
    fn from(e: PackageError) -> Self {
        WriteError::Package(e)
    }
}

/// Writes the gzip-compressed archive of `chart` to `out`.
fn write_archive(chart: &Chart, out: &mut impl Write) -> Result<(), WriteError> {
    let mut gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .extra(GZIP_EXTRA.to_vec())
        .comment(GZIP_COMMENT.to_vec())
        .write(out, Compression::default());
    let mut tar = TarWriter { out: &mut gz };
    write_chart(&mut tar, chart, "")?;
    tar.finish()?;
    gz.try_finish()?;
    Ok(())
}

/// The uncompressed tar stream Helm would write for `chart` (for tests and comparisons).
pub fn tar_stream(chart: &Chart) -> Result<Vec<u8>, PackageError> {
    let mut buf = Vec::new();
    let mut tar = TarWriter { out: &mut buf };
    let r = write_chart(&mut tar, chart, "").and_then(|()| tar.finish().map_err(WriteError::Io));
    match r {
        Ok(()) => Ok(buf),
        Err(WriteError::Package(p)) => Err(p),
        // Writing to a Vec cannot fail.
        Err(WriteError::Io(source)) => Err(PackageError::Write {
            path: PathBuf::new(),
            source,
        }),
    }
}

fn validate_name(name: &str) -> Result<(), PackageError> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\\') {
        return Err(PackageError::InvalidName {
            name: name.to_string(),
        });
    }
    Ok(())
}

fn write_chart<W: Write>(
    tar: &mut TarWriter<W>,
    chart: &Chart,
    prefix: &str,
) -> Result<(), WriteError> {
    let md = &chart.metadata;
    validate_name(&md.name)?;
    let base = if prefix.is_empty() {
        md.name.clone()
    } else {
        format!("{prefix}/{}", md.name)
    };
    // v1 charts keep their dependencies in requirements.yaml (packaged as a file).
    let chart_yaml = goyaml::to_string(&metadata_node(md, md.api_version != ApiVersion::V1));
    tar.file(
        &format!("{base}/Chart.yaml"),
        chart_yaml.as_bytes(),
        chart.modified.chart_yaml,
    )?;
    if md.api_version != ApiVersion::V1
        && let Some(lock) = &chart.lock
    {
        let text = goyaml::to_string(&lock_node(lock));
        tar.file(
            &format!("{base}/Chart.lock"),
            text.as_bytes(),
            parse_rfc3339(&lock.generated),
        )?;
    }
    if let Some(raw) = &chart.raw_values {
        tar.file(&format!("{base}/values.yaml"), raw, chart.modified.values)?;
    }
    if let Some(schema) = &chart.schema {
        if serde_json::from_slice::<serde::de::IgnoredAny>(schema).is_err() {
            return Err(PackageError::Serialise {
                chart: md.name.clone(),
                file: "values.schema.json",
                message: "invalid JSON".into(),
            }
            .into());
        }
        tar.file(
            &format!("{base}/values.schema.json"),
            schema,
            chart.modified.schema,
        )?;
    }
    for f in chart.templates.iter().chain(&chart.files) {
        tar.file(&format!("{base}/{}", f.name), &f.data, f.modified)?;
    }
    for dep in &chart.dependencies {
        write_chart(tar, dep, &format!("{base}/charts"))?;
    }
    Ok(())
}

fn str_entry(out: &mut Vec<(String, Node)>, key: &str, v: &str) {
    if !v.is_empty() {
        out.push((key.into(), Node::Str(v.into())));
    }
}

fn list_entry(out: &mut Vec<(String, Node)>, key: &str, v: &[String]) {
    if !v.is_empty() {
        out.push((
            key.into(),
            Node::Seq(v.iter().map(|s| Node::Str(s.clone())).collect()),
        ));
    }
}

/// The metadata as YAML, exactly as Helm prints it for `helm show chart` (and writes it,
/// minus a v1 chart's dependencies, into a packaged Chart.yaml): keys sorted, empty fields
/// left out, go-yaml's quoting and folding.
pub fn metadata_yaml(md: &Metadata) -> String {
    goyaml::to_string(&metadata_node(md, true))
}

/// Chart.yaml as Helm marshals `chart.Metadata` (JSON tags, `omitempty`).
fn metadata_node(md: &Metadata, with_dependencies: bool) -> Node {
    let mut m = Vec::new();
    str_entry(&mut m, "name", &md.name);
    str_entry(&mut m, "home", &md.home);
    list_entry(&mut m, "sources", &md.sources);
    str_entry(&mut m, "version", &md.version);
    str_entry(&mut m, "description", &md.description);
    list_entry(&mut m, "keywords", &md.keywords);
    if !md.maintainers.is_empty() {
        let items = md
            .maintainers
            .iter()
            .map(|mt| {
                let mut e = Vec::new();
                str_entry(&mut e, "name", &mt.name);
                str_entry(&mut e, "email", &mt.email);
                str_entry(&mut e, "url", &mt.url);
                Node::Map(e)
            })
            .collect();
        m.push(("maintainers".into(), Node::Seq(items)));
    }
    str_entry(&mut m, "icon", &md.icon);
    str_entry(&mut m, "apiVersion", md.api_version.as_str());
    str_entry(&mut m, "condition", &md.condition);
    str_entry(&mut m, "tags", &md.tags);
    str_entry(&mut m, "appVersion", &md.app_version);
    if md.deprecated {
        m.push(("deprecated".into(), Node::Bool(true)));
    }
    if !md.annotations.is_empty() {
        let a = md
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), Node::Str(v.clone())))
            .collect();
        m.push(("annotations".into(), Node::Map(a)));
    }
    str_entry(&mut m, "kubeVersion", &md.kube_version);
    if with_dependencies && !md.dependencies.is_empty() {
        m.push((
            "dependencies".into(),
            Node::Seq(md.dependencies.iter().map(dependency_node).collect()),
        ));
    }
    if md.type_explicit || md.chart_type != crate::model::ChartType::Application {
        let t = match md.chart_type {
            crate::model::ChartType::Application => "application",
            crate::model::ChartType::Library => "library",
        };
        m.push(("type".into(), Node::Str(t.into())));
    }
    Node::Map(m)
}

fn dependency_node(d: &Dependency) -> Node {
    let mut m = vec![("name".to_string(), Node::Str(d.name.clone()))];
    str_entry(&mut m, "version", &d.version);
    m.push(("repository".into(), Node::Str(d.repository.clone())));
    str_entry(&mut m, "condition", &d.condition);
    list_entry(&mut m, "tags", &d.tags);
    if d.enabled {
        m.push(("enabled".into(), Node::Bool(true)));
    }
    if !d.import_values.is_empty() {
        m.push((
            "import-values".into(),
            Node::Seq(d.import_values.iter().map(Node::from_json).collect()),
        ));
    }
    str_entry(&mut m, "alias", &d.alias);
    Node::Map(m)
}

fn lock_node(lock: &Lock) -> Node {
    Node::Map(vec![
        (
            "generated".into(),
            Node::Str(normalize_rfc3339(&lock.generated)),
        ),
        ("digest".into(), Node::Str(lock.digest.clone())),
        (
            "dependencies".into(),
            Node::Seq(lock.dependencies.iter().map(dependency_node).collect()),
        ),
    ])
}

/// Go's `time.Time` JSON form (RFC 3339 with trailing fractional zeros removed, `Z` for
/// UTC). Unparseable input is written as it was.
fn normalize_rfc3339(s: &str) -> String {
    let Some((date, time)) = s.split_once(['T', 't']) else {
        return s.to_string();
    };
    let zone_at = time.find(['Z', 'z', '+', '-']);
    let (clock, zone) = match zone_at {
        Some(i) => (&time[..i], &time[i..]),
        None => return s.to_string(),
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, f.trim_end_matches('0')),
        None => (clock, ""),
    };
    let zone = if zone.eq_ignore_ascii_case("z") || zone == "+00:00" {
        "Z"
    } else {
        zone
    };
    if frac.is_empty() {
        format!("{date}T{hms}{zone}")
    } else {
        format!("{date}T{hms}.{frac}{zone}")
    }
}

/// Parses an RFC 3339 timestamp (as in Chart.lock's `generated`).
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let (date, time) = s.split_once(['T', 't'])?;
    let mut d = date.splitn(3, '-');
    let y: i64 = d.next()?.parse().ok()?;
    let mo: i64 = d.next()?.parse().ok()?;
    let da: i64 = d.next()?.parse().ok()?;
    let zi = time.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = (&time[..zi], &time[zi..]);
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let se: i64 = t.next()?.parse().ok()?;
    let offset = if zone.eq_ignore_ascii_case("z") {
        0
    } else {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (oh, om) = zone[1..].split_once(':')?;
        sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
    };
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        let f: String = frac.chars().take(9).collect();
        format!("{f:0<9}").parse().ok()?
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Go's `archive/tar` writer for regular files, with the header choices Go makes.
struct TarWriter<'a, W: Write> {
    out: &'a mut W,
}

const BLOCK: usize = 512;

fn put_str(block: &mut [u8], at: usize, len: usize, s: &[u8]) {
    let n = s.len().min(len);
    block[at..at + n].copy_from_slice(&s[..n]);
}

fn put_octal(block: &mut [u8], at: usize, len: usize, v: u64) {
    let s = format!("{v:0width$o}", width = len - 1);
    let s = if s.len() > len - 1 {
        "0".repeat(len - 1)
    } else {
        s
    };
    put_str(block, at, len - 1, s.as_bytes());
    block[at + len - 1] = 0;
}

fn set_checksum(block: &mut [u8; BLOCK]) {
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u64::from(b' ')
            } else {
                u64::from(b)
            }
        })
        .sum();
    put_octal(block, 148, 7, sum);
    block[155] = b' ';
}

/// Go's `splitUSTARPath`.
fn split_ustar(name: &str) -> Option<(&str, &str)> {
    let len = name.len();
    if len <= 100 || !name.is_ascii() {
        return None;
    }
    let mut length = len;
    if length > 156 {
        length = 156;
    } else if name.as_bytes()[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].rfind('/')?;
    let nlen = len - i - 1;
    if i == 0 || nlen > 100 || nlen == 0 || i > 155 {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

fn to_ascii(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii() && *c != '\0').collect()
}

fn rounded_secs(t: Option<SystemTime>) -> u64 {
    let d = t
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    d.as_secs() + u64::from(d.subsec_nanos() >= 500_000_000)
}

impl<W: Write> TarWriter<'_, W> {
    fn header(name: &[u8], size: u64, mtime: u64, mode: u64, flag: u8, devs: bool) -> [u8; BLOCK] {
        let mut b = [0u8; BLOCK];
        put_str(&mut b, 0, 100, name);
        put_octal(&mut b, 100, 8, mode);
        put_octal(&mut b, 108, 8, 0);
        put_octal(&mut b, 116, 8, 0);
        put_octal(&mut b, 124, 12, size);
        put_octal(&mut b, 136, 12, mtime);
        b[156] = flag;
        put_str(&mut b, 257, 6, b"ustar\0");
        put_str(&mut b, 263, 2, b"00");
        if devs {
            put_octal(&mut b, 329, 8, 0);
            put_octal(&mut b, 337, 8, 0);
        }
        b
    }

    fn data(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.out.write_all(data)?;
        let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.out.write_all(&[0u8; BLOCK][..pad])
    }

    fn file(
        &mut self,
        name: &str,
        data: &[u8],
        modified: Option<SystemTime>,
    ) -> std::io::Result<()> {
        let mtime = rounded_secs(modified);
        let size = data.len() as u64;
        if name.len() <= 100 && name.is_ascii() {
            let mut b = Self::header(name.as_bytes(), size, mtime, 0o644, b'0', true);
            set_checksum(&mut b);
            self.out.write_all(&b)?;
        } else if let Some((prefix, suffix)) = split_ustar(name) {
            let mut b = Self::header(suffix.as_bytes(), size, mtime, 0o644, b'0', true);
            put_str(&mut b, 345, 155, prefix.as_bytes());
            set_checksum(&mut b);
            self.out.write_all(&b)?;
        } else {
            // PAX: an extended header with the path, then a USTAR header with a best-effort name.
            let record = pax_record("path", name);
            let (dir, file) = match name.rfind('/') {
                Some(i) => (&name[..i], &name[i + 1..]),
                None => ("", name),
            };
            let xname = if dir.is_empty() {
                format!("PaxHeaders.0/{file}")
            } else {
                format!("{dir}/PaxHeaders.0/{file}")
            };
            let mut xname = to_ascii(&xname);
            xname.truncate(100);
            let xname = xname.trim_end_matches('/');
            let mut x = Self::header(xname.as_bytes(), record.len() as u64, 0, 0, b'x', false);
            set_checksum(&mut x);
            self.out.write_all(&x)?;
            self.data(record.as_bytes())?;
            let ascii = to_ascii(name);
            let mut field = ascii.as_bytes()[..ascii.len().min(100)].to_vec();
            if ascii.len() > 100 && field.last() == Some(&b'/') {
                let n = ascii[..99].trim_end_matches('/').len();
                field.truncate(n);
            }
            let mut b = Self::header(&field, size, mtime, 0o644, b'0', true);
            set_checksum(&mut b);
            self.out.write_all(&b)?;
        }
        self.data(data)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.write_all(&[0u8; BLOCK * 2])
    }
}

/// Go's `formatPAXRecord`.
fn pax_record(k: &str, v: &str) -> String {
    let base = k.len() + v.len() + 3;
    let mut size = base + base.to_string().len();
    let mut rec = format!("{size} {k}={v}\n");
    if rec.len() != size {
        size = rec.len();
        rec = format!("{size} {k}={v}\n");
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2024-02-29T12:34:56.5+01:00").unwrap();
        let d = t.duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(d.as_secs(), 1_709_206_496);
        assert_eq!(d.subsec_nanos(), 500_000_000);
        assert_eq!(
            normalize_rfc3339("2024-01-01T00:00:00.120000Z"),
            "2024-01-01T00:00:00.12Z"
        );
    }

    #[test]
    fn pax_record_length_counts_itself() {
        assert_eq!(pax_record("path", "a"), "9 path=a\n");
        let r = pax_record("path", &"x".repeat(95));
        assert_eq!(r.len().to_string(), r.split(' ').next().unwrap());
    }

    #[test]
    fn ustar_split() {
        let long = format!("{}/{}", "d".repeat(60), "f".repeat(60));
        assert_eq!(split_ustar(&long), Some((&long[..60], &long[61..])));
        assert_eq!(split_ustar("short"), None);
    }

    #[test]
    fn mtime_rounds_to_nearest_second() {
        let t = UNIX_EPOCH + Duration::new(10, 500_000_000);
        assert_eq!(rounded_secs(Some(t)), 11);
        assert_eq!(
            rounded_secs(Some(UNIX_EPOCH + Duration::new(10, 499_999_999))),
            10
        );
    }
}
