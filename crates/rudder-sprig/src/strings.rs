//! String helpers with the exact algorithms of Go's `strings`, Masterminds/goutils and
//! huandu/xstrings as Sprig v3.3.0 uses them.

/// Go's `strings.Title`.
pub fn title(s: &str) -> String {
    fn is_sep(r: char) -> bool {
        if r.is_ascii() {
            return !(r.is_ascii_alphanumeric() || r == '_');
        }
        if r.is_alphanumeric() {
            return false;
        }
        r.is_whitespace()
    }
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for r in s.chars() {
        if is_sep(prev) {
            out.extend(r.to_uppercase());
        } else {
            out.push(r);
        }
        prev = r;
    }
    out
}

/// goutils `Uncapitalize`: lowercases the first letter of each whitespace-separated word.
pub fn untitle(s: &str) -> String {
    let mut next = true;
    let mut out = String::with_capacity(s.len());
    for r in s.chars() {
        if r.is_whitespace() {
            next = true;
            out.push(r);
        } else if next {
            out.extend(r.to_lowercase());
            next = false;
        } else {
            out.push(r);
        }
    }
    out
}

/// goutils `SwapCase`.
pub fn swapcase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for r in s.chars() {
        if r.is_uppercase() {
            out.extend(r.to_lowercase());
        } else if r.is_lowercase() {
            out.extend(r.to_uppercase());
        } else {
            out.push(r);
        }
    }
    out
}

/// goutils `Initials`: the first character of each whitespace-separated word.
pub fn initials(s: &str) -> String {
    let mut gap = true;
    let mut out = String::new();
    for r in s.chars() {
        if r.is_whitespace() {
            gap = true;
        } else if gap {
            out.push(r);
            gap = false;
        }
    }
    out
}

/// goutils `AbbreviateFull`; `None` where goutils returns an error (Sprig then prints "").
pub fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> Option<String> {
    if s.is_empty() {
        return Some(String::new());
    }
    if max_width < 4 {
        return None;
    }
    let len = s.len() as i64;
    if len <= max_width {
        return Some(s.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let cut = |a: i64, b: i64| {
        s.get(a.max(0) as usize..b.max(0) as usize)
            .map(str::to_string)
    };
    if offset <= 4 {
        return Some(cut(0, max_width - 3)? + "...");
    }
    if max_width < 7 {
        return None;
    }
    if offset + max_width - 3 < len {
        let rest = cut(offset, len)?;
        return Some(format!("...{}", abbreviate_full(&rest, 0, max_width - 3)?));
    }
    Some(format!("...{}", cut(len - (max_width - 3), len)?))
}

/// goutils `WrapCustom`.
pub fn wrap_custom(s: &str, wrap_length: i64, newline: &str, wrap_long_words: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let newline = if newline.is_empty() { "\n" } else { newline };
    let wrap = wrap_length.max(1) as usize;
    let b = s.as_bytes();
    let len = b.len();
    let mut offset = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(len + 8);
    while len - offset > wrap {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (wrap + offset + 1).min(len);
        let space = b[offset..end].iter().rposition(|c| *c == b' ');
        if let Some(sp) = space {
            let at = sp + offset;
            out.extend_from_slice(&b[offset..at]);
            out.extend_from_slice(newline.as_bytes());
            offset = at + 1;
        } else if wrap_long_words {
            let end = wrap + offset;
            out.extend_from_slice(&b[offset..end]);
            out.extend_from_slice(newline.as_bytes());
            offset += wrap;
        } else {
            let end = wrap + offset;
            match b[end..].iter().position(|c| *c == b' ') {
                None => {
                    out.extend_from_slice(&b[offset..]);
                    offset = len;
                }
                Some(i) => {
                    let at = i + end;
                    out.extend_from_slice(&b[offset..at]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = at + 1;
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

fn is_connector(r: char) -> bool {
    r == '-' || r == '_' || r.is_whitespace()
}

/// xstrings `ToCamelCase`.
pub fn camelcase(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::new();
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            r0 = Some(c.to_uppercase().next().unwrap_or(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else { return out };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = r0.to_uppercase().next().unwrap_or(r0);
        } else {
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

/// xstrings `ToSnakeCase` / `ToKebabCase`: connectors (space, `_`, `-`) each become `connector`,
/// other punctuation stays, and a connector is inserted at case changes (`aB`, `ABc`), before an
/// upper-case letter after digits and before digits that lead into lower-case letters (`HTTP2xx`).
pub fn delimited_lower(s: &str, connector: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        if is_connector(c) {
            out.push(connector);
            continue;
        }
        if !c.is_alphanumeric() {
            out.push(c);
            continue;
        }
        let prev_alnum = prev.filter(|p| p.is_alphanumeric());
        let split = match prev_alnum {
            None => false,
            Some(p) if c.is_uppercase() => {
                p.is_lowercase()
                    || p.is_numeric()
                    || (p.is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase()))
            }
            Some(p) if c.is_numeric() => {
                p.is_alphabetic() && {
                    let after = chars[i..].iter().find(|x| !x.is_numeric());
                    p.is_uppercase() && after.is_some_and(|x| x.is_lowercase())
                }
            }
            Some(_) => false,
        };
        if split {
            out.push(connector);
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// goutils `DeleteWhiteSpace`, byte by byte as goutils does it (each kept byte becomes the rune of
/// the same value, so non-ASCII text is mangled exactly like Sprig mangles it).
pub fn delete_whitespace(s: &str) -> String {
    s.bytes()
        .filter(|b| !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0))
        .map(char::from)
        .collect()
}

/// Go's `strings.SplitN` (with Go's rules for an empty separator).
pub fn go_splitn(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(|c| c.to_string()).collect();
        if n < 0 || chars.len() as i64 <= n {
            return chars;
        }
        let n = n as usize;
        let mut out: Vec<String> = chars[..n - 1].to_vec();
        let head: usize = out.iter().map(String::len).sum();
        out.push(s[head..].to_string());
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(title("hello wORLD foo-bar"), "Hello WORLD Foo-Bar");
        assert_eq!(camelcase("http_server-name x"), "HttpServerNameX");
        assert_eq!(
            delimited_lower("FirstName HTTPServer", '_'),
            "first_name_http_server"
        );
        assert_eq!(
            abbreviate_full("1234 5678 9123", 5, 10).as_deref(),
            Some("...5678...")
        );
    }
}
