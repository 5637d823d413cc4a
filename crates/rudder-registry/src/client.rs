//! Push, pull and tag listing against an OCI registry.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt as _;
use oci_client::errors::OciDistributionError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest as _, Sha256};

use crate::credentials::Auth;
use crate::error::RegistryError;
use crate::manifest::{
    self, CHART_LAYER_MEDIA_TYPE, CONFIG_MEDIA_TYPE, Descriptor, LEGACY_CHART_LAYER_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE, Manifest, PROVENANCE_LAYER_MEDIA_TYPE,
};
use crate::reference::{OciReference, tag_to_version};

/// Default limit on a chart layer's size (Helm has none by default; 20 MiB here).
pub const DEFAULT_MAX_LAYER_SIZE: u64 = 20 << 20;
/// Limit on manifest and config sizes.
const MAX_SMALL_BLOB: u64 = 4 << 20;

/// TLS settings for HTTPS registries (Helm's `--ca-file`, `--cert-file`, `--key-file` and
/// `--insecure-skip-tls-verify`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM bundle of the CAs that verify the registry; as in Helm it replaces the system
    /// roots rather than adding to them.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate. Not supported: oci-client (0.18) has no client-identity
    /// setting, so [`RegistryClient::new`] refuses it with [`RegistryError::Unsupported`]
    /// rather than connecting without it.
    pub cert_file: Option<PathBuf>,
    /// PEM client key (see [`TlsOptions::cert_file`]).
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate.
    pub insecure_skip_tls_verify: bool,
}

/// Options for [`RegistryClient::new`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Talk plain HTTP instead of HTTPS (`--plain-http`).
    pub plain_http: bool,
    /// TLS settings (ignored with `plain_http`).
    pub tls: TlsOptions,
    /// Largest chart or provenance layer accepted on pull, in bytes.
    pub max_layer_size: u64,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout per response.
    pub read_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            tls: TlsOptions::default(),
            max_layer_size: DEFAULT_MAX_LAYER_SIZE,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// A chart to push: archive bytes, optional `.prov`, and the `created` annotation.
#[derive(Debug, Clone)]
pub struct PushChart {
    /// The chart archive (`.tgz`) bytes.
    pub archive: Vec<u8>,
    /// The provenance file bytes, if any.
    pub provenance: Option<Vec<u8>>,
    /// RFC 3339 `org.opencontainers.image.created` (Helm uses the archive's mtime);
    /// `None` = now.
    pub created: Option<String>,
}

/// The result of a push.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// Where the chart went (with its tag).
    pub reference: OciReference,
    /// The manifest digest (`sha256:…`).
    pub digest: String,
    /// The manifest written.
    pub manifest: Manifest,
}

/// A pulled chart, every blob verified against its digest.
#[derive(Debug, Clone)]
pub struct PulledChart {
    /// The manifest digest (`sha256:…`).
    pub digest: String,
    /// The manifest.
    pub manifest: Manifest,
    /// The raw manifest bytes as served.
    pub manifest_bytes: Vec<u8>,
    /// The config blob (Chart.yaml metadata as JSON).
    pub config: Vec<u8>,
    /// The chart archive bytes.
    pub chart: Vec<u8>,
    /// The provenance bytes, if the manifest has a provenance layer.
    pub provenance: Option<Vec<u8>>,
}

/// A version-constraint matcher: given a constraint and versions sorted newest first,
/// return the chosen version. This is the seam for Masterminds semver (crates/rudder-semver),
/// which the caller supplies; this crate does not interpret constraints.
pub type VersionMatcher<'a> = &'a dyn Fn(&str, &[String]) -> Option<String>;

