//! JSON output byte-compatible with Go's `encoding/json.Marshal`.
//!
//! Differences from serde_json's defaults that matter for Helm records:
//! - `<`, `>`, `&`, U+2028 and U+2029 inside strings are written as `\u003c`, `\u003e`, `\u0026`,
//!   `\u2028`, `\u2029` (Go's HTML-safe escaping);
//! - floating-point numbers use Go's format (`1e+21`, `1e-7`, `100000000000000000000`, `3`);
//! - object keys of free-form values (`map[string]interface{}` in Go) are sorted by bytes.
//!
//! Integers are written exactly. Go would round integers above 2^53 in free-form values through
//! `float64`; Rudder keeps them exact rather than lose data.

use std::io;

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};

/// A serde_json formatter that escapes strings and formats floats as Go does.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escape = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escape.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(go_float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(go_float(f64::from(value)).as_bytes())
    }
}

/// Formats a finite float as Go's `encoding/json` does (shortest representation; exponent form
/// below 1e-6 and from 1e21, with Go's exponent spelling).
pub(crate) fn go_float(value: f64) -> String {
    let abs = value.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust prints `1e21` / `1.5e-7`; Go prints `1e+21` / `1.5e-07` then trims to `1.5e-7`.
        let text = format!("{value:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if exp.starts_with('-') => format!("{mantissa}e{exp}"),
            Some((mantissa, exp)) => format!("{mantissa}e+{exp:0>2}"),
            None => text,
        }
    } else {
        format!("{value}")
    }
}

/// Serialises `value` to JSON bytes exactly as Go's `json.Marshal` would.
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(4096);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut ser)?;
    Ok(out)
}

/// A free-form value written with sorted object keys (Go sorts map keys when marshalling).
pub(crate) struct Sorted<'a>(pub(crate) &'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => SortedMap(map).serialize(serializer),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// A JSON object written with sorted keys and sorted nested objects.
pub(crate) struct SortedMap<'a>(pub(crate) &'a Map<String, Value>);

impl Serialize for SortedMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&String, &Value)> = self.0.iter().collect();
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            map.serialize_entry(k, &Sorted(v))?;
        }
        map.end()
    }
}

/// `serialize_with` helper for `Map<String, Value>` fields.
pub(crate) fn ser_map<S: Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    SortedMap(map).serialize(s)
}

/// `serialize_with` helper for `Option<Map<String, Value>>` fields (`None` is `null`).
pub(crate) fn ser_opt_map<S: Serializer>(
    map: &Option<Map<String, Value>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match map {
        Some(m) => SortedMap(m).serialize(s),
        None => s.serialize_none(),
    }
}

/// `serialize_with` helper for `Vec<Value>` fields.
pub(crate) fn ser_values<S: Serializer>(items: &[Value], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&Sorted(item))?;
    }
    seq.end()
}

/// `serialize_with` helper for the flattened unknown-field maps, which hold free-form values.
pub(crate) fn ser_extra<S: Serializer>(
    extra: &std::collections::BTreeMap<String, Value>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(extra.len()))?;
    for (k, v) in extra {
        map.serialize_entry(k, &Sorted(v))?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_go() {
        let cases = [
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (3.0, "3"),
            (-42.5, "-42.5"),
            (0.1, "0.1"),
            (1.2345e300, "1.2345e+300"),
            (0.0, "0"),
        ];
        for (v, want) in cases {
            assert_eq!(go_float(v), want, "{v}");
        }
    }

    #[test]
    fn strings_are_html_escaped() {
        let out = to_vec("<a&b>\u{2028}\u{2029}\t\u{1}é").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""\u003ca\u0026b\u003e\u2028\u2029\t\u0001é""#
        );
    }

    #[test]
    fn maps_are_sorted() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"z":1,"B":2},"A":[{"y":1,"x":2}]}"#).unwrap();
        let out = to_vec(&Sorted(&v)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"A":[{"x":2,"y":1}],"a":{"B":2,"z":1},"b":1}"#
        );
    }
}
