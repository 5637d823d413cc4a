//! The template lexer: splits source text into Go's token stream (text, delimiters, and the tokens
//! inside actions), tracking byte positions and line numbers exactly as Go does.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    CharConstant,
    Comment,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords (ordered after this marker, as Go's itemKeyword).
    Keyword,
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub typ: Tok,
    pub pos: usize,
    pub val: String,
    pub line: usize,
}

impl Item {
    /// Go's `item.String()`, used in "unexpected X in Y" errors.
    pub fn describe(&self) -> String {
        match self.typ {
            Tok::Eof => "EOF".to_string(),
            Tok::Error => self.val.clone(),
            t if t > Tok::Keyword => format!("<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let head: String = self.val.chars().take(10).collect();
                    format!("{}...", crate::gofmt::quote(&head, false))
                } else {
                    crate::gofmt::quote(&self.val, false)
                }
            }
        }
    }
}

pub(crate) struct LexOptions {
    pub break_ok: bool,
    pub continue_ok: bool,
}

struct Lexer<'a> {
    input: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    start: usize,
    at_eof: bool,
    paren_depth: i32,
    line: usize,
    start_line: usize,
    items: Vec<Item>,
    opts: LexOptions,
    done: bool,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_ascii_digit() || is_nd(c)
}

