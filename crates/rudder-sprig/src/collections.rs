//! Sprig's list and dict functions, including mergo's merge rules and `dig`.

use std::collections::BTreeMap;

use rudder_gotmpl::{ArgType, FuncError, Map, Value};

use crate::cast::{is_empty, list_items, strval, to_int64};
use crate::{Reg, add, arg, arg_int, arg_str, str_list};

use ArgType::{Any, Int, Map as MapT, String as Str};

fn kind_err(what: &str, v: &Value) -> FuncError {
    if matches!(v, Value::Nil) {
        return FuncError::new("runtime error: invalid memory address or nil pointer dereference");
    }
    FuncError::new(format!("{what} {}", v.kind_name()))
}

fn items(what: &str, v: &Value) -> Result<Vec<Value>, FuncError> {
    list_items(v).ok_or_else(|| kind_err(what, v))
}

fn list(v: Vec<Value>) -> Result<Value, FuncError> {
    Ok(Value::list(v))
}

fn map_of(v: &Value) -> Option<Map> {
    match v {
        Value::Map(m) => Some(m.clone()),
        Value::Object(o) => match o.underlying() {
            Some(Value::Map(m)) => Some(m),
            _ => None,
        },
        _ => None,
    }
}

fn contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|x| x.deep_equal(needle))
}

/// Registers a list function and its `must*` twin; `f` returns Sprig's error, which the plain
/// variant turns into a panic (a template error) as Sprig does.
fn both<F>(
    r: &mut Reg,
    name: &'static str,
    must: &'static str,
    params: &[ArgType],
    variadic: Option<ArgType>,
    f: F,
) where
    F: Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + Clone + 'static,
{
    add(r, name, params, variadic, f.clone());
    add(r, must, params, variadic, f);
}

