//! Chart.lock as Helm writes it: the resolved dependencies, Helm's digest of the
//! declarations (`sha256` of Go's JSON of `[requested, locked]`) and the generation time.

use rudder_chart::{Dependency, Lock};
use rudder_values::goyaml::Node;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Helm's `HashReq`: `sha256:` + hex sha256 of `json.Marshal([2][]*Dependency{req, lock})`
/// (Go's field order and `omitempty` rules, HTML characters escaped as Go does).
pub fn digest(requested: &[Dependency], locked: &[Dependency]) -> String {
    let mut json = String::from("[");
    for (i, list) in [requested, locked].iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('[');
        for (j, d) in list.iter().enumerate() {
            if j > 0 {
                json.push(',');
            }
            dependency_json(d, &mut json);
        }
        json.push(']');
    }
    json.push(']');
    format!("sha256:{}", hex::encode(Sha256::digest(json.as_bytes())))
}

fn dependency_json(d: &Dependency, out: &mut String) {
    out.push_str("{\"name\":");
    go_string(&d.name, out);
    if !d.version.is_empty() {
        out.push_str(",\"version\":");
        go_string(&d.version, out);
    }
    out.push_str(",\"repository\":");
    go_string(&d.repository, out);
    if !d.condition.is_empty() {
        out.push_str(",\"condition\":");
        go_string(&d.condition, out);
    }
    if !d.tags.is_empty() {
        out.push_str(",\"tags\":[");
        for (i, t) in d.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            go_string(t, out);
        }
        out.push(']');
    }
    if d.enabled {
        out.push_str(",\"enabled\":true");
    }
    if !d.import_values.is_empty() {
        out.push_str(",\"import-values\":[");
        for (i, v) in d.import_values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            go_value(v, out);
        }
        out.push(']');
    }
    if !d.alias.is_empty() {
        out.push_str(",\"alias\":");
        go_string(&d.alias, out);
    }
    out.push('}');
}

fn go_value(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => go_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_value(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            // serde_json's map is sorted by key, as Go sorts map keys.
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_value(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Go's `encoding/json` string form (with `SetEscapeHTML(true)`, the default).
fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn dependency_node(d: &Dependency) -> Node {
    let mut m = vec![("name".to_string(), Node::Str(d.name.clone()))];
    if !d.version.is_empty() {
        m.push(("version".into(), Node::Str(d.version.clone())));
    }
    m.push(("repository".into(), Node::Str(d.repository.clone())));
    Node::Map(m)
}

/// Chart.lock as Helm writes it (`dependencies`, `digest`, `generated`; each dependency
/// with `name`, `repository` and `version`).
pub fn to_yaml(lock: &Lock) -> String {
    rudder_values::goyaml::to_string(&Node::Map(vec![
        (
            "dependencies".into(),
            Node::Seq(lock.dependencies.iter().map(dependency_node).collect()),
        ),
        ("digest".into(), Node::Str(lock.digest.clone())),
        ("generated".into(), Node::Str(lock.generated.clone())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, version: &str, repository: &str) -> Dependency {
        Dependency {
            name: name.into(),
            version: version.into(),
            repository: repository.into(),
            ..Dependency::default()
        }
    }

    /// The digest and file `helm dependency update` (4.1.4) wrote for this declaration.
    #[test]
    fn matches_helm() {
        let mut alpha = dep("alpha", ">=0.1.0 <0.2.0", "http://127.0.0.1:18765");
        alpha.tags = vec!["x".into()];
        alpha.import_values = vec![serde_json::json!({"parent": "b", "child": "a"})];
        let mut beta = dep("beta", "^0.1", "http://127.0.0.1:18765/");
        beta.alias = "bb".into();
        beta.condition = "bb.enabled".into();
        let locked = vec![
            dep("alpha", "0.1.1", "http://127.0.0.1:18765"),
            dep("beta", "0.1.0", "http://127.0.0.1:18765/"),
        ];
        let digest = digest(&[alpha, beta], &locked);
        assert_eq!(
            digest,
            "sha256:e1cab8eb7b8fa28bdc5ab93ab0a8964559be7f148c3cb769151a7a49838c2d59"
        );
        let lock = Lock {
            generated: "2026-12-03T20:22:36.165947984Z".into(),
            digest,
            dependencies: locked,
        };
        assert_eq!(
            to_yaml(&lock),
            r#"dependencies:
- name: alpha
  repository: http://127.0.0.1:18765
  version: 0.1.1
- name: beta
  repository: http://127.0.0.1:18765/
  version: 0.1.0
digest: sha256:e1cab8eb7b8fa28bdc5ab93ab0a8964559be7f148c3cb769151a7a49838c2d59
generated: "2026-12-03T20:22:36.165947984Z"
"#
        );
    }

    #[test]
    fn go_escapes() {
        let mut out = String::new();
        go_string("a<b>&\"\\\n\u{1}\u{2028}é", &mut out);
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#);
    }
}
