//! Values over a chart tree: what Helm does between loading a chart and rendering it.
//!
//! The input is a [`ValuesTree`]: each chart's (or alias's) name, its default values and
//! the `condition`, `tags` and `import-values` of the Chart.yaml entry that pulled it in.
//! [`resolve`] then follows Helm 4.1's `ProcessDependencies` + `ToRenderValues`:
//!
//! 1. **Enabled subcharts**, top-down. At each chart, its defaults are coalesced with the
//!    values handed down; every declared dependency starts enabled; `tags` are read from
//!    the `tags` map (a dependency is disabled only when at least one of its tags is set
//!    and every tag that is set is `false`; tags that are not bools are ignored with a
//!    warning); then each comma-separated `condition` path is looked up *relative to the
//!    chart that declares the dependency*: the first one that holds a bool decides and
//!    overrides the tags; non-bool values are ignored with a warning; missing paths are
//!    skipped. Disabled subcharts are removed with their whole subtree. Subcharts that
//!    sit in `charts/` without a Chart.yaml entry are always enabled.
//! 2. **`import-values`**, bottom-up. At each chart that declares dependencies, its
//!    defaults are merged (nulls kept) with its subcharts' values; each entry
//!    `{child: a.b, parent: x.y}` copies the map at `<dep>.a.b` to `x.y`, and a plain
//!    string `s` copies the map at `<dep>.exports.s` to the top of the chart's values.
//!    Earlier imports win over later ones and the chart's own values win over all imports.
//!    Non-map sources are skipped with a warning. The result becomes the chart's defaults.
//! 3. **Coalescing** the user values over those defaults: user values win, maps merge,
//!    lists and scalars replace, every subchart's values sit under its name (or alias),
//!    and `global` is copied from each parent into its subcharts (the parent's globals
//!    win over the subchart's own).
//!
//! # `null` — Rudder's rule
//!
//! Helm has long-standing bugs with `null` around subcharts (helm/helm#5184, #9136,
//! #12637, #32132). Rudder's rule, for the root chart and subcharts alike:
//!
//! 1. **A `null` given for a key by a higher-priority source deletes that key**, whatever
//!    lower-priority source provided it; the chart then sees the key as absent.
//!    Priorities, highest first: the `--set` family, `-f` files (later first), the parent
//!    chart's values.yaml (for its subcharts' keys), the chart's own values.yaml.
//! 2. **A `null` that deletes nothing stays a `null` value** (so `hasKey` sees it), as in
//!    Helm — except that
//! 3. **nulls written in a subchart's own values.yaml are dropped, at any depth**: they
//!    never reach the subchart's values. Helm drops them at the top level of the
//!    subchart but leaks nested ones (`nested: {b: null}` stays), and leaks all of them
//!    when the user nulls the whole subchart key.
//! 4. **`null` for a whole subchart key** (`--set sub=null`) deletes the user's and the
//!    parent's values for it: the subchart gets its own defaults. Helm does the same when
//!    the parent's values.yaml mentions the subchart, and fails with "type mismatch"
//!    otherwise.
//!
//! # Globals
//!
//! `global` flows **down only**: a subchart sees its parent's globals merged over its own
//! (the parent wins, maps merge recursively), and nothing a subchart declares changes its
//! parent's or a sibling's globals. Helm shares nested global maps between charts, so a
//! subchart's `global.a.b.z` default leaks up into its parent's `global.a.b`; Rudder does
//! not reproduce that.
//!
//! The conformance cases that show each difference (with Helm's output next to Rudder's)
//! are marked `rudder:` in `testdata/values-conformance/cases.yaml`.

use crate::coalesce::{Mode, Warning, coalesce_into, join, path_value, remove_nulls, table};
use crate::{Map, Value};

/// One chart in the values tree.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValuesTree {
    /// The name the chart's values live under in its parent: the alias if there is one.
    pub name: String,
    /// The chart's values.yaml.
    pub values: Map,
    /// Whether Chart.yaml declares any dependency. Helm skips conditions, tags and
    /// import-values entirely for charts that declare none.
    pub declares_dependencies: bool,
    /// Subcharts, in Helm's order: undeclared ones first, then one per Chart.yaml entry.
    pub children: Vec<Subchart>,
}

/// A subchart and the Chart.yaml entry that brought it in.
#[derive(Debug, Clone, PartialEq)]
pub struct Subchart {
    /// The subchart (named by its alias, if any).
    pub chart: ValuesTree,
    /// The Chart.yaml entry; `None` for a chart found in `charts/` but not declared.
    pub rule: Option<DependencyRule>,
    /// The caller's handle for this subchart (for example its index in the parent's
    /// list of loaded subcharts); returned unchanged in [`EnabledChart`].
    pub source: usize,
}

