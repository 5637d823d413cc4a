//! The parser: builds Go's parse trees (one per `define`/`block` plus the main one) from the token
//! stream, with Go's error messages and line numbers.

use std::fmt;
use std::sync::Arc;

use crate::error::ParseError;
use crate::lex::{Item, LexOptions, Tok, lex};

/// A parsed template: its name, the file it came from and its node tree.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    pub parse_name: String,
    pub text: Arc<str>,
    pub root: ListNode,
}

#[derive(Debug, Default)]
pub(crate) struct ListNode {
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text {
        text: String,
    },
    Comment,
    Action {
        pos: usize,
        pipe: Pipe,
    },
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub pos: usize,
    pub pipe: Pipe,
    pub list: ListNode,
    pub else_list: Option<ListNode>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<VarNode>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub(crate) struct VarNode {
    pub pos: usize,
    pub ident: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) struct NumberNode {
    pub pos: usize,
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub is_complex: bool,
    pub int64: i64,
    pub uint64: u64,
    pub float64: f64,
}

#[derive(Debug)]
pub(crate) enum Arg {
    Identifier {
        pos: usize,
        name: String,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Variable(VarNode),
    Field {
        pos: usize,
        ident: Vec<String>,
    },
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Bool {
        pos: usize,
        val: bool,
    },
    Number(Box<NumberNode>),
    Str {
        pos: usize,
        quoted: String,
        text: String,
    },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub fn pos(&self) -> usize {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Str { pos, .. } => *pos,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// ---- Display: Go's Node.String() ----

impl fmt::Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text } => f.write_str(text),
            Node::Comment => f.write_str("{{/* */}}"),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => b.write(f, "if"),
            Node::Range(b) => b.write(f, "range"),
            Node::With(b) => b.write(f, "with"),
            Node::Template { name, pipe, .. } => {
                write!(f, "{{{{template {}", crate::gofmt::quote(name, false))?;
                if let Some(p) = pipe {
                    write!(f, " {p}")?;
                }
                f.write_str("}}")
            }
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}

impl Branch {
    fn write(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        write!(f, "{{{{{name} {}}}}}{}", self.pipe, self.list)?;
        if let Some(e) = &self.else_list {
            write!(f, "{{{{else}}}}{e}")?;
        }
        f.write_str("{{end}}")
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for VarNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident.join("."))
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Variable(v) => write!(f, "{v}"),
            Arg::Field { ident, .. } => {
                for i in ident {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for x in fields {
                    write!(f, ".{x}")?;
                }
                Ok(())
            }
            Arg::Bool { val, .. } => f.write_str(if *val { "true" } else { "false" }),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::Str { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

// ---- Go literal parsing (strconv) ----

/// Go's `strconv.Unquote` for "..." , `...` and '...' literals.
pub(crate) fn unquote(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let q = b[0];
    if q != b[b.len() - 1] {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if body.contains('`') {
                return None;
            }
            Some(body.replace('\r', ""))
        }
        b'"' | b'\'' => {
            // Go strings are bytes: `\x` and octal escapes add raw bytes, which may form UTF-8.
            let mut out: Vec<u8> = Vec::with_capacity(body.len());
            let mut rest = body;
            let mut count = 0;
            while !rest.is_empty() {
                if q == b'"' && rest.starts_with('\n') {
                    return None;
                }
                let (c, tail) = unquote_char(rest, q as char)?;
                match c {
                    UChar::Char(c) => {
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    UChar::Byte(x) => out.push(x),
                }
                rest = tail;
                count += 1;
            }
            if q == b'\'' && count != 1 {
                return None;
            }
            Some(match String::from_utf8(out) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            })
        }
        _ => None,
    }
}

pub(crate) enum UChar {
    Char(char),
    Byte(u8),
}

/// Go's `strconv.UnquoteChar`.
pub(crate) fn unquote_char(s: &str, quote: char) -> Option<(UChar, &str)> {
    let c = s.chars().next()?;
    if c == quote && (quote == '\'' || quote == '"') {
        return None;
    }
    if c != '\\' {
        return Some((UChar::Char(c), &s[c.len_utf8()..]));
    }
    let b = s.as_bytes();
    if b.len() <= 1 || !b[1].is_ascii() {
        return None;
    }
    let e = b[1] as char;
    let mut tail = &s[2..];
    let v = match e {
        'a' => UChar::Char('\x07'),
        'b' => UChar::Char('\x08'),
        'f' => UChar::Char('\x0c'),
        'n' => UChar::Char('\n'),
        'r' => UChar::Char('\r'),
        't' => UChar::Char('\t'),
        'v' => UChar::Char('\x0b'),
        'x' | 'u' | 'U' => {
            let n = match e {
                'x' => 2,
                'u' => 4,
                _ => 8,
            };
            if tail.len() < n || !tail.is_char_boundary(n) {
                return None;
            }
            let v = u32::from_str_radix(&tail[..n], 16).ok()?;
            if !tail[..n].bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            tail = &tail[n..];
            if e == 'x' {
                UChar::Byte(v as u8)
            } else {
                UChar::Char(char::from_u32(v)?)
            }
        }
        '0'..='7' => {
            if s.len() < 4 || !s.is_char_boundary(4) {
                return None;
            }
            let digits = &s[1..4];
            if !digits.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                return None;
            }
            let v = u32::from_str_radix(digits, 8).ok()?;
            if v > 255 {
                return None;
            }
            tail = &s[4..];
            UChar::Byte(v as u8)
        }
        '\\' => UChar::Char('\\'),
        '\'' | '"' => {
            if e != quote {
                return None;
            }
            UChar::Char(e)
        }
        _ => return None,
    };
    Some((v, tail))
}

fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut s2 = b;
    if !s2.is_empty() && (s2[0] == b'-' || s2[0] == b'+') {
        s2 = &s2[1..];
    }
    let mut hex = false;
    if s2.len() >= 2 && s2[0] == b'0' {
        let c = s2[1].to_ascii_lowercase();
        if c == b'x' || c == b'o' || c == b'b' {
            i = 2;
            saw = b'0';
            hex = c == b'x';
        }
    }
    while i < s2.len() {
        let c = s2[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
fn parse_uint0(s: &str) -> Option<u64> {
    if s.is_empty() || s.starts_with('+') || s.starts_with('-') {
        return None;
    }
    let (base, digits, prefixed) =
        if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            (16, r, true)
        } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
            (8, r, true)
        } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
            (2, r, true)
        } else if s.len() > 1 && s.starts_with('0') {
            (8, &s[1..], true)
        } else {
            (10, s, false)
        };
    let _ = prefixed;
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    u64::from_str_radix(&clean, base).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn parse_int0(s: &str) -> Option<i64> {
    let (neg, body) = if let Some(r) = s.strip_prefix('-') {
        (true, r)
    } else if let Some(r) = s.strip_prefix('+') {
        (false, r)
    } else {
        (false, s)
    };
    let u = parse_uint0(body)?;
    if neg {
        if u > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the literal forms the lexer produces.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = if let Some(r) = clean.strip_prefix('-') {
        (true, r.to_string())
    } else if let Some(r) = clean.strip_prefix('+') {
        (false, r.to_string())
    } else {
        (false, clean.clone())
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let (mant, exp) = h.split_once(['p', 'P'])?;
        let exp: i32 = exp.parse().ok()?;
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        let mut m: f64 = 0.0;
        for c in ip.chars().chain(fp.chars()) {
            m = m * 16.0 + c.to_digit(16)? as f64;
        }
        m * 2f64.powi(exp - 4 * fp.len() as i32)
    } else {
        if body.is_empty()
            || !body
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        if body.starts_with('0')
            && body.len() > 1
            && (body.as_bytes()[1] == b'o' || body.as_bytes()[1] == b'b')
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn fits_i64(f: f64) -> bool {
    // [-2^63, 2^63): the range where Go's int64(f) conversion is exact.
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
}

fn fits_u64(f: f64) -> bool {
    (0.0..18_446_744_073_709_551_616.0).contains(&f)
}

fn new_number(pos: usize, text: &str, typ: Tok) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        uint64: 0,
        float64: 0.0,
    };
    match typ {
        Tok::CharConstant => {
            let body = &text[1..];
            let (c, tail) = unquote_char(body, '\'').ok_or_else(|| "invalid syntax".to_string())?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let v = match c {
                UChar::Char(c) => c as i64,
                UChar::Byte(b) => b as i64,
            };
            n.int64 = v;
            n.is_int = true;
            n.uint64 = v as u64;
            n.is_uint = true;
            n.float64 = v as f64;
            n.is_float = true;
            return Ok(n);
        }
        Tok::Complex => {
            n.is_complex = true;
            return Ok(n);
        }
        _ => {}
    }
    if let Some(im) = text.strip_suffix('i')
        && let Some(f) = parse_float(im).or_else(|| parse_int0(im).map(|i| i as f64))
    {
        n.is_complex = true;
        if f == 0.0 {
            n.is_float = true;
            n.is_int = true;
            n.is_uint = true;
        }
        return Ok(n);
    }
    let u = parse_uint0(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Some(i) = parse_int0(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = u.unwrap_or(0);
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!(
                "integer overflow: {}",
                crate::gofmt::quote(text, false)
            ));
        }
        n.is_float = true;
        n.float64 = f;
        if !n.is_int && fits_i64(f) && (f as i64) as f64 == f {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if !n.is_uint && fits_u64(f) && (f as u64) as f64 == f {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::gofmt::quote(text, false)
        ));
    }
    Ok(n)
}

// ---- Parser ----

const MAX_STACK_DEPTH: usize = 10000;

struct Parser<'a> {
    items: Vec<Item>,
    idx: usize,
    furthest: usize,
    parse_name: &'a str,
    text: Arc<str>,
    has_func: &'a dyn Fn(&str) -> bool,
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
    set: &'a mut Vec<Tree>,
}

type PResult<T> = Result<T, ParseError>;

struct SubState {
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
    stack_depth: usize,
}

impl Parser<'_> {
    fn item(&self, i: usize) -> Item {
        match self.items.get(i) {
            Some(it) => it.clone(),
            None => {
                let last = self.items.last();
                Item {
                    typ: Tok::Eof,
                    pos: self.text.len(),
                    val: "EOF".into(),
                    line: last.map(|l| l.line).unwrap_or(1),
                }
            }
        }
    }

