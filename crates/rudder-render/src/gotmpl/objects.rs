//! Helm's built-in objects with methods: `.Files`, `.Capabilities` and its parts.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rudder_gotmpl::{ArgType, Function, Map, Object, Value};

use super::funcs::to_yaml_string;

/// `.Files`: Helm's `type files map[string][]byte` with `Get`, `GetBytes`, `Glob`,
/// `Lines`, `AsConfig` and `AsSecrets`.
#[derive(Debug)]
pub struct Files {
    files: Arc<BTreeMap<String, Arc<[u8]>>>,
}

impl Files {
    /// Files from `(path, contents)` pairs.
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        Files {
            files: Arc::new(
                files
                    .into_iter()
                    .map(|(k, v)| (k, Arc::from(v.into_boxed_slice())))
                    .collect(),
            ),
        }
    }

    fn subset(&self, keep: impl Fn(&str) -> bool) -> Files {
        Files {
            files: Arc::new(
                self.files
                    .iter()
                    .filter(|(k, _)| keep(k))
                    .map(|(k, v)| (k.clone(), Arc::clone(v)))
                    .collect(),
            ),
        }
    }

    fn text(&self, path: &str) -> String {
        self.files
            .get(path)
            .map(|d| String::from_utf8_lossy(d).into_owned())
            .unwrap_or_default()
    }

    fn by_base(&self, f: impl Fn(&[u8]) -> String) -> Value {
        let m = Map::new();
        for (k, v) in self.files.iter() {
            let base = k.rsplit('/').next().unwrap_or(k);
            m.insert(base, Value::from(f(v)));
        }
        Value::Map(m)
    }
}

fn arg_str(args: &[Value], i: usize) -> &str {
    args.get(i).and_then(Value::as_str).unwrap_or("")
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".to_string()
    }

    fn kind_name(&self) -> &'static str {
        "map"
    }

    fn method(&self, name: &str) -> Option<Function> {
        let this = Files {
            files: Arc::clone(&self.files),
        };
        let one_string = vec![ArgType::String];
        Some(match name {
            "Get" => Function::new(one_string, None, move |_, args| {
                Ok(Value::from(this.text(arg_str(args, 0))))
            })
            .with_type_name("func(string) string"),
            "GetBytes" => Function::new(one_string, None, move |_, args| {
                Ok(Value::Bytes(
                    this.files
                        .get(arg_str(args, 0))
                        .cloned()
                        .unwrap_or_else(|| Arc::from(Vec::new().into_boxed_slice())),
                ))
            })
            .with_type_name("func(string) []uint8"),
            "Glob" => Function::new(one_string, None, move |_, args| {
                let pattern = arg_str(args, 0).to_string();
                Ok(Value::Object(Arc::new(
                    this.subset(|k| glob_match(&pattern, k)),
                )))
            })
            .with_type_name("func(string) engine.files"),
            "Lines" => Function::new(one_string, None, move |_, args| {
                let path = arg_str(args, 0);
                let Some(data) = this.files.get(path) else {
                    return Ok(Value::list(Vec::new()));
                };
                let mut s = String::from_utf8_lossy(data).into_owned();
                if s.ends_with('\n') {
                    s.pop();
                }
                Ok(Value::list(s.split('\n').map(Value::from).collect()))
            })
            .with_type_name("func(string) []string"),
            "AsConfig" => Function::new(Vec::new(), None, move |_, _| {
                let m = this.by_base(|d| String::from_utf8_lossy(d).into_owned());
                Ok(Value::from(to_yaml_string(&m).unwrap_or_default()))
            })
            .with_type_name("func() string"),
            "AsSecrets" => Function::new(Vec::new(), None, move |_, _| {
                let m = this.by_base(super::convert::base64_std);
                Ok(Value::from(to_yaml_string(&m).unwrap_or_default()))
            })
            .with_type_name("func() string"),
            _ => return None,
        })
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn format(&self, _plus: bool) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| {
                let bytes: Vec<String> = v.iter().map(u8::to_string).collect();
                format!("{k}:[{}]", bytes.join(" "))
            })
            .collect();
        format!("map[{}]", parts.join(" "))
    }

    fn underlying(&self) -> Option<Value> {
        let m = Map::new();
        for (k, v) in self.files.iter() {
            m.insert(k.clone(), Value::Bytes(Arc::clone(v)));
        }
        Some(Value::Map(m))
    }
}

