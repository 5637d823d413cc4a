//! Helm 4's plugin artifacts: push and verified pull of a plugin archive (`.tgz`) and its
//! optional provenance (`.tgz.prov`).
//!
//! The layout Helm 4 reads (`helm plugin install oci://…`): an OCI image manifest whose
//! `artifactType` is [`PLUGIN_ARTIFACT_TYPE`] (or, for older writers without `artifactType`,
//! whose config media type is), with layers found by their `org.opencontainers.image.title`
//! annotation: `<name>-<version>.tgz` and `<name>-<version>.tgz.prov`, where `<name>` is the
//! last path segment of the repository. Helm cannot push plugins; [`RegistryClient::push_plugin`]
//! writes what an `oras push --artifact-type application/vnd.helm.plugin.v1+json` of the two
//! files writes: the empty config (`{}`, [`EMPTY_CONFIG_MEDIA_TYPE`]) and `tar` layers with
//! title annotations, to `<base>/<name>:<version>`.

use std::collections::BTreeMap;

use crate::client::RegistryClient;
use crate::credentials::Auth;
use crate::error::RegistryError;
use crate::manifest::{self, Descriptor, MANIFEST_MEDIA_TYPE, Manifest, annotation};
use crate::reference::OciReference;

/// The artifact type of a Helm plugin.
pub const PLUGIN_ARTIFACT_TYPE: &str = "application/vnd.helm.plugin.v1+json";
/// The OCI 1.1 empty config descriptor's media type (content `{}`).
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// Layer media type written on push (what `oras push` uses for files).
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
/// Layer media types accepted on pull (as Helm's plugin pull allows).
pub const ACCEPTED_LAYER_MEDIA_TYPES: &[&str] = &[
    LAYER_MEDIA_TYPE,
    "application/vnd.oci.image.layer.v1.tar+gzip",
];

/// A plugin to push.
#[derive(Debug, Clone)]
pub struct PushPlugin {
    /// Plugin name (from its `plugin.yaml`): the repository's last segment.
    pub name: String,
    /// Plugin version: the tag.
    pub version: String,
    /// The `.tgz` bytes.
    pub archive: Vec<u8>,
    /// The `.tgz.prov` bytes, if any.
    pub provenance: Option<Vec<u8>>,
    /// RFC 3339 `org.opencontainers.image.created`; `None` = now.
    pub created: Option<String>,
}

/// A pulled plugin, every blob verified against its digest.
#[derive(Debug, Clone)]
pub struct PulledPlugin {
    /// The manifest digest (`sha256:…`).
    pub digest: String,
    /// The manifest.
    pub manifest: Manifest,
    /// The archive layer's title (`<name>-<version>.tgz`).
    pub archive_name: String,
    /// The archive bytes.
    pub archive: Vec<u8>,
    /// The provenance bytes, if the artifact has a `.tgz.prov` layer.
    pub provenance: Option<Vec<u8>>,
}

/// The manifest [`RegistryClient::push_plugin`] writes (layers sorted by digest).
pub fn plugin_manifest(plugin: &PushPlugin, created: &str) -> Manifest {
    let titled = |data: &[u8], title: String| {
        let mut d = Descriptor::of(LAYER_MEDIA_TYPE, data);
        d.annotations = Some(BTreeMap::from([(annotation::TITLE.to_string(), title)]));
        d
    };
    let file = format!("{}-{}.tgz", plugin.name, plugin.version);
    let mut layers = vec![titled(&plugin.archive, file.clone())];
    if let Some(p) = &plugin.provenance {
        layers.push(titled(p, format!("{file}.prov")));
    }
    layers.sort_by(|a, b| a.digest.cmp(&b.digest));
    let mut annotations = BTreeMap::new();
    annotations.insert(annotation::CREATED.to_string(), created.to_string());
    Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_string()),
        artifact_type: Some(PLUGIN_ARTIFACT_TYPE.to_string()),
        config: Descriptor::of(EMPTY_CONFIG_MEDIA_TYPE, b"{}"),
        layers,
        annotations,
    }
}

/// Finds the archive and provenance layers of plugin `name` by their titles.
fn plugin_layers<'m>(
    m: &'m Manifest,
    name: &str,
) -> (Option<&'m Descriptor>, Option<&'m Descriptor>) {
    let title = |d: &'m Descriptor| {
        d.annotations
            .as_ref()
            .and_then(|a| a.get(annotation::TITLE))
            .map(String::as_str)
    };
    let prefix = format!("{name}-");
    let mut archive = None;
    let mut provenance = None;
    for d in &m.layers {
        let Some(t) = title(d) else { continue };
        if !t.starts_with(&prefix) {
            continue;
        }
        if archive.is_none() && t.ends_with(".tgz") {
            archive = Some(d);
        }
        if provenance.is_none() && t.ends_with(".tgz.prov") {
            provenance = Some(d);
        }
    }
    (archive, provenance)
}

