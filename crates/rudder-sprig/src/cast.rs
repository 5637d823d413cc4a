//! Go value coercions as Sprig performs them (`strval`, `strslice`, and spf13/cast's `ToInt64`,
//! `ToInt`, `ToFloat64`), plus Sprig's notion of emptiness.

use rudder_gotmpl::Value;
use rudder_gotmpl::gofmt::sprint;

/// Sprig's `strval`: strings and byte slices as they are, everything else as `fmt.Sprintf("%v")`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => sprint(std::slice::from_ref(other)),
    }
}

/// Sprig's `strslice`: a list becomes its non-nil elements as strings, nil an empty list, anything
/// else a one-element list.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(strval)
            .collect(),
        Value::Bytes(b) => b.iter().map(|x| x.to_string()).collect(),
        Value::Nil => Vec::new(),
        other => match list_items(other) {
            Some(items) => items.iter().map(strval).collect(),
            None => vec![strval(other)],
        },
    }
}

/// The elements of a Go slice value (lists, byte slices and objects over a list), if it is one.
pub fn list_items(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(l) => Some(l.as_ref().clone()),
        Value::Bytes(b) => Some(b.iter().map(|x| Value::Byte(*x)).collect()),
        Value::Object(o) => match o.underlying() {
            Some(Value::List(l)) => Some(l.as_ref().clone()),
            _ => None,
        },
        _ => None,
    }
}

/// spf13/cast's `trimZeroDecimal`: `"12.00"` → `"12"`.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, base prefixes (`0x`, `0o`, `0b`, leading `0` octal) and
/// underscores between digits.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower.clone())
    };
    // Base 0 allows underscores, but only between digits (or after a base prefix).
    if digits.starts_with('_') && radix == 10 || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() || clean.starts_with('+') || clean.starts_with('-') {
        return None;
    }
    let mag = u64::from_str_radix(&clean, radix).ok()?;
    if neg {
        if mag > i64::MAX as u64 + 1 {
            None
        } else {
            Some((mag as i128).wrapping_neg() as i64)
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// spf13/cast `ToInt64`: numbers convert (floats truncate), bools are 1/0, strings parse (base
/// prefixes allowed, `"12.0"` accepted), anything else is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint(u) => *u as i64,
        Value::Byte(b) => i64::from(*b),
        Value::Float(f) => float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        Value::Object(o) => o.underlying().map_or(0, |u| to_int64(&u)),
        _ => 0,
    }
}

/// Go's `int64(f)` on amd64: out-of-range values and NaN become the "integer indefinite"
/// `-9223372036854775808`.
fn float_to_int(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// spf13/cast `ToFloat64`: numbers convert, bools are 1/0, strings parse, anything else is 0.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::Byte(b) => f64::from(*b),
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the common spellings.
pub fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.to_ascii_lowercase();
    match t.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.contains("0x") {
        // Go accepts hex floats only with a `p` exponent; Sprig's inputs never use them.
        return None;
    }
    if t.contains("inf") || t.contains("nan") {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().ok()
}

/// Sprig's `empty`: nil, false, zero numbers and empty strings, lists and maps.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) | Value::Int64(i) => *i == 0,
        Value::Uint(u) => *u == 0,
        Value::Byte(b) => *b == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Bytes(b) => b.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Object(o) => match o.underlying() {
            Some(u) => is_empty(&u),
            None => o.kind_name() == "ptr" && !o.is_true(),
        },
        Value::Func(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_go() {
        assert_eq!(parse_go_int("0777"), Some(511));
        assert_eq!(parse_go_int("0x1F"), Some(31));
        assert_eq!(parse_go_int("-7"), Some(-7));
        assert_eq!(parse_go_int("1_000"), Some(1000));
        assert_eq!(parse_go_int("1__0"), None);
        assert_eq!(to_int64(&Value::from("12.00")), 12);
        assert_eq!(to_int64(&Value::from("4.2")), 0);
    }
}
