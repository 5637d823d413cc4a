//! The JSON messages exchanged with plugins, per type, as Helm 4 sends them.
//!
//! One deliberate difference: Helm 4.1.4 serialises post-renderer manifests from a Go
//! `*bytes.Buffer`, which becomes `{}` (helm/helm#31832), so Wasm post-renderers never see their
//! input. Rudder sends and expects `"manifests"` as a string holding the YAML stream.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::manifest::PluginType;

/// Input of a `cli/v1` plugin: `{"extraArgs": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CliInput {
    /// Arguments after the plugin name (`[]` when `ignoreFlags` drops them).
    #[serde(rename = "extraArgs")]
    pub extra_args: Vec<String>,
}

/// Output of a `cli/v1` plugin. Helm ignores it; Rudder only checks that it is JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CliOutput {
    /// The JSON the plugin returned (`null` if it returned nothing).
    pub raw: serde_json::Value,
}

/// Options of a `getter/v1` call, with Helm's capitalised keys (Go field names, no JSON tags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetterOptions {
    /// The URL being fetched.
    #[serde(rename = "URL")]
    pub url: String,
    /// TLS client certificate file.
    #[serde(rename = "CertFile")]
    pub cert_file: String,
    /// TLS client key file.
    #[serde(rename = "KeyFile")]
    pub key_file: String,
    /// CA bundle file.
    #[serde(rename = "CAFile")]
    pub ca_file: String,
    /// Whether the caller will untar the result.
    #[serde(rename = "UNTar")]
    pub untar: bool,
    /// Skip TLS verification.
    #[serde(rename = "InsecureSkipVerifyTLS")]
    pub insecure_skip_verify_tls: bool,
    /// Use plain HTTP.
    #[serde(rename = "PlainHTTP")]
    pub plain_http: bool,
    /// HTTP `Accept` header.
    #[serde(rename = "AcceptHeader")]
    pub accept_header: String,
    /// Basic-auth user name.
    #[serde(rename = "Username")]
    pub username: String,
    /// Basic-auth password.
    #[serde(rename = "Password")]
    pub password: String,
    /// Send credentials to all domains.
    #[serde(rename = "PassCredentialsAll")]
    pub pass_credentials_all: bool,
    /// HTTP `User-Agent`.
    #[serde(rename = "UserAgent")]
    pub user_agent: String,
    /// Chart version requested.
    #[serde(rename = "Version")]
    pub version: String,
    /// Timeout in nanoseconds (Go `time.Duration`).
    #[serde(rename = "Timeout")]
    pub timeout: i64,
}

/// Input of a `getter/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetterInput {
    /// The URL to fetch.
    pub href: String,
    /// Its scheme (without `://`).
    pub protocol: String,
    /// Fetch options.
    pub options: GetterOptions,
}

impl GetterInput {
    /// A request for `href` with default options; the protocol is the URL's scheme.
    pub fn for_url(href: &str) -> Self {
        let protocol = href.split_once("://").map(|(s, _)| s).unwrap_or_default();
        GetterInput {
            href: href.to_string(),
            protocol: protocol.to_string(),
            options: GetterOptions {
                url: href.to_string(),
                ..GetterOptions::default()
            },
        }
    }
}

/// Output of a `getter/v1` plugin: the fetched bytes (`{"data": "<base64>"}` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetterOutput {
    /// The content, decoded.
    pub data: Vec<u8>,
}

/// Input of a `postrenderer/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRendererInput {
    /// The rendered manifests, one YAML stream.
    pub manifests: String,
    /// `--post-renderer-args`.
    #[serde(rename = "extraArgs")]
    pub extra_args: Vec<String>,
}

/// Output of a `postrenderer/v1` plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRendererOutput {
    /// The rewritten manifests.
    pub manifests: String,
}

/// A message to a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// For a `cli/v1` plugin.
    Cli(CliInput),
    /// For a `getter/v1` plugin.
    Getter(Box<GetterInput>),
    /// For a `postrenderer/v1` plugin.
    PostRenderer(PostRendererInput),
}

impl Message {
    /// The plugin type this message is for.
    pub fn plugin_type(&self) -> PluginType {
        match self {
            Message::Cli(_) => PluginType::Cli,
            Message::Getter(_) => PluginType::Getter,
            Message::PostRenderer(_) => PluginType::PostRenderer,
        }
    }

    /// The JSON bytes sent to the plugin.
    pub fn to_json(&self) -> Vec<u8> {
        let encoded = match self {
            Message::Cli(m) => serde_json::to_vec(m),
            Message::Getter(m) => serde_json::to_vec(m),
            Message::PostRenderer(m) => serde_json::to_vec(m),
        };
        // Serialising these plain structs (strings, bools, integers) cannot fail.
        encoded.unwrap_or_default()
    }
}

/// A plugin's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// From a `cli/v1` plugin.
    Cli(CliOutput),
    /// From a `getter/v1` plugin.
    Getter(GetterOutput),
    /// From a `postrenderer/v1` plugin.
    PostRenderer(PostRendererOutput),
}

#[derive(Deserialize)]
struct GetterWire {
    data: Option<String>,
}

impl Response {
    /// Decodes a plugin's output bytes for a plugin of type `ty`. The error is one line.
    pub fn decode(ty: PluginType, bytes: &[u8]) -> Result<Self, String> {
        match ty {
            PluginType::Cli => {
                let raw = if bytes.iter().all(u8::is_ascii_whitespace) {
                    serde_json::Value::Null
                } else {
                    serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?
                };
                Ok(Response::Cli(CliOutput { raw }))
            }
            PluginType::Getter => {
                let wire: GetterWire =
                    serde_json::from_slice(bytes).map_err(|e| format!("getter/v1: {e}"))?;
                let text = wire.data.ok_or("getter/v1: missing \"data\"")?;
                let data = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|e| format!("getter/v1: \"data\" is not base64: {e}"))?;
                Ok(Response::Getter(GetterOutput { data }))
            }
            PluginType::PostRenderer => {
                let out: PostRendererOutput =
                    serde_json::from_slice(bytes).map_err(|e| format!("postrenderer/v1: {e}"))?;
                if out.manifests.trim().is_empty() {
                    return Err("postrenderer/v1: produced empty output".to_string());
                }
                Ok(Response::PostRenderer(out))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getter_input_uses_helm_keys() {
        let json = String::from_utf8(
            Message::Getter(Box::new(GetterInput::for_url("example://a/b"))).to_json(),
        )
        .unwrap();
        assert!(json.starts_with(r#"{"href":"example://a/b","protocol":"example","options":{"URL":"example://a/b","CertFile":"""#), "{json}");
        for key in [
            "\"UNTar\":false",
            "\"InsecureSkipVerifyTLS\"",
            "\"PassCredentialsAll\"",
            "\"Timeout\":0",
        ] {
            assert!(json.contains(key), "{key} missing in {json}");
        }
    }

    #[test]
    fn decode_outputs() {
        let r = Response::decode(PluginType::Getter, br#"{"data":"aGVsbG8="}"#).unwrap();
        assert_eq!(
            r,
            Response::Getter(GetterOutput {
                data: b"hello".to_vec()
            })
        );
        assert!(Response::decode(PluginType::Getter, br#"{"data":"***"}"#).is_err());
        assert!(Response::decode(PluginType::PostRenderer, br#"{"manifests":""}"#).is_err());
        assert!(Response::decode(PluginType::Cli, b"{}").is_ok());
        assert!(Response::decode(PluginType::Cli, b"").is_ok());
        assert!(Response::decode(PluginType::Cli, b"nope").is_err());
    }
}
