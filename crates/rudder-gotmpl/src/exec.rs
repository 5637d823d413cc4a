//! The executor: walks parse trees against data, following Go's `text/template/exec.go` rules for
//! evaluation order, variable scoping, truthiness, argument conversion and error text.

use std::cell::Cell;

use crate::error::{ExecError, LimitKind};
use crate::func::{ArgType, CallContext, FuncError, Function};
use crate::gofmt;
use crate::parse::{Arg, Branch, Command, ListNode, Node, NumberNode, Pipe, Tree, VarNode};
use crate::template::{MissingKey, Templates};
use crate::value::Value;

/// Shared step counter for one top-level execution (including nested `include`/`tpl`).
pub(crate) struct Budget {
    remaining: Cell<Option<u64>>,
    limit: Option<u64>,
}

impl Budget {
    pub(crate) fn new(limit: Option<u64>) -> Self {
        Budget {
            remaining: Cell::new(limit),
            limit,
        }
    }

    /// Consumes one step; false when the budget is exhausted.
    fn tick(&self) -> bool {
        match self.remaining.get() {
            None => true,
            Some(0) => false,
            Some(n) => {
                self.remaining.set(Some(n - 1));
                true
            }
        }
    }
}

/// A runtime value as Go's `reflect.Value` sees it: invalid ("no value"), or a value that is either
/// held in an `interface{}` (map/list elements, function results) or concrete.
#[derive(Clone, Debug)]
pub(crate) enum Rv {
    Invalid,
    Val(Value, bool),
}

impl Rv {
    fn concrete(v: Value) -> Rv {
        Rv::Val(v, false)
    }

    fn iface(v: Value) -> Rv {
        Rv::Val(v, true)
    }

    /// Go's `indirectInterface`: unwrap an interface; a nil interface becomes invalid.
    fn indirect_interface(self) -> Rv {
        match self {
            Rv::Val(Value::Nil, _) => Rv::Invalid,
            Rv::Val(v, _) => Rv::Val(v, false),
            Rv::Invalid => Rv::Invalid,
        }
    }

    fn type_name(&self) -> String {
        match self {
            Rv::Invalid => "<nil>".into(),
            Rv::Val(_, true) => "interface {}".into(),
            Rv::Val(v, false) => v.type_name(),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Rv::Invalid => Value::Nil,
            Rv::Val(v, _) => v,
        }
    }

    fn truth(&self) -> bool {
        match self {
            Rv::Invalid => false,
            Rv::Val(v, _) => v.is_true(),
        }
    }
}

/// Parameter types, including the `reflect.Value` parameters builtins take.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PType {
    Reflect,
    Go(ArgType),
}

