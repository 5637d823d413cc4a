//! Go's `fmt` printing (`Sprint`, `Sprintln`, `Sprintf`) and `strconv` float/quote formatting, over
//! [`Value`]s, byte-for-byte as Go prints them.

use crate::value::Value;

/// Go's `fmt.Sprint`: operands formatted with `%v`, a space between two operands when neither is a
/// string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// Go's `fmt.Sprintln`: operands separated by spaces, with a trailing newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// Go's `fmt.Sprintf`, including its in-band errors (`%!d(string=x)`, `%!v(MISSING)`,
/// `%!(EXTRA int=1)`, `%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`, `%!v(BADINDEX)`).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

fn parse_num(s: &[u8], mut i: usize) -> (Option<usize>, bool, usize) {
    // Returns (number, ok (not too large), new index); None number if no digits.
    let start = i;
    let mut n: usize = 0;
    let mut ok = true;
    while i < s.len() && s[i].is_ascii_digit() {
        if n > 1_000_000 {
            ok = false;
        }
        n = n.saturating_mul(10).saturating_add((s[i] - b'0') as usize);
        i += 1;
    }
    if i == start {
        (None, true, i)
    } else {
        (Some(n), ok, i)
    }
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (Option<i64>, bool, usize) {
    // (value, isInt, newArgNum)
    if arg_num < args.len() {
        let v = match &args[arg_num] {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            Value::Uint(u) => i64::try_from(*u).ok(),
            Value::Byte(b) => Some(*b as i64),
            _ => None,
        };
        let too_large = v.is_some_and(|n| !(-1_000_000..=1_000_000).contains(&n));
        match v {
            Some(n) if !too_large => (Some(n), true, arg_num + 1),
            _ => (None, false, arg_num + 1),
        }
    } else {
        (None, false, arg_num)
    }
}

/// Parses `[n]` at `i`; returns (argNum, newIndex, found, good).
fn arg_number(arg_num: usize, s: &[u8], i: usize, num_args: usize) -> (usize, usize, bool, bool) {
    if i >= s.len() || s[i] != b'[' {
        return (arg_num, i, false, true);
    }
    // Find closing bracket.
    let mut j = i + 1;
    while j < s.len() && s[j] != b']' {
        j += 1;
    }
    if j >= s.len() {
        return (arg_num, i + 1, false, false);
    }
    let inner = &s[i + 1..j];
    let (n, ok, end) = parse_num(inner, 0);
    if !ok || end != inner.len() || n.is_none() {
        return (arg_num, j + 1, true, false);
    }
    let n = n.unwrap_or(0);
    if n >= 1 && n - 1 < num_args {
        (n - 1, j + 1, true, true)
    } else {
        (arg_num, j + 1, true, false)
    }
}

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let s = format.as_bytes();
        let end = s.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0usize;
        while i < end {
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match s[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            if self.f.minus {
                self.f.zero = false;
            }
            // argument index
            let (an, ni, found, good) = arg_number(arg_num, s, i, args.len());
            arg_num = an;
            i = ni;
            after_index = found;
            if found {
                reordered = true;
                if !good {
                    good_arg_num = false;
                }
            }
            // width
            if i < end && s[i] == b'*' {
                i += 1;
                let (w, is_int, na) = int_from_arg(args, arg_num);
                arg_num = na;
                match w {
                    Some(w) if is_int => {
                        if w < 0 {
                            self.f.minus = true;
                            self.f.zero = false;
                            self.f.wid = Some(w.unsigned_abs() as usize);
                        } else {
                            self.f.wid = Some(w as usize);
                        }
                    }
                    _ => self.buf.push_str("%!(BADWIDTH)"),
                }
                after_index = false;
            } else {
                let (w, ok, ni) = parse_num(s, i);
                if w.is_some() && after_index {
                    good_arg_num = false;
                }
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                } else {
                    self.f.wid = w;
                }
                i = ni;
            }
            // precision
            if i < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                let (an, ni, found, good) = arg_number(arg_num, s, i, args.len());
                arg_num = an;
                i = ni;
                after_index = found;
                if found {
                    reordered = true;
                    if !good {
                        good_arg_num = false;
                    }
                }
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (p, is_int, na) = int_from_arg(args, arg_num);
                    arg_num = na;
                    match p {
                        Some(p) if is_int => {
                            if p < 0 {
                                self.f.prec = None;
                            } else {
                                self.f.prec = Some(p as usize);
                            }
                        }
                        _ => self.buf.push_str("%!(BADPREC)"),
                    }
                    after_index = false;
                } else {
                    let (p, _ok, ni) = parse_num(s, i);
                    i = ni;
                    self.f.prec = Some(p.unwrap_or(0));
                }
            }
            if !after_index {
                let (an, ni, found, good) = arg_number(arg_num, s, i, args.len());
                arg_num = an;
                i = ni;
                after_index = found;
                if found {
                    reordered = true;
                    if !good {
                        good_arg_num = false;
                    }
                }
            }
            let _ = after_index;
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
                continue;
            }
            if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
                continue;
            }
            if arg_num >= args.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
                continue;
            }
            if verb == 'v' {
                self.f.sharp_v = self.f.sharp;
                self.f.sharp = false;
                self.f.plus_v = self.f.plus;
                self.f.plus = false;
            }
            self.print_arg(&args[arg_num], verb);
            arg_num += 1;
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if let Value::Nil = a {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&a.type_name());
                    self.buf.push('=');
                    self.print_arg(a, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn print_arg(&mut self, v: &Value, verb: char) {
        if let Value::Nil = v {
            match verb {
                'T' | 'v' => self.pad_str("<nil>"),
                _ => self.bad_verb(v, verb),
            }
            return;
        }
        if verb == 'T' {
            let t = v.type_name();
            self.fmt_s(&t);
            return;
        }
        self.print_value(v, verb, 0);
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        match v {
            Value::Nil => {
                if depth == 0 {
                    self.print_arg(v, verb);
                } else if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.pad_str("<nil>");
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_str(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_int(v, *i as u64, true, verb),
            Value::Uint(u) => self.fmt_int(v, *u, false, verb),
            Value::Byte(b) => self.fmt_int(v, *b as u64, false, verb),
            Value::Float(x) => match verb {
                'v' => self.fmt_float(*x, 'g', None),
                'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(*x, verb, None),
                'f' | 'e' | 'E' => self.fmt_float(*x, verb, Some(6)),
                'F' => self.fmt_float(*x, 'f', Some(6)),
                _ => self.bad_verb(v, verb),
            },
            Value::String(s) => self.fmt_string(v, s, verb),
            Value::Bytes(b) => match verb {
                's' | 'q' | 'x' | 'X' => {
                    let s = String::from_utf8_lossy(b).into_owned();
                    if verb == 'x' || verb == 'X' {
                        self.fmt_hex_bytes(b, verb == 'X');
                    } else {
                        self.fmt_string(v, &s, verb);
                    }
                }
                _ => {
                    let items: Vec<Value> = b.iter().map(|x| Value::Byte(*x)).collect();
                    if self.f.sharp_v {
                        self.buf.push_str("[]byte{");
                        for (k, x) in b.iter().enumerate() {
                            if k > 0 {
                                self.buf.push_str(", ");
                            }
                            self.buf.push_str(&format!("0x{x:x}"));
                        }
                        self.buf.push('}');
                    } else {
                        self.buf.push('[');
                        for (k, x) in items.iter().enumerate() {
                            if k > 0 {
                                self.buf.push(' ');
                            }
                            self.print_value(x, verb, depth + 1);
                        }
                        self.buf.push(']');
                    }
                }
            },
            Value::List(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("[]interface {}{");
                    for (k, x) in items.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(x, verb, depth + 1);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (k, x) in items.iter().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        self.print_value(x, verb, depth + 1);
                    }
                    self.buf.push(']');
                }
            }
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                    for (k, (key, x)) in m.entries().iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.fmt_string(&Value::Nil, key, verb);
                        self.buf.push(':');
                        self.print_value(x, verb, depth + 1);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push_str("map[");
                    for (k, (key, x)) in m.entries().iter().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        let kv = Value::String(key.as_str().into());
                        self.print_value(&kv, verb, depth + 1);
                        self.buf.push(':');
                        self.print_value(x, verb, depth + 1);
                    }
                    self.buf.push(']');
                }
            }
            Value::Object(o) => {
                if let Some(u) = o.underlying() {
                    self.print_value(&u, verb, depth);
                    return;
                }
                let mut s = o.format(self.f.plus_v);
                if o.kind_name() == "ptr" {
                    s.insert(0, '&');
                }
                self.pad_str(&s);
            }
            Value::Func(_) => match verb {
                'v' | 'p' => self.pad_str("0x0"),
                _ => self.bad_verb(v, verb),
            },
        }
    }

    fn bad_verb(&mut self, v: &Value, verb: char) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match v {
            Value::Nil => self.buf.push_str("<nil>"),
            _ => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                self.print_arg(v, 'v');
            }
        }
        self.buf.push(')');
    }

    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero { '0' } else { ' ' };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    fn pad_str(&mut self, s: &str) {
        let wid = match self.f.wid {
            Some(w) if w > 0 => w,
            _ => {
                self.buf.push_str(s);
                return;
            }
        };
        let n = s.chars().count();
        if n >= wid {
            self.buf.push_str(s);
            return;
        }
        if !self.f.minus {
            self.write_padding(wid - n);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            let z = self.f.zero;
            self.f.zero = false;
            self.write_padding(wid - n);
            self.f.zero = z;
        }
    }

    fn fmt_s(&mut self, s: &str) {
        let s = match self.f.prec {
            Some(p) => {
                let end = s.char_indices().nth(p).map(|(i, _)| i).unwrap_or(s.len());
                &s[..end]
            }
            None => s,
        };
        self.pad_str(s);
    }

    fn fmt_string(&mut self, v: &Value, s: &str, verb: char) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    let q = quote(s, false);
                    self.pad_str(&q);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' | 'X' => self.fmt_hex_bytes(s.as_bytes(), verb == 'X'),
            'q' => {
                let s = match self.f.prec {
                    Some(p) => {
                        let end = s.char_indices().nth(p).map(|(i, _)| i).unwrap_or(s.len());
                        &s[..end]
                    }
                    None => s,
                };
                if self.f.sharp && can_backquote(s) {
                    let q = format!("`{s}`");
                    self.pad_str(&q);
                } else {
                    let q = quote(s, self.f.plus);
                    self.pad_str(&q);
                }
            }
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_hex_bytes(&mut self, b: &[u8], upper: bool) {
        let digits: &[u8] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut length = b.len();
        if let Some(p) = self.f.prec
            && p < length
        {
            length = p;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        let prefix = if upper { "0X" } else { "0x" };
        if self.f.sharp {
            self.buf.push_str(prefix);
        }
        for (i, c) in b.iter().take(length).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push_str(prefix);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xf) as usize] as char);
        }
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_int(&mut self, v: &Value, u: u64, signed: bool, verb: char) {
        match verb {
            'v' => {
                if self.f.sharp_v && !signed {
                    self.fmt_integer(u, 16, signed, 'v', true);
                } else {
                    self.fmt_integer(u, 10, signed, 'v', false);
                }
            }
            'd' => self.fmt_integer(u, 10, signed, verb, false),
            'b' => self.fmt_integer(u, 2, signed, verb, false),
            'o' | 'O' => self.fmt_integer(u, 8, signed, verb, false),
            'x' => self.fmt_integer(u, 16, signed, verb, false),
            'X' => self.fmt_integer(u, 16, signed, verb, true),
            'c' => {
                let c = char_of(u, signed);
                let s = c.to_string();
                self.pad_str(&s);
            }
            'q' => {
                let c = char_of(u, signed);
                let q = quote_rune(c, self.f.plus);
                self.pad_str(&q);
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut s = format!("U+{u:04X}");
        if self.f.sharp
            && u <= 0x10FFFF
            && let Some(c) = char::from_u32(u as u32)
            && is_print(c)
        {
            s.push_str(&format!(" '{c}'"));
        }
        let z = self.f.zero;
        self.f.zero = false;
        self.pad_str(&s);
        self.f.zero = z;
    }

    fn fmt_integer(&mut self, u: u64, base: u64, is_signed: bool, verb: char, upper: bool) {
        let negative = is_signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec: usize = 0;
        let mut has_prec_digits = false;
        if let Some(p) = self.f.prec {
            prec = p;
            has_prec_digits = true;
            if p == 0 && u == 0 {
                let z = self.f.zero;
                self.f.zero = false;
                let w = self.f.wid.unwrap_or(0);
                self.write_padding(w);
                self.f.zero = z;
                return;
            }
        } else if self.f.zero
            && !self.f.minus
            && let Some(w) = self.f.wid
        {
            prec = w;
            has_prec_digits = true;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let _ = has_prec_digits;
        let digits: &[u8] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut out: Vec<u8> = Vec::new();
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => {
                    out.push(b'b');
                    out.push(b'0');
                }
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(if upper { b'X' } else { b'x' });
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.push(b'o');
            out.push(b'0');
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        let s = String::from_utf8_lossy(&out).into_owned();
        let z = self.f.zero;
        self.f.zero = false;
        self.pad_str(&s);
        self.f.zero = z;
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let mut num = format_float(x, verb, prec);
        if !(num.starts_with('-') || num.starts_with('+')) {
            num.insert(0, '+');
        }
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        let second = num.as_bytes().get(1).copied().unwrap_or(b'0');
        if second == b'I' || second == b'N' {
            let z = self.f.zero;
            self.f.zero = false;
            if second == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_str(&num);
            self.f.zero = z;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => prec.map(|p| p as i64).unwrap_or(6),
                _ => 0,
            };
            let mut tail = String::new();
            let mut body: Vec<u8> = num.as_bytes().to_vec();
            let mut has_dot = false;
            let mut saw_nonzero = false;
            let mut k = 1;
            while k < body.len() {
                match body[k] {
                    b'.' => has_dot = true,
                    b'p' | b'P' => {
                        tail = String::from_utf8_lossy(&body[k..]).into_owned();
                        body.truncate(k);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail = String::from_utf8_lossy(&body[k..]).into_owned();
                        body.truncate(k);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                k += 1;
            }
            if !has_dot {
                if body.len() == 2 && body[1] == b'0' {
                    digits -= 1;
                }
                body.push(b'.');
            }
            while digits > 0 {
                body.push(b'0');
                digits -= 1;
            }
            num = String::from_utf8_lossy(&body).into_owned() + &tail;
        }
        if self.f.plus || !num.starts_with('+') {
            let wid = self.f.wid.unwrap_or(0);
            if self.f.zero && !self.f.minus && self.f.wid.is_some() && wid > num.len() {
                let (sign, rest) = num.split_at(1);
                self.buf.push_str(sign);
                self.write_padding(wid - num.len());
                self.buf.push_str(rest);
                return;
            }
            self.pad_str(&num);
            return;
        }
        let rest = num[1..].to_string();
        self.pad_str(&rest);
    }
}

fn char_of(u: u64, signed: bool) -> char {
    if signed && (u as i64) < 0 {
        return '\u{FFFD}';
    }
    if u > 0x10FFFF {
        return '\u{FFFD}';
    }
    char::from_u32(u as u32).unwrap_or('\u{FFFD}')
}

/// Decimal digits of |x| without trailing zeros, and the decimal point position:
/// |x| = 0.d1d2d3... × 10^dp. `sig` = number of significant digits, None for shortest.
fn digits_sig(x: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    let ax = x.abs();
    if ax == 0.0 {
        return (Vec::new(), 0);
    }
    let s = match sig {
        None => format!("{ax:e}"),
        Some(n) => format!("{:.*e}", n.max(1) - 1, ax),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    (d, exp + 1)
}

/// Digits for %f with `prec` fractional digits.
fn digits_fixed(x: f64, prec: usize) -> (Vec<u8>, i32) {
    let ax = x.abs();
    let s = format!("{ax:.prec$}");
    let (int_part, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut all: Vec<u8> = int_part.bytes().chain(frac.bytes()).collect();
    let mut dp = int_part.len() as i32;
    // strip leading zeros
    let lead = all.iter().take_while(|c| **c == b'0').count();
    all.drain(..lead);
    dp -= lead as i32;
    while all.last() == Some(&b'0') {
        all.pop();
    }
    if all.is_empty() {
        return (Vec::new(), 0);
    }
    (all, dp)
}

fn fmt_e(out: &mut String, d: &[u8], dp: i32, prec: usize, e: char) {
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        out.push('.');
        for k in 1..=prec {
            out.push(d.get(k).map(|c| *c as char).unwrap_or('0'));
        }
    }
    out.push(e);
    let mut exp = dp - 1;
    if d.is_empty() {
        exp = 0;
    }
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, d: &[u8], dp: i32, prec: usize) {
    if dp > 0 {
        for k in 0..dp as usize {
            out.push(d.get(k).map(|c| *c as char).unwrap_or('0'));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for k in 1..=prec as i32 {
            let j = dp + k - 1;
            let c = if j >= 0 && (j as usize) < d.len() {
                d[j as usize] as char
            } else {
                '0'
            };
            out.push(c);
        }
    }
}

/// Go's `strconv.FormatFloat(x, verb, prec, 64)`; `prec` None means shortest (-1).
pub fn format_float(x: f64, verb: char, prec: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".to_string()
        } else {
            "-Inf".to_string()
        };
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    match verb {
        'e' | 'E' => {
            let (d, dp) = match prec {
                None => digits_sig(x, None),
                Some(p) => digits_sig(x, Some(p + 1)),
            };
            let p = prec.unwrap_or(d.len().saturating_sub(1));
            fmt_e(&mut out, &d, dp, p, verb);
        }
        'f' | 'F' => {
            let (d, dp) = match prec {
                None => digits_sig(x, None),
                Some(p) => digits_fixed(x, p),
            };
            let p = prec.unwrap_or((d.len() as i32 - dp).max(0) as usize);
            fmt_f(&mut out, &d, dp, p);
        }
        'g' | 'G' => {
            let shortest = prec.is_none();
            let (d, dp) = match prec {
                None => digits_sig(x, None),
                Some(p) => digits_sig(x, Some(p.max(1))),
            };
            let mut p: i64 = match prec {
                None => d.len() as i64,
                Some(0) => 1,
                Some(p) => p as i64,
            };
            if d.is_empty() && shortest {
                p = -1;
            }
            let nd = d.len() as i64;
            let mut eprec = p;
            if eprec > nd && nd >= dp as i64 {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp as i64 - 1;
            let e = if verb == 'g' { 'e' } else { 'E' };
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&mut out, &d, dp, (p - 1).max(0) as usize, e);
            } else {
                if p > dp as i64 {
                    p = nd;
                }
                fmt_f(&mut out, &d, dp, (p - dp as i64).max(0) as usize);
            }
        }
        'x' | 'X' => {
            out.push_str(&format_hex_float(x.abs(), prec, verb == 'X'));
        }
        'b' => {
            let bits = x.to_bits();
            let exp = ((bits >> 52) & 0x7ff) as i64;
            let mut mant = bits & ((1u64 << 52) - 1);
            let mut e = exp;
            if exp == 0 {
                e = 1;
            } else {
                mant |= 1u64 << 52;
            }
            e -= 1023 + 52;
            out.push_str(&format!("{mant}p{}{}", if e >= 0 { "+" } else { "" }, e));
        }
        _ => {
            out.push('%');
            out.push(verb);
        }
    }
    out
}

fn format_hex_float(ax: f64, prec: Option<usize>, upper: bool) -> String {
    // %x: -0x1.yyyyp±dd
    let bits = ax.to_bits();
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 && mant == 0 {
        exp = 0;
    } else if exp == 0 {
        // normalize denormal
        exp = -1022;
        while mant & (1u64 << 52) == 0 {
            mant <<= 1;
            exp -= 1;
        }
        mant &= (1u64 << 52) - 1;
    } else {
        exp -= 1023;
    }
    let zero = ax == 0.0;
    // mant has 52 fraction bits = 13 hex digits
    let mut lead: u64 = if zero { 0 } else { 1 };
    let mut frac = mant;
    let mut ndig = 13usize;
    if let Some(p) = prec
        && p < 13
    {
        let shift = (13 - p) * 4;
        let full = (lead << 52) | frac;
        let half = 1u64 << (shift - 1);
        let rem = full & ((1u64 << shift) - 1);
        let mut t = full >> shift;
        if rem > half || (rem == half && t & 1 == 1) {
            t += 1;
        }
        let mut full2 = t << shift;
        if full2 >> 53 != 0 {
            full2 >>= 1;
            exp += 1;
        }
        lead = full2 >> 52;
        frac = full2 & ((1u64 << 52) - 1);
        ndig = p;
    }
    let mut hex = format!("{frac:013x}");
    hex.truncate(ndig);
    if prec.is_none() {
        while hex.ends_with('0') {
            hex.pop();
        }
    }
    if let Some(p) = prec {
        while hex.len() < p {
            hex.push('0');
        }
    }
    let mut s = format!("0x{lead}");
    if !hex.is_empty() {
        s.push('.');
        s.push_str(&hex);
    }
    if zero {
        exp = 0;
    }
    s.push('p');
    s.push(if exp >= 0 { '+' } else { '-' });
    let ae = exp.unsigned_abs();
    if ae < 10 {
        s.push('0');
    }
    s.push_str(&ae.to_string());
    if upper { s.to_uppercase() } else { s }
}

/// Approximation of Go's `strconv.IsPrint` (letters, marks, numbers, punctuation, symbols and ASCII
/// space).
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x206F | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xFEFF | 0xFFF0..=0xFFFB
        | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

fn push_escaped_rune(out: &mut String, c: char, quote_char: char, ascii_only: bool) {
    if c == quote_char || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0b' => out.push_str("\\v"),
        _ => {
            let u = c as u32;
            if u < 0x20 || u == 0x7f {
                out.push_str(&format!("\\x{u:02x}"));
            } else if u < 0x10000 {
                out.push_str(&format!("\\u{u:04x}"));
            } else {
                out.push_str(&format!("\\U{u:08x}"));
            }
        }
    }
}

/// Go's `strconv.Quote` (or `QuoteToASCII` when `ascii_only`).
pub fn quote(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        push_escaped_rune(&mut out, c, '"', ascii_only);
    }
    out.push('"');
    out
}

/// Go's `strconv.QuoteRune` (or `QuoteRuneToASCII`).
pub fn quote_rune(c: char, ascii_only: bool) -> String {
    let mut out = String::from("'");
    push_escaped_rune(&mut out, c, '\'', ascii_only);
    out.push('\'');
    out
}

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c.is_control())))
}
