//! A YAML emitter that writes what Helm writes: `sigs.k8s.io/yaml` (JSON, then go-yaml
//! v2's emitter), which Helm uses for the template function `toYaml` and when it
//! re-serialises Chart.yaml and Chart.lock while packaging. Reproducing its bytes matters
//! because rendered manifests and archives must be identical to Helm's.
//! [`EmitOptions::indent_sequences`] gives go-yaml v3's layout for `toYamlPretty`. The rules implemented here are go-yaml v2.4's, for the shapes that
//! chart metadata has (mappings, sequences, strings, booleans, numbers):
//!
//! * mapping keys are sorted with go-yaml's key order (non-letters before letters, runs
//!   of digits compared as numbers);
//! * block style; sequences inside mappings are not indented; indentation is 2;
//! * a string that would read back as another type (`yes`, `1.0`, `~`, a timestamp, …) is
//!   double-quoted; a string containing a newline uses a literal block (`|`, `|-`, `|+`);
//!   otherwise plain, falling back to single and then double quotes as go-yaml's scalar
//!   analysis requires;
//! * plain and quoted scalars are folded at spaces once a line is past column 80.

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping (sorted on output).
    Map(Vec<(String, Node)>),
}

impl Node {
    /// Converts a JSON value (as Helm's YAML→JSON→YAML round trip sees it).
    pub fn from_json(v: &serde_json::Value) -> Node {
        match v {
            serde_json::Value::Null => Node::Null,
            serde_json::Value::Bool(b) => Node::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Node::Int(i.into())
                } else if let Some(u) = n.as_u64() {
                    Node::Int(u.into())
                } else {
                    Node::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            serde_json::Value::String(s) => Node::Str(s.clone()),
            serde_json::Value::Array(a) => Node::Seq(a.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v)))
                    .collect(),
            ),
        }
    }
}

const BEST_WIDTH: usize = 80;

/// Serialises a document the way `sigs.k8s.io/yaml.Marshal` does.
pub fn to_string(root: &Node) -> String {
    to_string_with(root, EmitOptions::default())
}

/// Layout choices that differ between go-yaml versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Indent a block sequence that is a mapping value by two spaces, as go-yaml v3's
    /// encoder does with `SetIndent(2)` (Helm's `toYamlPretty`). go-yaml v2 (the
    /// default) writes the dashes at the key's column.
    pub indent_sequences: bool,
}

