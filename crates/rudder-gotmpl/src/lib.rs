//! A Go `text/template` engine (Go 1.25 semantics) with Go `fmt` printing.
//!
//! Owns: lexing and parsing the template language (with Go's error text and line numbers), executing
//! parse trees over a dynamic [`Value`] model, the builtin functions (`and or not len index slice print
//! printf println eq ne lt le gt ge html js urlquery call`), Go's `fmt` verbs ([`gofmt`]), and
//! execution limits (template depth, step budget).
//!
//! Must not: depend on any Rudder crate, know about Helm, Sprig or YAML, print, or panic on bad input.
//! Hosts add their functions (Sprig, Helm's `include`/`tpl`) as [`Function`] closures, which receive a
//! [`CallContext`] that can execute other templates of the running set, and expose Go structs and named
//! types with fields and methods through the [`Object`] trait.
//!
//! Behaviour is checked byte-for-byte against Go's own `text/template` by the conformance suite in
//! `testdata/gotmpl-conformance` (regenerated with `scripts/goldens/gotmpl.sh`).
//!
//! ```
//! use rudder_gotmpl::{ArgType, Function, Templates, Value};
//!
//! let mut t = Templates::new("root");
//! // A host function with a Go signature `func(string) string`.
//! t.add_func(
//!     "upper",
//!     Function::new(vec![ArgType::String], None, |_, args| {
//!         Ok(Value::from(args[0].as_str().unwrap_or("").to_uppercase()))
//!     }),
//! );
//! // Helm's `include`: executes another template of the running set.
//! t.add_func(
//!     "include",
//!     Function::new(vec![ArgType::String, ArgType::Any], None, |ctx, args| {
//!         Ok(Value::from(ctx.execute_template(args[0].as_str().unwrap_or(""), &args[1])?))
//!     }),
//! );
//! t.parse("helpers", r#"{{define "name"}}{{.name | upper}}{{end}}"#).unwrap();
//! t.parse("main", r#"{{range $k, $v := .list}}{{$k}}={{$v}} {{end}}{{include "name" .}}"#).unwrap();
//!
//! let mut data = std::collections::BTreeMap::new();
//! data.insert("name".to_string(), Value::from("web"));
//! data.insert("list".to_string(), Value::list(vec![Value::Float(1e6), Value::Float(2.5)]));
//! assert_eq!(t.execute("main", &Value::from(data)).unwrap(), "0=1e+06 1=2.5 WEB");
//! ```

mod error;
mod exec;
mod func;
pub mod gofmt;
mod lex;
mod parse;
mod template;
mod value;

pub use error::{Error, ExecError, LimitKind, ParseError};
pub use func::{ArgType, CallContext, FuncError, FuncImpl, Function};
pub use template::{MissingKey, Options, Templates};
pub use value::{Map, Object, Value};
