//! Sprig's string, math, date, encoding, regex, reflection, path, URL and semver functions.

use std::sync::Arc;

use base64::Engine as _;
use rand::Rng as _;
use rand::seq::SliceRandom as _;
use rudder_gotmpl::gofmt::{quote, sprint};
use rudder_gotmpl::{ArgType, FuncError, Function, Map, Object, Value};
use sha2::Digest as _;

use crate::cast::{is_empty, list_items, strslice, strval, to_float64, to_int64};
use crate::decimal::{self, Op};
use crate::json::{JsonOptions, encode};
use crate::strings as s;
use crate::time::{self as gotime, GoTime};
use crate::{Reg, add, arg, arg_int, arg_str, str_list};

use ArgType::{Any, Int, String as Str};

fn text(v: impl Into<String>) -> Result<Value, FuncError> {
    Ok(Value::from(v.into()))
}

fn str_fn(r: &mut Reg, name: &'static str, f: fn(&str) -> String) {
    add(r, name, &[Str], None, move |a| text(f(arg_str(a, 0))));
}

pub(crate) fn register_strings(r: &mut Reg) {
    str_fn(r, "upper", go_upper);
    str_fn(r, "lower", go_lower);
    str_fn(r, "title", s::title);
    str_fn(r, "untitle", s::untitle);
    str_fn(r, "trim", |x| {
        x.trim_matches(char::is_whitespace).to_string()
    });
    str_fn(r, "nospace", s::delete_whitespace);
    str_fn(r, "initials", s::initials);
    str_fn(r, "swapcase", s::swapcase);
    str_fn(r, "snakecase", |x| s::delimited_lower(x, '_'));
    str_fn(r, "kebabcase", |x| s::delimited_lower(x, '-'));
    str_fn(r, "camelcase", s::camelcase);
    str_fn(r, "shuffle", |x| {
        let mut c: Vec<char> = x.chars().collect();
        c.shuffle(&mut rand::rng());
        c.into_iter().collect()
    });
    str_fn(r, "sha1sum", |x| {
        hex::encode(sha1::Sha1::digest(x.as_bytes()))
    });
    str_fn(r, "sha256sum", |x| {
        hex::encode(sha2::Sha256::digest(x.as_bytes()))
    });
    str_fn(r, "sha512sum", |x| {
        hex::encode(sha2::Sha512::digest(x.as_bytes()))
    });
    str_fn(r, "adler32sum", |x| adler32(x.as_bytes()).to_string());
    str_fn(r, "b64enc", |x| {
        base64::engine::general_purpose::STANDARD.encode(x)
    });
    add(r, "b64dec", &[Str], None, |a| {
        let x = arg_str(a, 0);
        Ok(match base64::engine::general_purpose::STANDARD.decode(x) {
            Ok(b) => bytes_as_string(b),
            Err(e) => Value::from(format!(
                "illegal base64 data at input byte {}",
                b64_err_pos(&e, x)
            )),
        })
    });
    str_fn(r, "b32enc", |x| data_encoding::BASE32.encode(x.as_bytes()));
    add(r, "b32dec", &[Str], None, |a| {
        Ok(
            match data_encoding::BASE32.decode(arg_str(a, 0).as_bytes()) {
                Ok(b) => bytes_as_string(b),
                Err(e) => Value::from(format!("illegal base32 data at input byte {}", e.position)),
            },
        )
    });
    str_fn(r, "regexQuoteMeta", s::quote_meta);
    str_fn(r, "base", path_base);
    str_fn(r, "osBase", path_base);
    str_fn(r, "dir", path_dir);
    str_fn(r, "osDir", path_dir);
    str_fn(r, "clean", path_clean);
    str_fn(r, "osClean", path_clean);
    str_fn(r, "ext", path_ext);
    str_fn(r, "osExt", path_ext);
    add(r, "isAbs", &[Str], None, |a| {
        Ok(Value::Bool(arg_str(a, 0).starts_with('/')))
    });
    add(r, "osIsAbs", &[Str], None, |a| {
        Ok(Value::Bool(arg_str(a, 0).starts_with('/')))
    });
    add(r, "hello", &[], None, |_| text("Hello!"));
    add(r, "trunc", &[Int, Str], None, |a| {
        let (c, x) = (arg_int(a, 0), arg_str(a, 1));
        let n = x.len() as i64;
        let out = if c < 0 && n + c > 0 {
            x.get((n + c) as usize..)
        } else if c >= 0 && n > c {
            x.get(..c as usize)
        } else {
            Some(x)
        };
        out.map(text).unwrap_or_else(|| Err(slice_panic(c, n)))
    });
    add(r, "abbrev", &[Int, Str], None, |a| {
        let (width, x) = (arg_int(a, 0), arg_str(a, 1));
        if width < 4 {
            return text(x);
        }
        text(s::abbreviate_full(x, 0, width).unwrap_or_default())
    });
    add(r, "abbrevboth", &[Int, Int, Str], None, |a| {
        let (left, right, x) = (arg_int(a, 0), arg_int(a, 1), arg_str(a, 2));
        if right < 4 || (left > 0 && right < 7) {
            return text(x);
        }
        text(s::abbreviate_full(x, left, right).unwrap_or_default())
    });
    add(r, "substr", &[Int, Int, Str], None, |a| {
        let (start, end, x) = (arg_int(a, 0), arg_int(a, 1), arg_str(a, 2));
        let n = x.len() as i64;
        // Go's runtime panics for out-of-range slicing, as Sprig's `substring` hits them.
        if start < 0 {
            return match x.get(..end.max(0) as usize) {
                Some(s) if end >= 0 => text(s),
                _ if end > n => Err(FuncError::new(format!(
                    "runtime error: slice bounds out of range [:{end}] with length {n}"
                ))),
                _ => Err(slice_panic(0, end)),
            };
        }
        let end = if end < 0 || end > n { n } else { end };
        if start > end {
            return Err(slice_panic(start, end));
        }
        x.get(start as usize..end as usize)
            .map(text)
            .unwrap_or_else(|| Err(slice_panic(start, end)))
    });
    add(r, "repeat", &[Int, Str], None, |a| {
        let c = arg_int(a, 0);
        if c < 0 {
            return Err(FuncError::new("strings: negative Repeat count"));
        }
        text(arg_str(a, 1).repeat(c as usize))
    });
    add(r, "trimAll", &[Str, Str], None, |a| {
        text(arg_str(a, 1).trim_matches(|c| arg_str(a, 0).contains(c)))
    });
    add(r, "trimall", &[Str, Str], None, |a| {
        text(arg_str(a, 1).trim_matches(|c| arg_str(a, 0).contains(c)))
    });
    add(r, "trimPrefix", &[Str, Str], None, |a| {
        text(
            arg_str(a, 1)
                .strip_prefix(arg_str(a, 0))
                .unwrap_or(arg_str(a, 1)),
        )
    });
    add(r, "trimSuffix", &[Str, Str], None, |a| {
        text(
            arg_str(a, 1)
                .strip_suffix(arg_str(a, 0))
                .unwrap_or(arg_str(a, 1)),
        )
    });
    add(r, "wrap", &[Int, Str], None, |a| {
        text(s::wrap_custom(arg_str(a, 1), arg_int(a, 0), "", false))
    });
    add(r, "wrapWith", &[Int, Str, Str], None, |a| {
        text(s::wrap_custom(
            arg_str(a, 2),
            arg_int(a, 0),
            arg_str(a, 1),
            true,
        ))
    });
    add(r, "contains", &[Str, Str], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).contains(arg_str(a, 0))))
    });
    add(r, "hasPrefix", &[Str, Str], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).starts_with(arg_str(a, 0))))
    });
    add(r, "hasSuffix", &[Str, Str], None, |a| {
        Ok(Value::Bool(arg_str(a, 1).ends_with(arg_str(a, 0))))
    });
    add(r, "quote", &[], Some(Any), |a| {
        let v: Vec<String> = a
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(|x| quote(&strval(x), false))
            .collect();
        text(v.join(" "))
    });
    add(r, "squote", &[], Some(Any), |a| {
        let v: Vec<String> = a
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(|x| format!("'{}'", strval(x)))
            .collect();
        text(v.join(" "))
    });
    add(r, "cat", &[], Some(Any), |a| {
        let v: Vec<Value> = a
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .cloned()
            .collect();
        let parts: Vec<String> = v.iter().map(|x| sprint(std::slice::from_ref(x))).collect();
        text(parts.join(" "))
    });
    add(r, "indent", &[Int, Str], None, |a| {
        text(indent(arg_int(a, 0), arg_str(a, 1)))
    });
    add(r, "nindent", &[Int, Str], None, |a| {
        text(format!("\n{}", indent(arg_int(a, 0), arg_str(a, 1))))
    });
    add(r, "replace", &[Str, Str, Str], None, |a| {
        text(arg_str(a, 2).replace(arg_str(a, 0), arg_str(a, 1)))
    });
    add(r, "plural", &[Str, Str, Int], None, |a| {
        text(if arg_int(a, 2) == 1 {
            arg_str(a, 0)
        } else {
            arg_str(a, 1)
        })
    });
    add(r, "toString", &[Any], None, |a| text(strval(&arg(a, 0))));
    add(r, "toStrings", &[Any], None, |a| {
        Ok(str_list(strslice(&arg(a, 0))))
    });
    add(r, "join", &[Str, Any], None, |a| {
        text(strslice(&arg(a, 1)).join(arg_str(a, 0)))
    });
    add(r, "split", &[Str, Str], None, |a| {
        Ok(split_map(s::go_splitn(arg_str(a, 1), arg_str(a, 0), -1)))
    });
    add(r, "splitn", &[Str, Int, Str], None, |a| {
        Ok(split_map(s::go_splitn(
            arg_str(a, 2),
            arg_str(a, 0),
            arg_int(a, 1),
        )))
    });
    add(r, "splitList", &[Str, Str], None, |a| {
        Ok(str_list(s::go_splitn(arg_str(a, 1), arg_str(a, 0), -1)))
    });
    add(r, "sortAlpha", &[Any], None, |a| {
        let v = arg(a, 0);
        let mut out = if list_items(&v).is_some() {
            strslice(&v)
        } else {
            vec![strval(&v)]
        };
        out.sort();
        Ok(str_list(out))
    });
    for (name, set) in [
        (
            "randAlphaNum",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        ),
        (
            "randAlpha",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        ),
        ("randNumeric", "0123456789"),
        (
            "randAscii",
            " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        ),
    ] {
        add(r, name, &[Int], None, move |a| {
            let n = arg_int(a, 0);
            if n < 0 {
                // goutils reports an error, which Sprig drops.
                return text("");
            }
            let chars: Vec<char> = set.chars().collect();
            let mut rng = rand::rng();
            text(
                (0..n)
                    .map(|_| chars[rng.random_range(0..chars.len())])
                    .collect::<String>(),
            )
        });
    }
    register_regex(r);
}