/// An OCI registry client for Helm charts.
///
/// oci-client caches the first credentials given per registry host for the client's
/// lifetime, so use one client per set of credentials.
pub struct RegistryClient {
    pub(crate) inner: oci_client::Client,
    pub(crate) opts: ClientOptions,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// Builds a client. Installs rustls' ring provider as the process default if no
    /// provider is installed yet (reqwest needs one; kube uses the same).
    pub fn new(opts: ClientOptions) -> Result<Self, RegistryError> {
        // Err means a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if opts.tls.cert_file.is_some() || opts.tls.key_file.is_some() {
            return Err(RegistryError::Unsupported {
                feature: "client certificates (--cert-file/--key-file) for OCI registries",
                reason: "the OCI client library has no client-identity setting; use basic or token auth",
            });
        }
        let tls_certs_only = match &opts.tls.ca_file {
            None => Vec::new(),
            Some(path) => vec![read_ca_bundle(path)?],
        };
        let config = oci_client::client::ClientConfig {
            protocol: if opts.plain_http {
                oci_client::client::ClientProtocol::Http
            } else {
                oci_client::client::ClientProtocol::Https
            },
            connect_timeout: Some(opts.connect_timeout),
            read_timeout: Some(opts.read_timeout),
            user_agent: concat!("rudder/", env!("CARGO_PKG_VERSION")),
            accept_invalid_certificates: opts.tls.insecure_skip_tls_verify,
            tls_certs_only,
            ..Default::default()
        };
        let inner = oci_client::Client::try_from(config).map_err(|e| RegistryError::Client {
            message: one_line(&e.to_string()),
        })?;
        Ok(Self { inner, opts })
    }

    /// Pushes a chart to `base` (`oci://host/path`, without the chart name, as `helm push`),
    /// to `base/<name>:<version>`. Returns the manifest digest.
    pub async fn push(
        &self,
        base: &str,
        chart: &PushChart,
        auth: &Auth,
    ) -> Result<Pushed, RegistryError> {
        let loaded = rudder_chart::load_archive(
            chart.archive.as_slice(),
            "chart.tgz",
            &rudder_chart::LoadOptions::default(),
        )
        .map_err(|e| RegistryError::Chart {
            target: base.to_string(),
            message: one_line(&e.to_string()),
        })?;
        let md = &loaded.metadata;
        let reference = OciReference::for_push(base, &md.name, &md.version)?;
        let config = manifest::config_json(md);
        let created = chart
            .created
            .clone()
            .unwrap_or_else(|| manifest::rfc3339_utc(std::time::SystemTime::now()));
        let m = manifest::build_manifest(
            &config,
            &chart.archive,
            chart.provenance.as_deref(),
            manifest::annotations(md, &created),
        );
        let mut blobs: Vec<(&Descriptor, &[u8])> = vec![(&m.config, &config)];
        for l in &m.layers {
            let data: &[u8] = if l.media_type == CHART_LAYER_MEDIA_TYPE {
                &chart.archive
            } else {
                chart.provenance.as_deref().unwrap_or_default()
            };
            blobs.push((l, data));
        }
        let digest = self.upload(&reference, auth, &m, blobs).await?;
        tracing::debug!(%reference, %digest, "pushed chart");
        Ok(Pushed {
            reference,
            digest,
            manifest: m,
        })
    }

    /// Pulls the chart at `reference` (tag and/or `@sha256:` digest).
    ///
    /// A pinned digest must match the manifest served; every blob must match its descriptor's
    /// digest and size; the config media type must be Helm's; layers over
    /// [`ClientOptions::max_layer_size`] are refused before download.
    pub async fn pull(
        &self,
        reference: &OciReference,
        auth: &Auth,
    ) -> Result<PulledChart, RegistryError> {
        let what = reference.to_string();
        let (m, digest, manifest_bytes) = self.fetch_manifest(reference, auth).await?;
        if m.config.media_type != CONFIG_MEDIA_TYPE {
            return Err(RegistryError::NotAChart {
                reference: what,
                message: format!(
                    "config media type is {:?}, want {CONFIG_MEDIA_TYPE:?}",
                    m.config.media_type
                ),
            });
        }
        let chart_layers: Vec<&Descriptor> = m
            .layers
            .iter()
            .filter(|l| {
                l.media_type == CHART_LAYER_MEDIA_TYPE
                    || l.media_type == LEGACY_CHART_LAYER_MEDIA_TYPE
            })
            .collect();
        let [chart_layer] = chart_layers.as_slice() else {
            return Err(RegistryError::NotAChart {
                reference: what,
                message: format!(
                    "want exactly one {CHART_LAYER_MEDIA_TYPE:?} layer, found {}",
                    chart_layers.len()
                ),
            });
        };
        let prov_layer = m
            .layers
            .iter()
            .find(|l| l.media_type == PROVENANCE_LAYER_MEDIA_TYPE);
        let config = self
            .blob(reference, &m.config, MAX_SMALL_BLOB, "config")
            .await?;
        let chart = self
            .blob(
                reference,
                chart_layer,
                self.opts.max_layer_size,
                "chart layer",
            )
            .await?;
        let provenance = match prov_layer {
            Some(p) => Some(
                self.blob(reference, p, self.opts.max_layer_size, "provenance layer")
                    .await?,
            ),
            None => None,
        };
        Ok(PulledChart {
            digest,
            manifest: m,
            manifest_bytes,
            config,
            chart,
            provenance,
        })
    }

    pub(crate) async fn blob(
        &self,
        reference: &OciReference,
        d: &Descriptor,
        limit: u64,
        kind: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("{reference} {kind} {}", d.digest);
        if d.size > limit {
            return Err(RegistryError::TooLarge {
                what,
                size: d.size,
                limit,
            });
        }
        let oci = reference.to_oci();
        let layer = oci_client::manifest::OciDescriptor {
            media_type: d.media_type.clone(),
            digest: d.digest.clone(),
            size: i64::try_from(d.size).unwrap_or(i64::MAX),
            ..Default::default()
        };
        let sized = self
            .inner
            .pull_blob_stream(&oci, &layer)
            .await
            .map_err(|e| map_err(e, reference, &what))?;
        let mut stream = sized.stream;
        let mut out = Vec::with_capacity(usize::try_from(d.size).unwrap_or(0));
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                let msg = one_line(&e.to_string());
                if msg.to_ascii_lowercase().contains("digest") {
                    RegistryError::DigestMismatch {
                        what: what.clone(),
                        expected: d.digest.clone(),
                        actual: last_digest_in(&msg),
                    }
                } else {
                    RegistryError::Protocol {
                        registry: reference.registry().to_string(),
                        message: msg,
                    }
                }
            })?;
            if (out.len() + chunk.len()) as u64 > d.size {
                return Err(RegistryError::SizeMismatch {
                    what,
                    expected: d.size,
                    actual: (out.len() + chunk.len()) as u64,
                });
            }
            hasher.update(&chunk);
            out.extend_from_slice(&chunk);
        }
        let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
        if actual != d.digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: d.digest.clone(),
                actual,
            });
        }
        if out.len() as u64 != d.size {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: d.size,
                actual: out.len() as u64,
            });
        }
        Ok(out)
    }

    /// Lists the chart versions in `reference`'s repository as Helm does: tags with `_`
    /// turned back into `+`, only strict semver, newest first.
    pub async fn versions(
        &self,
        reference: &OciReference,
        auth: &Auth,
    ) -> Result<Vec<String>, RegistryError> {
        let what = reference.repository_only().to_string();
        let resp = self
            .inner
            .list_tags(&reference.to_oci(), &auth.to_oci(), None, None)
            .await
            .map_err(|e| map_err(e, reference, &what))?;
        Ok(sort_versions(resp.tags.iter().map(|t| tag_to_version(t))))
    }

    /// Resolves `version` for `reference`: an exact strict-semver version becomes the tag
    /// directly; anything else is a constraint handed to `matcher` with the version list.
    pub async fn resolve_version(
        &self,
        reference: &OciReference,
        version: &str,
        matcher: VersionMatcher<'_>,
        auth: &Auth,
    ) -> Result<OciReference, RegistryError> {
        if semver::Version::parse(version).is_ok() {
            return Ok(reference.clone().with_version(version)?);
        }
        let versions = self.versions(reference, auth).await?;
        match matcher(version, &versions) {
            Some(v) => Ok(reference.clone().with_version(&v)?),
            None => Err(RegistryError::NoMatchingVersion {
                reference: reference.repository_only().to_string(),
                constraint: version.to_string(),
                available: if versions.is_empty() {
                    "none".into()
                } else {
                    versions.join(", ")
                },
            }),
        }
    }
}