pub(crate) fn register(r: &mut Reg) {
    for name in ["list", "tuple"] {
        add(r, name, &[], Some(Any), |a| list(a.to_vec()));
    }
    add(r, "dict", &[], Some(Any), |a| {
        let m = Map::new();
        for pair in a.chunks(2) {
            m.insert(
                strval(&pair[0]),
                pair.get(1).cloned().unwrap_or_else(|| Value::from("")),
            );
        }
        Ok(Value::Map(m))
    });
    both(r, "first", "mustFirst", &[Any], None, |a| {
        Ok(items("Cannot find first on type", &a[0])?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    both(r, "last", "mustLast", &[Any], None, |a| {
        Ok(items("Cannot find last on type", &a[0])?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    both(r, "rest", "mustRest", &[Any], None, |a| {
        let v = items("Cannot find rest on type", &a[0])?;
        list(v.get(1..).map(<[Value]>::to_vec).unwrap_or_default())
    });
    both(r, "initial", "mustInitial", &[Any], None, |a| {
        let v = items("Cannot find initial on type", &a[0])?;
        list(
            v.get(..v.len().saturating_sub(1))
                .map(<[Value]>::to_vec)
                .unwrap_or_default(),
        )
    });
    both(r, "reverse", "mustReverse", &[Any], None, |a| {
        let mut v = items("Cannot find reverse on type", &a[0])?;
        v.reverse();
        list(v)
    });
    both(r, "uniq", "mustUniq", &[Any], None, |a| {
        let v = items("Cannot find uniq on type", &a[0])?;
        let mut out: Vec<Value> = Vec::new();
        for x in v {
            if !contains(&out, &x) {
                out.push(x);
            }
        }
        list(out)
    });
    both(r, "compact", "mustCompact", &[Any], None, |a| {
        let v = items("Cannot compact on type", &a[0])?;
        list(v.into_iter().filter(|x| !is_empty(x)).collect())
    });
    both(r, "without", "mustWithout", &[Any], Some(Any), |a| {
        let v = items("Cannot find without on type", &a[0])?;
        list(v.into_iter().filter(|x| !contains(&a[1..], x)).collect())
    });
    both(r, "has", "mustHas", &[Any, Any], None, |a| {
        if matches!(a[1], Value::Nil) {
            return Ok(Value::Bool(false));
        }
        Ok(Value::Bool(contains(
            &items("Cannot find has on type", &a[1])?,
            &a[0],
        )))
    });
    for (name, must) in [("append", "mustAppend"), ("push", "mustPush")] {
        both(r, name, must, &[Any, Any], None, |a| {
            let mut v = items("Cannot push on type", &a[0])?;
            v.push(a[1].clone());
            list(v)
        });
    }
    both(r, "prepend", "mustPrepend", &[Any, Any], None, |a| {
        let mut v = items("Cannot prepend on type", &a[0])?;
        v.insert(0, a[1].clone());
        list(v)
    });
    both(r, "slice", "mustSlice", &[Any], Some(Any), |a| {
        let v = items("list should be type of slice or array but", &a[0])?;
        if v.is_empty() {
            return Ok(Value::Nil);
        }
        let start = a.get(1).map_or(0, to_int64);
        let end = if a.len() < 3 {
            v.len() as i64
        } else {
            to_int64(&a[2])
        };
        if start < 0 || end < start || end as usize > v.len() {
            return Err(FuncError::new(
                "reflect.Value.Slice: slice index out of bounds",
            ));
        }
        let part = v[start as usize..end as usize].to_vec();
        if let Value::Bytes(_) = a[0] {
            let bytes: Vec<u8> = part.iter().map(|x| to_int64(x) as u8).collect();
            return Ok(Value::Bytes(bytes.into()));
        }
        list(part)
    });
    both(r, "chunk", "mustChunk", &[Int, Any], None, |a| {
        let size = arg_int(a, 0);
        let v = items("Cannot chunk type", &a[1])?;
        if size <= 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        list(
            v.chunks(size as usize)
                .map(|c| Value::list(c.to_vec()))
                .collect(),
        )
    });
    add(r, "concat", &[], Some(Any), |a| {
        let mut out = Vec::new();
        for l in a {
            match list_items(l) {
                Some(v) => out.extend(v),
                None => {
                    return Err(FuncError::new(format!(
                        "Cannot concat type {} as list",
                        l.kind_name()
                    )));
                }
            }
        }
        list(out)
    });
    add(r, "get", &[MapT, Str], None, |a| {
        Ok(map_of(&a[0])
            .and_then(|m| m.get(arg_str(a, 1)))
            .unwrap_or_else(|| Value::from("")))
    });
    add(r, "set", &[MapT, Str, Any], None, |a| {
        let m = map_of(&a[0]).ok_or_else(|| FuncError::new("assignment to entry in nil map"))?;
        m.insert(arg_str(a, 1), a[2].clone());
        Ok(Value::Map(m))
    });
    add(r, "unset", &[MapT, Str], None, |a| {
        if let Some(m) = map_of(&a[0]) {
            m.remove(arg_str(a, 1));
        }
        Ok(a[0].clone())
    });
    add(r, "hasKey", &[MapT, Str], None, |a| {
        Ok(Value::Bool(
            map_of(&a[0]).is_some_and(|m| m.contains_key(arg_str(a, 1))),
        ))
    });
    add(r, "pluck", &[Str], Some(MapT), |a| {
        let k = arg_str(a, 0);
        list(
            a[1..]
                .iter()
                .filter_map(|d| map_of(d).and_then(|m| m.get(k)))
                .collect(),
        )
    });
    add(r, "keys", &[], Some(MapT), |a| {
        Ok(str_list(
            a.iter().filter_map(map_of).flat_map(|m| m.keys()).collect(),
        ))
    });
    add(r, "values", &[MapT], None, |a| {
        list(
            map_of(&a[0])
                .map(|m| m.entries().into_iter().map(|(_, v)| v).collect())
                .unwrap_or_default(),
        )
    });
    add(r, "pick", &[MapT], Some(Str), |a| {
        let out = Map::new();
        if let Some(m) = map_of(&a[0]) {
            for k in &a[1..] {
                if let Some(v) = k.as_str().and_then(|k| m.get(k)) {
                    out.insert(k.as_str().unwrap_or(""), v);
                }
            }
        }
        Ok(Value::Map(out))
    });
    add(r, "omit", &[MapT], Some(Str), |a| {
        let out = Map::new();
        if let Some(m) = map_of(&a[0]) {
            for (k, v) in m.entries() {
                if !a[1..].iter().any(|x| x.as_str() == Some(k.as_str())) {
                    out.insert(k, v);
                }
            }
        }
        Ok(Value::Map(out))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        add(r, name, &[MapT], Some(MapT), move |a| {
            let Some(dst) = map_of(&a[0]) else {
                let dst = Map::new();
                for s in &a[1..] {
                    if let Some(src) = map_of(s) {
                        merge_into(&dst, &src, overwrite);
                    }
                }
                return Ok(Value::Map(dst));
            };
            for s in &a[1..] {
                if let Some(src) = map_of(s) {
                    merge_into(&dst, &src, overwrite);
                }
            }
            Ok(a[0].clone())
        });
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        add(r, name, &[Any], None, |a| {
            if matches!(a[0], Value::Nil) {
                return Err(FuncError::new(
                    "reflect: call of reflect.Value.Type on zero Value",
                ));
            }
            Ok(deep_copy(&a[0]))
        });
    }
    add(r, "dig", &[], Some(Any), |a| {
        if a.len() < 3 {
            return Err(FuncError::new("dig needs at least three arguments"));
        }
        let dict = &a[a.len() - 1];
        let def = &a[a.len() - 2];
        let mut keys = Vec::new();
        for k in &a[..a.len() - 2] {
            match k.as_str() {
                Some(s) => keys.push(s.to_string()),
                None => {
                    return Err(FuncError::new(format!(
                        "interface conversion: interface {{}} is {}, not string",
                        conv_name(k)
                    )));
                }
            }
        }
        let mut cur = dict.clone();
        for (i, k) in keys.iter().enumerate() {
            // A type assertion: a named map type (Helm's `common.Values`) is not a
            // `map[string]interface{}`.
            let Some(m) = (match &cur {
                Value::Map(m) if m.type_name().is_none() => Some(m.clone()),
                _ => None,
            }) else {
                return Err(FuncError::new(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    conv_name(&cur)
                )));
            };
            match m.get(k) {
                None => return Ok(def.clone()),
                Some(v) if i == keys.len() - 1 => return Ok(v),
                Some(v) => cur = v,
            }
        }
        Ok(def.clone())
    });
    let _ = arg;
}

fn conv_name(v: &Value) -> String {
    if matches!(v, Value::Nil) {
        "nil".into()
    } else {
        v.type_name()
    }
}

/// mergo's `Merge` (and `WithOverride`) for `map[string]interface{}`.
fn merge_into(dst: &Map, src: &Map, overwrite: bool) {
    if dst.ptr_eq(src) {
        return;
    }
    for (k, sv) in src.entries() {
        let dv = dst.get(&k);
        if matches!(sv, Value::Nil) {
            if overwrite {
                dst.insert(k, Value::Nil);
            }
            continue;
        }
        if let (Value::Map(sm), Some(Value::Map(dm))) = (&sv, &dv) {
            merge_into(dm, sm, overwrite);
        }
        if let Some(d) = &dv
            && !is_empty(d)
            && ((!overwrite && matches!(sv, Value::List(_)))
                || matches!((&sv, d), (Value::Map(_), Value::Map(_))))
        {
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(is_empty) {
            dst.insert(k, sv);
        }
    }
}

/// copystructure's deep copy: new maps and lists all the way down (named map types such as Helm's
/// `common.Values` come back as plain maps).
pub(crate) fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(m) => {
            let b: BTreeMap<String, Value> = m
                .entries()
                .into_iter()
                .map(|(k, v)| (k, deep_copy(&v)))
                .collect();
            Value::Map(Map::from(b))
        }
        Value::List(l) => Value::list(l.iter().map(deep_copy).collect()),
        // A named map or slice type (Helm's `common.Values`): copy the contents.
        Value::Object(o) => match o.underlying() {
            Some(u @ (Value::Map(_) | Value::List(_))) => deep_copy(&u),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}
