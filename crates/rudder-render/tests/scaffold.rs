//! `rudder create`'s v3 scaffold loads and renders with the v3 engine.

mod common;

use rudder_render::{OutputOptions, RenderOptions, render};

#[test]
fn scaffold_renders() {
    let dir = tempfile::tempdir().unwrap();
    let path = rudder_chart::scaffold::create("demo", dir.path()).expect("scaffold written");
    assert_eq!(path, dir.path().join("demo"));
    let (chart, values) = common::load_prepared(&path);
    assert_eq!(chart.metadata.api_version, rudder_chart::ApiVersion::V3);
    let rendered = render(&chart, &values, &RenderOptions::default()).expect("scaffold renders");
    let kinds: Vec<&str> = rendered
        .manifests
        .iter()
        .map(|m| m.head.kind.as_str())
        .collect();
    assert_eq!(kinds, ["ServiceAccount", "Service", "Deployment"]);
    assert_eq!(rendered.hooks.len(), 1);
    assert!(rendered.hooks[0].is_test());
    assert!(
        rendered
            .notes
            .as_deref()
            .unwrap_or("")
            .contains("release-name")
    );
    let out = rendered.template_output(&OutputOptions::default());
    assert!(
        out.contains("serviceAccountName: release-name-demo"),
        "{out}"
    );
    assert!(
        !out.contains("annotations:\n      labels"),
        "empty blocks are dropped:\n{out}"
    );
    for doc in out.split("\n---\n") {
        rudder_values::yaml::from_str(doc, "out").expect("valid YAML");
    }
}

#[test]
fn scaffold_optional_blocks_render_when_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = rudder_chart::scaffold::create("demo", dir.path()).unwrap();
    let chart = common::load(&path).unwrap();
    let user = serde_json::json!({
        "podAnnotations": {"a": "1"},
        "resources": {"limits": {"cpu": "100m"}},
        "serviceAccount": {"create": false},
        "tolerations": [{"key": "k", "operator": "Exists"}],
    });
    let (chart, values) = common::prepare(&chart, &user).unwrap();
    let rendered = render(&chart, &values, &RenderOptions::default()).unwrap();
    let out = rendered.template_output(&OutputOptions::default());
    assert!(
        out.contains("      annotations:\n        a: \"1\"\n"),
        "{out}"
    );
    assert!(
        out.contains("          resources:\n            limits:\n              cpu: 100m\n"),
        "{out}"
    );
    assert!(out.contains("serviceAccountName: default"), "{out}");
    assert!(!out.contains("kind: ServiceAccount"), "{out}");
    assert!(
        out.contains("      tolerations:\n        - key: k\n"),
        "{out}"
    );
}