/// Serialises a document with explicit [`EmitOptions`].
pub fn to_string_with(root: &Node, options: EmitOptions) -> String {
    let mut e = Emitter {
        indent_sequences: options.indent_sequences,
        ..Emitter::default()
    };
    match root {
        Node::Map(m) if !m.is_empty() => e.mapping(m, 0, false),
        Node::Seq(s) if !s.is_empty() => e.sequence(s, 0, false),
        other => e.value_inline(other, 0, true),
    }
    if e.column != 0 {
        e.out.push('\n');
    }
    e.out
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
    indent_sequences: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn line_start(&mut self, indent: usize) {
        if self.column != 0 {
            self.newline();
        }
        while self.column < indent {
            self.put(' ');
        }
    }

    /// A block mapping whose keys start at `indent`. With `inline`, the first key continues
    /// the current line (after `- `).
    fn mapping(&mut self, entries: &[(String, Node)], indent: usize, inline: bool) {
        let mut sorted: Vec<&(String, Node)> = entries.iter().collect();
        sorted.sort_by(|a, b| key_order(&a.0, &b.0));
        for (i, (k, v)) in sorted.into_iter().enumerate() {
            if !(inline && i == 0) {
                self.line_start(indent);
            }
            self.key(k);
            self.put(':');
            match v {
                Node::Map(m) if !m.is_empty() => self.mapping(m, indent + 2, false),
                Node::Seq(s) if !s.is_empty() => {
                    let dash = if self.indent_sequences {
                        indent + 2
                    } else {
                        indent
                    };
                    self.sequence(s, dash, false)
                }
                other => self.value_inline(other, indent + 2, false),
            }
        }
    }

    /// A block sequence whose dashes are at `indent`.
    fn sequence(&mut self, items: &[Node], indent: usize, inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if !(inline && i == 0) {
                self.line_start(indent);
            }
            self.put_str("- ");
            match item {
                Node::Map(m) if !m.is_empty() => self.mapping(m, indent + 2, true),
                Node::Seq(s) if !s.is_empty() => self.sequence(s, indent + 2, true),
                other => self.value_inline(other, indent + 2, true),
            }
        }
    }

    /// A scalar or empty collection after `key:` or `- `; `indent` is the scalar's indent.
    fn value_inline(&mut self, v: &Node, indent: usize, after_dash: bool) {
        let sep = |e: &mut Emitter| {
            if !after_dash {
                e.put(' ');
            }
        };
        match v {
            Node::Null => {
                sep(self);
                self.put_str("null");
            }
            Node::Bool(b) => {
                sep(self);
                self.put_str(if *b { "true" } else { "false" });
            }
            Node::Int(i) => {
                sep(self);
                self.put_str(&i.to_string());
            }
            Node::Float(f) => {
                sep(self);
                self.put_str(&format_float64_g(*f));
            }
            Node::Map(_) => {
                sep(self);
                self.put_str("{}");
            }
            Node::Seq(_) => {
                sep(self);
                self.put_str("[]");
            }
            Node::Str(s) => self.scalar_value(s, indent, after_dash),
        }
    }

    fn scalar_value(&mut self, s: &str, indent: usize, after_dash: bool) {
        let style = select_style(s, false);
        if !after_dash {
            self.put(' ');
        }
        match style {
            Style::Plain => self.plain(s, indent, true),
            Style::Single => self.single(s, indent, true),
            Style::Double => self.double(s, indent, true),
            Style::Literal => self.literal(s, indent),
        }
    }

    /// A mapping key (simple-key context: no folding).
    fn key(&mut self, s: &str) {
        match select_style(s, true) {
            Style::Plain => self.plain(s, 0, false),
            Style::Single => self.single(s, 0, false),
            Style::Double | Style::Literal => self.double(s, 0, false),
        }
    }

    fn fold_to(&mut self, indent: usize) {
        self.newline();
        while self.column < indent {
            self.put(' ');
        }
    }

    fn plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.fold_to(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
    }

    fn single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.put('\'');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != chars.len() - 1
                    && !next_space
                {
                    self.fold_to(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                spaces = false;
            }
        }
        self.put('\'');
    }

    fn double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        self.put('"');
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    other => {
                        let v = other as u32;
                        let (tag, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(tag);
                        self.put_str(&format!("{v:0width$X}"));
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i != 0
                    && i != chars.len() - 1
                {
                    self.fold_to(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.put('"');
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.put('|');
        let chars: Vec<char> = s.chars().collect();
        if let Some(&first) = chars.first()
            && (first == ' ' || is_break(first))
        {
            self.put('2');
        }
        match chars.len() {
            0 => self.put('-'),
            n => {
                if !is_break(chars[n - 1]) {
                    self.put('-');
                } else if n == 1 || is_break(chars[n - 2]) {
                    self.put('+');
                }
            }
        }
        self.newline();
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.newline();
                breaks = true;
            } else {
                if breaks {
                    while self.column < indent {
                        self.put(' ');
                    }
                    breaks = false;
                }
                self.put(c);
            }
        }
        if breaks {
            // The scalar ended with a line break: the next node starts on a fresh line.
            self.column = 0;
        }
    }
}

