//! The v3 example chart renders with the whole pipeline.

mod common;

use rudder_render::{HookEvent, OutputOptions, RenderOptions, render};

#[test]
fn hello_v3_renders_every_part() {
    let dir = common::repo_root().join("testdata/charts/hello-v3");
    let (chart, values) = common::load_prepared(&dir);
    let rendered = render(&chart, &values, &RenderOptions::default()).expect("hello-v3 renders");

    let kinds: Vec<(&str, &str)> = rendered
        .manifests
        .iter()
        .map(|m| (m.head.kind.as_str(), m.source.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "ConfigMap",
                "hello-v3/charts/greeter/templates/configmap.yaml"
            ),
            ("ConfigMap", "hello-v3/templates/configmap.yaml"),
            ("Service", "hello-v3/templates/service.yaml"),
            ("Deployment", "hello-v3/templates/deployment.yaml"),
        ]
    );
    let hooks: Vec<(&str, &[HookEvent], i64)> = rendered
        .hooks
        .iter()
        .map(|h| (h.head.kind.as_str(), h.events.as_slice(), h.weight))
        .collect();
    assert_eq!(
        hooks,
        [
            ("Pod", &[HookEvent::Test][..], 0),
            (
                "Job",
                &[HookEvent::PreInstall, HookEvent::PreUpgrade][..],
                -5
            ),
        ]
    );
    let notes = rendered.notes.as_deref().expect("NOTES.txt is collected");
    assert!(
        notes.contains("is installed as release-name in default"),
        "{notes}"
    );

    let out = rendered.template_output(&OutputOptions::default());
    assert!(out.starts_with("---\n# Source: hello-v3/charts/greeter/templates/configmap.yaml\n"));
    // Subchart sees its own values, global, its own Chart and its full template name.
    assert!(out.contains("message: \"hi from the subchart\""), "{out}");
    assert!(out.contains("app.kubernetes.io/part-of: platform"), "{out}");
    assert!(
        out.contains("template: hello-v3/charts/greeter/templates/configmap.yaml"),
        "{out}"
    );
    // Go-compatible quoting and Chart.AppVersion fallback.
    assert!(out.contains("feature-flag: \"on\""), "{out}");
    assert!(out.contains("image: \"nginx:1.27.0\""), "{out}");
    // Every document parses back.
    for doc in out.split("\n---\n") {
        rudder_values::yaml::from_str(doc, "out").expect("valid YAML");
    }
}

#[test]
fn hello_v3_missing_value_is_a_located_error() {
    let dir = common::repo_root().join("testdata/charts/hello-v3");
    let (chart, mut values) = common::load_prepared(&dir);
    if let Some(obj) = values.as_object_mut() {
        obj.remove("service");
    }
    let err = render(&chart, &values, &RenderOptions::default()).unwrap_err();
    let text = err.to_string();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("hello-v3/templates/"), "{text}");
    assert!(text.contains("undefined value `Values.service`"), "{text}");
}

#[test]
fn hello_v3_subchart_condition_prunes_it() {
    let dir = common::repo_root().join("testdata/charts/hello-v3");
    let chart = common::load(&dir).unwrap();
    let user = serde_json::json!({"greeter": {"enabled": false}, "migrations": {"enabled": false}});
    let (chart, values) = common::prepare(&chart, &user).unwrap();
    let rendered = render(&chart, &values, &RenderOptions::default()).unwrap();
    assert!(
        rendered
            .manifests
            .iter()
            .all(|m| !m.source.contains("/charts/greeter/"))
    );
    assert_eq!(rendered.hooks.len(), 1, "only the test hook remains");
    // hello-v3 waits for greeter; once greeter is disabled there is nothing to wait for.
    assert!(rendered.v3.subchart_depends_on.is_empty());
}
