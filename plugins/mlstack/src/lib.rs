//! `mlstack`: a getter/v1 plugin serving the Kubeflow ML stack charts (runtime extism/v1).
//!
//! - `mlstack://<component>` (`trainer`, `katib`, `kserve`, `spark-operator`, `model-registry`,
//!   `notebooks`): that component's v3 chart;
//! - `mlstack://platform`: the umbrella chart (values `profile: minimal|full`, `components`,
//!   `examples.enabled`, per-component values).
//!
//! The archives are built into the module by `mlstack-charts` (reproducibly), so the plugin
//! needs no file system, network or environment. A requested version (`--version`) must be
//! the chart's version.

use base64::Engine as _;
use extism_pdk::{FnResult, Json, WithReturnCode, plugin_fn};
use serde::{Deserialize, Serialize};

/// Input of a getter/v1 plugin (Helm's capitalised option keys).
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

/// Output of a getter/v1 plugin: the chart archive, base64.
#[derive(Serialize)]
struct GetterOutput {
    data: String,
}

fn fail(message: String) -> WithReturnCode<extism_pdk::Error> {
    WithReturnCode::new(extism_pdk::Error::msg(message), 1)
}

#[plugin_fn]
pub fn helm_plugin_main(Json(input): Json<GetterInput>) -> FnResult<Json<GetterOutput>> {
    if input.protocol != "mlstack" {
        return Err(fail(format!("unsupported protocol {:?}", input.protocol)));
    }
    let path = input
        .href
        .strip_prefix("mlstack://")
        .unwrap_or(&input.href)
        .trim_matches('/');
    let Some((version, archive)) = mlstack_charts::archive(path) else {
        let known: Vec<&str> = mlstack_charts::ARCHIVES
            .iter()
            .map(|(n, _, _)| *n)
            .collect();
        return Err(fail(format!(
            "{}: no such chart (available: {})",
            input.href,
            known.join(", ")
        )));
    };
    let wanted = input.options.version.trim_start_matches('v');
    if !wanted.is_empty() && wanted != version {
        return Err(fail(format!(
            "{}: version {wanted} not available (this plugin serves {version})",
            input.href
        )));
    }
    Ok(Json(GetterOutput {
        data: base64::engine::general_purpose::STANDARD.encode(archive),
    }))
}