/// go-yaml's `is_printable` on a whole character.
fn is_printable(c: char) -> bool {
    let v = c as u32;
    v == 0x0A
        || (0x20..=0x7E).contains(&v)
        || (0xA0..=0xD7FF).contains(&v)
        || ((0xE000..=0xFFFD).contains(&v) && v != 0xFEFF)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's style choice: `stringv` then `yaml_emitter_select_scalar_style` after
/// `yaml_emitter_analyze_scalar`.
fn select_style(s: &str, simple_key: bool) -> Style {
    let can_use_plain = !resolves_to_non_string(s) && !is_base60_float(s);
    let a = analyze(s);
    let requested = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let mut style = requested;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = i + 1 >= n || matches!(chars[i + 1], ' ' | '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t' | '\0') || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml v2's `resolve` gives a plain scalar `s` a tag other than `!!str`.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let Some(first) = s.bytes().next() else {
        return true;
    };
    match first {
        b'.' => s.parse::<f64>().is_ok() && go_float_syntax(s),
        b'0'..=b'9' | b'+' | b'-' => {
            if is_timestamp(s) {
                return true;
            }
            let plain: String = s.chars().filter(|&c| c != '_').collect();
            go_parse_int(&plain) || yaml_style_float(&plain) || go_binary(&plain)
        }
        _ => false,
    }
}

/// `strconv.ParseFloat` accepts what Rust accepts here, except Rust's `inf`/`nan` words.
fn go_float_syntax(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
fn go_parse_int(s: &str) -> bool {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, r)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, r)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() {
        return false;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(v) => !neg || v <= 1u64 << 63,
        Err(_) => false,
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn go_binary(s: &str) -> bool {
    let body = s.strip_prefix("-0b").or_else(|| s.strip_prefix("0b"));
    matches!(body, Some(d) if !d.is_empty() && d.bytes().all(|b| b == b'0' || b == b'1'))
}

/// go-yaml v2's `parseTimestamp`: four digits and `-`, then one of the accepted layouts.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let num = |t: &str, max: usize| {
        !t.is_empty() && t.len() <= max && t.bytes().all(|c| c.is_ascii_digit())
    };
    let date = |t: &str| {
        let mut p = t.splitn(2, '-');
        let (Some(m), Some(d)) = (p.next(), p.next()) else {
            return false;
        };
        num(m, 2)
            && num(d, 2)
            && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
            && (1..=31).contains(&d.parse::<u32>().unwrap_or(0))
    };
    let time = |t: &str, zone: bool| {
        let (clock, tz) = if zone {
            match t.find(['Z', '+', '-']) {
                Some(i) => (&t[..i], Some(&t[i..])),
                None => return false,
            }
        } else {
            (t, None)
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((a, f)) => (a, Some(f)),
            None => (clock, None),
        };
        let parts: Vec<&str> = hms.split(':').collect();
        let ok = parts.len() == 3
            && num(parts[0], 2)
            && num(parts[1], 2)
            && num(parts[2], 2)
            && parts[0].parse::<u32>().unwrap_or(99) < 24
            && parts[1].parse::<u32>().unwrap_or(99) < 60
            && parts[2].parse::<u32>().unwrap_or(99) < 60
            && frac.is_none_or(|f| num(f, 9));
        let tz_ok = match tz {
            None => true,
            Some("Z") => true,
            Some(z) => {
                let z = &z[1..];
                z.len() == 5 && num(&z[..2], 2) && &z[2..3] == ":" && num(&z[3..], 2)
            }
        };
        ok && tz_ok
    };
    if let Some(i) = rest.find(['T', 't']) {
        return date(&rest[..i]) && time(&rest[i + 1..], true);
    }
    if let Some(i) = rest.find(' ') {
        return date(&rest[..i]) && time(&rest[i + 1..], false);
    }
    date(rest)
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let g = &s[start..i];
        let ok = match g.len() {
            1 => true,
            2 => g.as_bytes()[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `keyList.Less` for string keys.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if a == b {
        return Ordering::Equal;
    }
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        a.cmp(b)
    }
}

fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` with go-yaml's spellings of infinities.
fn format_float64_g(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    format_float_g(f, FloatSize::F64)
}

/// The precision a float is formatted at: Go's `bitSize` argument of `strconv.FormatFloat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatSize {
    /// `float32`: the shortest digits that round-trip through an `f32`.
    F32,
    /// `float64`.
    F64,
}

/// Go's `strconv.FormatFloat(f, 'g', -1, bitSize)`: shortest round-trip digits, exponent form
/// below 1e-4 and from 1e21 (`1e+06` style), and `NaN`, `+Inf`, `-Inf` as Go spells them.
pub fn format_float_g(f: f64, size: FloatSize) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits and decimal exponent, from Rust's `{:e}`.
    let e = match size {
        FloatSize::F32 => format!("{:e}", f as f32),
        FloatSize::F64 => format!("{f:e}"),
    };
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let nd = digits.len() as i32;
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut out = format!("{sign}{}", &digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let es = if exp < 0 { '-' } else { '+' };
        out.push_str(&format!("e{es}{:02}", exp.abs()));
        return out;
    }
    let dp = exp + 1;
    let s = if dp <= 0 {
        format!("0.{}{}", "0".repeat((-dp) as usize), digits)
    } else if dp >= nd {
        format!("{}{}", digits, "0".repeat((dp - nd) as usize))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    };
    format!("{sign}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Node)]) -> Node {
        Node::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect(),
        )
    }

    fn s(v: &str) -> Node {
        Node::Str(v.into())
    }

    /// Every case of tests/goyaml/expected.json, produced by sigs.k8s.io/yaml (the Go
    /// program next to it regenerates the file).
    #[test]
    fn matches_go_yaml_goldens() {
        #[derive(serde::Deserialize)]
        struct Golden {
            input: serde_json::Value,
            yaml: String,
        }
        let goldens: Vec<Golden> = serde_json::from_str(include_str!(
            "../../rudder-chart/tests/goyaml/expected.json"
        ))
        .unwrap();
        assert!(goldens.len() > 50);
        let mut failures = Vec::new();
        for g in &goldens {
            let ours = to_string(&Node::from_json(&g.input));
            if ours != g.yaml {
                failures.push(format!(
                    "input {}
 go: {:?}
ours: {:?}",
                    g.input, g.yaml, ours
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(select_style("1.2.3", false), Style::Plain);
        assert_eq!(select_style("1.0", false), Style::Double);
        assert_eq!(select_style("yes", false), Style::Double);
        assert_eq!(select_style("", false), Style::Double);
        assert_eq!(select_style("a: b", false), Style::Single);
        assert_eq!(select_style("- x", false), Style::Single);
        assert_eq!(select_style("tab\there", false), Style::Double);
        assert_eq!(select_style("2024-01-02T03:04:05Z", false), Style::Double);
        assert_eq!(select_style("line\n", false), Style::Literal);
        assert_eq!(select_style("1:20", false), Style::Double);
    }

    #[test]
    fn key_order_is_natural() {
        let mut keys = vec!["b", "a10", "a2", "A", "_x", "apiVersion", "appVersion"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(
            keys,
            vec!["_x", "A", "a2", "a10", "apiVersion", "appVersion", "b"]
        );
    }

    #[test]
    fn layout() {
        let doc = map(&[
            ("name", s("demo")),
            ("keywords", Node::Seq(vec![s("a"), s("b")])),
            (
                "maintainers",
                Node::Seq(vec![map(&[("name", s("x")), ("email", s("x@y"))])]),
            ),
            ("annotations", map(&[("notes", s("l1\nl2\n"))])),
        ]);
        assert_eq!(
            to_string(&doc),
            "annotations:\n  notes: |\n    l1\n    l2\nkeywords:\n- a\n- b\nmaintainers:\n- email: x@y\n  name: x\nname: demo\n"
        );
    }
}