/// The parts of a Chart.yaml dependency entry that act on values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DependencyRule {
    /// `condition`: comma-separated value paths, relative to the declaring chart.
    pub condition: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// `import-values`: strings, or maps with `child` and `parent`.
    pub import_values: Vec<Value>,
}

/// A chart that survived conditions and tags, with its enabled subcharts.
#[derive(Debug, Clone, PartialEq)]
pub struct EnabledChart {
    /// Name (alias) under which its values sit.
    pub name: String,
    /// The caller's handle ([`Subchart::source`]); 0 for the root.
    pub source: usize,
    /// Enabled subcharts, in Helm's order.
    pub children: Vec<EnabledChart>,
}

/// The outcome of [`resolve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The final values of the root chart; each subchart's values under its name.
    pub values: Map,
    /// Which charts are enabled.
    pub enabled: EnabledChart,
    /// What Helm would have logged (type clashes, non-bool conditions and tags,
    /// missing import sources).
    pub warnings: Vec<Warning>,
}

/// Values that cannot be coalesced with the chart tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A subchart's key holds something other than a map.
    #[error("values for subchart {path:?} must be a map, found {found}")]
    SubchartNotAMap {
        /// Dotted path of the subchart's key.
        path: String,
        /// What was found there.
        found: &'static str,
    },
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

/// Runs conditions, tags, import-values and coalescing over `tree` with the user's values
/// (already merged from `-f` and the `--set` family; see [`crate::options`]).
pub fn resolve(mut tree: ValuesTree, user: &Map) -> Result<Resolved, TreeError> {
    let mut warnings = Vec::new();
    process_enabled(&mut tree, user, "", &mut warnings)?;
    process_imports(&mut tree, &mut warnings)?;
    let values = coalesce_chart(&tree, user.clone(), "", Mode::Coalesce, &mut warnings)?;
    Ok(Resolved {
        values,
        enabled: enabled_of(&tree, 0),
        warnings,
    })
}

fn enabled_of(tree: &ValuesTree, source: usize) -> EnabledChart {
    EnabledChart {
        name: tree.name.clone(),
        source,
        children: tree
            .children
            .iter()
            .map(|c| enabled_of(&c.chart, c.source))
            .collect(),
    }
}

/// Coalesces `tree`'s defaults (and its subcharts') under `values` (Helm's
/// `CoalesceValues` when `mode` is [`Mode::Coalesce`], `MergeValues` otherwise).
pub fn coalesce_chart(
    tree: &ValuesTree,
    mut values: Map,
    prefix: &str,
    mode: Mode,
    warnings: &mut Vec<Warning>,
) -> Result<Map, TreeError> {
    coalesce_values(tree, &mut values, prefix, mode, warnings);
    coalesce_deps(tree, &mut values, prefix, mode, warnings)?;
    Ok(values)
}

fn coalesce_values(
    tree: &ValuesTree,
    v: &mut Map,
    prefix: &str,
    mode: Mode,
    warnings: &mut Vec<Warning>,
) {
    let sub_prefix = join(prefix, &tree.name);
    let is_subchart = !prefix.is_empty();
    for (key, default) in &tree.values {
        match v.get_mut(key) {
            Some(Value::Null) => {
                if mode == Mode::Coalesce {
                    v.remove(key);
                }
            }
            Some(Value::Object(dest)) => match default {
                Value::Object(src) => {
                    let is_child = tree.children.iter().any(|c| c.chart.name == *key);
                    let m = if is_child { Mode::Merge } else { mode };
                    let mut src = src.clone();
                    // Rudder's fix for helm/helm#32132: a subchart's own nulls are
                    // dropped in both modes, so they never leak into the final values.
                    if is_subchart {
                        remove_nulls(&mut src);
                    }
                    coalesce_into(dest, src, &join(&sub_prefix, key), m, warnings);
                }
                Value::Null => {}
                _ => warnings.push(Warning {
                    path: join(&sub_prefix, key),
                    message: "skipped value: not a table".into(),
                }),
            },
            Some(_) => {}
            None => {
                let mut val = default.clone();
                if is_subchart {
                    if val.is_null() {
                        continue;
                    }
                    if let Value::Object(m) = &mut val {
                        remove_nulls(m);
                    }
                }
                v.insert(key.clone(), val);
            }
        }
    }
}

