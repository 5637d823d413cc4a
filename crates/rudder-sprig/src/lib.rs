//! The Sprig v3.3.0 function library, as Helm 4.1.4 registers it, for the `rudder-gotmpl` engine.
//!
//! Owns: every function `sprig.TxtFuncMap()` provides except `env` and `expandenv` (which Helm
//! deletes) and `fail`/`getHostByName` (which Helm overrides), with Sprig's exact semantics: Go
//! parameter types (so the engine reports Go's argument errors), spf13/cast-style coercions, Sprig's
//! swallowed errors versus the `must*` variants, mergo's deep-merge rules, Go layouts for dates, Go
//! `encoding/json` output, and real randomness for the random and crypto functions. It also exposes
//! Go-compatible JSON encoding ([`json`]) and `time.Time` values ([`time`]) for the host's own
//! functions.
//!
//! Known limits of the value model (checked by `tests/sprig_go.rs` against real Go + Sprig):
//! Sprig's `[]string`, `[]int` and `map[string]string` results are `[]interface {}` /
//! `map[string]interface {}` here (same printing, different `typeOf`); `b64dec`/`b32dec` of bytes
//! that are not UTF-8 return `[]byte` so that `len` still counts bytes; `now` prints without Go's
//! monotonic clock suffix (`m=+0.000`).
//!
//! Must not: know about charts, values files, YAML or Helm's own functions (`include`, `tpl`,
//! `toYaml`, `required`, `lookup`, ...), read the environment or files, print, or panic on bad input.
//!
//! ```
//! let mut t = rudder_gotmpl::Templates::new("t");
//! rudder_sprig::register(&mut t);
//! t.parse("t", r#"{{ list "b" "a" | sortAlpha | join "," | upper }}"#).unwrap();
//! assert_eq!(t.execute("t", &rudder_gotmpl::Value::Nil).unwrap(), "A,B");
//! ```

mod cast;
mod certs;
mod collections;
mod decimal;
pub mod json;
mod misc;
mod strings;
pub mod time;

pub use cast::{is_empty, strval, to_float64, to_int64};

use rudder_gotmpl::{ArgType, FuncError, Function, Templates, Value};

/// A registry being filled: `(name, function)` pairs.
pub(crate) type Reg = Vec<(&'static str, Function)>;

/// Adds a function that does not need the call context.
pub(crate) fn add<F>(
    r: &mut Reg,
    name: &'static str,
    params: &[ArgType],
    variadic: Option<ArgType>,
    f: F,
) where
    F: Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
{
    r.push((
        name,
        Function::new(params.to_vec(), variadic, move |_, a| f(a)),
    ));
}

/// Argument `i` as a string slice (empty if it is not a string).
pub(crate) fn arg_str(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

/// Argument `i` as a Go `int`/`int64` (0 if it is not one).
pub(crate) fn arg_int(a: &[Value], i: usize) -> i64 {
    match a.get(i) {
        Some(Value::Int(n) | Value::Int64(n)) => *n,
        _ => 0,
    }
}

/// Argument `i`, or nil.
pub(crate) fn arg(a: &[Value], i: usize) -> Value {
    a.get(i).cloned().unwrap_or(Value::Nil)
}

/// A list of strings as a template value.
pub(crate) fn str_list(v: Vec<String>) -> Value {
    Value::list(v.into_iter().map(Value::from).collect())
}

/// Every Sprig function Helm 4.1.4 exposes, by name.
pub fn functions() -> Vec<(&'static str, Function)> {
    let mut r = Reg::new();
    misc::register_strings(&mut r);
    misc::register_math(&mut r);
    misc::register_misc(&mut r);
    collections::register(&mut r);
    misc::register_dates(&mut r);
    certs::register(&mut r);
    r
}

/// Registers every function of [`functions`] in `t`.
pub fn register(t: &mut Templates) {
    t.add_funcs(functions().into_iter().map(|(n, f)| (n.to_string(), f)));
}
