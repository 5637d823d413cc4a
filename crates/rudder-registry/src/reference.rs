//! `oci://host[:port]/path/name[:tag|@sha256:digest]` references with Helm's rules.

use std::fmt;

use crate::error::ReferenceError;

/// The URL scheme of OCI chart references.
pub const OCI_SCHEME: &str = "oci://";

/// A parsed OCI chart reference.
///
/// Tags are stored as they appear in the registry (`+` already replaced by `_`);
/// [`OciReference::version`] gives the chart version back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<String>,
}

/// Converts a chart version to an OCI tag (`+` → `_`), as Helm does on push and reference.
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// Converts an OCI tag back to a chart version (`_` → `+`), as Helm does on tag listing.
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn valid_tag(t: &str) -> bool {
    // [\w][\w.-]{0,127}
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// Whether `d` is `sha256:` followed by 64 lowercase hex digits.
pub fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|x| x.is_ascii_digit() || (b'a'..=b'f').contains(&x))
    })
}

fn valid_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    !name.is_empty()
        && port_ok
        && name
            .bytes()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'-'))
}

impl OciReference {
    /// Parses `oci://host[:port]/path/name[:tag][@sha256:digest]`.
    ///
    /// A `+` in the tag becomes `_` (Helm's rule, since OCI tags cannot hold `+`).
    pub fn parse(reference: &str) -> Result<Self, ReferenceError> {
        let rest =
            reference
                .strip_prefix(OCI_SCHEME)
                .ok_or_else(|| ReferenceError::MissingScheme {
                    reference: reference.to_string(),
                })?;
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                if !valid_digest(d) {
                    return Err(ReferenceError::InvalidDigest {
                        reference: reference.to_string(),
                        digest: d.to_string(),
                    });
                }
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let (host, path) =
            rest.split_once('/')
                .ok_or_else(|| ReferenceError::MissingRepository {
                    reference: reference.to_string(),
                })?;
        if !valid_host(host) {
            return Err(ReferenceError::InvalidHost {
                reference: reference.to_string(),
                host: host.to_string(),
            });
        }
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match path[last_slash..].find(':') {
            Some(i) => (
                &path[..last_slash + i],
                Some(version_to_tag(&path[last_slash + i + 1..])),
            ),
            None => (path, None),
        };
        if repository.is_empty() {
            return Err(ReferenceError::MissingRepository {
                reference: reference.to_string(),
            });
        }
        if let Some(bad) = repository.split('/').find(|c| !valid_component(c)) {
            return Err(ReferenceError::InvalidRepository {
                reference: reference.to_string(),
                component: bad.to_string(),
            });
        }
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(ReferenceError::InvalidTag {
                reference: reference.to_string(),
                tag: t.clone(),
            });
        }
        Ok(Self {
            registry: host.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// Builds a reference to `repository` (a base such as `charts`) plus the chart name, as
    /// `helm push CHART oci://host/base` does: the result is `host/base/name:version`.
    pub fn for_push(base: &str, chart_name: &str, version: &str) -> Result<Self, ReferenceError> {
        let trimmed = base.trim_end_matches('/');
        Self::parse(&format!("{trimmed}/{chart_name}:{version}"))
    }

    /// Applies a `--version` that is an exact version: sets the tag when the reference has
    /// none, and refuses a tag that differs. Constraints must be resolved first
    /// (see [`crate::RegistryClient::resolve_version`]).
    pub fn with_version(mut self, version: &str) -> Result<Self, ReferenceError> {
        let tag = version_to_tag(version);
        match &self.tag {
            Some(t) if *t != tag => Err(ReferenceError::VersionMismatch {
                reference: self.to_string(),
                tag: t.clone(),
                version: version.to_string(),
            }),
            Some(_) => Ok(self),
            None => {
                if !valid_tag(&tag) {
                    return Err(ReferenceError::InvalidTag {
                        reference: self.to_string(),
                        tag,
                    });
                }
                self.tag = Some(tag);
                Ok(self)
            }
        }
    }

    /// Registry host with optional port.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Repository path (`path/name`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The chart name: the last path component.
    pub fn chart_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// The tag as stored in the registry (`_` instead of `+`).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The chart version the tag stands for (`_` → `+`).
    pub fn version(&self) -> Option<String> {
        self.tag.as_deref().map(tag_to_version)
    }

    /// The pinned manifest digest, if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The same repository without tag or digest.
    pub fn repository_only(&self) -> Self {
        Self {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }

    pub(crate) fn to_oci(&self) -> oci_client::Reference {
        let (r, p) = (self.registry.clone(), self.repository.clone());
        match (&self.tag, &self.digest) {
            (_, Some(d)) => oci_client::Reference::with_digest(r, p, d.clone()),
            (Some(t), None) => oci_client::Reference::with_tag(r, p, t.clone()),
            (None, None) => oci_client::Reference::with_tag(r, p, "latest".to_string()),
        }
    }
}

impl fmt::Display for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OCI_SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_path_tag_and_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciReference::parse(&format!(
            "oci://127.0.0.1:5000/charts/demo:1.2.3+build.1@{d}"
        ))
        .unwrap();
        assert_eq!(r.registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "charts/demo");
        assert_eq!(r.chart_name(), "demo");
        assert_eq!(r.tag(), Some("1.2.3_build.1"));
        assert_eq!(r.version().as_deref(), Some("1.2.3+build.1"));
        assert_eq!(r.digest(), Some(d.as_str()));
        assert_eq!(
            r.to_string(),
            format!("oci://127.0.0.1:5000/charts/demo:1.2.3_build.1@{d}")
        );
    }

    #[test]
    fn port_colon_is_not_a_tag() {
        let r = OciReference::parse("oci://localhost:5000/demo").unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("localhost:5000", "demo", None)
        );
    }

    #[test]
    fn version_fills_missing_tag_and_mismatch_is_refused() {
        let r = OciReference::parse("oci://r.example/charts/demo").unwrap();
        assert_eq!(
            r.clone().with_version("0.1.0+x").unwrap().tag(),
            Some("0.1.0_x")
        );
        let tagged = OciReference::parse("oci://r.example/charts/demo:0.2.0").unwrap();
        assert!(tagged.clone().with_version("0.2.0").is_ok());
        assert!(matches!(
            tagged.with_version("0.3.0"),
            Err(ReferenceError::VersionMismatch { .. })
        ));
    }

    #[test]
    fn bad_references_are_refused() {
        for (s, want) in [
            ("https://r.example/demo", "oci://"),
            ("oci://r.example", "missing repository"),
            ("oci://r.example/Demo", "\"Demo\""),
            ("oci://r.example/a//b", "component \"\""),
            ("oci://r.example/demo@sha256:abc", "invalid digest"),
            ("oci://r.example/demo:-x", "invalid tag"),
            ("oci://bad host/demo", "invalid registry host"),
            ("oci://h:99999/demo", "invalid registry host"),
        ] {
            let e = OciReference::parse(s).unwrap_err().to_string();
            assert!(e.contains(want), "{s}: {e}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn for_push_appends_name_and_version() {
        let r = OciReference::for_push("oci://h:1/charts/", "demo", "1.0.0+meta").unwrap();
        assert_eq!(r.to_string(), "oci://h:1/charts/demo:1.0.0_meta");
    }

    #[test]
    fn component_grammar() {
        for ok in ["a", "a.b", "a_b", "a__b", "a---b", "0x"] {
            assert!(valid_component(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a..b", "a___b", "A", "a.-b"] {
            assert!(!valid_component(bad), "{bad}");
        }
    }
}
