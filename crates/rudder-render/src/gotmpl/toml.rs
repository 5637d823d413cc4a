//! Helm's `toToml` (BurntSushi/toml's encoder layout) and a small `fromToml` decoder for
//! the TOML subset charts use (key/value pairs, `[tables]`, strings, integers, floats,
//! booleans, inline arrays).

use rudder_gotmpl::{Map, Value};

/// Encodes a value as BurntSushi/toml does: scalars and arrays first, then sub-tables
/// (indented by two spaces per level), keys sorted.
pub(crate) fn to_toml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Map(m) => write_table(&mut out, m, &[], 0),
        other => out.push_str(&scalar(other)),
    }
    out
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Byte(b) => b.to_string(),
        Value::Float(f) => {
            let s = rudder_gotmpl::gofmt::format_float(*f, 'f', None);
            if s.contains('.') || !f.is_finite() {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::String(s) => quote(s),
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(scalar).collect();
            format!("[{}]", items.join(", "))
        }
        other => quote(&other.to_go_string()),
    }
}

fn write_table(out: &mut String, m: &Map, path: &[String], depth: usize) {
    let indent = "  ".repeat(depth);
    let entries = m.entries();
    for (k, v) in &entries {
        if is_table(v) || matches!(v, Value::Nil) {
            continue;
        }
        out.push_str(&format!("{indent}{} = {}\n", key(k), scalar(v)));
    }
    for (k, v) in &entries {
        if let Value::Map(sub) = v {
            let mut p = path.to_vec();
            p.push(key(k));
            let sub_indent = "  ".repeat(depth);
            out.push_str(&format!("\n{sub_indent}[{}]\n", p.join(".")));
            write_table(out, sub, &p, depth + 1);
        }
    }
}

/// Decodes TOML into a map; Go's error text on failure.
pub(crate) fn from_toml(text: &str) -> Result<Value, String> {
    let root = Map::new();
    let mut current = root.clone();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = root.clone();
            for part in name.split('.') {
                let part = part.trim().trim_matches('"').to_string();
                let next = match current.get(&part) {
                    Some(Value::Map(m)) => m,
                    _ => {
                        let m = Map::new();
                        current.insert(part, Value::Map(m.clone()));
                        m
                    }
                };
                current = next;
            }
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(format!("toml: line {}: expected '=' after key", n + 1));
        };
        let k = k.trim().trim_matches('"').to_string();
        let v = v.trim();
        if v.is_empty() {
            return Err(format!(
                "toml: line {} (last key {:?}): unexpected EOF; expected value",
                n + 1,
                k
            ));
        }
        let value = parse_value(v)
            .ok_or_else(|| format!("toml: line {} (last key {:?}): invalid value", n + 1, k))?;
        current.insert(k, value);
    }
    Ok(Value::Map(root))
}

fn parse_value(v: &str) -> Option<Value> {
    let v = v.trim();
    if let Some(s) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return Some(Value::from(s.replace("\\\"", "\"").replace("\\n", "\n")));
    }
    if let Some(s) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(Value::from(s));
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_value)
            .collect();
        return items.map(Value::list);
    }
    match v {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    let digits = v.replace('_', "");
    if let Ok(i) = digits.parse::<i64>() {
        return Some(Value::Int64(i));
    }
    digits.parse::<f64>().ok().map(Value::Float)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trip_shapes() {
        let mut t = BTreeMap::new();
        t.insert("k".to_string(), Value::from("v"));
        let mut m = BTreeMap::new();
        m.insert("n".to_string(), Value::Int(1));
        m.insert("t".to_string(), Value::map(t));
        assert_eq!(to_toml(&Value::map(m)), "n = 1\n\n[t]\n  k = \"v\"\n");
        let v = from_toml("a = 1\nb = \"s\"\n[t]\nk = true").unwrap();
        assert_eq!(v.to_go_string(), "map[a:1 b:s t:map[k:true]]");
    }
}