fn is_nd(c: char) -> bool {
    // Rough Nd test for non-ASCII digits: most decimal digit blocks are 10-aligned runs.
    let u = c as u32;
    matches!(u, 0x660..=0x669 | 0x6F0..=0x6F9 | 0x7C0..=0x7C9 | 0x966..=0x96F | 0x9E6..=0x9EF
        | 0xA66..=0xA6F | 0xAE6..=0xAEF | 0xB66..=0xB6F | 0xBE6..=0xBEF | 0xC66..=0xC6F
        | 0xCE6..=0xCEF | 0xD66..=0xD6F | 0xE50..=0xE59 | 0xED0..=0xED9 | 0xF20..=0xF29
        | 0x1040..=0x1049 | 0xFF10..=0xFF19)
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn count_nl(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'\n').count()
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<char> {
        if self.pos >= self.input.len() {
            self.at_eof = true;
            return None;
        }
        let c = self.input[self.pos..].chars().next()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        let r = self.next();
        self.backup();
        r
    }

    fn backup(&mut self) {
        if !self.at_eof && self.pos > 0 {
            let c = self.input[..self.pos].chars().next_back().unwrap_or('\0');
            self.pos -= c.len_utf8();
            if c == '\n' {
                self.line -= 1;
            }
        }
    }

    fn this_item(&mut self, t: Tok) -> Item {
        let i = Item {
            typ: t,
            pos: self.start,
            val: self.input[self.start..self.pos].to_string(),
            line: self.start_line,
        };
        self.start = self.pos;
        self.start_line = self.line;
        i
    }

    fn emit(&mut self, t: Tok) {
        let i = self.this_item(t);
        self.items.push(i);
    }

    fn ignore(&mut self) {
        self.line += count_nl(&self.input[self.start..self.pos]);
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.next() {
            Some(c) if valid.contains(c) => true,
            _ => {
                self.backup();
                false
            }
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while let Some(c) = self.next() {
            if !valid.contains(c) {
                break;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, msg: String) {
        self.items.push(Item {
            typ: Tok::Error,
            pos: self.start,
            val: msg,
            line: self.start_line,
        });
        self.done = true;
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.input[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with(self.right) {
            return (true, true);
        }
        if rest.starts_with(self.right) {
            return (true, false);
        }
        (false, false)
    }

    fn at_terminator(&mut self) -> bool {
        let r = self.peek();
        match r {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.input[self.pos..].starts_with(self.right),
        }
    }

    fn run(&mut self) {
        let mut inside = false;
        while !self.done {
            if inside {
                inside = self.lex_inside_action();
            } else {
                inside = self.lex_text();
            }
        }
    }

    /// Returns true when an action was entered.
    fn lex_text(&mut self) -> bool {
        if let Some(x) = self.input[self.pos..].find(self.left) {
            if x > 0 {
                self.pos += x;
                let mut trim = 0;
                let delim_end = self.pos + self.left.len();
                if has_left_trim(&self.input[delim_end..]) {
                    let s = &self.input[self.start..self.pos];
                    trim = s.len() - s.trim_end_matches(is_space).len();
                }
                self.pos -= trim;
                self.line += count_nl(&self.input[self.start..self.pos]);
                let i = self.this_item(Tok::Text);
                self.pos += trim;
                self.ignore();
                if !i.val.is_empty() {
                    self.items.push(i);
                }
            }
            return self.lex_left_delim();
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += count_nl(&self.input[self.start..self.pos]);
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        self.done = true;
        false
    }

    fn lex_left_delim(&mut self) -> bool {
        self.pos += self.left.len();
        let trim = has_left_trim(&self.input[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with("/*") {
            self.pos += after;
            self.ignore();
            self.lex_comment();
            return false;
        }
        let i = self.this_item(Tok::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        self.items.push(i);
        true
    }

    fn lex_comment(&mut self) {
        self.pos += 2;
        let Some(x) = self.input[self.pos..].find("*/") else {
            self.errorf("unclosed comment".into());
            return;
        };
        self.pos += x + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            self.errorf("comment ends before closing delimiter".into());
            return;
        }
        self.line += count_nl(&self.input[self.start..self.pos]);
        let _ = self.this_item(Tok::Comment);
        if trim {
            self.pos += 2;
        }
        self.pos += self.right.len();
        if trim {
            let rest = &self.input[self.pos..];
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
        self.ignore();
    }

    fn lex_right_delim(&mut self) {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += self.right.len();
        let i = self.this_item(Tok::RightDelim);
        if trim {
            let rest = &self.input[self.pos..];
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
            self.ignore();
        }
        self.items.push(i);
    }

    /// Lexes one token inside an action; returns whether still inside the action.
    fn lex_inside_action(&mut self) -> bool {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                self.lex_right_delim();
                return false;
            }
            self.errorf("unclosed left paren".into());
            return false;
        }
        let Some(r) = self.next() else {
            self.errorf("unclosed action".into());
            return false;
        };
        match r {
            c if is_space(c) => {
                self.backup();
                return self.lex_space();
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.next() != Some('=') {
                    self.errorf("expected :=".into());
                    return false;
                }
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => self.lex_quote(),
            '`' => self.lex_raw_quote(),
            '$' => self.lex_variable(),
            '\'' => self.lex_char(),
            '.' => {
                let b = self.input.as_bytes();
                if self.pos < b.len() && !(b[self.pos].is_ascii_digit()) {
                    self.lex_field_or_variable(Tok::Field);
                } else {
                    self.backup();
                    self.lex_number();
                }
            }
            '+' | '-' | '0'..='9' => {
                self.backup();
                self.lex_number();
            }
            c if is_alnum(c) => {
                self.backup();
                self.lex_identifier();
            }
            '(' => {
                self.paren_depth += 1;
                self.emit(Tok::LeftParen);
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.errorf("unexpected right paren".into());
                    return false;
                }
                self.emit(Tok::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            c => {
                self.errorf(format!(
                    "unrecognized character in action: {}",
                    go_sharp_u(Some(c))
                ));
                return false;
            }
        }
        !self.done
    }

    fn lex_space(&mut self) -> bool {
        let mut num = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next();
            num += 1;
        }
        let rest = &self.input[self.pos - 1..];
        if has_right_trim(rest) && rest[2..].starts_with(self.right) {
            self.backup();
            if num == 1 {
                self.lex_right_delim();
                return false;
            }
        }
        self.emit(Tok::Space);
        true
    }

    fn lex_identifier(&mut self) {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                r => {
                    self.backup();
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        self.errorf(format!("bad character {}", go_sharp_u(r)));
                        return;
                    }
                    let kw = match word {
                        "." => Some(Tok::Dot),
                        "block" => Some(Tok::Block),
                        "break" => Some(Tok::Break),
                        "continue" => Some(Tok::Continue),
                        "define" => Some(Tok::Define),
                        "else" => Some(Tok::Else),
                        "end" => Some(Tok::End),
                        "if" => Some(Tok::If),
                        "range" => Some(Tok::Range),
                        "nil" => Some(Tok::Nil),
                        "template" => Some(Tok::Template),
                        "with" => Some(Tok::With),
                        _ => None,
                    };
                    if let Some(k) = kw {
                        if (k == Tok::Break && !self.opts.break_ok)
                            || (k == Tok::Continue && !self.opts.continue_ok)
                        {
                            self.emit(Tok::Identifier);
                        } else {
                            self.emit(k);
                        }
                    } else if word.starts_with('.') {
                        self.emit(Tok::Field);
                    } else if word == "true" || word == "false" {
                        self.emit(Tok::Bool);
                    } else {
                        self.emit(Tok::Identifier);
                    }
                    return;
                }
            }
        }
    }

    fn lex_variable(&mut self) {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return;
        }
        self.lex_field_or_variable(Tok::Variable);
    }

    fn lex_field_or_variable(&mut self, typ: Tok) {
        if self.at_terminator() {
            if typ == Tok::Variable {
                self.emit(Tok::Variable);
            } else {
                self.emit(Tok::Dot);
            }
            return;
        }
        let mut r;
        loop {
            r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup();
                    break;
                }
            }
        }
        if !self.at_terminator() {
            self.errorf(format!("bad character {}", go_sharp_u(r)));
            return;
        }
        self.emit(typ);
    }

    fn lex_char(&mut self) {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => {
                        self.errorf("unterminated character constant".into());
                        return;
                    }
                },
                None | Some('\n') => {
                    self.errorf("unterminated character constant".into());
                    return;
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Tok::CharConstant);
    }

    fn lex_number(&mut self) {
        if !self.scan_number() {
            let s = self.input[self.start..self.pos].to_string();
            self.errorf(format!(
                "bad number syntax: {}",
                crate::gofmt::quote(&s, false)
            ));
            return;
        }
        if let Some(sign @ ('+' | '-')) = self.peek() {
            let _ = sign;
            if !self.scan_number() || self.input.as_bytes()[self.pos - 1] != b'i' {
                let s = self.input[self.start..self.pos].to_string();
                self.errorf(format!(
                    "bad number syntax: {}",
                    crate::gofmt::quote(&s, false)
                ));
                return;
            }
            self.emit(Tok::Complex);
            return;
        }
        self.emit(Tok::Number);
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => {
                        self.errorf("unterminated quoted string".into());
                        return;
                    }
                },
                None | Some('\n') => {
                    self.errorf("unterminated quoted string".into());
                    return;
                }
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Tok::String);
    }

    fn lex_raw_quote(&mut self) {
        loop {
            match self.next() {
                None => {
                    self.errorf("unterminated raw quoted string".into());
                    return;
                }
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Tok::RawString);
    }
}

/// Go's `%#U` formatting of a rune: `U+0041 'A'`.
fn go_sharp_u(c: Option<char>) -> String {
    let Some(c) = c else {
        return "U+FFFFFFFFFFFFFFFF".to_string();
    };
    let u = c as u32;
    if crate::gofmt::is_print(c) {
        format!("U+{u:04X} '{c}'")
    } else {
        format!("U+{u:04X}")
    }
}

/// Lexes the whole input eagerly. The stream ends with an `Eof` or `Error` item.
pub(crate) fn lex(input: &str, left: &str, right: &str, opts: LexOptions) -> Vec<Item> {
    let mut l = Lexer {
        input,
        left,
        right,
        pos: 0,
        start: 0,
        at_eof: false,
        paren_depth: 0,
        line: 1,
        start_line: 1,
        items: Vec::new(),
        opts,
        done: false,
    };
    l.run();
    l.items
}