impl RegistryClient {
    /// Pushes a plugin archive (and provenance) to `<base>/<name>:<version>`.
    pub async fn push_plugin(
        &self,
        base: &str,
        plugin: &PushPlugin,
        auth: &Auth,
    ) -> Result<crate::Pushed, RegistryError> {
        let reference = OciReference::for_push(base, &plugin.name, &plugin.version)?;
        let created = plugin
            .created
            .clone()
            .unwrap_or_else(|| manifest::rfc3339_utc(std::time::SystemTime::now()));
        let m = plugin_manifest(plugin, &created);
        let archive_digest = manifest::sha256_digest(&plugin.archive);
        let mut blobs: Vec<(&Descriptor, &[u8])> = vec![(&m.config, b"{}")];
        for l in &m.layers {
            let data: &[u8] = if l.digest == archive_digest {
                &plugin.archive
            } else {
                plugin.provenance.as_deref().unwrap_or_default()
            };
            blobs.push((l, data));
        }
        let digest = self.upload(&reference, auth, &m, blobs).await?;
        tracing::debug!(%reference, %digest, "pushed plugin");
        Ok(crate::Pushed {
            reference,
            digest,
            manifest: m,
        })
    }

    /// Pulls the plugin at `reference` (tag and/or `@sha256:` digest): checks the artifact
    /// type, finds the `<name>-<version>.tgz` layer (required) and `.tgz.prov` layer
    /// (optional), and verifies every blob's digest and size.
    pub async fn pull_plugin(
        &self,
        reference: &OciReference,
        auth: &Auth,
    ) -> Result<PulledPlugin, RegistryError> {
        let what = reference.to_string();
        let (m, digest, _) = self.fetch_manifest(reference, auth).await?;
        let not_a_plugin = |message: String| RegistryError::NotAPlugin {
            reference: what.clone(),
            message,
        };
        match m.artifact_type.as_deref() {
            Some(t) if !t.is_empty() && t != PLUGIN_ARTIFACT_TYPE => {
                return Err(not_a_plugin(format!(
                    "artifact type is {t:?}, want {PLUGIN_ARTIFACT_TYPE:?}"
                )));
            }
            Some(t) if !t.is_empty() => {}
            _ if m.config.media_type != PLUGIN_ARTIFACT_TYPE => {
                return Err(not_a_plugin(format!(
                    "no artifact type, and config media type is {:?}, want {PLUGIN_ARTIFACT_TYPE:?}",
                    m.config.media_type
                )));
            }
            _ => {}
        }
        let name = reference.chart_name();
        let (archive_layer, prov_layer) = plugin_layers(&m, name);
        let Some(archive_layer) = archive_layer else {
            return Err(not_a_plugin(format!("no layer titled {name}-VERSION.tgz")));
        };
        for layer in [Some(archive_layer), prov_layer].into_iter().flatten() {
            if !ACCEPTED_LAYER_MEDIA_TYPES.contains(&layer.media_type.as_str()) {
                return Err(not_a_plugin(format!(
                    "layer {} has media type {:?}",
                    layer.digest, layer.media_type
                )));
            }
        }
        let archive_name = archive_layer
            .annotations
            .as_ref()
            .and_then(|a| a.get(annotation::TITLE))
            .cloned()
            .unwrap_or_default();
        let limit = self.opts.max_layer_size;
        let archive = self
            .blob(reference, archive_layer, limit, "plugin archive")
            .await?;
        let provenance = match prov_layer {
            Some(p) => Some(self.blob(reference, p, limit, "plugin provenance").await?),
            None => None,
        };
        Ok(PulledPlugin {
            digest,
            manifest: m,
            archive_name,
            archive,
            provenance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(prov: bool) -> PushPlugin {
        PushPlugin {
            name: "hello".into(),
            version: "0.1.0".into(),
            archive: b"tgz".to_vec(),
            provenance: prov.then(|| b"prov".to_vec()),
            created: None,
        }
    }

    #[test]
    fn pushed_manifest_is_what_helm_reads() {
        let m = plugin_manifest(&sample(true), "2026-01-02T03:04:05Z");
        let json = serde_json::to_string(&m).unwrap();
        assert!(
            json.starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.helm.plugin.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}"#),
            "{json}"
        );
        let (archive, prov) = plugin_layers(&m, "hello");
        assert_eq!(archive.unwrap().digest, manifest::sha256_digest(b"tgz"));
        assert_eq!(prov.unwrap().digest, manifest::sha256_digest(b"prov"));
        assert_eq!(plugin_layers(&m, "other"), (None, None));
        let m = plugin_manifest(&sample(false), "2026-01-02T03:04:05Z");
        assert_eq!(m.layers.len(), 1);
    }
}
