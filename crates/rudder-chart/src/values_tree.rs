//! Values over a chart tree: dependency conditions, tags, import-values and coalescing,
//! as Helm does before rendering.
//!
//! [`prepare`] is the one entry point renderers call: it turns a loaded [`Chart`] into a
//! [`rudder_values::tree::ValuesTree`], runs [`rudder_values::tree::resolve`] with the
//! user's values (already merged from `-f` and the `--set` family by
//! [`rudder_values::options::ValueOptions::merge`]), validates the result against every
//! enabled chart's `values.schema.json`, and returns:
//!
//! - the chart **pruned** of disabled subcharts, each aliased subchart renamed to its
//!   alias (a chart used under two aliases appears twice), and `metadata.dependencies`
//!   reduced to the enabled entries, named by alias, as Helm's `ProcessDependencies`
//!   leaves them;
//! - the final values of the root chart; each subchart's values sit under its name (or
//!   alias) — what a subchart's templates see as `.Values` is
//!   `values[name]` (recursively), `global` included.
//!
//! For a root chart of apiVersion v1/v2, every chart's defaults are decoded with Helm's
//! number model ([`value_model`], [`rudder_values::model::ValueModel::Helm`]); callers
//! merge the user's values with the same model.
//!
//! Matching Chart.yaml entries to charts in `charts/` follows Helm: by name, and by
//! version when the entry's `version` is a range this crate can parse; charts in
//! `charts/` that no entry claims stay, always enabled, ahead of the declared ones.

use rudder_values::coalesce::Warning;
use rudder_values::model::ValueModel;
use rudder_values::schema::{self, SchemaError};
use rudder_values::tree::{self, DependencyRule, EnabledChart, Subchart, TreeError, ValuesTree};
use rudder_values::{Map, Value};

use crate::{ApiVersion, Chart};

/// The value model a chart's values follow: Helm's for apiVersion v1/v2 charts (their
/// templates see Helm's float64s and `--set` int64s), Rudder's exact one for v3.
pub fn value_model(chart: &Chart) -> ValueModel {
    match chart.metadata.api_version {
        ApiVersion::V3 => ValueModel::Exact,
        _ => ValueModel::Helm,
    }
}

/// What [`prepare`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The chart with disabled subcharts removed and aliased subcharts renamed.
    pub chart: Chart,
    /// The root chart's final values (subchart values under each subchart's name).
    pub values: Map,
    /// What Helm would have logged while coalescing (type clashes, non-bool conditions
    /// or tags, missing import-values sources).
    pub warnings: Vec<Warning>,
}

/// Options for [`prepare_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrepareOptions {
    /// Skip `values.schema.json` validation (Helm's `--skip-schema-validation`).
    pub skip_schema_validation: bool,
}

