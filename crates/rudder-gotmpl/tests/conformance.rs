//! Differential conformance: every case under `testdata/gotmpl-conformance/cases` must produce exactly
//! the output (or error text) Go's `text/template` produced, as recorded in `golden/` by
//! `scripts/goldens/gotmpl.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rudder_gotmpl::{ArgType, FuncError, Function, MissingKey, Object, Options, Templates, Value};

struct Case {
    header: BTreeMap<String, String>,
    sections: Vec<(String, String)>,
}

fn parse_case(text: &str) -> Case {
    let mut header = BTreeMap::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.strip_suffix('\n').unwrap_or(line);
        if trimmed.len() >= 6 && trimmed.starts_with("-- ") && trimmed.ends_with(" --") {
            sections.push((trimmed[3..trimmed.len() - 3].to_string(), String::new()));
            continue;
        }
        match sections.last_mut() {
            Some((_, body)) => body.push_str(line),
            None => {
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let (k, v) = trimmed.split_once(':').expect("header line has a colon");
                header.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
    }
    for (_, body) in &mut sections {
        if body.ends_with('\n') {
            body.pop();
        }
    }
    Case { header, sections }
}

fn json_to_value(v: &serde_json::Value, ints: bool) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if ints && let Some(i) = n.as_i64() {
                return Value::Int(i);
            }
            Value::Float(n.as_f64().unwrap_or(0.0))
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => {
            Value::list(a.iter().map(|x| json_to_value(x, ints)).collect())
        }
        serde_json::Value::Object(o) => Value::map(
            o.iter()
                .map(|(k, x)| (k.clone(), json_to_value(x, ints)))
                .collect(),
        ),
    }
}

/// Mirror of the harness's `*main.Obj`.
#[derive(Debug)]
struct TestObj {
    name: String,
    count: i64,
}

impl Object for TestObj {
    fn type_name(&self) -> String {
        "*main.Obj".into()
    }
    fn kind_name(&self) -> &'static str {
        "ptr"
    }
    fn method(&self, name: &str) -> Option<Function> {
        let me = self.name.clone();
        Some(match name {
            "Has" => Function::new(vec![ArgType::String], None, |_, a| {
                Ok(Value::Bool(a[0].as_str() == Some("x")))
            }),
            "Greet" => Function::new(vec![], None, move |_, _| {
                Ok(Value::from(format!("hello {me}")))
            }),
            "Get" => Function::new(vec![ArgType::String], None, move |_, a| {
                Ok(Value::from(format!("{me}/{}", a[0].as_str().unwrap_or(""))))
            }),
            "Fail" => Function::new(vec![], None, |_, _| Err(FuncError::new("obj failed"))),
            "Sum" => Function::new(vec![ArgType::Int, ArgType::Int], None, |_, a| {
                match (&a[0], &a[1]) {
                    (Value::Int(x), Value::Int(y)) => Ok(Value::Int(x + y)),
                    _ => Err(FuncError::new("bad args")),
                }
            }),
            _ => return None,
        })
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => Some(Value::from(self.name.as_str())),
            "Count" => Some(Value::Int(self.count)),
            _ => None,
        }
    }
    fn format(&self, plus: bool) -> String {
        if plus {
            format!("{{Name:{} Count:{}}}", self.name, self.count)
        } else {
            format!("{{{} {}}}", self.name, self.count)
        }
    }
}

/// Mirror of the harness's `main.VersionSet` (a named `[]string` with a `Has` method).
#[derive(Debug)]
struct VersionSet(Vec<&'static str>);

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "main.VersionSet".into()
    }
    fn kind_name(&self) -> &'static str {
        "slice"
    }
    fn method(&self, name: &str) -> Option<Function> {
        let items: Vec<String> = self.0.iter().map(|s| s.to_string()).collect();
        (name == "Has").then(|| {
            Function::new(vec![ArgType::String], None, move |_, a| {
                Ok(Value::Bool(
                    items.iter().any(|x| Some(x.as_str()) == a[0].as_str()),
                ))
            })
        })
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn format(&self, _plus: bool) -> String {
        String::new()
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::list(
            self.0.iter().map(|s| Value::from(*s)).collect(),
        ))
    }
}

/// Mirror of the harness's `main.Values` (a named `map[string]interface{}` with a `YAML` method).
#[derive(Debug)]
struct NamedValues(rudder_gotmpl::Map);

impl Object for NamedValues {
    fn type_name(&self) -> String {
        "main.Values".into()
    }
    fn kind_name(&self) -> &'static str {
        "map"
    }
    fn method(&self, name: &str) -> Option<Function> {
        (name == "YAML").then(|| Function::new(vec![], None, |_, _| Ok(Value::from("yaml!"))))
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn format(&self, _plus: bool) -> String {
        String::new()
    }
    fn underlying(&self) -> Option<Value> {
        Some(Value::Map(self.0.clone()))
    }
}

