//! `template`: render a chart locally, as `helm template` does (client mode: `lookup`
//! returns nothing, no cluster is contacted).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use rudder_chart::Chart;
use rudder_chart::values_tree::PrepareOptions;
use rudder_render::{Capabilities, OutputOptions, ReleaseInfo, RenderOptions, Rendered};

use rudder_values::Map;

use crate::ActionError;
use crate::values::ValueSources;

/// Options of [`template`].
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Chart directory or archive.
    pub chart: PathBuf,
    /// Release name (`.Release.Name`).
    pub release_name: String,
    /// Release namespace (`.Release.Namespace`).
    pub namespace: String,
    /// User values.
    pub values: ValueSources,
    /// Print CRDs from `crds/` first.
    pub include_crds: bool,
    /// Only print documents rendered from these templates (globs over
    /// `templates/x.yaml`-style paths, as Helm's `--show-only`).
    pub show_only: Vec<String>,
    /// `.Capabilities.KubeVersion` (default: the renderer's default).
    pub kube_version: Option<String>,
    /// Extra `.Capabilities.APIVersions`.
    pub api_versions: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    pub is_upgrade: bool,
    /// Leave out test hooks.
    pub skip_tests: bool,
    /// Leave out all hooks.
    pub no_hooks: bool,
    /// Do not validate values against `values.schema.json`.
    pub skip_schema_validation: bool,
    /// Post-renderer run over every document, hooks included (`--post-renderer`).
    pub post_renderer: Option<crate::plugin::SharedPostRenderer>,
    /// Plugins whose getters serve `scheme://` chart references.
    pub getters: Option<std::sync::Arc<crate::plugin::Plugins>>,
    /// Version and registry settings for an `oci://` chart reference.
    pub oci: Option<crate::oci::OciSource>,
}

/// One printed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputDocument {
    /// `<chart>/templates/<file>` (or `<chart>/crds/<file>`).
    pub source: String,
    /// The document, without the separator and the `# Source:` line.
    pub content: String,
}

/// What `template` produced: the documents in print order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateOutput {
    /// Documents in the order `helm template` prints them.
    pub documents: Vec<OutputDocument>,
}

impl TemplateOutput {
    /// The text `helm template` prints.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            out.push_str("---\n# Source: ");
            out.push_str(&d.source);
            out.push('\n');
            out.push_str(&d.content);
            out.push('\n');
        }
        out
    }
}

