//! `add-label`: a postrenderer/v1 plugin that adds `rudder.example/post-rendered: "true"` to the
//! `metadata.labels` of every manifest in the stream (runtime extism/v1).
//!
//! Rudder sends the manifests as a YAML string (`{"manifests": "...", "extraArgs": [...]}`);
//! Helm 4.1.4 sends `{}` there (helm/helm#31832), which this plugin reports as an error.
//! `extraArgs` of the form `KEY=VALUE` replace the default label.
//!
//! The edit is line-based, to keep the plugin small: it expects block-style YAML with a
//! top-level `metadata:` mapping, as templates and Helm's output are written. A document without
//! `metadata:` is passed through unchanged.

use extism_pdk::{FnResult, Json, WithReturnCode, plugin_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct PostRendererInput {
    /// A string for Rudder; `{}` for Helm 4.1.4 (its Go `*bytes.Buffer`).
    #[serde(default)]
    manifests: extism_pdk::json::Value,
    #[serde(rename = "extraArgs", default)]
    extra_args: Vec<String>,
}

#[derive(Serialize)]
struct PostRendererOutput {
    manifests: String,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Adds `key: "value"` to the labels of one YAML document.
fn label_document(doc: &str, key: &str, value: &str) -> String {
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let Some(meta) = lines
        .iter()
        .position(|l| l.trim_end() == "metadata:" && indent_of(l) == 0)
    else {
        return doc.to_string();
    };
    // The metadata block: following lines that are blank or indented.
    let mut end = meta + 1;
    while end < lines.len() && (is_blank_or_comment(lines[end]) || indent_of(lines[end]) > 0) {
        end += 1;
    }
    let child_indent = lines[meta + 1..end]
        .iter()
        .find(|l| !is_blank_or_comment(l))
        .map(|l| indent_of(l))
        .unwrap_or(2);
    let pad = " ".repeat(child_indent);
    let entry = |indent: usize| format!("{}{key}: {value:?}\n", " ".repeat(indent));
    let mut out = String::with_capacity(doc.len() + 64);
    let labels = (meta + 1..end).find(|&i| {
        indent_of(lines[i]) == child_indent && lines[i].trim_end() == format!("{pad}labels:")
    });
    match labels {
        Some(i) => {
            let label_indent = lines[i + 1..end]
                .iter()
                .find(|l| !is_blank_or_comment(l))
                .map(|l| indent_of(l))
                .filter(|&n| n > child_indent)
                .unwrap_or(child_indent + 2);
            for l in &lines[..=i] {
                out.push_str(l);
            }
            if !lines[i].ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&entry(label_indent));
            for l in &lines[i + 1..] {
                out.push_str(l);
            }
        }
        None => {
            for l in &lines[..=meta] {
                out.push_str(l);
            }
            if !lines[meta].ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{pad}labels:\n"));
            out.push_str(&entry(child_indent * 2));
            for l in &lines[meta + 1..] {
                out.push_str(l);
            }
        }
    }
    out
}

/// Splits a YAML stream at `---` lines and labels each document.
fn label_stream(stream: &str, key: &str, value: &str) -> String {
    let mut out = String::with_capacity(stream.len() + 256);
    let mut doc = String::new();
    for line in stream.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            out.push_str(&label_document(&doc, key, value));
            doc.clear();
            out.push_str(line);
        } else {
            doc.push_str(line);
        }
    }
    out.push_str(&label_document(&doc, key, value));
    out
}

#[plugin_fn]
pub fn helm_plugin_main(
    Json(input): Json<PostRendererInput>,
) -> FnResult<Json<PostRendererOutput>> {
    let manifests = match input.manifests {
        extism_pdk::json::Value::String(s) => s,
        _ => {
            return Err(WithReturnCode::new(
                extism_pdk::Error::msg(
                    "no manifests received (\"manifests\" must be a YAML string)",
                ),
                1,
            ));
        }
    };
    let (key, value) = input
        .extra_args
        .iter()
        .find_map(|a| a.split_once('='))
        .unwrap_or(("rudder.example/post-rendered", "true"));
    Ok(Json(PostRendererOutput {
        manifests: label_stream(&manifests, key, value),
    }))
}
