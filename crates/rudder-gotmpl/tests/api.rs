//! Behaviour of the Rust API that Go has no counterpart for: limits, budgets, set handling, host
//! callbacks. Go-visible behaviour is covered by `conformance.rs` against real Go output.

use rudder_gotmpl::{ArgType, FuncError, Function, LimitKind, Options, Templates, Value};

fn set(text: &str) -> Templates {
    let mut t = Templates::new("root");
    t.parse("main", text).expect("parses");
    t
}

#[test]
fn template_depth_limit_stops_runaway_recursion() {
    let mut t = set(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#);
    t.set_options(Options {
        max_template_depth: 200,
        ..Options::default()
    });
    let err = t.execute("main", &Value::Nil).expect_err("must stop");
    assert_eq!(err.limit, Some(LimitKind::Depth));
    assert!(
        err.message
            .ends_with("exceeded maximum template depth (200)"),
        "{}",
        err.message
    );
    assert!(
        err.message.starts_with("template: main:1:"),
        "{}",
        err.message
    );
}

#[test]
fn deep_recursion_within_limit_does_not_overflow_the_stack() {
    // 20000 nested template calls need far more than a test thread's 2 MiB stack.
    let mut t = Templates::new("root");
    t.add_func(
        "dec",
        Function::new(vec![ArgType::Int], None, |_, a| match a[0] {
            Value::Int(i) => Ok(Value::Int(i - 1)),
            _ => Err(FuncError::new("not an int")),
        }),
    );
    t.parse(
        "main",
        r#"{{define "r"}}{{if .}}{{template "r" (dec .)}}{{end}}{{end}}{{template "r" .}}x"#,
    )
    .expect("parses");
    assert_eq!(t.execute("main", &Value::Int(20_000)).expect("runs"), "x");
}

#[test]
fn execution_budget_stops_long_loops() {
    let mut t = set("{{range 1000000}}{{.}}{{end}}");
    t.set_options(Options {
        max_steps: Some(5000),
        ..Options::default()
    });
    let err = t.execute("main", &Value::Nil).expect_err("budget");
    assert_eq!(err.limit, Some(LimitKind::Budget));
    assert!(
        err.message
            .contains("execution budget of 5000 steps exhausted"),
        "{}",
        err.message
    );
}

#[test]
fn budget_is_shared_with_include() {
    let mut t = Templates::new("root");
    t.add_func(
        "include",
        Function::new(vec![ArgType::String, ArgType::Any], None, |ctx, a| {
            Ok(Value::from(
                ctx.execute_template(a[0].as_str().unwrap_or(""), &a[1])?,
            ))
        }),
    );
    t.parse(
        "main",
        r#"{{define "loop"}}{{range 100}}.{{end}}{{end}}{{range 100}}{{include "loop" .}}{{end}}"#,
    )
    .expect("parses");
    t.set_options(Options {
        max_steps: Some(1000),
        ..Options::default()
    });
    let err = t.execute("main", &Value::Nil).expect_err("budget");
    assert!(
        err.message.contains("error calling include:"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("execution budget of 1000 steps exhausted"),
        "{}",
        err.message
    );
}

#[test]
fn execute_to_keeps_partial_output() {
    let t = set("before {{.a.b}} after");
    let mut out = String::new();
    let data = Value::map([("a".to_string(), Value::from("s"))].into_iter().collect());
    assert!(t.execute_to(&mut out, "main", &data).is_err());
    assert_eq!(out, "before ");
}

#[test]
fn clone_for_tpl_does_not_change_the_original_set() {
    let t = set(r#"{{define "a"}}A{{end}}"#);
    let mut c = t.clone();
    c.parse("extra", r#"{{template "a"}}!"#).expect("parses");
    assert_eq!(c.execute("extra", &Value::Nil).expect("runs"), "A!");
    assert!(!t.has_template("extra"));
    assert_eq!(
        t.template_names(),
        vec!["a".to_string(), "main".to_string()]
    );
}

#[test]
fn host_functions_shadow_builtins() {
    let mut t = Templates::new("root");
    t.add_func(
        "len",
        Function::variadic_any(|_, _| Ok(Value::from("mine"))),
    );
    t.parse("main", "{{len 1 2 3}}").expect("parses");
    assert_eq!(t.execute("main", &Value::Nil).expect("runs"), "mine");
}

#[test]
fn function_errors_are_wrapped_with_the_call_name() {
    let mut t = Templates::new("root");
    t.add_func(
        "boom",
        Function::new(vec![], None, |ctx, _| {
            Err(FuncError::new(format!("{} exploded", ctx.function_name())))
        }),
    );
    t.parse("main", "x{{boom}}").expect("parses");
    let err = t.execute("main", &Value::Nil).expect_err("fails");
    assert_eq!(
        err.to_string(),
        r#"template: main:1:3: executing "main" at <boom>: error calling boom: boom exploded"#
    );
}

#[test]
fn custom_delimiters() {
    let mut t = Templates::new("root");
    t.set_delims("[[", "]]");
    t.parse("main", "{{x}} [[- . -]] !").expect("parses");
    assert_eq!(
        t.execute("main", &Value::from("v")).expect("runs"),
        "{{x}}v!"
    );
}

#[test]
fn deep_equal_follows_reflect_deep_equal() {
    let a = Value::list(vec![Value::Int(1), Value::from("x"), Value::Nil]);
    let b = Value::list(vec![Value::Int(1), Value::from("x"), Value::Nil]);
    assert!(a.deep_equal(&b));
    assert!(!Value::Int(1).deep_equal(&Value::Int64(1)));
    assert!(!Value::Int(1).deep_equal(&Value::Float(1.0)));
    assert!(!Value::Float(f64::NAN).deep_equal(&Value::Float(f64::NAN)));
}

#[test]
fn include_sees_call_depth() {
    let mut t = Templates::new("root");
    t.add_func(
        "depth",
        Function::new(vec![], None, |ctx, _| Ok(Value::Int(ctx.depth() as i64))),
    );
    t.add_func(
        "include",
        Function::new(vec![ArgType::String, ArgType::Any], None, |ctx, a| {
            Ok(Value::from(
                ctx.execute_template(a[0].as_str().unwrap_or(""), &a[1])?,
            ))
        }),
    );
    t.parse(
        "main",
        r#"{{define "d"}}{{depth}}{{end}}{{depth}} {{template "d"}} {{include "d" .}}"#,
    )
    .expect("parses");
    assert_eq!(t.execute("main", &Value::Nil).expect("runs"), "0 1 1");
}

#[test]
fn malformed_escapes_are_parse_errors_not_panics() {
    for text in ["{{\"\\é\"}}", "{{\"\\1é\"}}", "{{'\\é'}}", "{{\"\\u12é\"}}"] {
        let mut t = Templates::new("root");
        let err = t.parse("main", text).expect_err(text);
        assert!(
            err.message.starts_with("template: main:1: "),
            "{}",
            err.message
        );
    }
}

#[test]
fn range_iteration_limit() {
    let mut t = set("{{range .}}{{range .}}x{{end}}{{end}}");
    t.set_options(Options {
        max_range_iterations: Some(3),
        ..Options::default()
    });
    let ok = Value::list(vec![Value::list(vec![Value::Int(1); 3]); 3]);
    assert_eq!(t.execute("main", &ok).expect("within limit"), "xxxxxxxxx");
    let too_many = Value::list(vec![Value::Int(1); 4]);
    let err = t
        .execute("main", &Value::list(vec![too_many]))
        .expect_err("limit");
    assert_eq!(err.limit, Some(LimitKind::RangeIterations));
    assert!(
        err.message
            .ends_with("range exceeded the maximum of 3 iterations"),
        "{}",
        err.message
    );
}