/// Go's `string(bytes)`: a string when the bytes are UTF-8; otherwise the bytes themselves, so that
/// `len` still counts bytes as Go does (a Rust string cannot hold invalid UTF-8).
fn bytes_as_string(b: Vec<u8>) -> Value {
    match String::from_utf8(b) {
        Ok(s) => Value::from(s),
        Err(e) => Value::Bytes(e.into_bytes().into()),
    }
}

/// Go's `strings.ToUpper`: rune by rune, keeping runes with no single-rune upper case (`ß`).
fn go_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.ToLower`: rune by rune (`İ` becomes `i`).
fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

fn slice_panic(a: i64, b: i64) -> FuncError {
    FuncError::new(format!(
        "runtime error: slice bounds out of range [{a}:{b}]"
    ))
}

fn indent(n: i64, v: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    format!("{pad}{}", v.replace('\n', &format!("\n{pad}")))
}

fn split_map(parts: Vec<String>) -> Value {
    let m = Map::new();
    for (i, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{i}"), Value::from(p));
    }
    Value::Map(m)
}

fn adler32(b: &[u8]) -> u32 {
    let (mut a, mut s) = (1u32, 0u32);
    for x in b {
        a = (a + u32::from(*x)) % 65521;
        s = (s + a) % 65521;
    }
    (s << 16) | a
}

fn b64_err_pos(e: &base64::DecodeError, input: &str) -> usize {
    match e {
        // Go accepts a padded quantum and then reports the byte after it.
        base64::DecodeError::InvalidByte(p, b'=') if p % 4 >= 2 => (p / 4 + 1) * 4,
        base64::DecodeError::InvalidByte(p, _) => *p,
        base64::DecodeError::InvalidLastSymbol(p, _) => *p,
        _ => input.len() / 4 * 4,
    }
}

/// Go's `path.Clean`.
fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            x => parts.push(x),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

/// Compiles a Go (RE2) regular expression; errors use Go's wording for the common mistakes.
fn go_regex(expr: &str) -> Result<regex::Regex, FuncError> {
    regex::Regex::new(expr).map_err(|e| {
        let text = e.to_string();
        let detail = text
            .lines()
            .last()
            .unwrap_or("")
            .trim()
            .trim_start_matches("error: ");
        let from = |c: char| expr.rfind(c).map_or(expr, |i| &expr[i..]);
        let (code, arg) = match detail {
            d if d.contains("unclosed character class") => ("missing closing ]", from('[')),
            d if d.contains("unclosed group") => ("missing closing )", expr),
            d if d.contains("unopened group") => ("unexpected )", expr),
            d if d.contains("repetition operator missing expression") => (
                "missing argument to repetition operator",
                expr.get(..1).unwrap_or(expr),
            ),
            d if d.contains("invalid character class range") => {
                ("invalid character class range", expr)
            }
            d if d.contains("escape") => ("invalid escape sequence", from('\\')),
            d => (d, expr),
        };
        FuncError::new(format!("error parsing regexp: {code}: `{arg}`"))
    })
}

/// `regexp.MustCompile`'s panic text, which the non-`must` Sprig regex functions produce.
fn must_compile(expr: &str, must: bool) -> Result<regex::Regex, FuncError> {
    go_regex(expr).map_err(|e| {
        if must {
            e
        } else {
            FuncError::new(format!("regexp: Compile(`{expr}`): {}", e.message()))
        }
    })
}

fn go_split(re: &regex::Regex, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let matches: Vec<(usize, usize)> = re.find_iter(s).map(|m| (m.start(), m.end())).collect();
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = b;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}

fn find_all(re: &regex::Regex, s: &str, n: i64) -> Vec<String> {
    let it = re.find_iter(s).map(|m| m.as_str().to_string());
    if n < 0 {
        it.collect()
    } else {
        it.take(n as usize).collect()
    }
}

fn register_regex(r: &mut Reg) {
    add(r, "regexMatch", &[Str, Str], None, |a| {
        Ok(Value::Bool(
            go_regex(arg_str(a, 0)).is_ok_and(|re| re.is_match(arg_str(a, 1))),
        ))
    });
    add(r, "mustRegexMatch", &[Str, Str], None, |a| {
        Ok(Value::Bool(
            go_regex(arg_str(a, 0))?.is_match(arg_str(a, 1)),
        ))
    });
    for must in [false, true] {
        add(
            r,
            if must {
                "mustRegexFindAll"
            } else {
                "regexFindAll"
            },
            &[Str, Str, Int],
            None,
            move |a| {
                Ok(str_list(find_all(
                    &must_compile(arg_str(a, 0), must)?,
                    arg_str(a, 1),
                    arg_int(a, 2),
                )))
            },
        );
        add(
            r,
            if must { "mustRegexFind" } else { "regexFind" },
            &[Str, Str],
            None,
            move |a| {
                text(
                    must_compile(arg_str(a, 0), must)?
                        .find(arg_str(a, 1))
                        .map(|m| m.as_str())
                        .unwrap_or(""),
                )
            },
        );
        add(
            r,
            if must {
                "mustRegexReplaceAll"
            } else {
                "regexReplaceAll"
            },
            &[Str, Str, Str],
            None,
            move |a| {
                text(
                    must_compile(arg_str(a, 0), must)?
                        .replace_all(arg_str(a, 1), arg_str(a, 2))
                        .into_owned(),
                )
            },
        );
        add(
            r,
            if must {
                "mustRegexReplaceAllLiteral"
            } else {
                "regexReplaceAllLiteral"
            },
            &[Str, Str, Str],
            None,
            move |a| {
                text(
                    must_compile(arg_str(a, 0), must)?
                        .replace_all(arg_str(a, 1), regex::NoExpand(arg_str(a, 2)))
                        .into_owned(),
                )
            },
        );
        add(
            r,
            if must { "mustRegexSplit" } else { "regexSplit" },
            &[Str, Str, Int],
            None,
            move |a| {
                Ok(str_list(go_split(
                    &must_compile(arg_str(a, 0), must)?,
                    arg_str(a, 1),
                    arg_int(a, 2),
                )))
            },
        );
    }
}

fn int64(v: i64) -> Result<Value, FuncError> {
    Ok(Value::Int64(v))
}

fn float(v: f64) -> Result<Value, FuncError> {
    Ok(Value::Float(v))
}

fn dec_fold(first: f64, rest: &[Value], op: Op) -> Result<Value, FuncError> {
    let mut acc = first;
    for x in rest {
        let y = to_float64(x);
        if matches!(op, Op::Div) && y == 0.0 {
            return Err(FuncError::new("decimal division by zero"));
        }
        acc = decimal::apply(acc, y, op);
    }
    float(acc)
}

pub(crate) fn register_math(r: &mut Reg) {
    add(r, "add1", &[Any], None, move |a| {
        int64(to_int64(&arg(a, 0)).wrapping_add(1))
    });
    add(r, "add", &[], Some(Any), |a| {
        int64(a.iter().fold(0i64, |s, x| s.wrapping_add(to_int64(x))))
    });
    add(r, "sub", &[Any, Any], None, move |a| {
        int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))
    });
    add(r, "div", &[Any, Any], None, move |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new("runtime error: integer divide by zero"));
        }
        int64(to_int64(&a[0]).wrapping_div(d))
    });
    add(r, "mod", &[Any, Any], None, move |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(FuncError::new("runtime error: integer divide by zero"));
        }
        int64(to_int64(&a[0]).wrapping_rem(d))
    });
    add(r, "mul", &[Any], Some(Any), |a| {
        int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, x| s.wrapping_mul(to_int64(x))),
        )
    });
    for name in ["max", "biggest"] {
        add(r, name, &[Any], Some(Any), |a| {
            int64(
                a[1..]
                    .iter()
                    .fold(to_int64(&a[0]), |s, x| s.max(to_int64(x))),
            )
        });
    }
    add(r, "min", &[Any], Some(Any), |a| {
        int64(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, x| s.min(to_int64(x))),
        )
    });
    add(r, "maxf", &[Any], Some(Any), |a| {
        float(
            a[1..]
                .iter()
                .fold(to_float64(&a[0]), |s, x| go_max(s, to_float64(x))),
        )
    });
    add(r, "minf", &[Any], Some(Any), |a| {
        float(
            a[1..]
                .iter()
                .fold(to_float64(&a[0]), |s, x| go_min(s, to_float64(x))),
        )
    });
    add(r, "add1f", &[Any], None, move |a| {
        dec_fold(to_float64(&a[0]), &[Value::Float(1.0)], Op::Add)
    });
    add(r, "addf", &[], Some(Any), |a| dec_fold(0.0, a, Op::Add));
    add(r, "subf", &[Any], Some(Any), |a| {
        dec_fold(to_float64(&a[0]), &a[1..], Op::Sub)
    });
    add(r, "mulf", &[Any], Some(Any), |a| {
        dec_fold(to_float64(&a[0]), &a[1..], Op::Mul)
    });
    add(r, "divf", &[Any], Some(Any), |a| {
        dec_fold(to_float64(&a[0]), &a[1..], Op::Div)
    });
    add(r, "floor", &[Any], None, move |a| {
        float(to_float64(&a[0]).floor())
    });
    add(r, "ceil", &[Any], None, move |a| {
        float(to_float64(&a[0]).ceil())
    });
    add(r, "round", &[Any, Int], Some(ArgType::Float64), |a| {
        let round_on = match a.get(2) {
            Some(Value::Float(f)) => *f,
            _ => 0.5,
        };
        let pow = 10f64.powf(arg_int(a, 1) as f64);
        let digit = pow * to_float64(&a[0]);
        let frac = digit.fract();
        let round = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        float(round / pow)
    });
    add(r, "randInt", &[Int, Int], None, move |a| {
        let (lo, hi) = (arg_int(a, 0), arg_int(a, 1));
        if hi <= lo {
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::Int(rand::rng().random_range(lo..hi)))
    });
    add(r, "int64", &[Any], None, move |a| int64(to_int64(&a[0])));
    add(r, "int", &[Any], None, move |a| {
        Ok(Value::Int(to_int64(&a[0])))
    });
    add(r, "float64", &[Any], None, move |a| {
        float(to_float64(&a[0]))
    });
    add(r, "atoi", &[Str], None, move |a| {
        let s = arg_str(a, 0);
        let t = s.strip_prefix('+').unwrap_or(s);
        let ok = !t.is_empty()
            && t.trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit());
        Ok(Value::Int(if ok { s.parse().unwrap_or(0) } else { 0 }))
    });
    add(r, "toDecimal", &[Any], None, move |a| {
        let s = sprint(std::slice::from_ref(&a[0]));
        let (neg, d) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s.strip_prefix('+').unwrap_or(&s)),
        };
        let v = i64::from_str_radix(d, 8)
            .ok()
            .filter(|_| !d.starts_with(['+', '-']));
        int64(v.map_or(0, |v| if neg { -v } else { v }))
    });
    add(r, "until", &[Int], None, move |a| {
        let c = arg_int(a, 0);
        Ok(int_list(until_step(0, c, if c < 0 { -1 } else { 1 })))
    });
    add(r, "untilStep", &[Int, Int, Int], None, move |a| {
        Ok(int_list(until_step(
            arg_int(a, 0),
            arg_int(a, 1),
            arg_int(a, 2),
        )))
    });
    add(r, "seq", &[], Some(Int), |a| {
        let p: Vec<i64> = a
            .iter()
            .map(|x| arg_int(std::slice::from_ref(x), 0))
            .collect();
        let v = match p.len() {
            1 => {
                let inc = if p[0] < 1 { -1 } else { 1 };
                until_step(1, p[0] + inc, inc)
            }
            2 => {
                let step = if p[1] < p[0] { -1 } else { 1 };
                until_step(p[0], p[1] + step, step)
            }
            3 => {
                let (start, step, end) = (p[0], p[1], p[2]);
                let mut inc = 1;
                if end < start {
                    inc = -1;
                    if step > 0 {
                        return text("");
                    }
                }
                until_step(start, end + inc, step)
            }
            _ => return text(""),
        };
        text(v.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))
    });
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn int_list(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

/// A `*semver.Version` object.
#[derive(Debug)]
struct SemverObj(rudder_semver::Version);

impl Object for SemverObj {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn kind_name(&self) -> &'static str {
        "ptr"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<Function> {
        let v = self.0.clone();
        let u = |x: u64| {
            Function::new(Vec::new(), None, move |_, _| Ok(Value::Uint(x)))
                .with_type_name("func() uint64")
        };
        let st = |x: String| {
            Function::new(Vec::new(), None, move |_, _| Ok(Value::from(x.clone())))
                .with_type_name("func() string")
        };
        Some(match name {
            "Major" => u(v.major()),
            "Minor" => u(v.minor()),
            "Patch" => u(v.patch()),
            "Prerelease" => st(v.prerelease().to_string()),
            "Metadata" => st(v.metadata().to_string()),
            "Original" => st(v.original().to_string()),
            "String" => st(v.to_string()),
            "Compare" | "LessThan" | "GreaterThan" | "Equal" => {
                let m = name.to_string();
                Function::new(vec![Any], None, move |ctx, a| {
                    let other = match &a[0] {
                        Value::Object(o) if o.type_name() == "*semver.Version" => o
                            .method("Original")
                            .map(|f| f.call(ctx, &[]))
                            .transpose()?
                            .and_then(|x| x.as_str().map(str::to_string)),
                        _ => None,
                    };
                    let Some(o) = other.and_then(|s| rudder_semver::Version::parse(&s).ok()) else {
                        return Err(FuncError::new(format!(
                            "wrong type for value; expected *semver.Version; got {}",
                            a[0].type_name()
                        )));
                    };
                    let c = v.compare(&o);
                    Ok(match m.as_str() {
                        "Compare" => Value::Int(c as i64),
                        "LessThan" => Value::Bool(c.is_lt()),
                        "GreaterThan" => Value::Bool(c.is_gt()),
                        _ => Value::Bool(c.is_eq()),
                    })
                })
            }
            _ => return None,
        })
    }
    fn format(&self, _plus: bool) -> String {
        self.0.to_string()
    }
}

pub(crate) fn register_misc(r: &mut Reg) {
    add(r, "semver", &[Str], None, move |a| {
        rudder_semver::Version::parse(arg_str(a, 0))
            .map(|v| Value::Object(Arc::new(SemverObj(v))))
            .map_err(|e| FuncError::new(e.to_string()))
    });
    add(r, "semverCompare", &[Str, Str], None, move |a| {
        rudder_semver::semver_compare(arg_str(a, 0), arg_str(a, 1))
            .map(Value::Bool)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    add(r, "uuidv4", &[], None, |_| {
        text(uuid::Uuid::new_v4().to_string())
    });
    add(r, "randBytes", &[Int], None, move |a| {
        let n = arg_int(a, 0).max(0) as usize;
        let mut b = vec![0u8; n];
        rand::rng().fill(&mut b[..]);
        text(base64::engine::general_purpose::STANDARD.encode(b))
    });
    add(r, "typeOf", &[Any], None, move |a| text(a[0].type_name()));
    add(r, "kindOf", &[Any], None, move |a| text(a[0].kind_name()));
    add(r, "typeIs", &[Str, Any], None, move |a| {
        Ok(Value::Bool(arg_str(a, 0) == a[1].type_name()))
    });
    add(r, "kindIs", &[Str, Any], None, move |a| {
        Ok(Value::Bool(arg_str(a, 0) == a[1].kind_name()))
    });
    add(r, "typeIsLike", &[Str, Any], None, move |a| {
        if matches!(a[1], Value::Nil) {
            return Err(FuncError::new(
                "runtime error: invalid memory address or nil pointer dereference",
            ));
        }
        let t = a[1].type_name();
        let target = arg_str(a, 0);
        Ok(Value::Bool(target == t || format!("*{target}") == t))
    });
    add(r, "deepEqual", &[Any, Any], None, move |a| {
        Ok(Value::Bool(a[0].deep_equal(&a[1])))
    });
    add(r, "empty", &[Any], None, move |a| {
        Ok(Value::Bool(is_empty(&a[0])))
    });
    add(r, "default", &[Any], Some(Any), |a| {
        Ok(match a.get(1) {
            Some(g) if !is_empty(g) => g.clone(),
            _ => a[0].clone(),
        })
    });
    add(r, "coalesce", &[], Some(Any), |a| {
        Ok(a.iter()
            .find(|x| !is_empty(x))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    add(r, "all", &[], Some(Any), |a| {
        Ok(Value::Bool(a.iter().all(|x| !is_empty(x))))
    });
    add(r, "any", &[], Some(Any), |a| {
        Ok(Value::Bool(a.iter().any(|x| !is_empty(x))))
    });
    add(r, "ternary", &[Any, Any, ArgType::Bool], None, move |a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    let pretty = JsonOptions {
        escape_html: true,
        pretty: true,
    };
    let raw = JsonOptions {
        escape_html: false,
        pretty: false,
    };
    add(r, "toPrettyJson", &[Any], None, move |a| {
        text(encode(&a[0], pretty).unwrap_or_default())
    });
    add(r, "toRawJson", &[Any], None, move |a| {
        text(encode(&a[0], raw).unwrap_or_default())
    });
    add(r, "mustToPrettyJson", &[Any], None, move |a| {
        encode(&a[0], pretty)
            .map(Value::from)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    add(r, "mustToRawJson", &[Any], None, move |a| {
        encode(&a[0], raw)
            .map(Value::from)
            .map_err(|e| FuncError::new(e.to_string()))
    });
    add(r, "mustFromJson", &[Str], None, move |a| {
        crate::json::decode(arg_str(a, 0)).map_err(FuncError::new)
    });
    add(r, "urlParse", &[Str], None, move |a| {
        url_parse(arg_str(a, 0))
    });
    add(r, "urlJoin", &[ArgType::Map], None, move |a| {
        let get = |k: &str| match &a[0] {
            Value::Map(m) => m.get(k).map(|v| strval(&v)).unwrap_or_default(),
            _ => String::new(),
        };
        let user = get("userinfo");
        let valid = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:%".contains(c);
        if !user.chars().all(valid) {
            return Err(FuncError::new(format!(
                "unable to parse userinfo in dict: parse \"proto://{user}@host\": net/url: invalid userinfo"
            )));
        }
        text(url_join(
            &get("scheme"),
            &get("userinfo"),
            &get("host"),
            &get("path"),
            &get("query"),
            &get("opaque"),
            &get("fragment"),
        ))
    });
    add(r, "bcrypt", &[Str], None, move |a| {
        text(bcrypt_hash(arg_str(a, 0))?)
    });
    add(r, "htpasswd", &[Str, Str], None, move |a| {
        let user = arg_str(a, 0);
        if user.contains(':') {
            return text(format!("invalid username: {user}"));
        }
        text(format!("{user}:{}", bcrypt_hash(arg_str(a, 1))?))
    });
    add(r, "encryptAES", &[Str, Str], None, move |a| {
        text(crate::certs::encrypt_aes(arg_str(a, 0), arg_str(a, 1)))
    });
    add(r, "decryptAES", &[Str, Str], None, move |a| {
        crate::certs::decrypt_aes(arg_str(a, 0), arg_str(a, 1))
            .map(Value::from)
            .map_err(FuncError::new)
    });
    add(
        r,
        "derivePassword",
        &[Any, Str, Str, Str, Str],
        None,
        move |a| {
            let counter = u32::try_from(to_int64(&a[0])).unwrap_or(0);
            text(crate::certs::derive_password(
                counter,
                arg_str(a, 1),
                arg_str(a, 2),
                arg_str(a, 3),
                arg_str(a, 4),
            ))
        },
    );
}

fn bcrypt_hash(pw: &str) -> Result<String, FuncError> {
    bcrypt::hash_with_result(pw, 10)
        .map(|h| h.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| FuncError::new(e.to_string()))
}

fn url_parse(raw: &str) -> Result<Value, FuncError> {
    let (rest, fragment) = match raw.split_once('#') {
        Some((a, b)) => (a, unescape(b)),
        None => (raw, String::new()),
    };
    let mut scheme = String::new();
    let mut rest = rest;
    if let Some(i) = rest.find(':') {
        let cand = &rest[..i];
        if !cand.is_empty()
            && cand.starts_with(|c: char| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = cand.to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
    }
    let (rest, query) = match rest.split_once('?') {
        Some((a, b)) => (a, b.to_string()),
        None => (rest, String::new()),
    };
    let (mut host, mut userinfo, mut path, mut opaque) =
        (String::new(), String::new(), String::new(), String::new());
    if !scheme.is_empty() && !rest.starts_with('/') {
        opaque = rest.to_string();
    } else if let Some(auth_path) = rest.strip_prefix("//") {
        let (auth, p) = match auth_path.find('/') {
            Some(i) => (&auth_path[..i], &auth_path[i..]),
            None => (auth_path, ""),
        };
        match auth.rsplit_once('@') {
            Some((u, h)) => {
                userinfo = u.to_string();
                host = h.to_string();
            }
            None => host = auth.to_string(),
        }
        path = unescape(p);
    } else {
        path = unescape(rest);
    }
    let hostname = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
            .to_string()
    } else {
        host.rsplit_once(':')
            .map_or(host.clone(), |(h, _)| h.to_string())
    };
    let m = Map::new();
    for (k, v) in [
        ("scheme", scheme),
        ("host", host),
        ("hostname", hostname),
        ("path", path),
        ("query", query),
        ("opaque", opaque),
        ("fragment", fragment),
        ("userinfo", userinfo),
    ] {
        m.insert(k, Value::from(v));
    }
    Ok(Value::Map(m))
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || keep.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url_join(
    scheme: &str,
    user: &str,
    host: &str,
    path: &str,
    query: &str,
    opaque: &str,
    fragment: &str,
) -> String {
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !user.is_empty() {
            if !host.is_empty() || !path.is_empty() || !user.is_empty() {
                out.push_str("//");
            }
            if !user.is_empty() {
                out.push_str(&escape(user, "!$&'()*+,;=:"));
                out.push('@');
            }
            out.push_str(&escape(host, "!$&'()*+,;=:[]"));
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&escape(path, "$&+,/:;=@"));
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(fragment, "$&+,/:;=@!()*?"));
    }
    out
}

fn time_arg(v: &Value) -> GoTime {
    match v {
        Value::Int(i) | Value::Int64(i) => GoTime::unix(*i),
        other => gotime::from_value(other).unwrap_or_else(GoTime::now),
    }
}

fn want_time(v: &Value) -> Result<GoTime, FuncError> {
    gotime::from_value(v).ok_or_else(|| {
        FuncError::new(format!(
            "wrong type for value; expected time.Time; got {}",
            v.type_name()
        ))
    })
}

fn since(t: &GoTime) -> i128 {
    GoTime::now().ts.as_nanosecond() - t.ts.as_nanosecond()
}

pub(crate) fn register_dates(r: &mut Reg) {
    add(r, "now", &[], None, |_| Ok(gotime::value(GoTime::now())));
    add(r, "date", &[Str, Any], None, move |a| {
        text(
            time_arg(&a[1])
                .in_zone(gotime::local_zone())
                .format(arg_str(a, 0)),
        )
    });
    for name in ["dateInZone", "date_in_zone"] {
        add(r, name, &[Str, Any, Str], None, move |a| {
            let z = gotime::load_location(arg_str(a, 2))
                .unwrap_or(gotime::Zone::Tz(jiff::tz::TimeZone::UTC));
            text(time_arg(&a[1]).in_zone(z).format(arg_str(a, 0)))
        });
    }
    add(r, "htmlDate", &[Any], None, move |a| {
        text(
            time_arg(&a[0])
                .in_zone(gotime::local_zone())
                .format("2006-01-02"),
        )
    });
    add(r, "htmlDateInZone", &[Any, Str], None, move |a| {
        let z = gotime::load_location(arg_str(a, 1))
            .unwrap_or(gotime::Zone::Tz(jiff::tz::TimeZone::UTC));
        text(time_arg(&a[0]).in_zone(z).format("2006-01-02"))
    });
    add(r, "toDate", &[Str, Str], None, move |a| {
        Ok(gotime::value(
            GoTime::parse(arg_str(a, 0), arg_str(a, 1), &gotime::local_zone())
                .unwrap_or_else(GoTime::zero),
        ))
    });
    add(r, "mustToDate", &[Str, Str], None, move |a| {
        GoTime::parse_go(arg_str(a, 0), arg_str(a, 1), &gotime::local_zone())
            .map(gotime::value)
            .map_err(FuncError::new)
    });
    for name in ["dateModify", "date_modify"] {
        add(r, name, &[Str, Any], None, move |a| {
            let t = want_time(&a[1])?;
            Ok(gotime::value(match gotime::parse_duration(arg_str(a, 0)) {
                Ok(d) => t.add_nanos(d),
                Err(_) => t,
            }))
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        add(r, name, &[Str, Any], None, move |a| {
            let t = want_time(&a[1])?;
            let d = gotime::parse_duration(arg_str(a, 0)).map_err(FuncError::new)?;
            Ok(gotime::value(t.add_nanos(d)))
        });
    }
    add(r, "ago", &[Any], None, move |a| {
        let t = time_arg(&a[0]);
        let d = since(&t);
        let s = 1_000_000_000i128;
        let rounded = if d >= 0 {
            (d + s / 2) / s * s
        } else {
            -((-d + s / 2) / s * s)
        };
        text(gotime::duration_string(rounded))
    });
    add(r, "duration", &[Any], None, move |a| {
        let v: i64 = match &a[0] {
            Value::String(s) => s.parse().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        text(gotime::duration_string(i128::from(v) * 1_000_000_000))
    });
    add(r, "durationRound", &[Any], None, move |a| {
        let d: i128 = match &a[0] {
            Value::String(s) => gotime::parse_duration(s).unwrap_or(0),
            Value::Int64(i) => i128::from(*i),
            other => gotime::from_value(other).map_or(0, |t| since(&t)),
        };
        let u = d.unsigned_abs();
        let hour = 3_600_000_000_000u128;
        let (year, month, day, minute, second) = (
            hour * 24 * 365,
            hour * 24 * 30,
            hour * 24,
            60_000_000_000,
            1_000_000_000,
        );
        text(if u > year {
            format!("{}y", u / year)
        } else if u > month {
            format!("{}mo", u / month)
        } else if u > day {
            format!("{}d", u / day)
        } else if u > hour {
            format!("{}h", u / hour)
        } else if u > minute {
            format!("{}m", u / minute)
        } else if u > second {
            format!("{}s", u / second)
        } else {
            "0s".to_string()
        })
    });
    add(r, "unixEpoch", &[Any], None, move |a| {
        text(want_time(&a[0])?.unix_seconds().to_string())
    });
}
