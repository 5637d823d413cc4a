//! Field access over unstructured objects with the semantics of apimachinery's
//! `unstructured.Nested*` helpers and kstatus's `Get*Field` helpers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::Error;

/// Describes a JSON value's type for error messages (`string "3"`, `float 1.5`, ...).
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("bool {b}"),
        Value::Number(n) if n.is_f64() => format!("float {n}"),
        Value::Number(n) => format!("integer {n}"),
        Value::String(s) if s.len() <= 40 => format!("string {s:?}"),
        Value::String(_) => "string".to_owned(),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

fn type_error(path: &[&str], expected: &'static str, found: &Value) -> Error {
    Error::FieldType {
        path: path.join("."),
        expected,
        found: describe(found),
    }
}

/// `NestedFieldNoCopy`: walks maps; a non-map on the way is an error, a missing key is `None`.
pub(crate) fn nested<'a>(obj: &'a Value, path: &[&str]) -> Result<Option<&'a Value>, Error> {
    let mut current = obj;
    for (i, field) in path.iter().enumerate() {
        match current {
            Value::Object(map) => match map.get(*field) {
                Some(next) => current = next,
                None => return Ok(None),
            },
            other => return Err(type_error(&path[..i], "object", other)),
        }
    }
    Ok(Some(current))
}

/// kstatus `GetStringField`: the string at `path`, or `default` when missing, unreadable or
/// not a string.
pub(crate) fn string_field<'a>(obj: &'a Value, path: &[&str], default: &'a str) -> &'a str {
    match nested(obj, path) {
        Ok(Some(Value::String(s))) => s,
        _ => default,
    }
}

/// kstatus `GetIntField`: the integer at `path`, or `default` when missing, unreadable or not
/// an integer (floats fall back to the default, as Go's type switch does).
pub(crate) fn int_field(obj: &Value, path: &[&str], default: i64) -> i64 {
    match nested(obj, path) {
        Ok(Some(v)) => v.as_i64().unwrap_or(default),
        _ => default,
    }
}

/// kstatus `GetBoolField`.
pub(crate) fn bool_field(obj: &Value, path: &[&str], default: bool) -> bool {
    match nested(obj, path) {
        Ok(Some(Value::Bool(b))) => *b,
        _ => default,
    }
}

/// `NestedString`: a present non-string value is an error.
pub(crate) fn nested_string<'a>(obj: &'a Value, path: &[&str]) -> Result<Option<&'a str>, Error> {
    match nested(obj, path)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(type_error(path, "string", other)),
    }
}

/// How an integer field was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntLookup {
    /// The field is absent.
    Missing,
    /// The field holds this integer.
    Int(i64),
}

/// `NestedInt64`: a present value that is not an integer is an error.
pub(crate) fn nested_int(obj: &Value, path: &[&str]) -> Result<IntLookup, Error> {
    match nested(obj, path)? {
        None => Ok(IntLookup::Missing),
        Some(v) => v
            .as_i64()
            .map(IntLookup::Int)
            .ok_or_else(|| type_error(path, "integer", v)),
    }
}

/// Lenient integer reading for Rudder's generation fix: integers, integral floats and numeric
/// strings are read; anything else is `Ok(None)` inside `Some` (present but unusable).
pub(crate) fn lenient_int(obj: &Value, path: &[&str]) -> Result<Option<Option<i64>>, Error> {
    let Some(v) = nested(obj, path)? else {
        return Ok(None);
    };
    let parsed = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    Ok(Some(parsed))
}

/// One entry of `status.conditions`, as kstatus's `BasicCondition` decodes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Condition {
    /// `type`.
    pub type_: String,
    /// `status` (`True`, `False`, `Unknown`).
    pub status: String,
    /// `reason`.
    pub reason: String,
    /// `message`.
    pub message: String,
}

impl Condition {
    /// True when the condition has this type and status.
    pub fn is(&self, type_: &str, status: &str) -> bool {
        self.type_ == type_ && self.status == status
    }
}