impl PType {
    fn name(self) -> &'static str {
        match self {
            PType::Reflect => "reflect.Value",
            PType::Go(t) => t.go_name(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Html,
    Js,
    Urlquery,
    Call,
}

fn builtin(name: &str) -> Option<Builtin> {
    Some(match name {
        "and" => Builtin::And,
        "or" => Builtin::Or,
        "not" => Builtin::Not,
        "len" => Builtin::Len,
        "index" => Builtin::Index,
        "slice" => Builtin::Slice,
        "print" => Builtin::Print,
        "printf" => Builtin::Printf,
        "println" => Builtin::Println,
        "eq" => Builtin::Eq,
        "ne" => Builtin::Ne,
        "lt" => Builtin::Lt,
        "le" => Builtin::Le,
        "gt" => Builtin::Gt,
        "ge" => Builtin::Ge,
        "html" => Builtin::Html,
        "js" => Builtin::Js,
        "urlquery" => Builtin::Urlquery,
        "call" => Builtin::Call,
        _ => return None,
    })
}

pub(crate) fn is_builtin(name: &str) -> bool {
    builtin(name).is_some()
}

impl Builtin {
    fn signature(self) -> (&'static [PType], Option<PType>) {
        use PType::Reflect as R;
        const ANY: PType = PType::Go(ArgType::Any);
        let any = ANY;
        match self {
            Builtin::And
            | Builtin::Or
            | Builtin::Index
            | Builtin::Slice
            | Builtin::Eq
            | Builtin::Call => (&[R], Some(R)),
            Builtin::Not | Builtin::Len => (&[R], None),
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                (&[], Some(any))
            }
            Builtin::Printf => (&[PType::Go(ArgType::String)], Some(any)),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (&[R, R], None),
        }
    }
}

enum Callee {
    Builtin(Builtin),
    Host(Function),
}

/// A reference to the node being evaluated, for error context.
#[derive(Clone, Copy)]
enum At<'t> {
    None,
    Node(&'t Node),
    Pipe(&'t Pipe),
    Cmd(&'t Command),
    Arg(&'t Arg),
    Var(&'t VarNode),
}

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Node(n) => match n {
                Node::Action { pos, .. }
                | Node::Template { pos, .. }
                | Node::Break { pos }
                | Node::Continue { pos } => *pos,
                Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
                Node::Text { .. } | Node::Comment => 0,
            },
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos(),
            At::Var(v) => v.pos,
        }
    }

    fn text(&self) -> String {
        match self {
            At::None => String::new(),
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
            At::Var(v) => v.to_string(),
        }
    }
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, ExecError>;

/// Deep template recursion (Go allows 100000 nested calls) must not overflow the thread's stack:
/// when less than `RED_ZONE` bytes remain, execution continues on a fresh heap-allocated segment.
pub(crate) const RED_ZONE: usize = 256 * 1024;
pub(crate) const STACK_SEGMENT: usize = 8 * 1024 * 1024;

struct State<'t> {
    set: &'t Templates,
    tree: &'t Tree,
    node: At<'t>,
    vars: Vec<(&'t str, Rv)>,
    depth: usize,
    budget: &'t Budget,
}

/// Executes template `name` of `set`, appending output to `out`.
pub(crate) fn execute(
    set: &Templates,
    name: &str,
    data: &Value,
    depth: usize,
    budget: &Budget,
    out: &mut String,
) -> R<()> {
    let Some(tree) = set.tree(name).cloned() else {
        return Err(ExecError {
            message: format!(
                "template: no template {} associated with template {}",
                gofmt::quote(name, false),
                gofmt::quote(set.name(), false)
            ),
            template: name.to_string(),
            limit: None,
        });
    };
    let dot = match data {
        Value::Nil => Rv::Invalid,
        v => Rv::concrete(v.clone()),
    };
    if depth > set.options().max_template_depth {
        return Err(ExecError {
            message: format!(
                "template: {}: exceeded maximum template depth ({})",
                tree.name,
                set.options().max_template_depth
            ),
            template: tree.name.clone(),
            limit: Some(LimitKind::Depth),
        });
    }
    let mut st = State {
        set,
        tree: &tree,
        node: At::None,
        vars: vec![("$", dot.clone())],
        depth,
        budget,
    };
    st.walk_list(&dot, &tree.root, out)?;
    Ok(())
}

fn hex_int(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') && !s.contains(['p', 'P'])
}

impl<'t> State<'t> {
    fn at(&mut self, n: At<'t>) {
        self.node = n;
    }

    fn err(&self, msg: impl Into<String>) -> ExecError {
        self.err_limit(msg, None)
    }

    fn err_limit(&self, msg: impl Into<String>, limit: Option<LimitKind>) -> ExecError {
        let name = &self.tree.name;
        let msg = msg.into();
        let message = match self.node {
            At::None => format!("template: {name}: {msg}"),
            n => {
                let pos = n.pos().min(self.tree.text.len());
                let text = &self.tree.text[..pos];
                let (line, col) = match text.rfind('\n') {
                    None => (1, pos),
                    Some(i) => (1 + text.matches('\n').count(), pos - (i + 1)),
                };
                format!(
                    "template: {}:{}:{}: executing {} at <{}>: {}",
                    self.tree.parse_name,
                    line,
                    col,
                    gofmt::quote(name, false),
                    n.text(),
                    msg
                )
            }
        };
        ExecError {
            message,
            template: name.clone(),
            limit,
        }
    }

    fn tick(&self) -> R<()> {
        if self.budget.tick() {
            Ok(())
        } else {
            Err(self.err_limit(
                format!(
                    "execution budget of {} steps exhausted",
                    self.budget.limit.unwrap_or(0)
                ),
                Some(LimitKind::Budget),
            ))
        }
    }

    fn var_value(&self, name: &str) -> R<Rv> {
        for (n, v) in self.vars.iter().rev() {
            if *n == name {
                return Ok(v.clone());
            }
        }
        Err(self.err(format!("undefined variable: {name}")))
    }

    fn set_var(&mut self, name: &str, value: Rv) -> R<()> {
        for (n, v) in self.vars.iter_mut().rev() {
            if *n == name {
                *v = value;
                return Ok(());
            }
        }
        Err(self.err(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, value: Rv) {
        let len = self.vars.len();
        self.vars[len - n].1 = value;
    }

    // ---- walking ----

    fn walk_list(&mut self, dot: &Rv, list: &'t ListNode, out: &mut String) -> R<Flow> {
        for n in &list.nodes {
            match self.walk(dot, n, out)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Rv, node: &'t Node, out: &mut String) -> R<Flow> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || self.walk_inner(dot, node, out))
    }

    fn walk_inner(&mut self, dot: &Rv, node: &'t Node, out: &mut String) -> R<Flow> {
        self.at(At::Node(node));
        self.tick()?;
        match node {
            Node::Action { pipe, .. } => {
                let val = self.eval_pipeline(dot, Some(pipe))?;
                if pipe.decl.is_empty() {
                    self.print_value(At::Node(node), &val, out)?;
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::Comment => {}
            Node::If(b) => return self.walk_if_or_with(false, dot, b, out),
            Node::With(b) => return self.walk_if_or_with(true, dot, b, out),
            Node::Range(b) => {
                self.walk_range(dot, node, b, out)?;
            }
            Node::Template { name, pipe, .. } => {
                self.walk_template(dot, node, name, pipe.as_ref(), out)?
            }
            Node::Text { text } => out.push_str(text),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(
        &mut self,
        with: bool,
        dot: &Rv,
        b: &'t Branch,
        out: &mut String,
    ) -> R<Flow> {
        let mark = self.vars.len();
        let r = (|| {
            let val = self.eval_pipeline(dot, Some(&b.pipe))?;
            let truth = val.clone().indirect_interface().truth();
            if truth {
                if with {
                    self.walk_list(&val, &b.list, out)
                } else {
                    self.walk_list(dot, &b.list, out)
                }
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e, out)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        r
    }

    fn one_iteration(
        &mut self,
        count: &mut u64,
        b: &'t Branch,
        mark: usize,
        index: Rv,
        elem: Rv,
        out: &mut String,
    ) -> R<bool> {
        self.tick()?;
        *count += 1;
        if let Some(max) = self.set.options().max_range_iterations
            && *count > max
        {
            return Err(self.err_limit(
                format!("range exceeded the maximum of {max} iterations"),
                Some(LimitKind::RangeIterations),
            ));
        }
        let decl = &b.pipe.decl;
        if !decl.is_empty() {
            if b.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone())?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if b.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let r = self.walk_list(&elem, &b.list, out);
        self.vars.truncate(mark);
        match r? {
            Flow::Break => Ok(false),
            _ => Ok(true),
        }
    }

    fn walk_range(&mut self, dot: &Rv, node: &'t Node, b: &'t Branch, out: &mut String) -> R<()> {
        self.at(At::Node(node));
        let mark0 = self.vars.len();
        let r = self.walk_range_inner(dot, b, out);
        self.vars.truncate(mark0);
        r
    }

    fn walk_range_inner(&mut self, dot: &Rv, b: &'t Branch, out: &mut String) -> R<()> {
        let val = self.eval_pipeline(dot, Some(&b.pipe))?;
        let val = match val {
            Rv::Val(Value::Nil, _) => Rv::Invalid,
            Rv::Val(v, i) => match underlying(&v) {
                Some(u) => Rv::Val(u, i),
                None => Rv::Val(v, i),
            },
            v => v,
        };
        let mark = self.vars.len();
        let mut count = 0u64;
        match &val {
            Rv::Val(v @ (Value::Int(_) | Value::Int64(_) | Value::Uint(_) | Value::Byte(_)), _) => {
                if b.pipe.decl.len() > 1 {
                    let s = gofmt::sprint(std::slice::from_ref(v));
                    return Err(self.err(format!(
                        "can't use {s} to iterate over more than one variable"
                    )));
                }
                let n: u64 = match v {
                    Value::Int(i) | Value::Int64(i) => (*i).max(0) as u64,
                    Value::Uint(u) => *u,
                    Value::Byte(b) => *b as u64,
                    _ => 0,
                };
                if n > 0 {
                    for i in 0..n {
                        let e = match v {
                            Value::Int(_) => Value::Int(i as i64),
                            Value::Int64(_) => Value::Int64(i as i64),
                            Value::Byte(_) => Value::Byte(i as u8),
                            _ => Value::Uint(i),
                        };
                        if !self.one_iteration(
                            &mut count,
                            b,
                            mark,
                            Rv::Invalid,
                            Rv::concrete(e),
                            out,
                        )? {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            Rv::Val(Value::List(items), _) => {
                if !items.is_empty() {
                    for (i, it) in items.iter().enumerate() {
                        let idx = Rv::concrete(Value::Int(i as i64));
                        if !self.one_iteration(
                            &mut count,
                            b,
                            mark,
                            idx,
                            Rv::iface(it.clone()),
                            out,
                        )? {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            Rv::Val(Value::Bytes(bytes), _) => {
                if !bytes.is_empty() {
                    for (i, x) in bytes.iter().enumerate() {
                        let idx = Rv::concrete(Value::Int(i as i64));
                        if !self.one_iteration(
                            &mut count,
                            b,
                            mark,
                            idx,
                            Rv::concrete(Value::Byte(*x)),
                            out,
                        )? {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            Rv::Val(Value::Map(m), _) => {
                // Like Go's fmtsort, iterate over a sorted snapshot taken when the range starts.
                let entries = m.entries();
                if !entries.is_empty() {
                    for (k, v) in entries {
                        let key = Rv::concrete(Value::String(k.into()));
                        if !self.one_iteration(&mut count, b, mark, key, Rv::iface(v), out)? {
                            break;
                        }
                    }
                    return Ok(());
                }
            }
            Rv::Invalid => {}
            Rv::Val(v, _) => {
                let s = gofmt::sprint(std::slice::from_ref(v));
                return Err(self.err(format!("range can't iterate over {s}")));
            }
        }
        if let Some(e) = &b.else_list {
            self.walk_list(dot, e, out)?;
        }
        Ok(())
    }

    fn walk_template(
        &mut self,
        dot: &Rv,
        node: &'t Node,
        name: &str,
        pipe: Option<&'t Pipe>,
        out: &mut String,
    ) -> R<()> {
        self.at(At::Node(node));
        let Some(tree) = self.set.tree(name).cloned() else {
            return Err(self.err(format!(
                "template {} not defined",
                gofmt::quote(name, false)
            )));
        };
        let max = self.set.options().max_template_depth;
        if self.depth >= max {
            return Err(self.err_limit(
                format!("exceeded maximum template depth ({max})"),
                Some(LimitKind::Depth),
            ));
        }
        let dot = self.eval_pipeline(dot, pipe)?;
        let mut st = State {
            set: self.set,
            tree: &tree,
            node: self.node,
            vars: vec![("$", dot.clone())],
            depth: self.depth + 1,
            budget: self.budget,
        };
        st.walk_list(&dot, &tree.root, out)?;
        Ok(())
    }

    fn print_value(&mut self, n: At<'t>, v: &Rv, out: &mut String) -> R<()> {
        self.at(n);
        match v {
            Rv::Invalid => out.push_str("<no value>"),
            Rv::Val(Value::Func(_), _) => {
                return Err(self.err(format!(
                    "can't print {} of type {}",
                    n.text(),
                    v.type_name()
                )));
            }
            // Go's printableValue dereferences pointers before printing.
            Rv::Val(Value::Object(o), _) => match o.underlying() {
                Some(u) => out.push_str(&gofmt::sprint(std::slice::from_ref(&u))),
                None => out.push_str(&o.format(false)),
            },
            Rv::Val(Value::String(s), _) => out.push_str(s),
            Rv::Val(Value::Int(i) | Value::Int64(i), _) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            Rv::Val(v, _) => out.push_str(&gofmt::sprint(std::slice::from_ref(v))),
        }
        Ok(())
    }

    // ---- evaluation ----

    fn eval_pipeline(&mut self, dot: &Rv, pipe: Option<&'t Pipe>) -> R<Rv> {
        stacker::maybe_grow(RED_ZONE, STACK_SEGMENT, || {
            self.eval_pipeline_inner(dot, pipe)
        })
    }

    fn eval_pipeline_inner(&mut self, dot: &Rv, pipe: Option<&'t Pipe>) -> R<Rv> {
        let Some(pipe) = pipe else {
            return Ok(Rv::Invalid);
        };
        self.at(At::Pipe(pipe));
        let mut value: Option<Rv> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(match v {
                Rv::Val(Value::Nil, true) => Rv::Invalid,
                Rv::Val(x, true) => Rv::Val(x, false),
                other => other,
            });
        }
        let value = value.unwrap_or(Rv::Invalid);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.ident[0], value.clone())?;
            } else {
                self.vars.push((var.ident[0].as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Rv>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.err(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Rv, cmd: &'t Command, fin: Option<Rv>) -> R<Rv> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                return self.eval_field_node(dot, first, ident, Some(&cmd.args), fin);
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain_node(dot, first, node, fields, Some(&cmd.args), fin);
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), Some(&cmd.args), fin);
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, Some(p));
            }
            Arg::Variable(v) => return self.eval_variable_node(dot, v, Some(&cmd.args), fin),
            _ => {}
        }
        self.at(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Rv::concrete(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Err(self.err("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::Str { text, .. } => Ok(Rv::concrete(Value::String(text.as_str().into()))),
            _ => Err(self.err(format!(
                "can't evaluate command {}",
                gofmt::quote(&first.to_string(), false)
            ))),
        }
    }

    fn ideal_constant(&mut self, node: &'t Arg, n: &NumberNode) -> R<Rv> {
        self.at(At::Arg(node));
        if n.is_complex {
            return Err(self.err(format!("complex constant {} is not supported", n.text)));
        }
        if n.is_float
            && !hex_int(&n.text)
            && !n.text.starts_with('\'')
            && n.text.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Rv::concrete(Value::Float(n.float64)));
        }
        if n.is_int {
            return Ok(Rv::concrete(Value::Int(n.int64)));
        }
        if n.is_uint {
            return Err(self.err(format!("{} overflows int", n.text)));
        }
        Ok(Rv::Invalid)
    }

    fn eval_field_node(
        &mut self,
        dot: &Rv,
        node: &'t Arg,
        ident: &'t [String],
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        self.at(At::Arg(node));
        self.eval_field_chain(dot, dot.clone(), At::Arg(node), ident, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Rv,
        chain: &'t Arg,
        inner: &'t Arg,
        fields: &'t [String],
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        self.at(At::Arg(chain));
        if let Arg::Nil { .. } = inner {
            return Err(self.err(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg(dot, None, inner)?;
        self.eval_field_chain(dot, pipe, At::Arg(chain), fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &Rv,
        var: &'t VarNode,
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        self.at(At::Var(var));
        let value = self.var_value(&var.ident[0])?;
        if var.ident.len() == 1 {
            if let Some(a) = args {
                self.not_a_function(a, &fin)?;
            } else if fin.is_some() {
                return Err(self.err(format!("can't give argument to non-function {var}")));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, At::Var(var), &var.ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Rv,
        mut receiver: Rv,
        node: At<'t>,
        ident: &'t [String],
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, None, None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, fin, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Rv,
        name: &str,
        node: At<'t>,
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
        receiver: Rv,
    ) -> R<Rv> {
        let missing = self.set.options().missing_key;
        let (v, typ) = match receiver {
            Rv::Invalid => {
                if missing == MissingKey::Error {
                    return Err(self.err(format!(
                        "nil data; no entry for key {}",
                        gofmt::quote(name, false)
                    )));
                }
                return Ok(Rv::Invalid);
            }
            Rv::Val(v, iface) => (v, iface),
        };
        let type_name = |v: &Value| {
            if typ {
                "interface {}".to_string()
            } else {
                v.type_name()
            }
        };
        if let Value::Nil = v {
            return Err(self.err(format!("nil pointer evaluating {}.{name}", type_name(&v))));
        }
        if let Value::Object(o) = &v
            && let Some(m) = o.method(name)
        {
            return self.eval_call(dot, Callee::Host(m), node, name, args, fin);
        }
        let has_args = args.is_some_and(|a| a.len() > 1) || fin.is_some();
        let data = underlying(&v);
        match data.as_ref().unwrap_or(&v) {
            Value::Object(o) => {
                if let Some(f) = o.field(name) {
                    if has_args {
                        return Err(self.err(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    return Ok(match f {
                        Value::Nil => Rv::iface(Value::Nil),
                        f => Rv::concrete(f),
                    });
                }
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.err(format!("{name} is not a method but has arguments")));
                }
                return match m.get(name) {
                    Some(x) => Ok(Rv::iface(x)),
                    None => match missing {
                        MissingKey::Default => Ok(Rv::Invalid),
                        MissingKey::Zero => Ok(Rv::iface(Value::Nil)),
                        MissingKey::Error => Err(self.err(format!(
                            "map has no entry for key {}",
                            gofmt::quote(name, false)
                        ))),
                    },
                };
            }
            _ => {}
        }
        Err(self.err(format!(
            "can't evaluate field {name} in type {}",
            type_name(&v)
        )))
    }

    fn eval_function(
        &mut self,
        dot: &Rv,
        node: &'t Arg,
        name: &str,
        cmd: At<'t>,
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        self.at(At::Arg(node));
        let callee = if let Some(f) = self.set.host_func(name) {
            Callee::Host(f.clone())
        } else if let Some(b) = builtin(name) {
            Callee::Builtin(b)
        } else {
            return Err(self.err(format!(
                "{} is not a defined function",
                gofmt::quote(name, false)
            )));
        };
        self.eval_call(dot, callee, cmd, name, args, fin)
    }

    fn eval_call(
        &mut self,
        dot: &Rv,
        callee: Callee,
        node: At<'t>,
        name: &str,
        args: Option<&'t [Arg]>,
        fin: Option<Rv>,
    ) -> R<Rv> {
        let args: &'t [Arg] = match args {
            Some(a) if !a.is_empty() => &a[1..],
            _ => &[],
        };
        let host_params: Vec<PType>;
        let (params, variadic): (&[PType], Option<PType>) = match &callee {
            Callee::Builtin(b) => b.signature(),
            Callee::Host(f) => {
                host_params = f.params().iter().map(|t| PType::Go(*t)).collect();
                (&host_params, f.variadic().map(PType::Go))
            }
        };
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = if variadic.is_some() {
            params.len()
        } else {
            args.len()
        };
        if variadic.is_some() {
            if num_in < num_fixed {
                return Err(self.err(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    params.len(),
                    args.len()
                )));
            }
        } else if num_in != params.len() {
            return Err(self.err(format!(
                "wrong number of args for {name}: want {} got {}",
                params.len(),
                num_in
            )));
        }

        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            let want = b == Builtin::Or;
            let mut v = Rv::Invalid;
            for a in args {
                v = self.eval_arg(dot, Some(PType::Reflect), a)?;
                if v.clone().indirect_interface().truth() == want {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = f;
            }
            return Ok(v);
        }

        let mut argv: Vec<Rv> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            let t = params[i];
            argv.push(self.eval_arg(dot, Some(t), &args[i])?);
            i += 1;
        }
        if let Some(vt) = variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, Some(vt), &args[i])?);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        params[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => params[params.len() - 1],
            };
            argv.push(self.validate_type(f, Some(t))?);
        }

        let result = match callee {
            Callee::Builtin(Builtin::Call) => {
                let callee_name = match args.first() {
                    Some(a) => a.to_string(),
                    None => match &argv[0] {
                        Rv::Val(Value::String(s), _) => s.to_string(),
                        v => format!("<{} Value>", v.type_name()),
                    },
                };
                self.builtin_call(&callee_name, argv)
            }
            Callee::Builtin(b) => self.call_builtin(b, argv),
            Callee::Host(f) => {
                let vals: Vec<Value> = argv.into_iter().map(Rv::into_value).collect();
                let mut ctx = CallContext {
                    templates: self.set,
                    depth: self.depth,
                    budget: self.budget,
                    name,
                };
                f.call(&mut ctx, &vals).map(|v| match v {
                    Value::Nil => Rv::iface(Value::Nil),
                    v => Rv::concrete(v),
                })
            }
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node);
                Err(self.err(format!("error calling {name}: {e}")))
            }
        }
    }

    fn validate_type(&mut self, value: Rv, typ: Option<PType>) -> R<Rv> {
        let Some(typ) = typ else {
            return Ok(value);
        };
        match (value, typ) {
            (Rv::Invalid, PType::Reflect) => Ok(Rv::Invalid),
            (Rv::Invalid, PType::Go(t)) => {
                if t.can_be_nil() {
                    Ok(zero_of(t))
                } else {
                    Err(self.err(format!("invalid value; expected {}", t.go_name())))
                }
            }
            (v, PType::Reflect | PType::Go(ArgType::Any)) => Ok(v),
            (Rv::Val(v, iface), PType::Go(t)) => {
                if t.accepts(&v) {
                    return Ok(Rv::concrete(assign(t, v)));
                }
                let got = if let Value::Nil = v {
                    "interface {}".to_string()
                } else {
                    let _ = iface;
                    v.type_name()
                };
                Err(self.err(format!(
                    "wrong type for value; expected {}; got {}",
                    t.go_name(),
                    got
                )))
            }
        }
    }

    fn eval_arg(&mut self, dot: &Rv, typ: Option<PType>, n: &'t Arg) -> R<Rv> {
        self.at(At::Arg(n));
        match n {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), typ),
            Arg::Nil { .. } => {
                return match typ {
                    Some(PType::Reflect) => Ok(Rv::Invalid),
                    Some(PType::Go(t)) if t.can_be_nil() => Ok(zero_of(t)),
                    Some(t) => Err(self.err(format!("cannot assign nil to {}", t.name()))),
                    None => Err(self.err("cannot assign nil to <nil>")),
                };
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_node(dot, n, ident, Some(std::slice::from_ref(n)), None)?;
                return self.validate_type(v, typ);
            }
            Arg::Variable(v) => {
                let v = self.eval_variable_node(dot, v, None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, Some(p))?;
                return self.validate_type(v, typ);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, n, name, At::Arg(n), None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Chain { node, fields, .. } => {
                let v = self.eval_chain_node(dot, n, node, fields, None, None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        let Some(typ) = typ else {
            return Err(self.err(format!("can't handle {n} for arg of type <nil>")));
        };
        match typ {
            PType::Go(ArgType::Bool) => match n {
                Arg::Bool { val, .. } => Ok(Rv::concrete(Value::Bool(*val))),
                _ => Err(self.err(format!("expected bool; found {n}"))),
            },
            PType::Go(ArgType::Float64) => match n {
                Arg::Number(x) if x.is_float => Ok(Rv::concrete(Value::Float(x.float64))),
                _ => Err(self.err(format!("expected float; found {n}"))),
            },
            PType::Go(t @ (ArgType::Int | ArgType::Int64)) => match n {
                Arg::Number(x) if x.is_int => Ok(Rv::concrete(if t == ArgType::Int {
                    Value::Int(x.int64)
                } else {
                    Value::Int64(x.int64)
                })),
                _ => Err(self.err(format!("expected integer; found {n}"))),
            },
            PType::Go(ArgType::String) => match n {
                Arg::Str { text, .. } => Ok(Rv::concrete(Value::String(text.as_str().into()))),
                _ => Err(self.err(format!("expected string; found {n}"))),
            },
            PType::Go(ArgType::Any) | PType::Reflect => self.eval_empty_interface(dot, n),
            PType::Go(t) => {
                Err(self.err(format!("can't handle {n} for arg of type {}", t.go_name())))
            }
        }
    }

    fn eval_empty_interface(&mut self, dot: &Rv, n: &'t Arg) -> R<Rv> {
        self.at(At::Arg(n));
        match n {
            Arg::Bool { val, .. } => Ok(Rv::concrete(Value::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Number(x) => self.ideal_constant(n, x),
            Arg::Str { text, .. } => Ok(Rv::concrete(Value::String(text.as_str().into()))),
            Arg::Nil { .. } => Err(self.err("evalEmptyInterface: nil (can't happen)")),
            _ => Err(self.err(format!(
                "can't handle assignment of {n} to empty interface argument"
            ))),
        }
    }

    // ---- builtins ----

    fn call_builtin(&mut self, b: Builtin, argv: Vec<Rv>) -> Result<Rv, FuncError> {
        let vals = |argv: Vec<Rv>| -> Vec<Value> { argv.into_iter().map(Rv::into_value).collect() };
        match b {
            Builtin::Not => Ok(Rv::concrete(Value::Bool(
                !argv[0].clone().indirect_interface().truth(),
            ))),
            Builtin::Len => builtin_len(argv.into_iter().next().unwrap_or(Rv::Invalid)),
            Builtin::Index => {
                let mut it = argv.into_iter();
                let item = it.next().unwrap_or(Rv::Invalid);
                builtin_index(item, it.collect())
            }
            Builtin::Slice => {
                let mut it = argv.into_iter();
                let item = it.next().unwrap_or(Rv::Invalid);
                builtin_slice(item, it.collect())
            }
            Builtin::Print => Ok(Rv::concrete(Value::from(gofmt::sprint(&vals(argv))))),
            Builtin::Println => Ok(Rv::concrete(Value::from(gofmt::sprintln(&vals(argv))))),
            Builtin::Printf => {
                let v = vals(argv);
                let f = v[0].as_str().unwrap_or("").to_string();
                Ok(Rv::concrete(Value::from(gofmt::sprintf(&f, &v[1..]))))
            }
            Builtin::Eq => {
                let mut it = argv.into_iter();
                let a = it.next().unwrap_or(Rv::Invalid);
                eq(a, it.collect()).map(|b| Rv::concrete(Value::Bool(b)))
            }
            Builtin::Ne => {
                let mut it = argv.into_iter();
                let a = it.next().unwrap_or(Rv::Invalid);
                eq(a, it.collect()).map(|b| Rv::concrete(Value::Bool(!b)))
            }
            Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                let a = argv[0].clone();
                let c = argv[1].clone();
                let r = match b {
                    Builtin::Lt => lt(&a, &c),
                    Builtin::Le => le(&a, &c),
                    Builtin::Gt => le(&a, &c).map(|x| !x),
                    _ => lt(&a, &c).map(|x| !x),
                }?;
                Ok(Rv::concrete(Value::Bool(r)))
            }
            Builtin::Html => Ok(Rv::concrete(Value::from(html_escape(&eval_args(argv))))),
            Builtin::Js => Ok(Rv::concrete(Value::from(js_escape(&eval_args(argv))))),
            Builtin::Urlquery => Ok(Rv::concrete(Value::from(query_escape(&eval_args(argv))))),
            Builtin::And | Builtin::Or | Builtin::Call => {
                Err(FuncError::new("unreachable builtin dispatch"))
            }
        }
    }

    fn builtin_call(&mut self, name: &str, argv: Vec<Rv>) -> Result<Rv, FuncError> {
        let mut it = argv.into_iter();
        let f = it.next().unwrap_or(Rv::Invalid).indirect_interface();
        let args: Vec<Rv> = it.collect();
        let f = match f {
            Rv::Invalid => return Err(FuncError::new("call of nil")),
            Rv::Val(Value::Func(f), _) => f,
            other => {
                return Err(FuncError::new(format!(
                    "non-function {name} of type {}",
                    other.type_name()
                )));
            }
        };
        let num_in = f.params().len();
        if f.variadic().is_some() {
            if args.len() < num_in {
                return Err(FuncError::new(format!(
                    "wrong number of args for {name}: got {} want at least {num_in}",
                    args.len()
                )));
            }
        } else if args.len() != num_in {
            return Err(FuncError::new(format!(
                "wrong number of args for {name}: got {} want {num_in}",
                args.len()
            )));
        }
        let mut vals = Vec::with_capacity(args.len());
        for (i, a) in args.into_iter().enumerate() {
            let t = if i < num_in {
                f.params()[i]
            } else {
                f.variadic().unwrap_or(ArgType::Any)
            };
            let a = a.indirect_interface();
            let v = prepare_arg(a, t).map_err(|e| FuncError::new(format!("arg {i}: {e}")))?;
            vals.push(v);
        }
        let mut ctx = CallContext {
            templates: self.set,
            depth: self.depth,
            budget: self.budget,
            name,
        };
        f.call(&mut ctx, &vals).map(|v| match v {
            Value::Nil => Rv::iface(Value::Nil),
            v => Rv::concrete(v),
        })
    }
}

/// The underlying map or slice of a host object that is a Go named collection type.
fn underlying(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) => o.underlying(),
        _ => None,
    }
}

/// The type name after Go's `indirect`: pointer objects report their element type.
fn elem_type_name(v: &Value) -> String {
    let name = v.type_name();
    match v {
        Value::Object(o) if o.kind_name() == "ptr" => {
            name.strip_prefix('*').map(str::to_string).unwrap_or(name)
        }
        _ => name,
    }
}

/// Go's zero value for a nil-able parameter type: a nil interface, slice or map, which host functions
/// receive as [`Value::Nil`].
fn zero_of(_t: ArgType) -> Rv {
    Rv::iface(Value::Nil)
}

/// Go's assignment of an accepted value to a parameter of type `t`: a named map type (Helm's
/// `common.Values`) becomes a plain `map[string]interface{}`.
fn assign(t: ArgType, v: Value) -> Value {
    match (t, v) {
        (ArgType::Map, Value::Map(m)) if m.type_name().is_some() => Value::Map(m.unnamed()),
        (_, v) => v,
    }
}

fn int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Int64(i) => Some(*i),
        Value::Uint(u) => Some(*u as i64),
        Value::Byte(b) => Some(*b as i64),
        _ => None,
    }
}

fn prepare_arg(v: Rv, t: ArgType) -> Result<Value, String> {
    match v {
        Rv::Invalid => {
            if t.can_be_nil() {
                Ok(zero_of(t).into_value())
            } else {
                Err(format!("value is nil; should be of type {}", t.go_name()))
            }
        }
        Rv::Val(v, _) => {
            if t.accepts(&v) {
                return Ok(assign(t, v));
            }
            if let Some(i) = int_like(&v) {
                match t {
                    ArgType::Int => return Ok(Value::Int(i)),
                    ArgType::Int64 => return Ok(Value::Int64(i)),
                    _ => {}
                }
            }
            Err(format!(
                "value has type {}; should be {}",
                v.type_name(),
                t.go_name()
            ))
        }
    }
}

fn builtin_len(item: Rv) -> Result<Rv, FuncError> {
    let v = match item {
        Rv::Val(Value::Nil, _) => return Err(FuncError::new("len of nil pointer")),
        Rv::Invalid => {
            return Err(FuncError::new(
                "reflect: call of reflect.Value.Type on zero Value",
            ));
        }
        Rv::Val(v, _) => underlying(&v).unwrap_or(v),
    };
    let n = match &v {
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) => match o.length() {
            Some(n) => n,
            None => {
                return Err(FuncError::new(format!(
                    "len of type {}",
                    elem_type_name(&v)
                )));
            }
        },
        _ => return Err(FuncError::new(format!("len of type {}", v.type_name()))),
    };
    Ok(Rv::concrete(Value::Int(n as i64)))
}

fn index_arg(index: &Rv, cap: usize) -> Result<usize, FuncError> {
    let x: i64 = match index {
        Rv::Invalid => return Err(FuncError::new("cannot index slice/array with nil")),
        Rv::Val(Value::Int(i) | Value::Int64(i), _) => *i,
        Rv::Val(Value::Uint(u), _) => *u as i64,
        Rv::Val(Value::Byte(b), _) => *b as i64,
        Rv::Val(v, _) => {
            return Err(FuncError::new(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            )));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(FuncError::new(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn builtin_index(item: Rv, indexes: Vec<Rv>) -> Result<Rv, FuncError> {
    let mut item = item.indirect_interface();
    if let Rv::Invalid = item {
        return Err(FuncError::new("index of untyped nil"));
    }
    for index in indexes {
        let index = index.indirect_interface();
        if let Rv::Val(v, i) = &item
            && let Some(u) = underlying(v)
        {
            item = Rv::Val(u, *i);
        }
        let v = match &item {
            Rv::Val(Value::Nil, _) | Rv::Invalid => {
                return Err(FuncError::new("index of nil pointer"));
            }
            Rv::Val(v, _) => v.clone(),
        };
        item = match &v {
            Value::List(l) => {
                let x = index_arg(&index, l.len())?;
                match l.get(x) {
                    Some(e) => Rv::iface(e.clone()),
                    None => return Err(FuncError::new("reflect: slice index out of range")),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(&index, b.len())?;
                match b.get(x) {
                    Some(e) => Rv::concrete(Value::Byte(*e)),
                    None => return Err(FuncError::new("reflect: slice index out of range")),
                }
            }
            Value::String(s) => {
                let x = index_arg(&index, s.len())?;
                match s.as_bytes().get(x) {
                    Some(e) => Rv::concrete(Value::Byte(*e)),
                    None => return Err(FuncError::new("reflect: string index out of range")),
                }
            }
            Value::Map(m) => {
                let key = match &index {
                    Rv::Invalid => {
                        return Err(FuncError::new("value is nil; should be of type string"));
                    }
                    Rv::Val(Value::String(s), _) => s.clone(),
                    Rv::Val(k, _) => {
                        return Err(FuncError::new(format!(
                            "value has type {}; should be string",
                            k.type_name()
                        )));
                    }
                };
                match m.get(&key) {
                    Some(e) => Rv::iface(e),
                    None => Rv::iface(Value::Nil),
                }
            }
            other => {
                return Err(FuncError::new(format!(
                    "can't index item of type {}",
                    elem_type_name(other)
                )));
            }
        };
    }
    Ok(item)
}

fn builtin_slice(item: Rv, indexes: Vec<Rv>) -> Result<Rv, FuncError> {
    let item = item.indirect_interface();
    let v = match item {
        Rv::Invalid => return Err(FuncError::new("slice of untyped nil")),
        Rv::Val(v, _) => underlying(&v).unwrap_or(v),
    };
    if indexes.len() > 3 {
        return Err(FuncError::new(format!(
            "too many slice indexes: {}",
            indexes.len()
        )));
    }
    let len = match &v {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(FuncError::new("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        other => {
            return Err(FuncError::new(format!(
                "can't slice item of type {}",
                elem_type_name(other)
            )));
        }
    };
    let mut idx = [0usize, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.clone().indirect_interface(), len)?;
    }
    if idx[0] > idx[1] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    Ok(Rv::concrete(match &v {
        Value::String(s) => {
            let b = &s.as_bytes()[idx[0]..idx[1]];
            Value::from(String::from_utf8_lossy(b).into_owned())
        }
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        Value::Bytes(b) => Value::Bytes(b[idx[0]..idx[1]].into()),
        _ => Value::Nil,
    }))
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Rv) -> Kind {
    match v {
        Rv::Val(Value::Bool(_), _) => Kind::Bool,
        Rv::Val(Value::Int(_) | Value::Int64(_), _) => Kind::Int,
        Rv::Val(Value::Uint(_) | Value::Byte(_), _) => Kind::Uint,
        Rv::Val(Value::Float(_), _) => Kind::Float,
        Rv::Val(Value::String(_), _) => Kind::String,
        _ => Kind::Invalid,
    }
}

fn ival(v: &Rv) -> i64 {
    match v {
        Rv::Val(Value::Int(i) | Value::Int64(i), _) => *i,
        _ => 0,
    }
}

fn uval(v: &Rv) -> u64 {
    match v {
        Rv::Val(Value::Uint(u), _) => *u,
        Rv::Val(Value::Byte(b), _) => *b as u64,
        _ => 0,
    }
}

fn fval(v: &Rv) -> f64 {
    match v {
        Rv::Val(Value::Float(f), _) => *f,
        _ => 0.0,
    }
}

fn sval(v: &Rv) -> &str {
    match v {
        Rv::Val(Value::String(s), _) => s,
        _ => "",
    }
}

fn bval(v: &Rv) -> bool {
    matches!(v, Rv::Val(Value::Bool(true), _))
}

/// Go reflect kind names used to decide comparability of non-basic values.
fn reflect_kind(v: &Rv) -> &'static str {
    match v {
        Rv::Invalid => "invalid",
        Rv::Val(Value::List(_) | Value::Bytes(_), _) => "slice",
        Rv::Val(Value::Map(_), _) => "map",
        Rv::Val(Value::Func(_), _) => "func",
        Rv::Val(Value::Object(o), _) => o.kind_name(),
        Rv::Val(v, _) => v.kind_name(),
    }
}

fn fmt_rv(verb: &str, v: &Rv) -> String {
    match v {
        Rv::Invalid => "<invalid reflect.Value>".into(),
        Rv::Val(x, _) => gofmt::sprintf(verb, std::slice::from_ref(x)),
    }
}

fn eq(arg1: Rv, arg2: Vec<Rv>) -> Result<bool, FuncError> {
    let arg1 = arg1.indirect_interface();
    if arg2.is_empty() {
        return Err(FuncError::new("missing argument for comparison"));
    }
    let k1 = basic_kind(&arg1);
    for arg in arg2 {
        let arg = arg.indirect_interface();
        let k2 = basic_kind(&arg);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (Kind::Int, Kind::Uint) => ival(&arg1) >= 0 && ival(&arg1) as u64 == uval(&arg),
                (Kind::Uint, Kind::Int) => ival(&arg) >= 0 && uval(&arg1) == ival(&arg) as u64,
                _ => {
                    if !matches!(arg1, Rv::Invalid) && !matches!(arg, Rv::Invalid) {
                        return Err(FuncError::new(format!(
                            "incompatible types for comparison: {} and {}",
                            arg1.type_name(),
                            arg.type_name()
                        )));
                    }
                    false
                }
            }
        } else {
            match k1 {
                Kind::Bool => bval(&arg1) == bval(&arg),
                Kind::Float => fval(&arg1) == fval(&arg),
                Kind::Int => ival(&arg1) == ival(&arg),
                Kind::String => sval(&arg1) == sval(&arg),
                Kind::Uint => uval(&arg1) == uval(&arg),
                Kind::Invalid => {
                    let kk1 = reflect_kind(&arg1);
                    let kk2 = reflect_kind(&arg);
                    if !(kk1 == kk2 || kk1 == "invalid" || kk2 == "invalid") {
                        return Err(FuncError::new(format!(
                            "non-comparable types {}: {}, {}: {}",
                            fmt_rv("%s", &arg1),
                            arg1.type_name(),
                            arg.type_name(),
                            fmt_rv("%v", &arg)
                        )));
                    }
                    let n1 = matches!(arg1, Rv::Invalid);
                    let n2 = matches!(arg, Rv::Invalid);
                    if n1 || n2 {
                        n1 == n2
                    } else {
                        match (&arg1, &arg) {
                            (Rv::Val(Value::Object(a), _), Rv::Val(Value::Object(b), _)) => {
                                std::sync::Arc::ptr_eq(a, b)
                            }
                            _ => {
                                return Err(FuncError::new(format!(
                                    "non-comparable type {}: {}",
                                    fmt_rv("%s", &arg),
                                    arg.type_name()
                                )));
                            }
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &Rv, arg2: &Rv) -> Result<bool, FuncError> {
    let arg1 = arg1.clone().indirect_interface();
    let k1 = basic_kind(&arg1);
    if k1 == Kind::Invalid {
        return Err(FuncError::new("invalid type for comparison"));
    }
    let arg2 = arg2.clone().indirect_interface();
    let k2 = basic_kind(&arg2);
    if k2 == Kind::Invalid {
        return Err(FuncError::new("invalid type for comparison"));
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) => Ok(ival(&arg1) < 0 || (ival(&arg1) as u64) < uval(&arg2)),
            (Kind::Uint, Kind::Int) => Ok(ival(&arg2) >= 0 && uval(&arg1) < ival(&arg2) as u64),
            _ => Err(FuncError::new(format!(
                "incompatible types for comparison: {} and {}",
                arg1.type_name(),
                arg2.type_name()
            ))),
        };
    }
    Ok(match k1 {
        Kind::Bool | Kind::Invalid => return Err(FuncError::new("invalid type for comparison")),
        Kind::Float => fval(&arg1) < fval(&arg2),
        Kind::Int => ival(&arg1) < ival(&arg2),
        Kind::String => sval(&arg1) < sval(&arg2),
        Kind::Uint => uval(&arg1) < uval(&arg2),
    })
}

fn le(a: &Rv, b: &Rv) -> Result<bool, FuncError> {
    let l = lt(a, b)?;
    if l {
        return Ok(true);
    }
    eq(a.clone(), vec![b.clone()])
}

/// Go's `evalArgs` for html/js/urlquery.
fn eval_args(argv: Vec<Rv>) -> String {
    if argv.len() == 1
        && let Rv::Val(Value::String(s), _) = &argv[0]
    {
        return s.to_string();
    }
    let vals: Vec<Value> = argv
        .into_iter()
        .map(|a| match a.into_value() {
            Value::Nil => Value::from("<no value>"),
            v => v,
        })
        .collect();
    gofmt::sprint(&vals)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c => {
                if gofmt::is_print(c) {
                    out.push(c);
                } else {
                    out.push_str(&format!("\\u{:04X}", c as u32));
                }
            }
        }
    }
    out
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
