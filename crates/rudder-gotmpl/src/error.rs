//! Error types. Their `Display` text is exactly Go's `text/template` error text.

/// A template failed to parse. `message` is Go's text, e.g.
/// `template: deploy.yaml:3: function "foo" not defined`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The full error text, as Go prints it.
    pub message: String,
    /// The name of the template text being parsed.
    pub name: String,
    /// The 1-based line Go reports.
    pub line: usize,
}

/// Execution failed. `message` is Go's text, e.g.
/// `template: t:1:2: executing "t" at <.a.b>: nil pointer evaluating interface {}.b`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExecError {
    /// The full error text, as Go prints it.
    pub message: String,
    /// The name of the template that was executing when the error happened.
    pub template: String,
    /// Which limit stopped execution, if the error came from a limit rather than the template.
    pub limit: Option<LimitKind>,
}

/// The execution limit that stopped a runaway template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Nested `template`/`include` calls exceeded the maximum depth.
    Depth,
    /// The execution budget (steps) ran out.
    Budget,
    /// One `range` action iterated more often than allowed.
    RangeIterations,
}

/// Any error from parsing or executing templates.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Parsing failed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Execution failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}
