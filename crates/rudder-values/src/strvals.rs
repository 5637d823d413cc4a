//! The `--set` family of flags: Helm's `strvals` grammar.
//!
//! A set line is `name1=value1,name2=value2`. Names are dotted paths (`a.b.c`) with list
//! indexes (`a[0].b`, `a[1][2]=x`); a backslash escapes the next character in names and
//! values (`a\.b=1` sets the key `a.b`, `x=1\,2` sets the string `1,2`); `{a,b}` is a list.
//! Setting index `n` of a list grows it with `null`s. Indexes above [`MAX_INDEX`] and names
//! nested deeper than [`MAX_NESTED_NAME_LEVEL`] are rejected.
//!
//! Type inference for `--set` ([`SetKind::Typed`]), exactly as Helm's `typedVal`:
//! `true`/`false` (any case) are booleans, `null` (any case) is null, `0` is the integer
//! 0, other text that does not start with `0` and parses as a base-10 `i64` (`+1`, `-7`) is
//! an integer, and everything else stays a string (`0123`, `1e3`, `1.5`, `0x1F`, ``).
//! `--set-string` keeps every value a string, `--set-json` parses each value as JSON (an
//! empty value is null), `--set-file` hands the value (a path) to a caller-supplied
//! reader, and `--set-literal` takes everything after the first `=` verbatim (no commas, no
//! escapes, no lists).
//!
//! This module reads no files: [`SetKind::File`] values are resolved by the caller's
//! closure.

use crate::model::ValueModel;
use crate::{Map, Value};

/// Largest list index a set line may use (Helm's `strvals.MaxIndex`).
pub const MAX_INDEX: usize = 65536;

/// Deepest dotted-name nesting a set line may use (Helm's `strvals.MaxNestedNameLevel`).
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// A reader for `--set-file`: receives the path written after `=` and returns the value
/// (Helm uses the file's content as a string), or a one-line error message.
pub type FileReader<'a> = dyn FnMut(&str) -> Result<Value, String> + 'a;