fn coalesce_deps(
    tree: &ValuesTree,
    v: &mut Map,
    prefix: &str,
    mode: Mode,
    warnings: &mut Vec<Warning>,
) -> Result<(), TreeError> {
    let sub_prefix = join(prefix, &tree.name);
    for child in &tree.children {
        let name = &child.chart.name;
        let sub = match v.remove(name) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(TreeError::SubchartNotAMap {
                    path: join(&sub_prefix, name),
                    found: kind(&other),
                });
            }
        };
        let mut sub = sub;
        coalesce_globals(&mut sub, v, &sub_prefix, warnings);
        let merged = coalesce_chart(&child.chart, sub, &sub_prefix, mode, warnings)?;
        v.insert(name.clone(), Value::Object(merged));
    }
    Ok(())
}

/// Copies `global` from a parent's values into a subchart's; the parent's entries win.
fn coalesce_globals(dest: &mut Map, src: &Map, prefix: &str, warnings: &mut Vec<Warning>) {
    let mut dg = match dest.get(crate::GLOBAL_KEY) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            warnings.push(Warning {
                path: join(prefix, crate::GLOBAL_KEY),
                message: "skipping globals: the subchart's global is not a table".into(),
            });
            return;
        }
    };
    let sg = match src.get(crate::GLOBAL_KEY) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            warnings.push(Warning {
                path: join(prefix, crate::GLOBAL_KEY),
                message: "skipping globals: the parent's global is not a table".into(),
            });
            return;
        }
    };
    for (key, val) in sg {
        match val {
            Value::Object(mut vv) => match dg.get(&key) {
                None => {
                    dg.insert(key, Value::Object(vv));
                }
                Some(Value::Object(dv)) => {
                    coalesce_into(
                        &mut vv,
                        dv.clone(),
                        &join(prefix, &key),
                        Mode::Merge,
                        warnings,
                    );
                    dg.insert(key, Value::Object(vv));
                }
                Some(_) => warnings.push(Warning {
                    path: join(prefix, &key),
                    message: "cannot merge a global map onto a non-map; skipped".into(),
                }),
            },
            other => {
                if dg.get(&key).is_some_and(Value::is_object) {
                    warnings.push(Warning {
                        path: join(prefix, &key),
                        message: "global is a table in the subchart; skipped".into(),
                    });
                } else {
                    dg.insert(key, other);
                }
            }
        }
    }
    dest.insert(crate::GLOBAL_KEY.to_string(), Value::Object(dg));
}

fn process_enabled(
    tree: &mut ValuesTree,
    v: &Map,
    path: &str,
    warnings: &mut Vec<Warning>,
) -> Result<(), TreeError> {
    if !tree.declares_dependencies {
        return Ok(());
    }
    let cvals = coalesce_chart(tree, v.clone(), "", Mode::Coalesce, &mut Vec::new())?;
    let tags = table(&cvals, "tags");
    let mut disabled: Vec<String> = Vec::new();
    for child in &tree.children {
        let Some(rule) = &child.rule else { continue };
        let name = &child.chart.name;
        let mut enabled = true;
        if let Some(tags) = tags {
            let (mut has_true, mut has_false) = (false, false);
            for tag in &rule.tags {
                match tags.get(tag) {
                    Some(Value::Bool(true)) => has_true = true,
                    Some(Value::Bool(false)) => has_false = true,
                    Some(_) => warnings.push(Warning {
                        path: format!("tags.{tag}"),
                        message: format!("tag for chart {name:?} is not a bool; ignored"),
                    }),
                    None => {}
                }
            }
            enabled = has_true || !has_false;
        }
        for cond in rule.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            let full = format!("{path}{cond}");
            match path_value(&cvals, &full) {
                Some(Value::Bool(b)) => {
                    enabled = *b;
                    break;
                }
                Some(_) => warnings.push(Warning {
                    path: full,
                    message: format!("condition for chart {name:?} is not a bool; ignored"),
                }),
                None => {}
            }
        }
        if !enabled {
            disabled.push(name.clone());
        }
    }
    tree.children.retain(|c| !disabled.contains(&c.chart.name));
    for child in &mut tree.children {
        let sub_path = format!("{path}{}.", child.chart.name);
        process_enabled(&mut child.chart, &cvals, &sub_path, warnings)?;
    }
    Ok(())
}

