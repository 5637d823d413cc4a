//! The pipeline (split, empty documents, hooks, install order, tie-breaking, CRDs, layout)
//! reproduces real `helm template --include-crds` output byte for byte.
//!
//! Golden: `charts-v3-spec/evidence/helm-template.yaml`, produced by Helm 4.1.4 from
//! `charts-v3-spec/evidence/order/` with `charts-v3-spec/tools/helm-order-check.sh`. The
//! chart's templates contain no template directives, so an identity engine stands in for
//! Go templates.

mod common;

use rudder_render::{
    OutputOptions, RenderError, RenderOptions, RenderedFile, TemplateEngine, TemplateSet,
    render_with,
};

/// Renders every template as its own text.
struct Identity;

impl TemplateEngine for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }

    fn render(
        &self,
        set: &TemplateSet<'_>,
        _: &RenderOptions<'_>,
    ) -> Result<Vec<RenderedFile>, RenderError> {
        Ok(set
            .templates
            .iter()
            .filter(|t| t.render)
            .map(|t| RenderedFile {
                name: t.name.clone(),
                content: t.text.to_string(),
            })
            .collect())
    }
}

#[test]
fn matches_helm_template_output() {
    let evidence = common::repo_root().join("charts-v3-spec/evidence");
    let (chart, values) = common::load_prepared(&evidence.join("order"));
    let rendered = render_with(&Identity, &chart, &values, &RenderOptions::default())
        .expect("order chart renders");
    let ours = rendered.template_output(&OutputOptions {
        include_crds: true,
        ..Default::default()
    });
    let helm = std::fs::read_to_string(evidence.join("helm-template.yaml")).unwrap();
    if ours != helm {
        let first = ours
            .lines()
            .zip(helm.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "differs from helm at line {}:\nours: {:?}\nhelm: {:?}",
            first + 1,
            ours.lines().nth(first),
            helm.lines().nth(first)
        );
    }
}
