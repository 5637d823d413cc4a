//! The template set: parsed templates, registered functions and execution options.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{ExecError, ParseError};
use crate::exec::{self, Budget};
use crate::func::Function;
use crate::parse::{self, ParseConfig, Tree};
use crate::value::Value;

/// What a field lookup on a map does when the key is absent (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `missingkey=default` / `invalid`: the result is "no value" (printed as `<no value>`).
    #[default]
    Default,
    /// `missingkey=zero`: the map element type's zero value (a nil `interface{}` for our maps).
    Zero,
    /// `missingkey=error`: execution stops with `map has no entry for key "k"`.
    Error,
}

/// Execution options and limits.
#[derive(Clone, Debug)]
pub struct Options {
    /// Missing map key behaviour.
    pub missing_key: MissingKey,
    /// Maximum nesting of `template` calls and host re-entry (`include`); Go uses 100000.
    pub max_template_depth: usize,
    /// Maximum number of execution steps (nodes walked plus range iterations) for one top-level
    /// execution, shared with nested `include`/`tpl` calls; `None` for unlimited.
    pub max_steps: Option<u64>,
    /// Maximum iterations of any single `range` action; `None` for unlimited (Go has no limit).
    pub max_range_iterations: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            missing_key: MissingKey::Default,
            max_template_depth: 100_000,
            max_steps: None,
            max_range_iterations: None,
        }
    }
}

/// A set of named templates that can call each other, with the functions they may use.
///
/// This is Go's `*template.Template` family: parse several texts into one set, then execute any member
/// by name. Cloning is cheap (trees are shared), which is how Helm's `tpl` extends a set temporarily.
#[derive(Clone)]
pub struct Templates {
    name: String,
    // Copy-on-write, so cloning a set for Helm's `tpl` is O(1) until the clone is extended.
    trees: Arc<HashMap<String, Arc<Tree>>>,
    funcs: Arc<HashMap<String, Function>>,
    options: Options,
    left: String,
    right: String,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.trees.keys().collect();
        names.sort();
        f.debug_struct("Templates")
            .field("name", &self.name)
            .field("templates", &names)
            .finish_non_exhaustive()
    }
}

impl Templates {
    /// An empty set. `name` is the set's own name, used in Go's "no template associated with" error.
    pub fn new(name: &str) -> Self {
        Templates {
            name: name.to_string(),
            trees: Arc::default(),
            funcs: Arc::default(),
            options: Options::default(),
            left: "{{".into(),
            right: "}}".into(),
        }
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Registers (or replaces) a function. Host functions shadow builtins of the same name, as in Go.
    pub fn add_func(&mut self, name: &str, f: Function) -> &mut Self {
        Arc::make_mut(&mut self.funcs).insert(name.to_string(), f);
        self
    }

    /// Registers several functions.
    pub fn add_funcs<I: IntoIterator<Item = (String, Function)>>(&mut self, funcs: I) -> &mut Self {
        Arc::make_mut(&mut self.funcs).extend(funcs);
        self
    }

    /// The host function registered as `name`, if any.
    pub fn func(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    /// Sets the action delimiters (Go's `Delims`); empty strings restore `{{` and `}}`.
    pub fn set_delims(&mut self, left: &str, right: &str) -> &mut Self {
        self.left = if left.is_empty() {
            "{{".into()
        } else {
            left.into()
        };
        self.right = if right.is_empty() {
            "}}".into()
        } else {
            right.into()
        };
        self
    }

    /// Execution options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Replaces the execution options.
    pub fn set_options(&mut self, options: Options) -> &mut Self {
        self.options = options;
        self
    }

    /// Parses `text` as template `name` (Go's `t.New(name).Parse(text)`), adding it and every
    /// `define`/`block` in it to the set. A template whose body is empty (only whitespace and comments)
    /// does not replace an existing one of the same name.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<&mut Self, ParseError> {
        let funcs = &self.funcs;
        let has_func = |n: &str| funcs.contains_key(n) || exec::is_builtin(n);
        let cfg = ParseConfig {
            left: &self.left,
            right: &self.right,
            has_func: &has_func,
        };
        let trees = parse::parse(name, text, &cfg)?;
        let set = Arc::make_mut(&mut self.trees);
        for tree in trees {
            if parse::is_empty_tree(&tree.root) && set.contains_key(&tree.name) {
                continue;
            }
            set.insert(tree.name.clone(), Arc::new(tree));
        }
        Ok(self)
    }

    /// Whether a template named `name` is defined.
    pub fn has_template(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// The names of all defined templates, sorted.
    pub fn template_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.trees.keys().cloned().collect();
        v.sort();
        v
    }

    /// Executes template `name` with `data` as dot and returns the output (Go's `ExecuteTemplate`).
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        let budget = Budget::new(self.options.max_steps);
        self.execute_nested(name, data, 0, &budget)
    }

    /// Like [`Templates::execute`] but appends to `out`; on error `out` holds the output written so far.
    pub fn execute_to(&self, out: &mut String, name: &str, data: &Value) -> Result<(), ExecError> {
        let budget = Budget::new(self.options.max_steps);
        exec::execute(self, name, data, 0, &budget, out)
    }

    pub(crate) fn execute_nested(
        &self,
        name: &str,
        data: &Value,
        depth: usize,
        budget: &Budget,
    ) -> Result<String, ExecError> {
        let mut out = String::new();
        exec::execute(self, name, data, depth, budget, &mut out)?;
        Ok(out)
    }

    pub(crate) fn tree(&self, name: &str) -> Option<&Arc<Tree>> {
        self.trees.get(name)
    }

    pub(crate) fn host_func(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }
}