/// Decodes `status.conditions` with the strictness of kstatus `GetObjectWithConditions`
/// (apimachinery's unstructured converter): wrong JSON types are errors, `null` is empty.
pub fn conditions(obj: &Value) -> Result<Vec<Condition>, Error> {
    let status = match obj.get("status") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(other) => return Err(type_error(&["status"], "object", other)),
    };
    let items = match status.get("conditions") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(type_error(&["status", "conditions"], "array", other)),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let map = match item {
            Value::Null => {
                out.push(Condition::default());
                continue;
            }
            Value::Object(map) => map,
            other => {
                let path = format!("status.conditions[{i}]");
                return Err(type_error(&[&path], "object", other));
            }
        };
        let field = |name: &str| -> Result<String, Error> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => {
                    let path = format!("status.conditions[{i}].{name}");
                    Err(type_error(&[&path], "string", other))
                }
            }
        };
        out.push(Condition {
            type_: field("type")?,
            status: field("status")?,
            reason: field("reason")?,
            message: field("message")?,
        });
    }
    Ok(out)
}

/// First condition of `type_` whose status is `status`.
pub(crate) fn find<'a>(conds: &'a [Condition], type_: &str, status: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.is(type_, status))
}

/// True when the object has no `status`, a `null` one, or an empty `{}`.
pub fn status_is_empty(obj: &Value) -> bool {
    match obj.get("status") {
        None | Some(Value::Null) => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    }
}

/// `metadata.name`, or `""`.
pub(crate) fn name(obj: &Value) -> &str {
    string_field(obj, &["metadata", "name"], "")
}

/// `kind`, or `""`.
pub(crate) fn kind(obj: &Value) -> &str {
    string_field(obj, &["kind"], "")
}

/// `metadata.creationTimestamp` parsed; `None` when missing or unparseable (Go then sees the
/// zero time, i.e. "very old").
pub(crate) fn creation_time(obj: &Value) -> Option<SystemTime> {
    parse_rfc3339(string_field(obj, &["metadata", "creationTimestamp"], ""))
}

/// Time left until `created + window`, or `None` if that moment is not after `now`.
pub(crate) fn remaining(
    created: Option<SystemTime>,
    window: Duration,
    now: SystemTime,
) -> Option<Duration> {
    let deadline = created?.checked_add(window)?;
    deadline.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// Parses an RFC 3339 timestamp (`2024-05-01T12:00:00Z`, optional fraction, `Z` or `±hh:mm`).
/// Returns `None` for anything else and for times before the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &frac[..digits.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &frac[digits..];
    }
    let offset_secs = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_secs;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc3339_parses_utc_offsets_and_fractions() {
        let base = parse_rfc3339("2024-03-01T00:00:00Z").unwrap();
        assert_eq!(
            base.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_251_200
        );
        assert_eq!(parse_rfc3339("2024-03-01T02:00:00+02:00"), Some(base));
        let frac = parse_rfc3339("2024-03-01T00:00:00.5Z").unwrap();
        assert_eq!(
            frac.duration_since(base).unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_rfc3339("2024-03-01 00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339(""), None);
    }

    #[test]
    fn conditions_are_strict_about_types() {
        assert_eq!(conditions(&json!({})).unwrap(), vec![]);
        assert_eq!(conditions(&json!({"status": null})).unwrap(), vec![]);
        assert!(conditions(&json!({"status": "x"})).is_err());
        assert!(conditions(&json!({"status": {"conditions": {}}})).is_err());
        let err = conditions(&json!({"status": {"conditions": [{"type": 1}]}})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field status.conditions[0].type: expected string, found integer 1"
        );
    }

    #[test]
    fn nested_reports_non_map_parents() {
        let err = nested(&json!({"metadata": []}), &["metadata", "generation"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field metadata: expected object, found array"
        );
        assert_eq!(int_field(&json!({"a": 1.0}), &["a"], 7), 7);
        assert_eq!(
            lenient_int(&json!({"a": "12"}), &["a"]).unwrap(),
            Some(Some(12))
        );
        assert_eq!(
            lenient_int(&json!({"a": 3.0}), &["a"]).unwrap(),
            Some(Some(3))
        );
        assert_eq!(lenient_int(&json!({"a": "x"}), &["a"]).unwrap(), Some(None));
        assert_eq!(lenient_int(&json!({}), &["a"]).unwrap(), None);
    }
}
