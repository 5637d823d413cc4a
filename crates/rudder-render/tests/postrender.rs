//! Post-rendering: documents travel with their template name and come back sorted.

mod common;

use rudder_render::{OutputOptions, PostRenderError, PostRenderer, RenderOptions, render};

struct Rewrite;

impl PostRenderer for Rewrite {
    fn run(&self, manifests: &str) -> Result<String, PostRenderError> {
        assert!(
            manifests.contains(
                "postrenderer.helm.sh/postrender-filename: hello-v3/templates/service.yaml"
            )
        );
        let mut out = manifests.replace("replicas: 2", "replicas: 5");
        out.push_str("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: added\n");
        Ok(out)
    }
}

struct Broken;

impl PostRenderer for Broken {
    fn run(&self, _: &str) -> Result<String, PostRenderError> {
        Err(PostRenderError {
            message: "plugin exited with status 1".to_string(),
        })
    }
}

#[test]
fn post_renderer_rewrites_and_resorts() {
    let (chart, values) =
        common::load_prepared(&common::repo_root().join("testdata/charts/hello-v3"));
    let post = Rewrite;
    let options = RenderOptions {
        post_renderer: Some(&post),
        ..Default::default()
    };
    let rendered = render(&chart, &values, &options).unwrap();
    let first = &rendered.manifests[0];
    assert_eq!(first.head.kind, "Namespace");
    assert_eq!(first.source, "hello-v3/generated-by-postrender.yaml");
    let out = rendered.template_output(&OutputOptions::default());
    assert!(out.contains("replicas: 5"), "{out}");
    assert!(!out.contains("postrender-filename"), "{out}");
    assert!(
        out.contains("# Source: hello-v3/templates/deployment.yaml\n"),
        "{out}"
    );
    assert_eq!(rendered.hooks.len(), 2, "hooks are still recognised");
    assert!(
        rendered.notes.is_some(),
        "NOTES.txt bypasses the post-renderer"
    );
}

#[test]
fn post_renderer_failure_is_reported() {
    let (chart, values) =
        common::load_prepared(&common::repo_root().join("testdata/charts/hello-v3"));
    let post = Broken;
    let options = RenderOptions {
        post_renderer: Some(&post),
        ..Default::default()
    };
    let err = render(&chart, &values, &options).unwrap_err();
    assert_eq!(err.to_string(), "post-rendering failed");
    let source = std::error::Error::source(&err).map(|s| s.to_string());
    assert_eq!(
        source.as_deref(),
        Some("post-renderer failed: plugin exited with status 1")
    );
}
