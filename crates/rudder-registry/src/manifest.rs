//! Helm's OCI manifest, config blob and annotations.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use rudder_chart::{ChartType, Metadata};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Media type of the chart config blob (Chart.yaml metadata as JSON).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Media type of the chart archive layer.
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Legacy chart layer media type, still accepted on pull (as Helm does).
pub const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
/// Media type of the provenance layer.
pub const PROVENANCE_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";
/// OCI image manifest media type.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// `org.opencontainers.image.*` annotation keys Helm writes.
pub mod annotation {
    /// Chart name.
    pub const TITLE: &str = "org.opencontainers.image.title";
    /// Chart version (with `+`).
    pub const VERSION: &str = "org.opencontainers.image.version";
    /// Chart description.
    pub const DESCRIPTION: &str = "org.opencontainers.image.description";
    /// Chart home.
    pub const URL: &str = "org.opencontainers.image.url";
    /// First chart source.
    pub const SOURCE: &str = "org.opencontainers.image.source";
    /// Maintainers, `Name (email)` joined by `, `.
    pub const AUTHORS: &str = "org.opencontainers.image.authors";
    /// RFC 3339 creation time (the archive's mtime for `helm push`).
    pub const CREATED: &str = "org.opencontainers.image.created";
}

/// The sha256 digest of `data` as `sha256:<hex>`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// An OCI content descriptor, fields in the order Go's `ocispec.Descriptor` marshals them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
    /// Descriptor annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Descriptor {
    /// Describes `data` with `media_type`.
    pub fn of(media_type: &str, data: &[u8]) -> Self {
        Self {
            media_type: media_type.to_string(),
            digest: sha256_digest(data),
            size: data.len() as u64,
            annotations: None,
        }
    }
}

/// An OCI image manifest as Helm writes it (no top-level `mediaType`, like Helm 4.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// Top-level media type when the writer set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Artifact type when the writer set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// Chart layer and optional provenance layer.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Chart.yaml metadata as the JSON config blob Helm writes: Go's `chart.Metadata` field
/// order, empty fields omitted, `type` only when Chart.yaml spelled it out.
pub fn config_json(md: &Metadata) -> Vec<u8> {
    use serde_json::Value;
    // serde_json (without `preserve_order`) sorts map keys, so the fields are written in
    // Go's `chart.Metadata` order by hand.
    let mut f = Fields(Vec::new());
    f.text("name", &md.name);
    f.text("home", &md.home);
    f.value("sources", json(&md.sources), !md.sources.is_empty());
    f.text("version", &md.version);
    f.text("description", &md.description);
    f.value("keywords", json(&md.keywords), !md.keywords.is_empty());
    f.value(
        "maintainers",
        json(&md.maintainers),
        !md.maintainers.is_empty(),
    );
    f.text("icon", &md.icon);
    f.text("apiVersion", md.api_version.as_str());
    f.text("condition", &md.condition);
    f.text("tags", &md.tags);
    f.text("appVersion", &md.app_version);
    f.value("deprecated", "true".into(), md.deprecated);
    f.value(
        "annotations",
        json(&md.annotations),
        !md.annotations.is_empty(),
    );
    f.text("kubeVersion", &md.kube_version);
    f.value(
        "dependencies",
        json(&md.dependencies),
        !md.dependencies.is_empty(),
    );
    if md.type_explicit {
        f.text(
            "type",
            match md.chart_type {
                ChartType::Application => "application",
                ChartType::Library => "library",
            },
        );
    }
    let mut out = b"{".to_vec();
    for (i, (k, v)) in f.0.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(Value::from(*k).to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(v.as_bytes());
    }
    out.push(b'}');
    out
}

/// Keys with their values already rendered as JSON text.
struct Fields(Vec<(&'static str, String)>);

impl Fields {
    fn text(&mut self, key: &'static str, v: &str) {
        if !v.is_empty() {
            self.0.push((key, serde_json::Value::from(v).to_string()));
        }
    }
    fn value(&mut self, key: &'static str, v: String, keep: bool) {
        if keep {
            self.0.push((key, v));
        }
    }
}

/// Renders a chart model value as JSON text straight from its `Serialize` impl, so struct
/// fields keep their declared (Go) order; a `Value` round trip would sort them. These types
/// (strings, lists, maps of strings, YAML values) cannot fail to serialise.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Helm's manifest annotations for a chart: title, version, description, url (home),
/// source (first source), authors, created, plus the chart's own annotations except
/// title and version.
pub fn annotations(md: &Metadata, created: &str) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    for (k, v) in &md.annotations {
        if k != annotation::TITLE && k != annotation::VERSION {
            a.insert(k.clone(), v.clone());
        }
    }
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            a.insert(k.to_string(), v.to_string());
        }
    };
    put(annotation::TITLE, &md.name);
    put(annotation::VERSION, &md.version);
    put(annotation::DESCRIPTION, &md.description);
    put(annotation::URL, &md.home);
    put(
        annotation::SOURCE,
        md.sources.first().map_or("", String::as_str),
    );
    let authors = md
        .maintainers
        .iter()
        .map(|m| {
            if m.email.is_empty() {
                m.name.clone()
            } else {
                format!("{} ({})", m.name, m.email)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    put(annotation::AUTHORS, &authors);
    put(annotation::CREATED, created);
    a
}

/// Formats a time as RFC 3339 in UTC with second precision (`2020-01-02T03:04:05Z`),
/// as Go's `time.RFC3339` does for a UTC time.
pub fn rfc3339_utc(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Builds Helm's manifest for a chart: config, chart layer, optional provenance layer
/// (layers sorted by digest), annotations.
pub fn build_manifest(
    config: &[u8],
    chart: &[u8],
    provenance: Option<&[u8]>,
    annotations: BTreeMap<String, String>,
) -> Manifest {
    let mut layers = vec![Descriptor::of(CHART_LAYER_MEDIA_TYPE, chart)];
    if let Some(p) = provenance {
        layers.push(Descriptor::of(PROVENANCE_LAYER_MEDIA_TYPE, p));
    }
    layers.sort_by(|a, b| a.digest.cmp(&b.digest));
    Manifest {
        schema_version: 2,
        media_type: None,
        artifact_type: None,
        config: Descriptor::of(CONFIG_MEDIA_TYPE, config),
        layers,
        annotations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_known_instants() {
        let at = |s| rfc3339_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        // `date -u -d @1577934245 +%FT%TZ`
        assert_eq!(at(1_577_934_245), "2020-01-02T03:04:05Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn manifest_json_has_helm_field_order() {
        let m = build_manifest(b"{}", b"chart", None, BTreeMap::new());
        let s = serde_json::to_string(&m).unwrap();
        assert!(s.starts_with(r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:"#), "{s}");
        assert!(!s.contains("annotations"));
    }
}
