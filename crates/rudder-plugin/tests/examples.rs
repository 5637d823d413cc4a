//! The example plugins of `plugins/`, built from source, run under the extism/v1 host.

mod support;

use rudder_plugin::messages::{CliInput, GetterInput, PostRendererInput};
use rudder_plugin::{
    CallIo, Failure, HostOptions, Message, ModuleSource, PluginError, PluginHost, Response,
};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hello_prints_greeting_with_filtered_env() {
    let host = support::host();
    let plugin = support::example(&host, "hello");
    let io = CallIo {
        env: env(&[("HOME", "/root"), ("HELM_DEBUG", "true")]),
        ..CallIo::default()
    };
    let call = plugin
        .invoke(
            &Message::Cli(CliInput {
                extra_args: vec!["Rudder".into(), "crew".into()],
            }),
            io,
        )
        .expect("hello runs");
    assert_eq!(
        String::from_utf8_lossy(&call.stdout),
        "Hello, Rudder crew!\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&call.stderr),
        "plugin name from the environment: hello\n"
    );
    assert!(matches!(call.response, Response::Cli(_)));
}

#[test]
fn getter_serves_the_chart_built_by_helm() {
    let host = support::host();
    let plugin = support::example(&host, "example-getter");
    let call = plugin
        .invoke(
            &Message::Getter(Box::new(GetterInput::for_url(
                "example://charts/example-0.1.0.tgz",
            ))),
            CallIo::default(),
        )
        .expect("getter runs");
    let expected =
        std::fs::read(support::repo_root().join("plugins/example-getter/assets/example-0.1.0.tgz"))
            .expect("asset");
    match call.response {
        Response::Getter(out) => assert_eq!(out.data, expected),
        other => panic!("unexpected response {other:?}"),
    }

    let index = plugin
        .invoke(
            &Message::Getter(Box::new(GetterInput::for_url(
                "example://charts/index.yaml",
            ))),
            CallIo::default(),
        )
        .expect("index");
    let Response::Getter(out) = index.response else {
        panic!("getter response")
    };
    assert!(String::from_utf8_lossy(&out.data).contains("example://charts/example-0.1.0.tgz"));

    let err = plugin
        .invoke(
            &Message::Getter(Box::new(GetterInput::for_url(
                "example://charts/nope-1.0.0.tgz",
            ))),
            CallIo::default(),
        )
        .expect_err("unknown chart");
    assert_eq!(
        err.failure(),
        Some(&Failure::Reported {
            code: 1,
            message: "example://charts/nope-1.0.0.tgz not found".into()
        })
    );
    assert_eq!(
        err.to_string(),
        "plugin \"example-getter\" failed: plugin error (code 1): example://charts/nope-1.0.0.tgz not found"
    );
}

#[test]
fn post_renderer_adds_label_to_every_manifest() {
    let host = support::host();
    let plugin = support::example(&host, "add-label");
    let manifests = "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: x\ndata:\n  k: v\n---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n    name: b\nspec:\n    ports: []\n";
    let call = plugin
        .invoke(
            &Message::PostRenderer(PostRendererInput {
                manifests: manifests.into(),
                extra_args: vec![],
            }),
            CallIo::default(),
        )
        .expect("post-renderer runs");
    let Response::PostRenderer(out) = call.response else {
        panic!("post-renderer response")
    };
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&out.manifests).expect("output is YAML");
    assert_eq!(docs.len(), 2, "{}", out.manifests);
    for doc in &docs {
        assert_eq!(
            doc["metadata"]["labels"]["rudder.example/post-rendered"], "true",
            "{}",
            out.manifests
        );
    }
    assert_eq!(docs[0]["metadata"]["labels"]["app"], "x");
    assert_eq!(docs[1]["spec"]["ports"], serde_json::json!([]));

    // Helm 4.1.4 sends `{}` for the manifests: the plugin says so instead of returning nothing.
    let err = plugin
        .call_raw(br#"{"manifests":{},"extraArgs":[]}"#, CallIo::default())
        .expect_err("no manifests");
    assert!(err.to_string().contains("no manifests received"), "{err}");
}

#[test]
fn message_must_match_plugin_type() {
    let host = support::host();
    let plugin = support::example(&host, "hello");
    let err = plugin
        .invoke(
            &Message::Getter(Box::new(GetterInput::for_url("example://x"))),
            CallIo::default(),
        )
        .expect_err("wrong type");
    assert!(matches!(err, PluginError::WrongType { .. }), "{err}");
}

#[test]
fn compiled_module_cache_round_trip() {
    let cache = tempfile::tempdir().expect("cache dir");
    let options = HostOptions {
        cache_dir: Some(cache.path().join("wasm")),
    };
    let first = PluginHost::new(options.clone()).expect("host");
    let plugin = support::example(&first, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Compiled);
    drop((plugin, first));

    let second = PluginHost::new(options).expect("host");
    let plugin = support::example(&second, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Cache);
    let call = plugin
        .invoke(&Message::Cli(CliInput::default()), CallIo::default())
        .expect("cached module runs");
    assert_eq!(String::from_utf8_lossy(&call.stdout), "Hello, world!\n");

    // A damaged entry is detected by its checksum, recompiled and rewritten; so is an entry
    // whose checksum file is missing. (The module maps its entry file: drop it before the test
    // writes into that file in place, which Rudder itself never does.)
    drop(plugin);
    let mut entries: Vec<_> = std::fs::read_dir(cache.path().join("wasm"))
        .expect("cache entries")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    let names: Vec<_> = entries
        .iter()
        .filter_map(|p| p.extension().and_then(|e| e.to_str()))
        .collect();
    assert_eq!(names, ["crc", "cwasm"], "{entries:?}");
    let cwasm = &entries[1];
    let mut bytes = std::fs::read(cwasm).expect("entry");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(cwasm, &bytes).expect("damage entry");
    let plugin = support::example(&second, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Compiled);
    let plugin = support::example(&second, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Cache);
    std::fs::remove_file(&entries[0]).expect("remove checksum");
    let plugin = support::example(&second, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Compiled);
    let plugin = support::example(&second, "hello");
    assert_eq!(plugin.module_source(), ModuleSource::Cache);
    let call = plugin
        .invoke(&Message::Cli(CliInput::default()), CallIo::default())
        .expect("re-cached module runs");
    assert_eq!(String::from_utf8_lossy(&call.stdout), "Hello, world!\n");
}
