//! Post-rendering as Helm 4 does it (`pkg/action/action.go`: `annotateAndMerge`,
//! `splitAndDeannotate`).
//!
//! Every document of every rendered template (NOTES excluded) is annotated with
//! [`FILENAME_ANNOTATION`] naming its template, re-serialised and joined into one stream
//! for the [`PostRenderer`]. Its output is split back into documents, each returned to the
//! template named by its annotation (documents without one go to
//! `<chart>/generated-by-postrender.yaml`) with the annotation removed. Hooks and ordering
//! are then derived from the result as usual. Documents are re-serialised with sorted keys,
//! as Helm's JSON round trip does.

use std::collections::BTreeMap;

use rudder_values::Value;

use crate::manifest::split_manifests;
use crate::{PostRenderer, RenderError, RenderedFile};

/// The annotation carrying a document's template through the post-renderer.
pub const FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

fn output_error(message: String) -> RenderError {
    RenderError::PostRenderOutput { message }
}

fn to_yaml(v: &Value) -> Result<String, RenderError> {
    serde_saphyr::to_string(v).map_err(|e| output_error(format!("cannot serialise: {e}")))
}

/// Runs `post` over the rendered files and returns the files it produced.
pub(crate) fn run(
    post: &dyn PostRenderer,
    files: Vec<RenderedFile>,
    chart_name: &str,
) -> Result<Vec<RenderedFile>, RenderError> {
    let mut stream = String::new();
    let mut kept = Vec::new();
    let mut files = files;
    files.sort_by(|a, b| a.name.cmp(&b.name));
    for file in files {
        if file.name.ends_with("NOTES.txt") {
            kept.push(file);
            continue;
        }
        for (index, doc) in split_manifests(&file.content).into_iter().enumerate() {
            let mut value = rudder_values::yaml::from_str(&doc, &file.name).map_err(|e| {
                RenderError::ManifestYaml {
                    location: crate::Location::file(&file.name),
                    message: format!("document {}: {}", index + 1, e.message),
                }
            })?;
            let Value::Object(obj) = &mut value else {
                continue;
            };
            let meta = obj
                .entry("metadata")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(meta) = meta {
                let ann = meta
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(ann) = ann {
                    ann.insert(
                        FILENAME_ANNOTATION.to_string(),
                        Value::from(file.name.as_str()),
                    );
                }
            }
            stream.push_str("---\n");
            stream.push_str(&to_yaml(&value)?);
        }
    }
    let output = post.run(&stream).map_err(RenderError::PostRender)?;
    let docs = rudder_values::yaml::from_str_multi(&output, "post-renderer output")
        .map_err(|e| output_error(e.to_string()))?;
    let mut by_file: BTreeMap<String, String> = BTreeMap::new();
    for (index, mut doc) in docs.into_iter().enumerate() {
        let Value::Object(obj) = &mut doc else {
            return Err(output_error(format!(
                "document {} is not a mapping",
                index + 1
            )));
        };
        let mut name = format!("{chart_name}/generated-by-postrender.yaml");
        if let Some(Value::Object(meta)) = obj.get_mut("metadata")
            && let Some(Value::Object(ann)) = meta.get_mut("annotations")
        {
            if let Some(Value::String(f)) = ann.remove(FILENAME_ANNOTATION) {
                name = f;
            }
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
        let text = by_file.entry(name).or_default();
        text.push_str("---\n");
        text.push_str(&to_yaml(&doc)?);
    }
    kept.extend(
        by_file
            .into_iter()
            .map(|(name, content)| RenderedFile { name, content }),
    );
    Ok(kept)
}
