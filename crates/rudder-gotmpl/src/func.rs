//! Host functions: the closures a host registers (Sprig, Helm's `include`/`tpl`, ...) and the context
//! they run in.

use std::fmt;
use std::sync::Arc;

use crate::error::ExecError;
use crate::exec::Budget;
use crate::template::Templates;
use crate::value::Value;

/// The Go type a host function declares for one parameter.
///
/// The engine converts arguments as Go's `text/template` does before the call and reports mismatches in
/// Go's words (`wrong type for value; expected string; got int`, `expected integer; found "x"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// `interface{}`: any value; a missing value arrives as [`Value::Nil`].
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `[]interface{}`; a nil slice (the `nil` literal or a missing value) arrives as [`Value::Nil`].
    List,
    /// `map[string]interface{}`; a nil map (the `nil` literal or a missing value) arrives as
    /// [`Value::Nil`].
    Map,
}

impl ArgType {
    /// Go spelling of the type.
    pub fn go_name(self) -> &'static str {
        match self {
            ArgType::Any => "interface {}",
            ArgType::String => "string",
            ArgType::Int => "int",
            ArgType::Int64 => "int64",
            ArgType::Float64 => "float64",
            ArgType::Bool => "bool",
            ArgType::List => "[]interface {}",
            ArgType::Map => "map[string]interface {}",
        }
    }

    /// Whether Go can assign `nil` to a parameter of this type.
    pub(crate) fn can_be_nil(self) -> bool {
        matches!(self, ArgType::Any | ArgType::List | ArgType::Map)
    }

    /// Whether `v` is assignable to this type without conversion.
    pub(crate) fn accepts(self, v: &Value) -> bool {
        matches!(
            (self, v),
            (ArgType::Any, _)
                | (ArgType::String, Value::String(_))
                | (ArgType::Int, Value::Int(_))
                | (ArgType::Int64, Value::Int64(_))
                | (ArgType::Float64, Value::Float(_))
                | (ArgType::Bool, Value::Bool(_))
                | (ArgType::List, Value::List(_))
                | (ArgType::Map, Value::Map(_))
        )
    }
}

/// The error a host function returns; the engine reports it as `error calling NAME: MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncError {
    message: String,
}

impl FuncError {
    /// An error with Go's error text `message`.
    pub fn new(message: impl Into<String>) -> Self {
        FuncError {
            message: message.into(),
        }
    }

    /// The error text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

impl From<ExecError> for FuncError {
    fn from(e: ExecError) -> Self {
        FuncError::new(e.to_string())
    }
}

/// The closure type behind a [`Function`].
pub type FuncImpl =
    dyn Fn(&mut CallContext<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync;

struct FuncInner {
    params: Vec<ArgType>,
    variadic: Option<ArgType>,
    type_name: Option<String>,
    imp: Box<FuncImpl>,
}

/// A callable: a Go function signature (fixed parameters plus an optional variadic tail) and a closure.
#[derive(Clone)]
pub struct Function {
    inner: Arc<FuncInner>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.type_name())
    }
}

impl Function {
    /// A function with fixed parameters `params` and, if `variadic` is set, a `...T` tail.
    pub fn new<F>(params: Vec<ArgType>, variadic: Option<ArgType>, imp: F) -> Self
    where
        F: Fn(&mut CallContext<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        Function {
            inner: Arc::new(FuncInner {
                params,
                variadic,
                type_name: None,
                imp: Box::new(imp),
            }),
        }
    }

    /// A `func(args ...interface{})` taking any number of arguments of any type.
    pub fn variadic_any<F>(imp: F) -> Self
    where
        F: Fn(&mut CallContext<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        Function::new(Vec::new(), Some(ArgType::Any), imp)
    }

    /// The fixed parameter types.
    pub fn params(&self) -> &[ArgType] {
        &self.inner.params
    }

    /// The element type of the variadic tail, if any.
    pub fn variadic(&self) -> Option<ArgType> {
        self.inner.variadic
    }

    /// Sets the Go type name reported by `printf "%T"` and in errors (for example
    /// `func(int) int`); by default it is derived from the parameters with an `interface {}` result.
    pub fn with_type_name(self, name: &str) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.type_name = Some(name.to_string());
                Function {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => Function { inner },
        }
    }

    /// Go-style type name, e.g. `func(string, ...interface {}) interface {}`.
    pub fn type_name(&self) -> String {
        if let Some(n) = &self.inner.type_name {
            return n.clone();
        }
        let mut parts: Vec<String> = self
            .inner
            .params
            .iter()
            .map(|p| p.go_name().to_string())
            .collect();
        if let Some(v) = self.inner.variadic {
            parts.push(format!("...{}", v.go_name()));
        }
        format!("func({}) interface {{}}", parts.join(", "))
    }

    /// Calls the closure directly (arguments must already match the signature).
    pub fn call(&self, ctx: &mut CallContext<'_>, args: &[Value]) -> Result<Value, FuncError> {
        (self.inner.imp)(ctx, args)
    }
}

/// What a host function can reach while it runs: the template set being executed (for Helm's
/// `include` and `tpl`) and the shared execution limits.
pub struct CallContext<'a> {
    pub(crate) templates: &'a Templates,
    pub(crate) depth: usize,
    pub(crate) budget: &'a Budget,
    pub(crate) name: &'a str,
}

impl<'a> CallContext<'a> {
    /// The template set being executed.
    pub fn templates(&self) -> &'a Templates {
        self.templates
    }

    /// How many `template`/`include` levels deep the call is (0 at the top-level template).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The name the function was called by.
    pub fn function_name(&self) -> &str {
        self.name
    }

    /// Executes template `name` of the current set with `data` as dot, one level deeper (Helm's
    /// `include`). Shares the recursion limit and execution budget of the running execution.
    pub fn execute_template(&mut self, name: &str, data: &Value) -> Result<String, ExecError> {
        self.templates
            .execute_nested(name, data, self.depth + 1, self.budget)
    }

    /// Executes template `name` of another set (for example a clone extended with `tpl` text), sharing
    /// this execution's limits.
    pub fn execute_in(
        &mut self,
        set: &Templates,
        name: &str,
        data: &Value,
    ) -> Result<String, ExecError> {
        set.execute_nested(name, data, self.depth + 1, self.budget)
    }
}
