//! Go `encoding/json` marshalling of template values (sorted keys, Go float formatting, Go string
//! escaping), shared by Sprig's `toPrettyJson`/`toRawJson` and available to hosts for Helm's `toJson`.

use base64::Engine as _;
use rudder_gotmpl::Value;
use rudder_gotmpl::gofmt::format_float;

/// Options for [`encode`].
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonOptions {
    /// Escape `<`, `>` and `&` as `\u003c` etc. (Go's default `json.Marshal`).
    pub escape_html: bool,
    /// Indent nested values by two spaces per level, as `json.MarshalIndent(v, "", "  ")`.
    pub pretty: bool,
}

/// Go's error text for a value JSON cannot represent, e.g. `json: unsupported value: NaN`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("json: {0}")]
pub struct JsonError(String);

/// Marshals `v` as Go's `encoding/json` does.
pub fn encode(v: &Value, opts: JsonOptions) -> Result<String, JsonError> {
    let mut out = String::new();
    write_value(&mut out, v, opts, 0)?;
    Ok(out)
}

/// Formats a float64 as `encoding/json` does.
pub fn format_json_float(f: f64) -> Result<String, JsonError> {
    if !f.is_finite() {
        return Err(JsonError(format!(
            "unsupported value: {}",
            format_float(f, 'g', None)
        )));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format_float(f, 'e', None);
        // Go cleans e-07 to e-7.
        if let Some(pos) = s.find("e-0") {
            let mut t = s.clone();
            t.replace_range(pos..pos + 3, "e-");
            return Ok(t);
        }
        if let Some(pos) = s.find("e+0") {
            let mut t = s.clone();
            t.replace_range(pos..pos + 3, "e+");
            return Ok(t);
        }
        return Ok(s);
    }
    Ok(format_float(f, 'f', None))
}

/// Writes a JSON string literal with Go's escaping.
pub fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn newline(out: &mut String, opts: JsonOptions, depth: usize) {
    if opts.pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write_value(
    out: &mut String,
    v: &Value,
    opts: JsonOptions,
    depth: usize,
) -> Result<(), JsonError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Uint(u) => out.push_str(&u.to_string()),
        Value::Byte(b) => out.push_str(&b.to_string()),
        Value::Float(f) => out.push_str(&format_json_float(*f)?),
        Value::String(s) => write_string(out, s, opts.escape_html),
        Value::Bytes(b) => {
            let s = base64::engine::general_purpose::STANDARD.encode(b);
            write_string(out, &s, false);
        }
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, opts, depth + 1);
                write_value(out, x, opts, depth + 1)?;
            }
            newline(out, opts, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let entries = m.entries();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, opts, depth + 1);
                write_string(out, k, opts.escape_html);
                out.push(':');
                if opts.pretty {
                    out.push(' ');
                }
                write_value(out, x, opts, depth + 1)?;
            }
            newline(out, opts, depth);
            out.push('}');
        }
        Value::Object(o) => match o.underlying() {
            Some(u) => write_value(out, &u, opts, depth)?,
            // time.Time marshals as an RFC 3339 string with nanoseconds.
            None => match crate::time::from_value(v) {
                Some(t) => {
                    write_string(out, &t.format("2006-01-02T15:04:05.999999999Z07:00"), false)
                }
                None => out.push_str("{}"),
            },
        },
        Value::Func(f) => {
            return Err(JsonError(format!("unsupported type: {}", f.type_name())));
        }
    }
    Ok(())
}

/// Go's `json.Unmarshal` into `interface{}`: numbers become float64, objects maps. The error text is
/// Go's for the common cases.
pub fn decode(s: &str) -> Result<Value, String> {
    let mut p = Parser {
        b: s.as_bytes(),
        i: 0,
    };
    p.ws();
    if p.i >= p.b.len() {
        return Err("unexpected end of JSON input".into());
    }
    let v = p.value()?;
    p.ws();
    if p.i < p.b.len() {
        return Err(format!(
            "invalid character {} after top-level value",
            quote_char(p.b[p.i])
        ));
    }
    Ok(v)
}

fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        c if c.is_ascii_graphic() || c == b' ' => format!("'{}'", c as char),
        c => format!("'\\x{c:02x}'"),
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eof(&self) -> String {
        "unexpected end of JSON input".into()
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        let Some(&c) = self.b.get(self.i) else {
            return Err(self.eof());
        };
        match c {
            b'{' => {
                self.i += 1;
                let m = rudder_gotmpl::Map::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::Map(m));
                }
                loop {
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b'"') => {}
                        Some(&c) => {
                            return Err(format!(
                                "invalid character {} looking for beginning of object key string",
                                quote_char(c)
                            ));
                        }
                    }
                    let k = self.string()?;
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b':') => self.i += 1,
                        Some(&c) => {
                            return Err(format!(
                                "invalid character {} after object key",
                                quote_char(c)
                            ));
                        }
                    }
                    let v = self.value()?;
                    m.insert(k, v);
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Map(m));
                        }
                        Some(&c) => {
                            return Err(format!(
                                "invalid character {} after object key:value pair",
                                quote_char(c)
                            ));
                        }
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Value::list(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::list(v));
                        }
                        Some(&c) => {
                            return Err(format!(
                                "invalid character {} after array element",
                                quote_char(c)
                            ));
                        }
                    }
                }
            }
            b'"' => Ok(Value::from(self.string()?)),
            b't' | b'f' | b'n' => {
                for (lit, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Nil),
                ] {
                    if self.b[self.i..].starts_with(lit.as_bytes()) {
                        self.i += lit.len();
                        return Ok(v);
                    }
                }
                // Go's scanner: the first byte picks the literal; the first byte that
                // differs is reported with the byte it expected.
                let lit = match c {
                    b't' => "true",
                    b'f' => "false",
                    _ => "null",
                };
                for (k, want) in lit.bytes().enumerate().skip(1) {
                    match self.b.get(self.i + k) {
                        None => return Err(self.eof()),
                        Some(&got) if got != want => {
                            return Err(format!(
                                "invalid character {} in literal {lit} (expecting {})",
                                quote_char(got),
                                quote_char(want)
                            ));
                        }
                        Some(_) => {}
                    }
                }
                Err(self.eof())
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("");
                t.parse::<f64>()
                    .map(Value::Float)
                    .map_err(|_| format!("invalid number {t}"))
            }
            c => Err(format!(
                "invalid character {} looking for beginning of value",
                quote_char(c)
            )),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.eof());
            };
            self.i += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.eof());
                    };
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'u' => {
                            let h = self.b.get(self.i..self.i + 4).ok_or_else(|| self.eof())?;
                            let cp = u32::from_str_radix(std::str::from_utf8(h).unwrap_or("x"), 16)
                                .map_err(|_| {
                                    "invalid character in \\u hexadecimal character escape"
                                        .to_string()
                                })?;
                            self.i += 4;
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other as char),
                    }
                }
                _ => {
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.b.len() && self.b[end] != b'"' && self.b[end] != b'\\' {
                        end += 1;
                    }
                    out.push_str(&String::from_utf8_lossy(&self.b[start..end]));
                    self.i = end;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_and_escaping() {
        assert_eq!(format_json_float(1e6).as_deref(), Ok("1000000"));
        assert_eq!(format_json_float(1e21).as_deref(), Ok("1e+21"));
        assert_eq!(format_json_float(1e-7).as_deref(), Ok("1e-7"));
        let v = Value::from("<a>&");
        let html = encode(
            &v,
            JsonOptions {
                escape_html: true,
                pretty: false,
            },
        );
        assert_eq!(html.as_deref(), Ok("\"\\u003ca\\u003e\\u0026\""));
        assert!(encode(&Value::Float(f64::NAN), JsonOptions::default()).is_err());
    }

    #[test]
    fn decode_numbers_as_float64() {
        let v = decode(r#"{"a":[1,2.5,"x",null,true]}"#).expect("valid json");
        assert_eq!(v.to_go_string(), "map[a:[1 2.5 x <nil> true]]");
        assert_eq!(
            decode("{").err().as_deref(),
            Some("unexpected end of JSON input")
        );
    }
}