fn int_arg(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

fn test_funcs(t: &mut Templates) {
    use ArgType::*;
    t.add_func(
        "include",
        Function::new(vec![String, Any], None, |ctx, a| {
            let name = a[0].as_str().unwrap_or("");
            Ok(Value::from(ctx.execute_template(name, &a[1])?))
        }),
    );
    t.add_func(
        "tpl",
        Function::new(vec![String, Any], None, |ctx, a| {
            let mut set = ctx.templates().clone();
            set.parse("tpl", a[0].as_str().unwrap_or(""))
                .map_err(|e| FuncError::new(e.to_string()))?;
            Ok(Value::from(ctx.execute_in(&set, "tpl", &a[1])?))
        }),
    );
    t.add_func(
        "upper",
        Function::new(vec![String], None, |_, a| {
            Ok(Value::from(a[0].as_str().unwrap_or("").to_uppercase()))
        }),
    );
    t.add_func(
        "repeat",
        Function::new(vec![String, Int], None, |_, a| {
            Ok(Value::from(
                a[0].as_str()
                    .unwrap_or("")
                    .repeat(int_arg(&a[1]).max(0) as usize),
            ))
        }),
    );
    t.add_func(
        "fail",
        Function::new(vec![String], None, |_, a| {
            Err(FuncError::new(a[0].as_str().unwrap_or("")))
        }),
    );
    t.add_func(
        "add",
        Function::new(vec![Int, Int], None, |_, a| {
            Ok(Value::Int(int_arg(&a[0]) + int_arg(&a[1])))
        }),
    );
    t.add_func(
        "addf",
        Function::new(vec![Float64, Float64], None, |_, a| match (&a[0], &a[1]) {
            (Value::Float(x), Value::Float(y)) => Ok(Value::Float(x + y)),
            _ => Err(FuncError::new("bad args")),
        }),
    );
    t.add_func(
        "list",
        Function::variadic_any(|_, a| Ok(Value::list(a.to_vec()))),
    );
    t.add_func("nilfn", Function::new(vec![], None, |_, _| Ok(Value::Nil)));
    t.add_func(
        "toint64",
        Function::new(vec![Int], None, |_, a| Ok(Value::Int64(int_arg(&a[0])))),
    );
    t.add_func(
        "flag",
        Function::new(vec![Bool], None, |_, a| {
            Ok(Value::from(if a[0].is_true() { "true" } else { "false" }))
        }),
    );
    t.add_func(
        "double",
        Function::new(vec![], None, |_, _| {
            let f = Function::new(vec![Int], None, |_, a| Ok(Value::Int(2 * int_arg(&a[0]))));
            Ok(Value::Func(f.with_type_name("func(int) int")))
        }),
    );
    t.add_func(
        "set",
        Function::new(vec![Map, String, Any], None, |_, a| match &a[0] {
            Value::Map(m) => {
                m.insert(a[1].as_str().unwrap_or(""), a[2].clone());
                Ok(a[0].clone())
            }
            _ => Err(FuncError::new("assignment to entry in nil map")),
        }),
    );
    t.add_func(
        "dict",
        Function::variadic_any(|_, a| {
            let mut m = BTreeMap::new();
            for kv in a.chunks(2) {
                if kv.len() == 2 {
                    m.insert(kv[0].to_go_string(), kv[1].clone());
                }
            }
            Ok(Value::map(m))
        }),
    );
}

fn run_case(case: &Case) -> Result<String, String> {
    let mut t = Templates::new("root");
    test_funcs(&mut t);
    let missing_key = match case.header.get("missingkey").map(String::as_str) {
        Some("zero") => MissingKey::Zero,
        Some("error") => MissingKey::Error,
        _ => MissingKey::Default,
    };
    t.set_options(Options {
        missing_key,
        ..Options::default()
    });
    let ints = case.header.get("numbers").map(String::as_str) == Some("int");
    let mut data = Value::Nil;
    for (name, body) in &case.sections {
        if name == "data" {
            let j: serde_json::Value =
                serde_json::from_str(body).map_err(|e| format!("harness: {e}"))?;
            data = json_to_value(&j, ints);
            continue;
        }
        t.parse(name, body).map_err(|e| e.to_string())?;
    }
    if case.header.get("object").map(String::as_str) == Some("true") {
        let mut m = match &data {
            Value::Map(m) => m.to_btree(),
            _ => BTreeMap::new(),
        };
        m.insert(
            "Obj".into(),
            Value::Object(Arc::new(TestObj {
                name: "obj".into(),
                count: 3,
            })),
        );
        m.insert(
            "Versions".into(),
            Value::Object(Arc::new(VersionSet(vec!["v1", "apps/v1"]))),
        );
        let vals: BTreeMap<String, Value> = [
            ("a".to_string(), Value::Float(1.0)),
            ("b".to_string(), Value::from("x")),
        ]
        .into_iter()
        .collect();
        m.insert(
            "Vals".into(),
            Value::Object(Arc::new(NamedValues(rudder_gotmpl::Map::from(vals)))),
        );
        data = Value::map(m);
    }
    let exec = case
        .header
        .get("exec")
        .map(String::as_str)
        .unwrap_or("main");
    t.execute(exec, &data).map_err(|e| e.to_string())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gotmpl-conformance")
}

#[test]
fn conformance_with_go_text_template() {
    let dir = root();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join("cases"))
        .expect("cases dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 150,
        "expected at least 150 cases, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for p in &paths {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(p).expect("read case");
        let golden_path = dir.join("golden").join(format!("{name}.out"));
        let golden = std::fs::read_to_string(&golden_path).unwrap_or_else(|_| {
            panic!(
                "missing golden {}; run scripts/goldens/gotmpl.sh",
                golden_path.display()
            )
        });
        let got = match run_case(&parse_case(&text)) {
            Ok(out) => format!("ok\n{out}"),
            Err(e) => format!("error\n{e}"),
        };
        if got != golden {
            failures.push(format!("--- {name}\n  want: {golden:?}\n  got:  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
