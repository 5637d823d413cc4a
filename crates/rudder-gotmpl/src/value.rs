//! The dynamic value model templates operate on.
//!
//! Go's `text/template` works on arbitrary Go values through reflection. This crate models the values a
//! Helm-style host feeds it: JSON/YAML-shaped data (`map[string]interface{}`, `[]interface{}`, numbers,
//! strings, booleans, nil) plus host [`Object`]s with fields and methods and host [`Function`] values.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::func::Function;

/// A template value. Cloning is cheap: containers are reference counted.
///
/// Each variant corresponds to one Go type; [`Value::type_name`] gives the Go spelling used in error
/// messages and `printf "%T"`.
#[derive(Clone, Debug)]
pub enum Value {
    /// Go's untyped `nil` (a nil `interface{}`); prints as `<nil>`.
    Nil,
    /// Go `bool`.
    Bool(bool),
    /// Go `int` (64-bit), the type of integer literals and of `len`.
    Int(i64),
    /// Go `int64`, the type Sprig's integer math returns.
    Int64(i64),
    /// Go `uint64`.
    Uint(u64),
    /// Go `uint8` (`byte`), what `index` of a string or `[]byte` yields.
    Byte(u8),
    /// Go `float64`, the type of every number Helm decodes from YAML or JSON.
    Float(f64),
    /// Go `string`.
    String(Arc<str>),
    /// Go `[]byte`.
    Bytes(Arc<[u8]>),
    /// Go `[]interface{}`.
    List(Arc<Vec<Value>>),
    /// Go `map[string]interface{}`: shared and mutable like a Go map (Sprig's `set`/`unset`/`merge`
    /// change it in place for every holder). Iteration is in sorted key order, as Go's `range` sorts.
    Map(Map),
    /// A host object with fields and methods (Helm's `.Files`, `.Capabilities`, ...).
    Object(Arc<dyn Object>),
    /// A function value, callable with the `call` builtin.
    Func(Function),
}

impl Value {
    /// Builds a string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// Builds a list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// Builds a map value.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Map::from(entries))
    }

    /// The Go type name, as `reflect.Type.String()` prints it (`int`, `[]interface {}`, ...).
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_string(),
            Value::Bool(_) => "bool".to_string(),
            Value::Int(_) => "int".to_string(),
            Value::Int64(_) => "int64".to_string(),
            Value::Uint(_) => "uint64".to_string(),
            Value::Byte(_) => "uint8".to_string(),
            Value::Float(_) => "float64".to_string(),
            Value::String(_) => "string".to_string(),
            Value::Bytes(_) => "[]uint8".to_string(),
            Value::List(_) => "[]interface {}".to_string(),
            Value::Map(m) => m
                .type_name()
                .unwrap_or("map[string]interface {}")
                .to_string(),
            Value::Object(o) => o.type_name(),
            Value::Func(f) => f.type_name(),
        }
    }

    /// The Go `reflect.Kind` name (`int`, `float64`, `slice`, `map`, `struct`, `ptr`, `func`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint(_) => "uint64",
            Value::Byte(_) => "uint8",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind_name(),
            Value::Func(_) => "func",
        }
    }

    /// Go's `template.IsTrue`: false for nil, zero numbers, `false` and empty strings, lists and maps.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Byte(b) => *b != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => o.underlying().map_or_else(|| o.is_true(), |u| u.is_true()),
            Value::Func(_) => true,
        }
    }

    /// The string inside a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go's `reflect.DeepEqual` on two `interface{}` values: same type and deeply equal contents
    /// (`Int(1)` and `Int64(1)` differ; NaN is unequal to itself; objects are equal only to themselves;
    /// functions never compare equal).
    pub fn deep_equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Uint(a), Value::Uint(b)) => a == b,
            (Value::Byte(a), Value::Byte(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.deep_equal(y)))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.type_name() == b.type_name()
                    && (a.ptr_eq(b)
                        || (a.len() == b.len()
                            && a.entries()
                                .iter()
                                .all(|(k, x)| b.get(k).is_some_and(|y| x.deep_equal(&y)))))
            }
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Formats the value as Go's `fmt.Sprint` does for a single operand (`%v`).
    pub fn to_go_string(&self) -> String {
        crate::gofmt::sprint(std::slice::from_ref(self))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(Arc::new(v))
    }
}
impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::Map(Map::from(m))
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(m)
    }
}

/// A Go `map[string]interface{}`: a shared, mutable, string-keyed map. Clones share the same map (as
/// copies of a Go map value do); use [`Map::shallow_copy`] for an independent one.
///
/// A map may carry a Go named type over `map[string]interface{}` (Helm's `common.Values`): only
/// `typeOf`/`%T`, `deepEqual` and errors see the name; passing the map to a host function parameter of
/// type `map[string]interface{}` converts it to the unnamed type, as Go's assignment does.
#[derive(Clone, Default)]
pub struct Map {
    entries: Arc<RwLock<BTreeMap<String, Value>>>,
    name: Option<Arc<str>>,
}