/// Which flag a set line came from; decides how values are typed.
pub enum SetKind<'a> {
    /// `--set`: values typed as Helm's `typedVal` does.
    Typed,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-json`: every value is JSON.
    Json,
    /// `--set-file`: every value is a path, turned into a value by the reader.
    File(&'a mut FileReader<'a>),
    /// `--set-literal`: one `name=value` pair whose value is taken verbatim.
    Literal,
}

/// A set line that could not be parsed. Messages follow Helm's where Helm has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    /// A name with no `=value`.
    #[error("key {key:?} has no value")]
    NoValue {
        /// The offending key.
        key: String,
    },
    /// `name,` with no `=value`.
    #[error("key {key:?} has no value (cannot end with ,)")]
    TrailingComma {
        /// The offending key.
        key: String,
    },
    /// `a.=x` and similar: a map name whose inner key is empty.
    #[error("key map {key:?} has no value")]
    EmptyMap {
        /// The offending key.
        key: String,
    },
    /// More than [`MAX_NESTED_NAME_LEVEL`] dotted levels.
    #[error(
        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
    )]
    TooDeep,
    /// An index that is not an integer, or `[` without `]`.
    #[error("error parsing index of {key:?}: {detail}")]
    BadIndex {
        /// The list's key.
        key: String,
        /// What was wrong.
        detail: String,
    },
    /// A negative index.
    #[error("negative {index} index not allowed")]
    NegativeIndex {
        /// The index.
        index: i64,
    },
    /// An index above [`MAX_INDEX`].
    #[error("index of {index} is greater than maximum supported index of {MAX_INDEX}")]
    IndexTooLarge {
        /// The index.
        index: i64,
    },
    /// Text between `]` and the next `.`, `[` or `=`.
    #[error("unexpected data at end of array index: {data:?}")]
    DataAfterIndex {
        /// The stray text.
        data: String,
    },
    /// `{a,b` without the closing brace.
    #[error("list must terminate with '}}'")]
    UnterminatedList,
    /// The path walks into an existing value of the wrong type (e.g. `a.b=1` when `a` is
    /// a string).
    #[error("unable to parse key {key:?}: it holds {found}, not {expected}")]
    TypeMismatch {
        /// The key.
        key: String,
        /// What the path needs there (`a map` or `a list`).
        expected: &'static str,
        /// What is there.
        found: &'static str,
    },
    /// A `--set-json` value that is not JSON.
    #[error("key {key:?}: invalid JSON value: {message}")]
    Json {
        /// The key.
        key: String,
        /// The JSON parser's message.
        message: String,
    },
    /// The `--set-file` reader failed.
    #[error("key {key:?}: {message}")]
    File {
        /// The key.
        key: String,
        /// The reader's message.
        message: String,
    },
}

/// Parses one set line into `dest`, overwriting keys it sets (Helm's `ParseInto` family).
pub fn parse_into(line: &str, dest: &mut Map, kind: SetKind<'_>) -> Result<(), SetError> {
    parse_into_with(line, dest, kind, ValueModel::Exact)
}

/// [`parse_into`] with a [`ValueModel`] for the values it decodes from JSON
/// ([`SetKind::Json`]); `--set` integers are `i64` under every model.
pub fn parse_into_with(
    line: &str,
    dest: &mut Map,
    kind: SetKind<'_>,
    model: ValueModel,
) -> Result<(), SetError> {
    let mut p = Parser {
        input: line.chars().collect(),
        pos: 0,
        kind,
        model,
    };
    loop {
        match p.key(dest, 0) {
            Ok(()) => continue,
            Err(Stop::Eof) => return Ok(()),
            Err(Stop::Err(e)) => return Err(e),
        }
    }
}

/// Parses one set line into a new map (Helm's `Parse`, `ParseString`, ...).
pub fn parse(line: &str, kind: SetKind<'_>) -> Result<Map, SetError> {
    let mut out = Map::new();
    parse_into(line, &mut out, kind)?;
    Ok(out)
}

/// Helm's `typedVal`: the type `--set` infers for a value.
pub fn typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0i64);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(n) = text.parse::<i64>()
    {
        return Value::from(n);
    }
    Value::String(text.to_string())
}

/// Internal control flow: end of input (not an error at a key boundary) or a real error.
enum Stop {
    Eof,
    Err(SetError),
}

impl From<SetError> for Stop {
    fn from(e: SetError) -> Self {
        Stop::Err(e)
    }
}

struct Parser<'a> {
    input: Vec<char>,
    pos: usize,
    kind: SetKind<'a>,
    model: ValueModel,
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

impl Parser<'_> {
    fn literal(&self) -> bool {
        matches!(self.kind, SetKind::Literal)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.input.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads until one of `stop` (consumed and returned) or the end (`None`). Outside
    /// literal mode a backslash takes the next character verbatim.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        loop {
            let Some(c) = self.next() else {
                return (out, None);
            };
            if stop.contains(&c) {
                return (out, Some(c));
            }
            if c == '\\' && !self.literal() {
                match self.next() {
                    Some(n) => out.push(n),
                    None => return (out, None),
                }
            } else {
                out.push(c);
            }
        }
    }

    fn read_value(&mut self, key: &str, raw: &str) -> Result<Value, SetError> {
        match &mut self.kind {
            SetKind::Typed => Ok(typed_value(raw)),
            SetKind::String | SetKind::Literal => Ok(Value::String(raw.to_string())),
            SetKind::File(reader) => reader(raw).map_err(|message| SetError::File {
                key: key.to_string(),
                message,
            }),
            // JSON values never reach here: they are decoded from the raw input.
            SetKind::Json => Ok(Value::String(raw.to_string())),
        }
    }

    fn key(&mut self, data: &mut Map, level: usize) -> Result<(), Stop> {
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (key, last) = self.until(stop);
        match last {
            None => {
                if key.is_empty() {
                    Err(Stop::Eof)
                } else {
                    Err(SetError::NoValue { key }.into())
                }
            }
            Some('[') => {
                let index = self.index(&key)?;
                let mut list = match data.remove(&key) {
                    None => Vec::new(),
                    Some(Value::Array(l)) => l,
                    Some(other) => {
                        let found = kind_name(&other);
                        data.insert(key.clone(), other);
                        return Err(SetError::TypeMismatch {
                            key,
                            expected: "a list",
                            found,
                        }
                        .into());
                    }
                };
                let result = self.list_item(&key, &mut list, index, level);
                set(data, &key, Value::Array(list));
                result
            }
            Some('=') => {
                let value = self.value_after_equals(&key)?;
                match value {
                    Assigned::Value(v) => {
                        set(data, &key, v);
                        Ok(())
                    }
                    Assigned::ValueThenEof(v) => {
                        set(data, &key, v);
                        Err(Stop::Eof)
                    }
                }
            }
            Some(',') => {
                set(data, &key, Value::String(String::new()));
                Err(SetError::TrailingComma { key }.into())
            }
            Some('.') => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(SetError::TooDeep.into());
                }
                let mut inner = match data.remove(&key) {
                    None => Map::new(),
                    Some(Value::Object(m)) => m,
                    Some(other) => {
                        let found = kind_name(&other);
                        data.insert(key.clone(), other);
                        return Err(SetError::TypeMismatch {
                            key,
                            expected: "a map",
                            found,
                        }
                        .into());
                    }
                };
                let result = self.key(&mut inner, level);
                let empty = inner.is_empty();
                if !empty {
                    set(data, &key, Value::Object(inner));
                }
                match result {
                    Ok(()) if empty => Err(SetError::EmptyMap { key }.into()),
                    other => other,
                }
            }
            Some(_) => Err(Stop::Eof),
        }
    }

    /// Reads `N]` after a `[`.
    fn index(&mut self, key: &str) -> Result<i64, SetError> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Err(SetError::BadIndex {
                key: key.to_string(),
                detail: "missing ']'".to_string(),
            });
        }
        text.parse::<i64>().map_err(|_| SetError::BadIndex {
            key: key.to_string(),
            detail: format!("{text:?} is not an integer"),
        })
    }

    /// The value after `name=`.
    fn value_after_equals(&mut self, key: &str) -> Result<Assigned, Stop> {
        if self.literal() {
            let rest: String = self.input[self.pos..].iter().collect();
            self.pos = self.input.len();
            return Ok(Assigned::Value(Value::String(rest)));
        }
        if matches!(self.kind, SetKind::Json) {
            if self.empty_value() {
                return Ok(Assigned::Value(Value::Null));
            }
            let v = self.json_value(key)?;
            self.empty_value();
            return Ok(Assigned::Value(v));
        }
        match self.input.get(self.pos) {
            None => Ok(Assigned::ValueThenEof(Value::String(String::new()))),
            Some('{') => {
                self.pos += 1;
                Ok(Assigned::Value(Value::Array(self.list_value(key)?)))
            }
            Some(_) => {
                let (raw, _) = self.until(&[',']);
                Ok(Assigned::Value(self.read_value(key, &raw)?))
            }
        }
    }

    /// Skips blanks; true (and consumes the comma) if the value is empty.
    fn empty_value(&mut self) -> bool {
        while let Some(&c) = self.input.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    fn json_value(&mut self, key: &str) -> Result<Value, SetError> {
        let rest: String = self.input[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(mut v)) => {
                self.model.from_json(&mut v);
                v
            }
            Some(Err(e)) => {
                return Err(SetError::Json {
                    key: key.to_string(),
                    message: e.to_string(),
                });
            }
            None => Value::Null,
        };
        let consumed = rest[..stream.byte_offset()].chars().count();
        self.pos += consumed;
        Ok(value)
    }

    /// `{a,b,c}` after the opening brace.
    fn list_value(&mut self, key: &str) -> Result<Vec<Value>, SetError> {
        let mut list = Vec::new();
        loop {
            let (raw, last) = self.until(&[',', '}']);
            match last {
                None => return Err(SetError::UnterminatedList),
                Some('}') => {
                    if self.input.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    list.push(self.read_value(key, &raw)?);
                    return Ok(list);
                }
                Some(_) => list.push(self.read_value(key, &raw)?),
            }
        }
    }

    fn list_item(
        &mut self,
        key: &str,
        list: &mut Vec<Value>,
        index: i64,
        level: usize,
    ) -> Result<(), Stop> {
        if index < 0 {
            return Err(SetError::NegativeIndex { index }.into());
        }
        let (data, last) = self.until(&['[', '.', '=']);
        if !data.is_empty() {
            return Err(SetError::DataAfterIndex { data }.into());
        }
        match last {
            None => Err(Stop::Eof),
            Some('=') => match self.value_after_equals(key)? {
                Assigned::Value(v) | Assigned::ValueThenEof(v) => {
                    set_index(list, index, v)?;
                    Ok(())
                }
            },
            Some('[') => {
                let next = self.index(key)?;
                let mut inner = match list.get_mut(index as usize) {
                    Some(Value::Array(l)) => std::mem::take(l),
                    Some(Value::Null) | None => Vec::new(),
                    Some(other) => {
                        return Err(SetError::TypeMismatch {
                            key: key.to_string(),
                            expected: "a list",
                            found: kind_name(other),
                        }
                        .into());
                    }
                };
                let result = self.list_item(key, &mut inner, next, level);
                set_index(list, index, Value::Array(inner))?;
                result
            }
            Some('.') => {
                let mut inner = match list.get_mut(index as usize) {
                    Some(Value::Object(m)) => std::mem::take(m),
                    _ => Map::new(),
                };
                let result = self.key(&mut inner, level);
                set_index(list, index, Value::Object(inner))?;
                result
            }
            Some(_) => Err(Stop::Eof),
        }
    }
}

enum Assigned {
    Value(Value),
    /// The input ended right after `=`: the value is empty and parsing stops.
    ValueThenEof(Value),
}

fn set(data: &mut Map, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), value);
    }
}

fn set_index(list: &mut Vec<Value>, index: i64, value: Value) -> Result<(), SetError> {
    if index < 0 {
        return Err(SetError::NegativeIndex { index });
    }
    if index as u64 > MAX_INDEX as u64 {
        return Err(SetError::IndexTooLarge { index });
    }
    let i = index as usize;
    if list.len() <= i {
        list.resize(i + 1, Value::Null);
    }
    list[i] = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(line: &str) -> Value {
        Value::Object(parse(line, SetKind::Typed).unwrap())
    }

    #[test]
    fn type_inference_matches_helm() {
        assert_eq!(
            typed("a=1,b=0123,c=1e3,d=+1,e=-7,f=TRUE,g=Null,h=0,i=,j=1.5,k=0x1F"),
            json!({"a":1,"b":"0123","c":"1e3","d":1,"e":-7,"f":true,"g":null,"h":0,"i":"","j":"1.5","k":"0x1F"})
        );
        assert_eq!(
            typed("big=9223372036854775808"),
            json!({"big":"9223372036854775808"})
        );
    }

    #[test]
    fn paths_lists_and_escapes() {
        assert_eq!(
            typed("a.b[1].c=x,d[2]=y"),
            json!({"a":{"b":[null,{"c":"x"}]},"d":[null,null,"y"]})
        );
        assert_eq!(
            typed(r"a\.b=1\,2,c={x,y},e={}"),
            json!({"a.b":"1,2","c":["x","y"],"e":[""]})
        );
        assert_eq!(typed("m[0][1]=z"), json!({"m":[[null,"z"]]}));
        assert_eq!(typed("x="), json!({"x":""}));
        assert_eq!(typed("x[0]"), json!({"x":[]}));
    }

    #[test]
    fn errors_name_the_key() {
        let e = parse("a.b", SetKind::Typed).unwrap_err();
        assert_eq!(e.to_string(), "key \"b\" has no value");
        let e = parse("name,x=1", SetKind::Typed).unwrap_err();
        assert!(e.to_string().contains("\"name\""), "{e}");
        let e = parse("a[70000]=1", SetKind::Typed).unwrap_err();
        assert!(matches!(e, SetError::IndexTooLarge { index: 70000 }), "{e}");
        let e = parse("a[-1]=1", SetKind::Typed).unwrap_err();
        assert!(matches!(e, SetError::NegativeIndex { .. }), "{e}");
        let e = parse("a={1,2", SetKind::Typed).unwrap_err();
        assert_eq!(e, SetError::UnterminatedList);
        let mut m = Map::new();
        m.insert("a".into(), json!("s"));
        let e = parse_into("a.b=1", &mut m, SetKind::Typed).unwrap_err();
        assert!(e.to_string().contains("\"a\""), "{e}");
        let deep = format!("{}=1", vec!["k"; 32].join("."));
        assert_eq!(parse(&deep, SetKind::Typed).unwrap_err(), SetError::TooDeep);
    }

    #[test]
    fn string_json_literal_file() {
        let m = parse("a=true,b=1", SetKind::String).unwrap();
        assert_eq!(Value::Object(m), json!({"a":"true","b":"1"}));
        let m = parse(r#"a={"x":[1,2]},b=,c="s" ,d=null"#, SetKind::Json).unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"a":{"x":[1,2]},"b":null,"c":"s","d":null})
        );
        assert!(matches!(
            parse("a={bad", SetKind::Json).unwrap_err(),
            SetError::Json { .. }
        ));
        let m = parse("a.b=x,y={z}", SetKind::Literal).unwrap();
        assert_eq!(Value::Object(m), json!({"a":{"b":"x,y={z}"}}));
        let mut reader = |p: &str| {
            if p == "missing" {
                Err("no such file".to_string())
            } else {
                Ok(Value::String(format!("<{p}>")))
            }
        };
        let m = parse("a=f1,b={f2,f3}", SetKind::File(&mut reader)).unwrap();
        assert_eq!(Value::Object(m), json!({"a":"<f1>","b":["<f2>","<f3>"]}));
        let e = parse("k=missing", SetKind::File(&mut reader)).unwrap_err();
        assert_eq!(e.to_string(), "key \"k\": no such file");
    }
}
