//! `hello`: a cli/v1 plugin for Rudder and Helm 4 (runtime extism/v1).
//!
//! Prints a greeting to stdout naming its arguments and shows the plugin-visible environment
//! variables `RUDDER_PLUGIN_NAME`/`HELM_PLUGIN_NAME`. The output message is `{}`, which is what
//! Helm 4 expects from a CLI plugin (its `data` field is a Go `*bytes.Buffer`).

use extism_pdk::{FnResult, Json, plugin_fn};
use serde::{Deserialize, Serialize};

/// Input of a cli/v1 plugin as Helm 4 and Rudder send it.
#[derive(Deserialize)]
struct CliInput {
    #[serde(rename = "extraArgs", default)]
    extra_args: Vec<String>,
}

/// Output of a cli/v1 plugin: empty.
#[derive(Serialize)]
struct CliOutput {}

#[plugin_fn]
pub fn helm_plugin_main(Json(input): Json<CliInput>) -> FnResult<Json<CliOutput>> {
    let who = if input.extra_args.is_empty() {
        "world".to_string()
    } else {
        input.extra_args.join(" ")
    };
    println!("Hello, {who}!");
    if let Ok(name) = std::env::var("HELM_PLUGIN_NAME") {
        eprintln!("plugin name from the environment: {name}");
    }
    Ok(Json(CliOutput {}))
}