    fn next(&mut self) -> Item {
        let t = self.item(self.idx);
        self.idx += 1;
        self.furthest = self.furthest.max(self.idx);
        t
    }

    fn backup(&mut self) {
        self.idx -= 1;
    }

    fn peek(&mut self) -> Item {
        let t = self.item(self.idx);
        self.furthest = self.furthest.max(self.idx + 1);
        t
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf(&self, msg: impl Into<String>) -> ParseError {
        let line = if self.furthest == 0 {
            0
        } else {
            self.item(self.furthest - 1).line
        };
        let msg = msg.into();
        ParseError {
            message: format!("template: {}:{}: {}", self.parse_name, line, msg),
            name: self.parse_name.to_string(),
            line,
        }
    }

    fn unexpected(&self, token: &Item, context: &str) -> ParseError {
        if token.typ == Tok::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn expect(&mut self, t: Tok, context: &str) -> PResult<Item> {
        let token = self.next_non_space();
        if token.typ != t {
            return Err(self.unexpected(&token, context));
        }
        Ok(token)
    }

    fn enter_sub(&mut self) -> SubState {
        let s = SubState {
            vars: std::mem::replace(&mut self.vars, vec!["$".to_string()]),
            action_line: self.action_line,
            range_depth: self.range_depth,
            stack_depth: self.stack_depth,
        };
        self.action_line = 0;
        self.range_depth = 0;
        self.stack_depth = 0;
        s
    }

    fn leave_sub(&mut self, s: SubState) {
        self.vars = s.vars;
        self.action_line = s.action_line;
        self.range_depth = s.range_depth;
        self.stack_depth = s.stack_depth;
    }

    fn add(&mut self, name: String, root: ListNode) -> PResult<()> {
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.to_string(),
            text: self.text.clone(),
            root,
        };
        if let Some(i) = self.set.iter().position(|t| t.name == name) {
            if is_empty_tree(&self.set[i].root) {
                self.set[i] = tree;
                return Ok(());
            }
            if !is_empty_tree(&tree.root) {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    crate::gofmt::quote(&name, false)
                )));
            }
            return Ok(());
        }
        self.set.push(tree);
        Ok(())
    }

    fn parse_top(&mut self, name: &str) -> PResult<()> {
        let mut root = ListNode::default();
        while self.peek().typ != Tok::Eof {
            if self.peek().typ == Tok::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().typ == Tok::Define {
                    let st = self.enter_sub();
                    let r = self.parse_definition();
                    self.leave_sub(st);
                    r?;
                    continue;
                }
                self.idx = save;
            }
            let n = self.text_or_action()?;
            match n {
                Parsed::End | Parsed::Else => {
                    return Err(self.errorf(format!("unexpected {}", n.describe())));
                }
                Parsed::Node(n) => root.nodes.push(n),
            }
        }
        self.add(name.to_string(), root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let token = self.next_non_space();
        if token.typ != Tok::String && token.typ != Tok::RawString {
            return Err(self.unexpected(&token, context));
        }
        let name = unquote(&token.val).ok_or_else(|| self.errorf("invalid syntax"))?;
        self.expect(Tok::RightDelim, context)?;
        let (list, end) = self.item_list()?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> PResult<(ListNode, Parsed)> {
        stacker::maybe_grow(crate::exec::RED_ZONE, crate::exec::STACK_SEGMENT, || {
            self.item_list_inner()
        })
    }

    fn item_list_inner(&mut self) -> PResult<(ListNode, Parsed)> {
        let mut list = ListNode::default();
        while self.peek_non_space().typ != Tok::Eof {
            let n = self.text_or_action()?;
            match n {
                Parsed::End | Parsed::Else => return Ok((list, n)),
                Parsed::Node(n) => list.nodes.push(n),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            Tok::Text => Ok(Parsed::Node(Node::Text { text: token.val })),
            Tok::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            Tok::Comment => Ok(Parsed::Node(Node::Comment)),
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            Tok::Block => return self.block_control().map(Parsed::Node),
            Tok::Break => return self.break_control(token.pos, true).map(Parsed::Node),
            Tok::Continue => return self.break_control(token.pos, false).map(Parsed::Node),
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            Tok::If => {
                return self
                    .branch("if")
                    .map(|b| Parsed::Node(Node::If(Box::new(b))));
            }
            Tok::Range => {
                return self
                    .branch("range")
                    .map(|b| Parsed::Node(Node::Range(Box::new(b))));
            }
            Tok::Template => return self.template_control().map(Parsed::Node),
            Tok::With => {
                return self
                    .branch("with")
                    .map(|b| Parsed::Node(Node::With(Box::new(b))));
            }
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Parsed::Node(Node::Action {
            pos: token.pos,
            pipe,
        }))
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> PResult<Node> {
        let word = if is_break {
            "{{break}}"
        } else {
            "{{continue}}"
        };
        let token = self.next_non_space();
        if token.typ != Tok::RightDelim {
            return Err(self.unexpected(&token, word));
        }
        if self.range_depth == 0 {
            return Err(self.errorf(format!("{word} outside {{{{range}}}}")));
        }
        Ok(if is_break {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        stacker::maybe_grow(crate::exec::RED_ZONE, crate::exec::STACK_SEGMENT, || {
            self.pipeline_inner(context, end)
        })
    }

    fn pipeline_inner(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ == Tok::Variable {
                let save = self.idx;
                // consume up to and including v
                self.next_non_space();
                let after = self.peek();
                let next = self.peek_non_space();
                if next.typ == Tok::Assign || next.typ == Tok::Declare {
                    pipe.is_assign = next.typ == Tok::Assign;
                    self.next_non_space();
                    pipe.decl.push(VarNode {
                        pos: v.pos,
                        ident: vec![v.val.clone()],
                    });
                    self.vars.push(v.val.clone());
                } else if next.typ == Tok::Char && next.val == "," {
                    self.next_non_space();
                    pipe.decl.push(VarNode {
                        pos: v.pos,
                        ident: vec![v.val.clone()],
                    });
                    self.vars.push(v.val.clone());
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().typ {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                            _ => return Err(self.errorf("range can only initialize variables")),
                        }
                    }
                    return Err(self.errorf(format!("too many declarations in {context}")));
                } else {
                    let _ = after;
                    self.idx = save;
                }
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.typ {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number(_)
                        | Arg::Str { .. }
                )
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn branch(&mut self, context: &str) -> PResult<Branch> {
        let mark = self.vars.len();
        let r = self.branch_inner(context);
        self.vars.truncate(mark);
        r
    }

    fn branch_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        if let Parsed::Else = next {
            if context == "if" && self.peek().typ == Tok::If {
                self.next();
                let b = self.branch("if")?;
                else_list = Some(ListNode {
                    nodes: vec![Node::If(Box::new(b))],
                });
            } else if context == "with" && self.peek().typ == Tok::With {
                self.next();
                let b = self.branch("with")?;
                else_list = Some(ListNode {
                    nodes: vec![Node::With(Box::new(b))],
                });
            } else {
                let (l, n) = self.item_list()?;
                if !matches!(n, Parsed::End) {
                    return Err(self.errorf(format!("expected end; found {}", n.describe())));
                }
                else_list = Some(l);
            }
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == Tok::If || peek.typ == Tok::With {
            return Ok(Parsed::Else);
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(Parsed::Else)
    }

    fn parse_template_name(&self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            Tok::String | Tok::RawString => {
                unquote(&token.val).ok_or_else(|| self.errorf("invalid syntax"))
            }
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        let st = self.enter_sub();
        let r = self.item_list();
        self.leave_sub(st);
        let (list, end) = r?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), context)));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != Tok::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context, Tok::RightDelim)?);
        }
        Ok(Node::Template {
            pos: token.pos,
            name,
            pipe,
        })
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let token = self.next();
            match token.typ {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == Tok::Field {
            let chain_pos = self.peek().pos;
            let mut fields = Vec::new();
            while self.peek().typ == Tok::Field {
                let f = self.next().val;
                fields.push(f[1..].to_string());
            }
            return match node {
                Arg::Field { ident, .. } => {
                    let mut id = ident;
                    id.extend(fields);
                    Ok(Some(Arg::Field {
                        pos: chain_pos,
                        ident: id,
                    }))
                }
                Arg::Variable(v) => {
                    let mut id = v.ident;
                    id.extend(fields);
                    Ok(Some(Arg::Variable(VarNode {
                        pos: chain_pos,
                        ident: id,
                    })))
                }
                Arg::Bool { .. }
                | Arg::Str { .. }
                | Arg::Number(_)
                | Arg::Nil { .. }
                | Arg::Dot { .. } => Err(self.errorf(format!(
                    "unexpected . after term {}",
                    crate::gofmt::quote(&node.to_string(), false)
                ))),
                other => Ok(Some(Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(other),
                    fields,
                })),
            };
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.typ {
            Tok::Identifier => {
                if !(self.has_func)(&token.val) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        crate::gofmt::quote(&token.val, false)
                    )));
                }
                Arg::Identifier {
                    pos,
                    name: token.val,
                }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable => {
                let ident: Vec<String> = token.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == ident[0]) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        crate::gofmt::quote(&ident[0], false)
                    )));
                }
                Arg::Variable(VarNode { pos, ident })
            }
            Tok::Field => Arg::Field {
                pos,
                ident: token.val[1..].split('.').map(str::to_string).collect(),
            },
            Tok::Bool => Arg::Bool {
                pos,
                val: token.val == "true",
            },
            Tok::CharConstant | Tok::Complex | Tok::Number => {
                let n = new_number(pos, &token.val, token.typ).map_err(|e| self.errorf(e))?;
                Arg::Number(Box::new(n))
            }
            Tok::LeftParen => {
                if self.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.stack_depth += 1;
                let r = self.pipeline("parenthesized pipeline", Tok::RightParen);
                self.stack_depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            Tok::String | Tok::RawString => {
                let text = unquote(&token.val).ok_or_else(|| self.errorf("invalid syntax"))?;
                Arg::Str {
                    pos,
                    quoted: token.val,
                    text,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

enum Parsed {
    Node(Node),
    End,
    Else,
}

impl Parsed {
    fn describe(&self) -> String {
        match self {
            Parsed::Node(n) => n.to_string(),
            Parsed::End => "{{end}}".into(),
            Parsed::Else => "{{else}}".into(),
        }
    }
}

/// Go's `parse.IsEmptyTree`.
pub(crate) fn is_empty_tree(l: &ListNode) -> bool {
    l.nodes.iter().all(|n| match n {
        Node::Comment => true,
        Node::Text { text } => text.trim_matches(|c: char| c.is_whitespace()).is_empty(),
        _ => false,
    })
}

/// Delimiters and function names known at parse time.
pub(crate) struct ParseConfig<'a> {
    pub left: &'a str,
    pub right: &'a str,
    pub has_func: &'a dyn Fn(&str) -> bool,
}

/// Parses `text` (from file `name`) into trees: the main one named `name` plus any `define`/`block`.
pub(crate) fn parse(
    name: &str,
    text: &str,
    cfg: &ParseConfig<'_>,
) -> Result<Vec<Tree>, ParseError> {
    let opts = LexOptions {
        break_ok: !(cfg.has_func)("break"),
        continue_ok: !(cfg.has_func)("continue"),
    };
    let items = lex(text, cfg.left, cfg.right, opts);
    let mut set = Vec::new();
    let mut p = Parser {
        items,
        idx: 0,
        furthest: 0,
        parse_name: name,
        text: Arc::from(text),
        has_func: cfg.has_func,
        vars: vec!["$".to_string()],
        action_line: 0,
        range_depth: 0,
        stack_depth: 0,
        set: &mut set,
    };
    p.parse_top(name)?;
    Ok(set)
}
