//! The `data.release` codec: `base64(gzip(JSON))`, as Helm's `encodeRelease`/`decodeRelease`.

use std::io::{Read as _, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::gojson;
use crate::model::Release;

/// The gzip magic Helm checks before gunzipping (`1f 8b 08`).
pub const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Why a release record could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The stored string is not standard base64.
    #[error("release data is not valid base64")]
    Base64(#[source] base64::DecodeError),
    /// The gzip stream is corrupt or truncated.
    #[error("release data is not a valid gzip stream")]
    Gunzip(#[source] std::io::Error),
    /// Gzip compression failed (only possible on allocation failure).
    #[error("compressing the release JSON failed")]
    Gzip(#[source] std::io::Error),
    /// The JSON does not match the release schema.
    #[error("release JSON is invalid at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line of the error in the JSON text.
        line: usize,
        /// 1-based column of the error in the JSON text.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Serialising the release failed (a non-finite float in the values).
    #[error("release cannot be written as JSON")]
    Serialize(#[source] serde_json::Error),
}

/// Serialises a release to JSON exactly as Helm's `json.Marshal(release)`.
pub fn to_json(release: &Release) -> Result<Vec<u8>, CodecError> {
    gojson::to_vec(release).map_err(CodecError::Serialize)
}

/// Parses a release from JSON, keeping unknown fields.
pub fn from_json(json: &[u8]) -> Result<Release, CodecError> {
    serde_json::from_slice(json).map_err(|e| CodecError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e),
    })
}

/// Encodes a release for `data.release`: JSON, gzip at best compression, standard base64.
///
/// The JSON equals Helm's byte for byte; the gzip stream is valid and Helm reads it, but the
/// deflate bytes differ from Go's `compress/flate`, so the base64 text is not identical.
pub fn encode(release: &Release) -> Result<String, CodecError> {
    let json = to_json(release)?;
    let mut gz = GzEncoder::new(Vec::with_capacity(json.len() / 4 + 64), Compression::best());
    gz.write_all(&json).map_err(CodecError::Gzip)?;
    let compressed = gz.finish().map_err(CodecError::Gzip)?;
    Ok(STANDARD.encode(compressed))
}

/// Decodes a `data.release` string: base64, then gunzip when the gzip magic is present
/// (older records hold plain JSON), then JSON.
pub fn decode(data: &str) -> Result<Release, CodecError> {
    let json = decode_to_json(data)?;
    from_json(&json)
}

/// Decodes a `data.release` string down to its JSON bytes without parsing them.
pub fn decode_to_json(data: &str) -> Result<Vec<u8>, CodecError> {
    let bytes = STANDARD
        .decode(data.trim_end().as_bytes())
        .map_err(CodecError::Base64)?;
    if bytes.len() > 3 && bytes[..3] == GZIP_MAGIC {
        let mut json = Vec::with_capacity(bytes.len() * 4);
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut json)
            .map_err(CodecError::Gunzip)?;
        Ok(json)
    } else {
        Ok(bytes)
    }
}

/// serde_json's message without its trailing " at line L column C" (reported separately).
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Info, Status};

    fn sample() -> Release {
        let mut r = Release {
            name: "web".into(),
            version: 3,
            namespace: "ns".into(),
            manifest: "kind: ConfigMap\n".into(),
            ..Release::default()
        };
        r.info = Some(Info {
            status: Some(Status::Deployed),
            ..Info::default()
        });
        r
    }

    #[test]
    fn encode_decode_round_trip() {
        let r = sample();
        let data = encode(&r).unwrap();
        let raw = STANDARD.decode(&data).unwrap();
        assert_eq!(raw[..3], GZIP_MAGIC);
        // Go's gzip header: no mtime, XFL=2 (best compression), OS=255 (unknown).
        assert_eq!(raw[4..10], [0, 0, 0, 0, 2, 255]);
        assert_eq!(decode(&data).unwrap(), r);
    }

    #[test]
    fn decodes_plain_json() {
        let data = STANDARD.encode(br#"{"name":"web","version":3,"info":{"status":"deployed"}}"#);
        let r = decode(&data).unwrap();
        assert_eq!(
            (r.name.as_str(), r.version, r.status()),
            ("web", 3, Status::Deployed)
        );
    }

    #[test]
    fn errors_name_what_failed() {
        assert!(matches!(decode("%%%"), Err(CodecError::Base64(_))));
        let truncated = {
            let full = STANDARD.decode(encode(&sample()).unwrap()).unwrap();
            STANDARD.encode(&full[..full.len() / 2])
        };
        assert!(matches!(decode(&truncated), Err(CodecError::Gunzip(_))));
        let bad = STANDARD.encode(b"{\n  \"version\": \"x\"\n}");
        let err = decode(&bad).unwrap_err();
        assert!(matches!(err, CodecError::Json { line: 2, .. }), "{err}");
    }
}