/// Keeps strict-semver versions and sorts them newest first (semver precedence; build
/// metadata breaks ties by text so the order is total).
pub fn sort_versions(versions: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<(semver::Version, String)> = versions
        .into_iter()
        .filter_map(|s| semver::Version::parse(&s).ok().map(|p| (p, s)))
        .collect();
    v.sort_by(|a, b| b.0.cmp_precedence(&a.0).then_with(|| b.1.cmp(&a.1)));
    v.into_iter().map(|(_, s)| s).collect()
}

/// The last `sha256:<64 hex>` in an oci-client message (the computed digest), else the
/// message itself on one line.
fn last_digest_in(msg: &str) -> String {
    msg.rmatch_indices("sha256:")
        .filter_map(|(i, _)| msg.get(i..i + 71))
        .find(|d| crate::reference::valid_digest(d))
        .map_or_else(|| one_line(msg), str::to_string)
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    one_line(&parts.join(": "))
}

impl RegistryClient {
    /// Fetches the OCI image manifest at `reference` (a tag and/or an `@sha256:` digest,
    /// which must then match the bytes served). Returns it with its digest and raw bytes.
    pub(crate) async fn fetch_manifest(
        &self,
        reference: &OciReference,
        auth: &Auth,
    ) -> Result<(Manifest, String, Vec<u8>), RegistryError> {
        let what = reference.to_string();
        if reference.tag().is_none() && reference.digest().is_none() {
            return Err(RegistryError::Reference(
                crate::error::ReferenceError::MissingVersion { reference: what },
            ));
        }
        let oci = reference.to_oci();
        let (bytes, _) = self
            .inner
            .pull_manifest_raw(&oci, &auth.to_oci(), &[MANIFEST_MEDIA_TYPE])
            .await
            .map_err(|e| map_err(e, reference, &what))?;
        let manifest_bytes = bytes.to_vec();
        let digest = manifest::sha256_digest(&manifest_bytes);
        if let Some(pinned) = reference.digest()
            && pinned != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: format!("{what} manifest"),
                expected: pinned.to_string(),
                actual: digest,
            });
        }
        let m: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
            RegistryError::InvalidManifest {
                reference: what.clone(),
                message: e.to_string(),
            }
        })?;
        Ok((m, digest, manifest_bytes))
    }

    /// Pushes an artifact: authenticates for push, uploads each blob the registry does not
    /// have yet, then the manifest. Returns the manifest's digest.
    pub(crate) async fn upload(
        &self,
        reference: &OciReference,
        auth: &Auth,
        m: &Manifest,
        blobs: Vec<(&Descriptor, &[u8])>,
    ) -> Result<String, RegistryError> {
        let oci = reference.to_oci();
        let what = reference.to_string();
        self.inner
            .store_auth_if_needed(reference.registry(), &auth.to_oci())
            .await;
        self.inner
            .auth(&oci, &auth.to_oci(), oci_client::RegistryOperation::Push)
            .await
            .map_err(|e| map_err(e, reference, &what))?;
        for (d, data) in blobs {
            let exists = self
                .inner
                .blob_exists(&oci, &d.digest)
                .await
                .unwrap_or(false);
            if !exists {
                self.inner
                    .push_blob(&oci, data.to_vec(), &d.digest)
                    .await
                    .map_err(|e| map_err(e, reference, &what))?;
            }
        }
        let body = serde_json::to_vec(m).map_err(|e| RegistryError::InvalidManifest {
            reference: what.clone(),
            message: e.to_string(),
        })?;
        let digest = manifest::sha256_digest(&body);
        self.inner
            .push_manifest_raw(
                &oci,
                body,
                http::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
            )
            .await
            .map_err(|e| map_err(e, reference, &what))?;
        Ok(digest)
    }
}

