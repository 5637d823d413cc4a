//! Merging value trees: Helm's `CoalesceTables`/`MergeTables` and `MergeMaps`.
//!
//! Three operations, all with the higher-priority side first:
//!
//! - [`merge_maps`]: how `-f` files, documents of one file and `--set-json {…}` objects
//!   stack up (Helm's `loader.MergeMaps`): maps merge key by key, anything else (lists
//!   included) replaces, and `null` is kept as a value (it deletes later, when coalescing
//!   against chart defaults).
//! - [`coalesce_tables`] with [`Mode::Coalesce`]: user values over defaults. Maps merge
//!   recursively; scalars and lists replace; a `null` in the higher-priority side deletes
//!   the key when the lower side has a non-null value there; a map never replaces a
//!   non-map or the other way round (the higher side wins and a [`Warning`] is returned).
//! - [`coalesce_tables`] with [`Mode::Merge`]: the same, except that `null` is kept (Helm's
//!   `MergeTables`, used while processing `import-values`).
//!
//! Warnings are returned to the caller, never printed.

use crate::{Map, Value};

/// Whether `null` deletes (coalescing) or is kept (merging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `null` in the higher-priority side deletes the key (Helm's `CoalesceValues`).
    Coalesce,
    /// `null` is kept as a value (Helm's `MergeValues`).
    Merge,
}

/// Something Helm would log while coalescing: types clash at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Dotted path of the value (prefixed with the chart name where Helm does).
    pub path: String,
    /// What happened, e.g. `cannot overwrite table with non table`.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Helm's `MergeMaps`: `over` on top of `base`; maps merge, everything else replaces.
pub fn merge_maps(base: &mut Map, over: Map) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(Value::Object(b)), Value::Object(o)) => merge_maps(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Coalesces `src` (lower priority) into `dst` (higher priority, authoritative).
///
/// `prefix` names `dst` in warnings. Returns the warnings Helm would log.
pub fn coalesce_tables(dst: &mut Map, src: Map, prefix: &str, mode: Mode) -> Vec<Warning> {
    let mut warnings = Vec::new();
    coalesce_into(dst, src, prefix, mode, &mut warnings);
    warnings
}

pub(crate) fn coalesce_into(
    dst: &mut Map,
    src: Map,
    prefix: &str,
    mode: Mode,
    warnings: &mut Vec<Warning>,
) {
    for (key, val) in src {
        let path = join(prefix, &key);
        match dst.get_mut(&key) {
            None => {
                dst.insert(key, val);
            }
            Some(Value::Null) => {
                // A null on the authoritative side: deletes a non-null default when
                // coalescing, stays as null otherwise.
                if mode == Mode::Coalesce && !val.is_null() {
                    dst.remove(&key);
                }
            }
            Some(Value::Object(d)) => match val {
                Value::Object(s) => coalesce_into(d, s, &path, mode, warnings),
                Value::Null => {}
                other => warnings.push(Warning {
                    path,
                    message: format!(
                        "destination is a table; ignoring non-table value ({})",
                        short(&other)
                    ),
                }),
            },
            Some(_) => {
                if val.is_object() {
                    warnings.push(Warning {
                        path,
                        message: "cannot overwrite table with non table".into(),
                    });
                }
            }
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", &s[..s.floor_char_boundary(60)])
    } else {
        s
    }
}

/// Removes `null` entries from `m`, recursively through maps (not through lists).
pub fn remove_nulls(m: &mut Map) {
    m.retain(|_, v| !v.is_null());
    for v in m.values_mut() {
        if let Value::Object(inner) = v {
            remove_nulls(inner);
        }
    }
}

/// Looks up a dotted path of maps (Helm's `Values.Table`).
pub fn table<'a>(values: &'a Map, path: &str) -> Option<&'a Map> {
    let mut cur = values;
    for part in path.split('.') {
        match cur.get(part) {
            Some(Value::Object(m)) => cur = m,
            _ => return None,
        }
    }
    Some(cur)
}

/// Helm's `Values.PathValue`: the non-map value at a dotted path, if there is one.
pub fn path_value<'a>(values: &'a Map, path: &str) -> Option<&'a Value> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (table(values, p)?, l),
        None => (values, path),
    };
    parent.get(last).filter(|v| !v.is_object())
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

    #[test]
    fn coalesce_deletes_on_null_and_merges_maps() {
        let mut dst = obj(json!({"a": null, "b": {"c": 1, "d": null}, "l": [1], "n": null}));
        let src = obj(json!({"a": 1, "b": {"c": 2, "d": 3, "e": 4}, "l": [2, 3], "z": 9}));
        let w = coalesce_tables(&mut dst, src, "", Mode::Coalesce);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            Value::Object(dst),
            json!({"b": {"c": 1, "e": 4}, "l": [1], "n": null, "z": 9})
        );
    }

    #[test]
    fn merge_keeps_nulls() {
        let mut dst = obj(json!({"a": null}));
        coalesce_tables(&mut dst, obj(json!({"a": 1, "b": 2})), "", Mode::Merge);
        assert_eq!(Value::Object(dst), json!({"a": null, "b": 2}));
    }

    #[test]
    fn type_clashes_warn_and_keep_the_authoritative_side() {
        let mut dst = obj(json!({"a": "s", "b": {"x": 1}}));
        let w = coalesce_tables(
            &mut dst,
            obj(json!({"a": {"x": 1}, "b": 5})),
            "top",
            Mode::Coalesce,
        );
        assert_eq!(Value::Object(dst), json!({"a": "s", "b": {"x": 1}}));
        let paths: Vec<_> = w.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["top.a", "top.b"]);
    }

    #[test]
    fn merge_maps_replaces_lists_and_keeps_null() {
        let mut base = obj(json!({"a": {"b": 1, "c": [1, 2]}, "d": 1}));
        merge_maps(&mut base, obj(json!({"a": {"c": [3]}, "d": null})));
        assert_eq!(
            Value::Object(base),
            json!({"a": {"b": 1, "c": [3]}, "d": null})
        );
    }

    #[test]
    fn paths() {
        let v = obj(json!({"a": {"b": {"c": true}}, "s": 1}));
        assert_eq!(path_value(&v, "a.b.c"), Some(&json!(true)));
        assert_eq!(path_value(&v, "a.b"), None);
        assert_eq!(path_value(&v, "s"), Some(&json!(1)));
        assert!(table(&v, "a.b").is_some());
        assert!(table(&v, "s").is_none());
    }
}