/// Why a chart's values could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The user's values are not a map.
    #[error("values must be a map, found {found}")]
    UserValuesNotAMap {
        /// What was given.
        found: &'static str,
    },
    /// Chart.yaml declares a dependency that is not in `charts/`.
    #[error(
        "chart {chart:?}: dependency {dependency:?} is declared in Chart.yaml but missing from charts/ (run `dependency build`)"
    )]
    MissingDependency {
        /// The declaring chart.
        chart: String,
        /// The missing dependency.
        dependency: String,
    },
    /// Values could not be coalesced with the chart tree.
    #[error(transparent)]
    Values(#[from] TreeError),
    /// The final values violate a chart's schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// Prepares `chart` for rendering with the user's values, validating schemas.
///
/// `user` is the merged user values (a map; `null` counts as empty). See the module docs
/// for what is returned. Equivalent to [`prepare_with`] with default options.
pub fn prepare(chart: &Chart, user: &Value) -> Result<Prepared, PrepareError> {
    prepare_with(chart, user, PrepareOptions::default())
}

/// [`prepare`] with options.
pub fn prepare_with(
    chart: &Chart,
    user: &Value,
    options: PrepareOptions,
) -> Result<Prepared, PrepareError> {
    let user = match user {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(PrepareError::UserValuesNotAMap { found: kind(other) });
        }
    };
    let tree = build_tree(chart, chart.metadata.name.clone(), value_model(chart))?;
    let resolved = tree::resolve(tree, &user)?;
    let pruned = prune(chart, &resolved.enabled);
    if !options.skip_schema_validation {
        let mut violations = Vec::new();
        validate(
            &pruned,
            &resolved.values,
            &pruned.metadata.name,
            &mut violations,
        );
        if !violations.is_empty() {
            return Err(SchemaError { violations }.into());
        }
    }
    Ok(Prepared {
        chart: pruned,
        values: resolved.values,
        warnings: resolved.warnings,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Whether the loaded `version` satisfies a Chart.yaml `range` (lenient: a range this
/// crate cannot parse, or an empty one, matches).
fn version_matches(range: &str, version: &str) -> bool {
    let range = range.trim();
    if range.is_empty() {
        return true;
    }
    let (Ok(req), Ok(ver)) = (
        semver::VersionReq::parse(range),
        semver::Version::parse(version.trim_start_matches('v')),
    ) else {
        return true;
    };
    req.matches(&ver)
}

fn build_tree(chart: &Chart, name: String, model: ValueModel) -> Result<ValuesTree, PrepareError> {
    let values = match &chart.values {
        Value::Object(m) => {
            let mut v = Value::Object(m.clone());
            model.from_yaml(&mut v);
            match v {
                Value::Object(m) => m,
                _ => Map::new(),
            }
        }
        _ => Map::new(),
    };
    let declared = &chart.metadata.dependencies;
    let claims = |sub: &Chart, d: &crate::Dependency| {
        sub.metadata.name == d.name && version_matches(&d.version, &sub.metadata.version)
    };
    let mut children = Vec::new();
    for (i, sub) in chart.dependencies.iter().enumerate() {
        if !declared.iter().any(|d| claims(sub, d)) {
            children.push(Subchart {
                chart: build_tree(sub, sub.metadata.name.clone(), model)?,
                rule: None,
                source: i,
            });
        }
    }
    for d in declared {
        let Some((i, sub)) = chart
            .dependencies
            .iter()
            .enumerate()
            .find(|(_, sub)| claims(sub, d))
        else {
            return Err(PrepareError::MissingDependency {
                chart: chart.metadata.name.clone(),
                dependency: d.name.clone(),
            });
        };
        let name = if d.alias.is_empty() {
            d.name.clone()
        } else {
            d.alias.clone()
        };
        children.push(Subchart {
            chart: build_tree(sub, name, model)?,
            rule: Some(DependencyRule {
                condition: d.condition.clone(),
                tags: d.tags.clone(),
                import_values: d.import_values.clone(),
            }),
            source: i,
        });
    }
    Ok(ValuesTree {
        name,
        values,
        declares_dependencies: !declared.is_empty(),
        children,
    })
}

fn prune(chart: &Chart, enabled: &EnabledChart) -> Chart {
    let mut out = chart.clone();
    out.metadata.name = enabled.name.clone();
    out.dependencies = enabled
        .children
        .iter()
        .filter_map(|e| chart.dependencies.get(e.source).map(|sub| prune(sub, e)))
        .collect();
    out.metadata.dependencies = chart
        .metadata
        .dependencies
        .iter()
        .filter_map(|d| {
            let name = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            enabled.children.iter().any(|e| e.name == *name).then(|| {
                let mut d = d.clone();
                d.name = name.clone();
                d.enabled = true;
                d
            })
        })
        .collect();
    out
}

fn validate(chart: &Chart, values: &Map, path: &str, out: &mut Vec<schema::SchemaViolation>) {
    if let Some(s) = &chart.schema {
        out.extend(schema::validate(path, s, values));
    }
    let empty = Map::new();
    for sub in &chart.dependencies {
        let sub_values = match values.get(&sub.metadata.name) {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        validate(
            sub,
            sub_values,
            &format!("{path}/{}", sub.metadata.name),
            out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Metadata, ModTimes};
    use serde_json::json;

    fn chart(meta: &str, values: Value, schema: Option<&str>, deps: Vec<Chart>) -> Chart {
        let metadata: Metadata =
            rudder_values::yaml::from_str_typed(meta, "Chart.yaml").expect("metadata");
        Chart {
            metadata,
            lock: None,
            values,
            raw_values: None,
            schema: schema.map(|s| s.as_bytes().to_vec()),
            templates: vec![],
            files: vec![],
            dependencies: deps,
            modified: ModTimes::default(),
        }
    }

    fn tree() -> Chart {
        let schema = r#"{"properties": {"port": {"type": "integer"}}}"#;
        let sub = chart(
            "apiVersion: v2\nname: sub\nversion: 1.2.3\n",
            json!({"port": 80}),
            Some(schema),
            vec![],
        );
        chart(
            "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: ^1.0.0\n    alias: first\n  - name: sub\n    version: ~1.2\n    alias: second\n    condition: second.enabled\n",
            json!({"second": {"enabled": false}}),
            None,
            vec![sub],
        )
    }

    #[test]
    fn aliases_rename_and_disabled_subcharts_are_pruned() {
        let p = prepare(&tree(), &json!({"first": {"port": 81}})).unwrap();
        let names: Vec<_> = p.chart.dependencies.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["first"]);
        let declared: Vec<_> = p
            .chart
            .metadata
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.enabled))
            .collect();
        assert_eq!(declared, [("first", true)]);
        assert_eq!(p.values["first"], json!({"port": 81, "global": {}}));
        assert_eq!(p.values["second"], json!({"enabled": false}));

        let p = prepare(&tree(), &json!({"second": {"enabled": true}})).unwrap();
        let names: Vec<_> = p.chart.dependencies.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["first", "second"]);
    }

    #[test]
    fn schema_errors_name_chart_and_value_path() {
        let err = prepare(
            &tree(),
            &json!({"first": {"port": "x"}, "second": {"enabled": true, "port": true}}),
        )
        .unwrap_err();
        let PrepareError::Schema(e) = &err else {
            panic!("{err}")
        };
        let found: Vec<_> = e
            .violations
            .iter()
            .map(|v| (v.chart.as_str(), v.path.as_str()))
            .collect();
        assert_eq!(found, [("top/first", "/port"), ("top/second", "/port")]);
        let skipped = prepare_with(
            &tree(),
            &json!({"first": {"port": "x"}}),
            PrepareOptions {
                skip_schema_validation: true,
            },
        );
        assert!(skipped.is_ok());
    }

    #[test]
    fn missing_dependency_and_bad_user_values() {
        let mut c = tree();
        c.dependencies.clear();
        let err = prepare(&c, &Value::Null).unwrap_err();
        assert_eq!(
            err.to_string(),
            "chart \"top\": dependency \"sub\" is declared in Chart.yaml but missing from charts/ (run `dependency build`)"
        );
        let err = prepare(&tree(), &json!([1])).unwrap_err();
        assert!(matches!(
            err,
            PrepareError::UserValuesNotAMap { found: "a list" }
        ));
    }
}
