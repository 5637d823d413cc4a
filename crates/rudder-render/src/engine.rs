//! The engine-independent view of a chart tree's templates, and the engine trait.

use rudder_chart::{Chart, File, Metadata};
use rudder_values::{Map, Value};

use crate::{RenderError, RenderOptions};

/// The values and chart facts one chart of the tree renders with.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// Full path of the chart in the tree: `parent` or `parent/charts/sub`.
    pub chart_path: String,
    /// The chart's metadata.
    pub metadata: &'a Metadata,
    /// Values scoped to this chart (the top-level values for the root; `values.<sub>` of
    /// the parent's scope for a subchart, which includes `global`).
    pub values: Value,
    /// The chart's non-template files (`Files`).
    pub files: &'a [File],
}

impl Scope<'_> {
    /// `Template.BasePath`: `<chart_path>/templates`.
    pub fn base_path(&self) -> String {
        format!("{}/templates", self.chart_path)
    }

    /// The metadata with Helm's Go field names (`Name`, `Version`, `AppVersion`, ...),
    /// as templates see it under `Chart`.
    pub fn chart_value(&self) -> Value {
        let m = self.metadata;
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("APIVersion", Value::from(m.api_version.as_str()));
        put("Name", Value::from(m.name.as_str()));
        put("Version", Value::from(m.version.as_str()));
        put("AppVersion", Value::from(m.app_version.as_str()));
        put("Description", Value::from(m.description.as_str()));
        put("Home", Value::from(m.home.as_str()));
        put("Icon", Value::from(m.icon.as_str()));
        put("KubeVersion", Value::from(m.kube_version.as_str()));
        put("Deprecated", Value::from(m.deprecated));
        put(
            "Type",
            Value::from(if m.chart_type == rudder_chart::ChartType::Library {
                "library"
            } else {
                "application"
            }),
        );
        put("Keywords", Value::from(m.keywords.clone()));
        put("Sources", Value::from(m.sources.clone()));
        put(
            "Annotations",
            Value::Object(
                m.annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            ),
        );
        put(
            "Maintainers",
            Value::Array(
                m.maintainers
                    .iter()
                    .map(|x| serde_json::json!({"Name": x.name, "Email": x.email, "URL": x.url}))
                    .collect(),
            ),
        );
        put(
            "Dependencies",
            Value::Array(
                m.dependencies
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "Name": d.name, "Version": d.version, "Repository": d.repository,
                            "Condition": d.condition, "Tags": d.tags, "Enabled": d.enabled,
                            "Alias": d.alias,
                        })
                    })
                    .collect(),
            ),
        );
        Value::Object(map)
    }
}

/// One template of the tree.
#[derive(Debug, Clone)]
pub struct TemplateSource<'a> {
    /// Full name: `<chart_path>/templates/<file>`; also what `# Source:` prints.
    pub name: String,
    /// Template text (lossily decoded UTF-8).
    pub text: std::borrow::Cow<'a, str>,
    /// Index into [`TemplateSet::scopes`].
    pub scope: usize,
    /// Whether the engine renders it: `false` for partials (base name starting with `_`),
    /// which are only reachable through include/import/define.
    pub render: bool,
}

/// Every template of a chart tree, with the scopes they render in.
///
/// Engines get the whole set at once because templates reference each other across files
/// and charts (Go `define`/`include`, Jinja `import`/`include`).
#[derive(Debug, Clone)]
pub struct TemplateSet<'a> {
    /// Templates, sorted by full name.
    pub templates: Vec<TemplateSource<'a>>,
    /// Chart scopes; index 0 is the top-level chart.
    pub scopes: Vec<Scope<'a>>,
}

impl<'a> TemplateSet<'a> {
    /// Collects the templates of `chart` and its subcharts (recursively). `values` are the
    /// final values of the top-level chart.
    pub fn from_chart(chart: &'a Chart, values: &Value) -> Self {
        let mut set = TemplateSet {
            templates: Vec::new(),
            scopes: Vec::new(),
        };
        set.add(chart, chart.metadata.name.clone(), values.clone());
        set.templates.sort_by(|a, b| a.name.cmp(&b.name));
        set
    }

    fn add(&mut self, chart: &'a Chart, chart_path: String, values: Value) {
        let scope = self.scopes.len();
        self.scopes.push(Scope {
            chart_path: chart_path.clone(),
            metadata: &chart.metadata,
            values: values.clone(),
            files: &chart.files,
        });
        let library = chart.is_library();
        for file in &chart.templates {
            let base = file.name.rsplit('/').next().unwrap_or(&file.name);
            self.templates.push(TemplateSource {
                name: format!("{chart_path}/{}", file.name),
                text: String::from_utf8_lossy(&file.data),
                scope,
                render: !base.starts_with('_') && !library,
            });
        }
        for dep in &chart.dependencies {
            let sub_values = values
                .get(&dep.metadata.name)
                .filter(|v| v.is_object())
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            self.add(
                dep,
                format!("{chart_path}/charts/{}", dep.metadata.name),
                sub_values,
            );
        }
    }
}

/// The output of one rendered template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Full template name.
    pub name: String,
    /// Rendered text.
    pub content: String,
}

/// A template language. Implementations: [`crate::jinja::MinijinjaEngine`] (v3) and the
/// Go-template engine (v1/v2, in its own crate).
///
/// The contract mirrors Helm's engine: all templates of the tree form one namespace
/// (full names), each rendered template sees the context of its own [`Scope`]
/// (`Values`, `Chart`, `Files`, plus `Release`, `Capabilities` from the options and
/// `Template.Name`/`Template.BasePath`), and templates may reference each other across
/// files and charts. Partials are never rendered on their own.
pub trait TemplateEngine {
    /// Short engine name for diagnostics (`minijinja`, `gotemplate`).
    fn name(&self) -> &'static str;

    /// Renders every template with `render == true`, returning one entry per template in
    /// the set's order. Errors name the template, line and column.
    fn render(
        &self,
        set: &TemplateSet<'_>,
        options: &RenderOptions<'_>,
    ) -> Result<Vec<RenderedFile>, RenderError>;
}
