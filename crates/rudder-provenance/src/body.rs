//! The signed body of a provenance file: metadata YAML, the YAML document-end marker
//! `...`, and the digests of the signed files.
//!
//! The layout is Helm's: the metadata YAML (ending in a newline), a blank line, the line
//! `...`, then `files:` with one `  <name>: sha256:<hex>` line per file, sorted by name.
//! `---` cannot be used as a separator because a clear-signed message would dash-escape it.

use std::collections::BTreeMap;

use crate::ProvenanceError;

/// The separator between the metadata and the digests.
const SEPARATOR: &str = "\n...\n";

/// The signed content of a `.prov` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProvBody {
    /// The metadata YAML (Chart.yaml as Helm writes it, or a plugin's metadata).
    pub metadata_yaml: String,
    /// File name → `sha256:<hex>`.
    pub files: BTreeMap<String, String>,
}

impl ProvBody {
    /// A body for one archive: `metadata_yaml` plus the sha256 of `archive_bytes` under
    /// `file_name`.
    pub fn for_archive(metadata_yaml: String, file_name: &str, archive_bytes: &[u8]) -> Self {
        let mut files = BTreeMap::new();
        files.insert(file_name.to_string(), crate::sha256_digest(archive_bytes));
        ProvBody {
            metadata_yaml,
            files,
        }
    }

    /// The text that is signed.
    pub fn to_text(&self) -> String {
        let mut out = self.metadata_yaml.clone();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(SEPARATOR);
        out.push_str("files:\n");
        for (name, sum) in &self.files {
            out.push_str("  ");
            out.push_str(&yaml_scalar(name));
            out.push_str(": ");
            out.push_str(&yaml_scalar(sum));
            out.push('\n');
        }
        out
    }

    /// Parses a signed body (as [`to_text`](Self::to_text) writes it, or as Helm does).
    pub fn parse(text: &str) -> Result<Self, ProvenanceError> {
        let text = text.replace("\r\n", "\n");
        let Some((metadata, sums)) = text.split_once(SEPARATOR) else {
            return Err(ProvenanceError::Malformed {
                reason: "the signed text has no \"...\" line separating metadata and files"
                    .to_string(),
            });
        };
        #[derive(serde::Deserialize)]
        struct Sums {
            #[serde(default)]
            files: BTreeMap<String, String>,
        }
        let sums: Sums = serde_saphyr::from_str(sums).map_err(|e| ProvenanceError::Malformed {
            reason: format!(
                "the files section is not a map of names to digests: {}",
                e.to_string().lines().next().unwrap_or_default()
            ),
        })?;
        Ok(ProvBody {
            metadata_yaml: metadata.to_string(),
            files: sums.files,
        })
    }
}

/// A YAML scalar: plain when it is unambiguous, else double-quoted (JSON escaping is valid
/// YAML).
fn yaml_scalar(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | ':' | '/'))
        && !text.starts_with(['-', ':', '.'])
        && !text.ends_with(':')
        && !text.contains("::");
    if plain {
        text.to_string()
    } else {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_helms_layout() {
        let body = ProvBody::for_archive(
            "apiVersion: v2\nname: mychart\nversion: 0.1.0\n".to_string(),
            "mychart-0.1.0.tgz",
            b"abc",
        );
        assert_eq!(
            body.to_text(),
            "apiVersion: v2\nname: mychart\nversion: 0.1.0\n\n...\nfiles:\n  mychart-0.1.0.tgz: sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
        );
        let parsed = ProvBody::parse(&body.to_text()).unwrap();
        assert_eq!(parsed, body);
    }

    #[test]
    fn odd_names_round_trip() {
        let mut body = ProvBody::for_archive("name: x\n".into(), "a b: c.tgz", b"");
        body.files.insert("\"q\".tgz".into(), "sha256:00".into());
        assert_eq!(ProvBody::parse(&body.to_text()).unwrap(), body);
    }

    #[test]
    fn missing_separator_is_malformed() {
        let err = ProvBody::parse("name: x\nfiles: {}\n").unwrap_err();
        assert!(err.to_string().contains("\"...\""), "{err}");
    }
}
