//! `example-getter`: a getter/v1 plugin serving `example://` URLs (runtime extism/v1).
//!
//! `example://charts/example-0.1.0.tgz` (any path ending in `example-0.1.0.tgz`) returns a small
//! chart archive that is embedded at compile time (`assets/example-0.1.0.tgz`, made by
//! `assets/regenerate.sh` with real Helm). `example://charts/index.yaml` returns a repository
//! index naming that chart. Any other URL is an error.

use base64::Engine as _;
use extism_pdk::{FnResult, Json, WithReturnCode, plugin_fn};
use serde::{Deserialize, Serialize};

/// The chart archive served by this getter.
const CHART: &[u8] = include_bytes!("../assets/example-0.1.0.tgz");

/// Input of a getter/v1 plugin as Helm 4 sends it. Option keys are capitalised (Go field names).
#[derive(Deserialize)]
struct GetterInput {
    href: String,
    protocol: String,
    #[serde(default)]
    options: GetterOptions,
}

#[derive(Deserialize, Default)]
struct GetterOptions {
    #[serde(rename = "Version", default)]
    version: String,
}

/// Output of a getter/v1 plugin: the fetched bytes, base64 (Go `[]byte`).
#[derive(Serialize)]
struct GetterOutput {
    data: String,
}

fn index_yaml() -> String {
    "apiVersion: v1\nentries:\n  example:\n  - apiVersion: v2\n    name: example\n    version: 0.1.0\n    urls:\n    - example://charts/example-0.1.0.tgz\n".to_string()
}

#[plugin_fn]
pub fn helm_plugin_main(Json(input): Json<GetterInput>) -> FnResult<Json<GetterOutput>> {
    if input.protocol != "example" {
        return Err(WithReturnCode::new(
            extism_pdk::Error::msg(format!("unsupported protocol {:?}", input.protocol)),
            1,
        ));
    }
    let body: Vec<u8> = if input.href.ends_with("/index.yaml") {
        index_yaml().into_bytes()
    } else if input.href.ends_with("example-0.1.0.tgz")
        && (input.options.version.is_empty() || input.options.version == "0.1.0")
    {
        CHART.to_vec()
    } else {
        return Err(WithReturnCode::new(
            extism_pdk::Error::msg(format!("{} not found", input.href)),
            1,
        ));
    };
    Ok(Json(GetterOutput {
        data: base64::engine::general_purpose::STANDARD.encode(body),
    }))
}