impl Map {
    /// A new empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// The same map (shared entries) as a value of the Go named type `name`.
    pub fn named(&self, name: &str) -> Map {
        Map {
            entries: Arc::clone(&self.entries),
            name: Some(name.into()),
        }
    }

    /// The same map (shared entries) as a plain `map[string]interface{}`.
    pub fn unnamed(&self) -> Map {
        Map {
            entries: Arc::clone(&self.entries),
            name: None,
        }
    }

    /// The Go named type of this map, if it has one.
    pub fn type_name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Value>> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<String, Value>> {
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }

    /// Stores `value` under `key`, visible to every holder of this map; returns the previous value.
    pub fn insert(&self, key: impl Into<String>, value: Value) -> Option<Value> {
        self.write().insert(key.into(), value)
    }

    /// Removes `key`; returns its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.write().remove(key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// A sorted snapshot of the entries (what `range` iterates).
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A copy of the entries as a plain `BTreeMap` (values are shared, not deep-copied).
    pub fn to_btree(&self) -> BTreeMap<String, Value> {
        self.read().clone()
    }

    /// A new, independent map with the same entries (values are shared, not deep-copied).
    pub fn shallow_copy(&self) -> Map {
        Map::from(self.to_btree())
    }

    /// Runs `f` with read access to the entries. `f` must not modify this map.
    pub fn with<R>(&self, f: impl FnOnce(&BTreeMap<String, Value>) -> R) -> R {
        f(&self.read())
    }

    /// Runs `f` with write access to the entries. `f` must not read this map through another handle.
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut BTreeMap<String, Value>) -> R) -> R {
        f(&mut self.write())
    }

    /// Whether both handles refer to the same map.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
    }
}

impl From<BTreeMap<String, Value>> for Map {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Map {
            entries: Arc::new(RwLock::new(m)),
            name: None,
        }
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.entries.try_read() {
            Ok(m) => f.debug_map().entries(m.iter()).finish(),
            Err(_) => f.write_str("Map { <locked> }"),
        }
    }
}

/// A host value with Go-style fields and methods, reached in templates as `.Obj.Field` or
/// `.Obj.Method arg1 arg2`.
///
/// Methods take precedence over fields, as in Go. The object decides how `%v` prints it (Go prints a
/// struct as `{f1 f2}` and a pointer to one as `&{f1 f2}`).
pub trait Object: Send + Sync + fmt::Debug {
    /// The Go type name used in error messages and `%T` (for example `*chartutil.Capabilities`).
    fn type_name(&self) -> String;
    /// The Go kind name (`struct`, `ptr`, `map`); `struct` unless overridden. For `ptr` the
    /// [`Object::type_name`] starts with `*` and errors about the pointed-to value drop it.
    fn kind_name(&self) -> &'static str {
        "struct"
    }
    /// A method bound to this object, if it has one named `name`.
    fn method(&self, name: &str) -> Option<Function> {
        let _ = name;
        None
    }
    /// An exported field named `name`, if the object has one.
    fn field(&self, name: &str) -> Option<Value>;
    /// The struct text printed for `%v` (and `%+v` when `plus` is set), e.g. `{obj 3}` or
    /// `{Name:obj Count:3}`. For pointer objects (`kind_name() == "ptr"`) the engine adds Go's `&` where
    /// `fmt` prints one; the template's own output of `{{.Obj}}` dereferences, as Go does.
    fn format(&self, plus: bool) -> String;
    /// Go truthiness; structs and non-nil pointers are true.
    fn is_true(&self) -> bool {
        true
    }
    /// Length for `len`, if the object has one and no [`Object::underlying`] value.
    fn length(&self) -> Option<usize> {
        None
    }
    /// For Go named types over a map or slice (Helm's `type VersionSet []string`, `type Values
    /// map[string]interface{}`): the underlying value. Key lookup (`.key`), `range`, `len`, `index`,
    /// `slice`, truthiness and printing then use it, while methods still come from the object.
    fn underlying(&self) -> Option<Value> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_maps_share_entries_but_not_their_type() {
        let plain = Map::new();
        plain.insert("a", Value::Int(1));
        let named = plain.named("common.Values");
        assert_eq!(Value::Map(named.clone()).type_name(), "common.Values");
        assert_eq!(
            Value::Map(named.unnamed()).type_name(),
            "map[string]interface {}"
        );
        named.insert("b", Value::Int(2));
        assert_eq!(plain.len(), 2, "entries are shared");
        assert!(!Value::Map(named.clone()).deep_equal(&Value::Map(plain.shallow_copy())));
        assert!(Value::Map(named.unnamed()).deep_equal(&Value::Map(plain.shallow_copy())));
    }
}