/// A release name for `--generate-name`: the chart's base name and the current time,
/// as Helm does (`<chart>-<unix seconds>`).
pub fn generate_name(chart: &str) -> String {
    let base = Path::new(chart.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "chart".to_string());
    let base = base.trim_end_matches(".tgz");
    let base = match base.rsplit_once('-') {
        // "mychart-1.2.3.tgz" → "mychart"
        Some((name, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => name,
        _ => base,
    };
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{base}-{secs}")
}

/// Loads, prepares and renders a chart with the user's values.
pub(crate) fn render_chart(opts: &TemplateOptions) -> Result<Rendered, ActionError> {
    let chart = crate::plugin::load_chart(&opts.chart, opts.getters.as_deref(), opts.oci.as_ref())?;
    let user = opts
        .values
        .load(rudder_chart::values_tree::value_model(&chart))?;
    render_prepared(&chart, user, opts)
}

/// Prepares a loaded chart with the user's values (conditions, tags, import-values,
/// coalescing, schema validation) and renders it.
pub(crate) fn render_prepared(
    chart: &Chart,
    user: Map,
    opts: &TemplateOptions,
) -> Result<Rendered, ActionError> {
    let prepared = rudder_chart::values_tree::prepare_with(
        chart,
        &serde_json::Value::Object(user),
        PrepareOptions {
            skip_schema_validation: opts.skip_schema_validation,
        },
    )?;
    for warning in &prepared.warnings {
        tracing::warn!("{warning}");
    }
    let values = serde_json::Value::Object(prepared.values);
    let mut capabilities = Capabilities::default();
    if let Some(v) = &opts.kube_version {
        capabilities.kube_version = Capabilities::parse_kube_version(v)?;
    }
    capabilities
        .api_versions
        .extend(opts.api_versions.iter().cloned());
    let render_options = RenderOptions {
        release: ReleaseInfo {
            name: opts.release_name.clone(),
            namespace: opts.namespace.clone(),
            revision: 1,
            is_install: !opts.is_upgrade,
            is_upgrade: opts.is_upgrade,
            ..ReleaseInfo::default()
        },
        capabilities,
        go_engine: Some(&rudder_render::gotmpl::GoTemplateEngine),
        post_renderer: opts.post_renderer.as_ref().map(|p| &*p.0 as _),
        ..RenderOptions::default()
    };
    Ok(rudder_render::render(
        &prepared.chart,
        &values,
        &render_options,
    )?)
}

/// Renders a chart as `helm template` does.
pub fn template(opts: &TemplateOptions) -> Result<TemplateOutput, ActionError> {
    let rendered = render_chart(opts)?;
    let documents = documents(
        &rendered,
        &OutputOptions {
            include_crds: opts.include_crds,
            skip_tests: opts.skip_tests,
            no_hooks: opts.no_hooks,
        },
    );
    if opts.show_only.is_empty() {
        return Ok(TemplateOutput { documents });
    }
    let mut selected = Vec::new();
    for pattern in &opts.show_only {
        let pattern = pattern.replace('\\', "/");
        let mut found = false;
        for doc in &documents {
            // Helm matches the path below the top-level chart's directory.
            let path = doc.source.split_once('/').map_or("", |(_, rest)| rest);
            if glob_match(&pattern, path) {
                selected.push(doc.clone());
                found = true;
            }
        }
        if !found {
            return Err(ActionError::ShowOnlyNotFound(pattern));
        }
    }
    Ok(TemplateOutput {
        documents: selected,
    })
}

/// The documents `helm template` prints, in its order: CRDs (when asked), manifests,
/// then hooks (the same selection as [`Rendered::template_output`]).
fn documents(rendered: &Rendered, options: &OutputOptions) -> Vec<OutputDocument> {
    let doc = |source: &str, content: &str| OutputDocument {
        source: source.to_string(),
        content: content.to_string(),
    };
    let mut docs = Vec::new();
    if options.include_crds {
        docs.extend(rendered.crds.iter().map(|c| doc(&c.source, &c.content)));
    }
    docs.extend(
        rendered
            .manifests
            .iter()
            .map(|m| doc(&m.source, &m.content)),
    );
    if !options.no_hooks {
        docs.extend(
            rendered
                .hooks
                .iter()
                .filter(|h| !(options.skip_tests && h.is_test()))
                .map(|h| doc(&h.source, &h.content)),
        );
    }
    docs
}

/// Writes each document to `<dir>[/<release>]/<source>` as `helm template --output-dir`
/// does: the first document of a file truncates it, later ones are appended. Returns the
/// files written, in order, once each.
pub fn write_output_dir(
    output: &TemplateOutput,
    dir: &Path,
    release_name: Option<&str>,
) -> Result<Vec<PathBuf>, ActionError> {
    let base = match release_name {
        Some(name) => dir.join(name),
        None => dir.to_path_buf(),
    };
    let mut written: HashSet<PathBuf> = HashSet::new();
    let mut order = Vec::new();
    for doc in &output.documents {
        let path = base.join(&doc.source);
        let write_err = |source| ActionError::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_err)?;
        }
        let append = written.contains(&path);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)
            .map_err(write_err)?;
        write!(file, "---\n# Source: {}\n{}\n", doc.source, doc.content).map_err(write_err)?;
        if written.insert(path.clone()) {
            order.push(path);
        }
    }
    Ok(order)
}

/// Go's `path.Match`: `*` matches any run of non-`/` characters, `?` one non-`/`
/// character, `[…]` a class (with `^` negation and ranges), `\` escapes.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=n.len() {
                if glob_at(rest, &n[i..]) {
                    return true;
                }
                if i < n.len() && n[i] == '/' {
                    break;
                }
            }
            false
        }
        Some('?') => !n.is_empty() && n[0] != '/' && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(&c) = n.first() else { return false };
            if c == '/' {
                return false;
            }
            let mut i = 1;
            let negate = p.get(1) == Some(&'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            let start = i;
            while i < p.len() && (p[i] != ']' || i == start) {
                let lo = if p[i] == '\\' && i + 1 < p.len() {
                    i += 1;
                    p[i]
                } else {
                    p[i]
                };
                if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                    let hi = p[i + 2];
                    matched |= lo <= c && c <= hi;
                    i += 3;
                } else {
                    matched |= lo == c;
                    i += 1;
                }
            }
            if i >= p.len() {
                return false; // unterminated class: Go reports ErrBadPattern, i.e. no match
            }
            matched != negate && glob_at(&p[i + 1..], &n[1..])
        }
        Some('\\') if p.len() > 1 => !n.is_empty() && n[0] == p[1] && glob_at(&p[2..], &n[1..]),
        Some(&c) => !n.is_empty() && n[0] == c && glob_at(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_go_path_match() {
        assert!(glob_match("templates/*.yaml", "templates/cm.yaml"));
        assert!(!glob_match("templates/*.yaml", "templates/sub/cm.yaml"));
        assert!(glob_match("templates/c?.yaml", "templates/cm.yaml"));
        assert!(glob_match("templates/[a-c]m.yaml", "templates/cm.yaml"));
        assert!(!glob_match("templates/[^a-c]m.yaml", "templates/cm.yaml"));
        assert!(glob_match(
            "charts/*/templates/*",
            "charts/sub/templates/x.yaml"
        ));
        assert!(!glob_match("templates/cm.yaml", "templates/cm.yml"));
    }

    #[test]
    fn generated_names_use_the_chart_base_name() {
        assert!(generate_name("charts/mychart-1.2.3.tgz").starts_with("mychart-"));
        assert!(generate_name("./web/").starts_with("web-"));
    }
}