/// Reads and checks a PEM CA bundle for [`TlsOptions::ca_file`].
fn read_ca_bundle(
    path: &std::path::Path,
) -> Result<oci_client::client::Certificate, RegistryError> {
    let tls_error = |message: String| RegistryError::Tls {
        path: path.display().to_string(),
        message,
    };
    let data = std::fs::read(path).map_err(|e| tls_error(one_line(&e.to_string())))?;
    let certs = <CertificateDer<'_> as PemObject>::pem_slice_iter(&data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error("no PEM certificate found".to_string()));
    }
    Ok(oci_client::client::Certificate {
        encoding: oci_client::client::CertificateEncoding::Pem,
        data,
    })
}

pub(crate) fn map_err(
    e: OciDistributionError,
    reference: &OciReference,
    what: &str,
) -> RegistryError {
    let registry = reference.registry().to_string();
    match e {
        OciDistributionError::RequestError(re) => {
            let chain = source_chain(&re);
            if re.is_connect() && chain.contains("certificate") {
                RegistryError::Certificate {
                    registry,
                    message: chain,
                }
            } else if re.is_connect() || re.is_timeout() {
                RegistryError::Unreachable {
                    registry,
                    message: source_chain(&re),
                }
            } else {
                RegistryError::Protocol {
                    registry,
                    message: source_chain(&re),
                }
            }
        }
        OciDistributionError::AuthenticationFailure(m) => RegistryError::Unauthorized {
            registry,
            message: one_line(&m),
        },
        OciDistributionError::UnauthorizedError { url } => RegistryError::Unauthorized {
            registry,
            message: format!("401 Unauthorized from {url}"),
        },
        OciDistributionError::ImageManifestNotFoundError(_) => RegistryError::NotFound {
            reference: what.to_string(),
        },
        OciDistributionError::DigestError(d) => RegistryError::DigestMismatch {
            what: what.to_string(),
            expected: reference
                .digest()
                .unwrap_or("the descriptor digest")
                .to_string(),
            actual: last_digest_in(&d.to_string()),
        },
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<String> = envelope
                .errors
                .iter()
                .map(|x| format!("{:?}", x.code))
                .collect();
            let joined = codes.join(",").to_ascii_uppercase();
            if joined.contains("UNKNOWN")
                && (joined.contains("MANIFEST") || joined.contains("NAME"))
            {
                RegistryError::NotFound {
                    reference: what.to_string(),
                }
            } else if joined.contains("UNAUTHORIZED") || joined.contains("DENIED") {
                RegistryError::Unauthorized {
                    registry,
                    message: one_line(&envelope.to_string()),
                }
            } else {
                RegistryError::Protocol {
                    registry,
                    message: one_line(&envelope.to_string()),
                }
            }
        }
        OciDistributionError::ServerError { code: 404, .. } => RegistryError::NotFound {
            reference: what.to_string(),
        },
        OciDistributionError::ServerError { code, .. } if code == 401 || code == 403 => {
            RegistryError::Unauthorized {
                registry,
                message: format!("HTTP {code}"),
            }
        }
        other => RegistryError::Protocol {
            registry,
            message: source_chain(&other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_keep_strict_semver_newest_first() {
        let got = sort_versions(
            [
                "0.1.0",
                "latest",
                "1.0.0+b",
                "1.0.0-rc.1",
                "v2.0.0",
                "1.0",
                "0.10.0",
                "1.0.0",
            ]
            .map(String::from),
        );
        assert_eq!(got, ["1.0.0+b", "1.0.0", "1.0.0-rc.1", "0.10.0", "0.1.0"]);
    }
}