/// Helm's glob (gobwas/glob with `/` as separator): `*` and `?` stay within one path
/// segment, `**` crosses segments, `[abc]` is a class, `{a,b}` alternatives.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    // Expand `{a,b}` alternatives first.
    if let Some(open) = pattern.find('{')
        && let Some(close_rel) = pattern[open..].find('}')
    {
        let close = open + close_rel;
        let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
        return pattern[open + 1..close]
            .split(',')
            .any(|alt| glob_match(&format!("{head}{alt}{tail}"), path));
    }
    fn rec(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') if p.get(1) == Some(&'*') => (0..=s.len()).any(|i| rec(&p[2..], &s[i..])),
            Some('*') => {
                for i in 0..=s.len() {
                    if rec(&p[1..], &s[i..]) {
                        return true;
                    }
                    if i < s.len() && s[i] == '/' {
                        break;
                    }
                }
                false
            }
            Some('?') => !s.is_empty() && s[0] != '/' && rec(&p[1..], &s[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|c| *c == ']') else {
                    return !s.is_empty() && s[0] == '[' && rec(&p[1..], &s[1..]);
                };
                let Some(&c) = s.first() else { return false };
                let class = &p[1..end];
                let (neg, class) = match class.first() {
                    Some('!') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != neg && rec(&p[end + 1..], &s[1..])
            }
            Some('\\') if p.len() > 1 => !s.is_empty() && s[0] == p[1] && rec(&p[2..], &s[1..]),
            Some(c) => !s.is_empty() && s[0] == *c && rec(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    rec(&p, &s)
}

/// `.Capabilities.KubeVersion`: prints as its `Version`.
#[derive(Debug)]
pub struct KubeVersion {
    /// `v1.35.0`.
    pub version: String,
    /// `1`.
    pub major: String,
    /// `35`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses a version as Helm reports it (a leading `v` is added).
    pub fn new(version: &str) -> Self {
        let version = if version.starts_with('v') {
            version.to_string()
        } else {
            format!("v{version}")
        };
        let mut parts = version[1..].split(['.', '-', '+']);
        let major = parts.next().unwrap_or_default().to_string();
        let minor = parts.next().unwrap_or_default().to_string();
        KubeVersion {
            version,
            major,
            minor,
        }
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> String {
        "common.KubeVersion".to_string()
    }

    fn method(&self, name: &str) -> Option<Function> {
        match name {
            "String" => {
                let v = self.version.clone();
                Some(
                    Function::new(Vec::new(), None, move |_, _| Ok(Value::from(v.as_str())))
                        .with_type_name("func() string"),
                )
            }
            _ => None,
        }
    }

    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::from(match name {
            "Version" | "GitVersion" => self.version.as_str(),
            "Major" => self.major.as_str(),
            "Minor" => self.minor.as_str(),
            _ => return None,
        }))
    }

    fn format(&self, _plus: bool) -> String {
        self.version.clone()
    }
}

/// `.Capabilities.APIVersions`: a `[]string` with `Has`.
#[derive(Debug)]
pub struct ApiVersions(pub Arc<Vec<String>>);

impl Object for ApiVersions {
    fn type_name(&self) -> String {
        "common.VersionSet".to_string()
    }

    fn kind_name(&self) -> &'static str {
        "slice"
    }

    fn method(&self, name: &str) -> Option<Function> {
        match name {
            "Has" => {
                let set = Arc::clone(&self.0);
                Some(
                    Function::new(vec![ArgType::String], None, move |_, args| {
                        let want = arg_str(args, 0);
                        Ok(Value::Bool(set.iter().any(|v| v == want)))
                    })
                    .with_type_name("func(string) bool"),
                )
            }
            _ => None,
        }
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn format(&self, _plus: bool) -> String {
        format!("[{}]", self.0.join(" "))
    }

    fn underlying(&self) -> Option<Value> {
        Some(Value::list(
            self.0.iter().map(|s| Value::from(s.as_str())).collect(),
        ))
    }
}

/// A plain Go struct with named fields (`.Capabilities`, `.Capabilities.HelmVersion`).
pub struct Struct {
    /// Go type name (`*common.Capabilities`).
    pub type_name: &'static str,
    /// Field names and values, in declaration order.
    pub fields: Vec<(&'static str, Value)>,
}

impl fmt::Debug for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name)
    }
}

impl Object for Struct {
    fn type_name(&self) -> String {
        self.type_name.to_string()
    }

    fn kind_name(&self) -> &'static str {
        if self.type_name.starts_with('*') {
            "ptr"
        } else {
            "struct"
        }
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }

    fn format(&self, plus: bool) -> String {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| {
                if plus {
                    format!("{k}:{}", v.to_go_string())
                } else {
                    v.to_go_string()
                }
            })
            .collect();
        format!("{{{}}}", parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_rules() {
        assert!(glob_match("config/*", "config/a.conf"));
        assert!(!glob_match("config/*", "config/sub/a.conf"));
        assert!(glob_match("config/**", "config/sub/a.conf"));
        assert!(glob_match("**.txt", "lines.txt"));
        assert!(glob_match("*.{json,conf}", "a.conf"));
        assert!(glob_match("[ab].txt", "b.txt"));
    }
}
