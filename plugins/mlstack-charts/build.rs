//! Packs `../mlstack/charts/*` into reproducible `.tgz` archives in `OUT_DIR` and writes their
//! metadata as Rust constants (see the crate docs).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Modification time of every archive entry: 2026-01-01T00:00:00Z.
const MTIME: u64 = 1_767_225_600;

type Files = BTreeMap<String, Vec<u8>>;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let charts = manifest.join("../mlstack/charts");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed={}", charts.display());

    let common = fs::read(charts.join("_common/_common.j2")).expect("_common/_common.j2");
    let mut components = Vec::new();
    for entry in sorted_dir(&charts) {
        let name = file_name(&entry);
        if name.starts_with('_') || name == "platform" || !entry.is_dir() {
            continue;
        }
        components.push(name);
    }

    let mut metadata = String::from(
        "/// The component charts, by name.\npub const COMPONENTS: &[Component] = &[\n",
    );
    let mut archives = String::from(
        "/// `(chart, version, archive)` for every chart.\npub const ARCHIVES: &[(&str, &str, &[u8])] = &[\n",
    );
    let mut platform_files = Files::new();
    for name in &components {
        let dir = charts.join(name);
        let chart_yaml = read_text(&dir.join("Chart.yaml"));
        let fields = top_level(&chart_yaml);
        let get = |key: &str| fields.get(key).cloned().unwrap_or_default();
        assert_eq!(&get("name"), name, "{name}/Chart.yaml: name");
        let version = get("version");
        let mut files = Files::new();
        collect(&dir, "", &mut files);
        files.insert("templates/_common.j2".into(), common.clone());
        write_archive(&out, name, &version, &files, &mut archives);

        // As a library subchart of the platform: Chart.yaml says type library, and only the
        // partials (macros) and values are kept.
        for (path, data) in &files {
            let keep = path == "values.yaml"
                || path.starts_with("templates/_")
                || !path.starts_with("templates/") && path != "Chart.yaml";
            if keep {
                platform_files.insert(format!("charts/{name}/{path}"), data.clone());
            }
        }
        let mut library = chart_yaml.clone().into_bytes();
        library.extend_from_slice(b"type: library\n");
        platform_files.insert(format!("charts/{name}/Chart.yaml"), library);

        let list = |key: &str| -> String {
            let value = fields
                .get(&format!("mlstack.rudder.dev/{key}"))
                .cloned()
                .unwrap_or_default();
            let items: Vec<String> = value.split_whitespace().map(|s| format!("{s:?}")).collect();
            format!("&[{}]", items.join(", "))
        };
        writeln!(
            metadata,
            "    Component {{ name: {name:?}, version: {version:?}, app_version: {:?}, description: {:?}, images: {}, kinds: {}, controllers: {} }},",
            get("appVersion"),
            get("description"),
            list("images"),
            list("kinds"),
            list("controllers"),
        )
        .unwrap();
    }
    metadata.push_str("];\n");

    let dir = charts.join("platform");
    let values = read_text(&dir.join("values.yaml"));
    let fields = top_level(&read_text(&dir.join("Chart.yaml")));
    let version = fields.get("version").cloned().expect("platform version");
    collect(&dir, "", &mut platform_files);
    write_archive(&out, "platform", &version, &platform_files, &mut archives);
    archives.push_str("];\n");

    write!(
        metadata,
        "/// The umbrella chart.\npub const PLATFORM: Platform = Platform {{ name: \"platform\", version: {version:?}, profiles: &[{}] }};\n",
        profiles(&values)
            .iter()
            .map(|(p, c)| format!("({p:?}, &[{}])", c.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(", ")
    )
    .unwrap();
    fs::write(out.join("metadata.rs"), metadata).unwrap();
    fs::write(out.join("archives.rs"), archives).unwrap();
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn read_text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every regular file under `dir`, keyed by its `/`-separated path relative to the chart.
fn collect(dir: &Path, prefix: &str, files: &mut Files) {
    for path in sorted_dir(dir) {
        let rel = format!("{prefix}{}", file_name(&path));
        if path.is_dir() {
            collect(&path, &format!("{rel}/"), files);
        } else {
            files.insert(rel, fs::read(&path).unwrap());
        }
    }
}

/// `key: value` pairs of a simple YAML file: top-level scalars and the entries of
/// `annotations:` (quotes removed).
fn top_level(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_annotations = false;
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ');
        if !indented {
            in_annotations = line.trim_end() == "annotations:";
        }
        if indented && !in_annotations {
            continue;
        }
        if let Some((k, v)) = line.trim().split_once(':') {
            out.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
        }
    }
    out
}

/// `profiles:` of the platform values: `  name: [a, b, c]` lines.
fn profiles(values: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in values.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() && !line.starts_with('#') {
            inside = line.trim_end() == "profiles:";
            continue;
        }
        if !inside {
            continue;
        }
        let Some((name, list)) = line.trim().split_once(':') else {
            continue;
        };
        let list = list.trim().trim_start_matches('[').trim_end_matches(']');
        out.push((
            name.trim().to_string(),
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ));
    }
    assert!(!out.is_empty(), "platform/values.yaml: no profiles");
    out
}

fn write_archive(out: &Path, name: &str, version: &str, files: &Files, index: &mut String) {
    let file = format!("{name}-{version}.tgz");
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, data) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(MTIME);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{name}/{path}"), data.as_slice())
            .unwrap();
    }
    let bytes = tar.into_inner().unwrap().finish().unwrap();
    let mut f = fs::File::create(out.join(&file)).unwrap();
    f.write_all(&bytes).unwrap();
    writeln!(
        index,
        "    ({name:?}, {version:?}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\"))),"
    )
    .unwrap();
}