fn display(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn path_to_map(path: &str, data: Map) -> Map {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for part in path.split('.').rev() {
        let mut m = Map::new();
        m.insert(part.to_string(), Value::Object(cur));
        cur = m;
    }
    cur
}

fn process_imports(tree: &mut ValuesTree, warnings: &mut Vec<Warning>) -> Result<(), TreeError> {
    for child in &mut tree.children {
        process_imports(&mut child.chart, warnings)?;
    }
    if !tree.declares_dependencies {
        return Ok(());
    }
    let cvals = coalesce_chart(tree, Map::new(), "", Mode::Merge, &mut Vec::new())?;
    let mut imported = Map::new();
    for child in &tree.children {
        let Some(rule) = &child.rule else { continue };
        let name = &child.chart.name;
        for iv in &rule.import_values {
            let (source, parent) = match iv {
                Value::Object(m) => (display(m.get("child")), display(m.get("parent"))),
                Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            let full = format!("{name}.{source}");
            let Some(found) = table(&cvals, &full) else {
                warnings.push(Warning {
                    path: full,
                    message: format!("import-values of chart {name:?}: no map there; skipped"),
                });
                continue;
            };
            coalesce_into(
                &mut imported,
                path_to_map(&parent, found.clone()),
                "",
                Mode::Merge,
                warnings,
            );
        }
    }
    let mut values = cvals;
    coalesce_into(&mut values, imported, "", Mode::Merge, warnings);
    tree.values = values;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map {
        match v {
            Value::Object(m) => m,
            _ => panic!("not a map"),
        }
    }

    fn leaf(name: &str, values: Value) -> ValuesTree {
        ValuesTree {
            name: name.into(),
            values: obj(values),
            declares_dependencies: false,
            children: vec![],
        }
    }

    fn sub(chart: ValuesTree, rule: DependencyRule, source: usize) -> Subchart {
        Subchart {
            chart,
            rule: Some(rule),
            source,
        }
    }

    #[test]
    fn conditions_beat_tags_and_prune() {
        let tree = ValuesTree {
            name: "top".into(),
            values: obj(json!({"tags": {"db": false}, "a": {"enabled": true}})),
            declares_dependencies: true,
            children: vec![
                sub(
                    leaf("a", json!({"x": 1})),
                    DependencyRule {
                        condition: "a.enabled".into(),
                        tags: vec!["db".into()],
                        ..Default::default()
                    },
                    0,
                ),
                sub(
                    leaf("b", json!({"y": 1})),
                    DependencyRule {
                        tags: vec!["db".into()],
                        ..Default::default()
                    },
                    1,
                ),
            ],
        };
        let r = resolve(tree, &Map::new()).unwrap();
        let names: Vec<_> = r.enabled.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a"]);
        assert_eq!(
            r.values["a"],
            json!({"enabled": true, "x": 1, "global": {}})
        );
        assert!(r.values.get("b").is_none());
    }

    #[test]
    fn globals_flow_down_and_parent_wins() {
        let tree = ValuesTree {
            name: "top".into(),
            values: obj(json!({"global": {"g": 1, "m": {"k": "top"}}})),
            declares_dependencies: false,
            children: vec![Subchart {
                chart: leaf(
                    "s",
                    json!({"global": {"g": 2, "own": true, "m": {"k": "s", "j": 1}}}),
                ),
                rule: None,
                source: 0,
            }],
        };
        let r = resolve(tree, &Map::new()).unwrap();
        assert_eq!(
            r.values["s"]["global"],
            json!({"g": 1, "own": true, "m": {"k": "top", "j": 1}})
        );
    }

    #[test]
    fn import_values_both_forms() {
        let tree = ValuesTree {
            name: "top".into(),
            values: obj(json!({"mine": {"a": "parent"}})),
            declares_dependencies: true,
            children: vec![sub(
                leaf(
                    "c",
                    json!({"exports": {"data": {"e": 1}}, "cfg": {"a": "child", "b": 2}}),
                ),
                DependencyRule {
                    import_values: vec![json!("data"), json!({"child": "cfg", "parent": "mine"})],
                    ..Default::default()
                },
                0,
            )],
        };
        let r = resolve(tree, &Map::new()).unwrap();
        assert_eq!(r.values["e"], json!(1));
        assert_eq!(r.values["mine"], json!({"a": "parent", "b": 2}));
    }

    #[test]
    fn subchart_key_that_is_not_a_map_is_an_error() {
        let tree = ValuesTree {
            name: "top".into(),
            values: Map::new(),
            declares_dependencies: false,
            children: vec![Subchart {
                chart: leaf("s", json!({})),
                rule: None,
                source: 0,
            }],
        };
        let err = resolve(tree, &obj(json!({"s": "x"}))).unwrap_err();
        assert_eq!(
            err,
            TreeError::SubchartNotAMap {
                path: "top.s".into(),
                found: "a string"
            }
        );
    }
}
