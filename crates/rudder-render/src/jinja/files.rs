//! The `Files` object of v3 templates: the chart's non-template files.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value, from_args};
use minijinja::{Error, ErrorKind, State};

use super::chart_failure;

/// Chart files by path relative to the chart root. Iterating yields the paths.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    files: BTreeMap<String, Arc<Vec<u8>>>,
}

impl Files {
    pub(crate) fn new(files: impl Iterator<Item = (String, Arc<Vec<u8>>)>) -> Self {
        Files {
            files: files.collect(),
        }
    }

    fn text(&self, path: &str) -> Result<String, Error> {
        match self.files.get(path) {
            Some(data) => String::from_utf8(data.as_ref().clone()).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("file {path} is not UTF-8 (use GetB64)"),
                )
            }),
            None => Err(chart_failure(format!("Files: no file {path:?} in chart"))),
        }
    }

    fn base(path: &str) -> &str {
        path.rsplit('/').next().unwrap_or(path)
    }
}

/// Matches a glob: `*` and `?` stay within one path segment, `**` crosses segments.
pub(crate) fn glob_match(pattern: &str, path: &str) -> bool {
    fn rec(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                (0..=s.len()).any(|i| rec(rest, &s[i..]))
            }
            Some(b'*') => {
                let rest = &p[1..];
                let max = s.iter().position(|c| *c == b'/').unwrap_or(s.len());
                (0..=max).any(|i| rec(rest, &s[i..]))
            }
            Some(b'?') => !s.is_empty() && s[0] != b'/' && rec(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && rec(&p[1..], &s[1..]),
        }
    }
    rec(pattern.as_bytes(), path.as_bytes())
}

impl Object for Files {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let names: Vec<Value> = self.files.keys().map(|k| Value::from(k.as_str())).collect();
        Enumerator::Values(names)
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "Get" => {
                let (path,): (&str,) = from_args(args)?;
                Ok(Value::from(self.text(path)?))
            }
            "GetB64" => {
                let (path,): (&str,) = from_args(args)?;
                let data = self
                    .files
                    .get(path)
                    .ok_or_else(|| chart_failure(format!("Files: no file {path:?} in chart")))?;
                Ok(Value::from(
                    base64::engine::general_purpose::STANDARD.encode(data.as_slice()),
                ))
            }
            "Lines" => {
                let (path,): (&str,) = from_args(args)?;
                let text = self.text(path)?;
                Ok(Value::from(
                    text.lines().map(|l| l.to_string()).collect::<Vec<_>>(),
                ))
            }
            "Glob" => {
                let (pattern,): (&str,) = from_args(args)?;
                Ok(Value::from_object(Files {
                    files: self
                        .files
                        .iter()
                        .filter(|(k, _)| glob_match(pattern, k))
                        .map(|(k, v)| (k.clone(), Arc::clone(v)))
                        .collect(),
                }))
            }
            "AsConfig" | "AsSecrets" => {
                let () = from_args(args)?;
                let mut map = serde_json::Map::new();
                for (k, v) in &self.files {
                    let value = if method == "AsConfig" {
                        self.text(k)?
                    } else {
                        base64::engine::general_purpose::STANDARD.encode(v.as_slice())
                    };
                    map.insert(Self::base(k).to_string(), serde_json::Value::String(value));
                }
                let yaml = super::functions::to_yaml_string(&serde_json::Value::Object(map))?;
                Ok(Value::from(yaml))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_rules() {
        assert!(glob_match("config/*.conf", "config/a.conf"));
        assert!(!glob_match("config/*.conf", "config/sub/a.conf"));
        assert!(glob_match("config/**.conf", "config/sub/a.conf"));
        assert!(glob_match("?.txt", "a.txt"));
        assert!(!glob_match("*.txt", "a.yaml"));
    }
}
