//! Go's `time.Time` for templates: Go layout formatting and parsing, `Duration` printing and
//! parsing, exposed to templates as an [`Object`] named `time.Time`.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use rudder_gotmpl::{ArgType, Function, Object, Value};

/// The zone a [`GoTime`] is shown in.
#[derive(Clone, Debug)]
pub enum Zone {
    /// A named or system zone.
    Tz(TimeZone),
    /// A fixed offset in seconds east of UTC with Go's zone name (empty for a parsed offset).
    Fixed(i32, String),
}

/// A Go `time.Time`: an instant and the zone it is shown in.
#[derive(Clone, Debug)]
pub struct GoTime {
    /// The instant.
    pub ts: Timestamp,
    /// The zone.
    pub zone: Zone,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The host's local zone (Go's `time.Local`, from `TZ` or the system).
pub fn local_zone() -> Zone {
    Zone::Tz(TimeZone::try_system().unwrap_or(TimeZone::UTC))
}

/// Go's `time.LoadLocation`: `""`/`UTC` is UTC, `Local` the local zone, else an IANA name.
pub fn load_location(name: &str) -> Option<Zone> {
    match name {
        "" | "UTC" => Some(Zone::Tz(TimeZone::UTC)),
        "Local" => Some(local_zone()),
        n => TimeZone::get(n).ok().map(Zone::Tz),
    }
}

struct Parts {
    year: i64,
    month: usize,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanos: i64,
    weekday: usize,
    yday: i64,
    offset: i32,
    abbr: String,
}

impl GoTime {
    /// The current time in the local zone.
    pub fn now() -> GoTime {
        GoTime {
            ts: Timestamp::now(),
            zone: local_zone(),
        }
    }

    /// Go's zero time (January 1, year 1, 00:00:00 UTC).
    pub fn zero() -> GoTime {
        GoTime {
            ts: Timestamp::from_second(-62_135_596_800).unwrap_or(Timestamp::UNIX_EPOCH),
            zone: Zone::Tz(TimeZone::UTC),
        }
    }

    /// `time.Unix(sec, 0)` in the local zone.
    pub fn unix(sec: i64) -> GoTime {
        GoTime {
            ts: Timestamp::from_second(sec).unwrap_or(Timestamp::UNIX_EPOCH),
            zone: local_zone(),
        }
    }

    /// The same instant in another zone.
    pub fn in_zone(&self, zone: Zone) -> GoTime {
        GoTime { ts: self.ts, zone }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.ts.as_second()
    }

    /// Adds nanoseconds.
    pub fn add_nanos(&self, n: i128) -> GoTime {
        let total = self.ts.as_nanosecond() + n;
        GoTime {
            ts: Timestamp::from_nanosecond(total).unwrap_or(self.ts),
            zone: self.zone.clone(),
        }
    }

    fn parts(&self) -> Parts {
        let (offset, abbr) = match &self.zone {
            Zone::Tz(tz) => {
                let info = tz.to_offset_info(self.ts);
                let off = info.offset().seconds();
                let ab = info.abbreviation().to_string();
                // tzdata abbreviations such as "+03" print as they are.
                let ab = if ab.is_empty() {
                    go_offset_name(off)
                } else {
                    ab
                };
                (off, ab)
            }
            Zone::Fixed(off, name) => (
                *off,
                if name.is_empty() {
                    go_offset_name(*off)
                } else {
                    name.clone()
                },
            ),
        };
        let off = Offset::from_seconds(offset).unwrap_or(Offset::UTC);
        let dt = off.to_datetime(self.ts);
        Parts {
            year: i64::from(dt.year()),
            month: dt.month() as usize,
            day: i64::from(dt.day()),
            hour: i64::from(dt.hour()),
            minute: i64::from(dt.minute()),
            second: i64::from(dt.second()),
            nanos: i64::from(dt.subsec_nanosecond()),
            weekday: dt.weekday().to_sunday_zero_offset() as usize,
            yday: i64::from(dt.day_of_year()),
            offset,
            abbr,
        }
    }

    /// Go's `Time.Format(layout)`.
    pub fn format(&self, layout: &str) -> String {
        let p = self.parts();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, tok, after) = next_chunk(rest);
            out.push_str(prefix);
            rest = after;
            let Some(tok) = tok else { break };
            match tok {
                Tok::Year => out.push_str(&format!("{:04}", p.year)),
                Tok::Year2 => out.push_str(&format!("{:02}", p.year.rem_euclid(100))),
                Tok::LongMonth => out.push_str(MONTHS[p.month - 1]),
                Tok::Month => out.push_str(&MONTHS[p.month - 1][..3]),
                Tok::NumMonth => out.push_str(&p.month.to_string()),
                Tok::ZeroMonth => out.push_str(&format!("{:02}", p.month)),
                Tok::LongWeekday => out.push_str(DAYS[p.weekday]),
                Tok::Weekday => out.push_str(&DAYS[p.weekday][..3]),
                Tok::Day => out.push_str(&p.day.to_string()),
                Tok::UnderDay => out.push_str(&format!("{:>2}", p.day)),
                Tok::ZeroDay => out.push_str(&format!("{:02}", p.day)),
                Tok::UnderYearDay => out.push_str(&format!("{:>3}", p.yday)),
                Tok::ZeroYearDay => out.push_str(&format!("{:03}", p.yday)),
                Tok::Hour => out.push_str(&format!("{:02}", p.hour)),
                Tok::Hour12 => out.push_str(&h12(p.hour).to_string()),
                Tok::ZeroHour12 => out.push_str(&format!("{:02}", h12(p.hour))),
                Tok::Minute => out.push_str(&p.minute.to_string()),
                Tok::ZeroMinute => out.push_str(&format!("{:02}", p.minute)),
                Tok::Second => out.push_str(&p.second.to_string()),
                Tok::ZeroSecond => out.push_str(&format!("{:02}", p.second)),
                Tok::PM => out.push_str(if p.hour >= 12 { "PM" } else { "AM" }),
                Tok::Pm => out.push_str(if p.hour >= 12 { "pm" } else { "am" }),
                Tok::TZ => out.push_str(&p.abbr),
                Tok::Offset {
                    z,
                    colon,
                    secs,
                    hours_only,
                } => {
                    if z && p.offset == 0 {
                        out.push('Z');
                    } else {
                        let o = p.offset;
                        out.push(if o < 0 { '-' } else { '+' });
                        let a = o.unsigned_abs();
                        out.push_str(&format!("{:02}", a / 3600));
                        if !hours_only {
                            if colon {
                                out.push(':');
                            }
                            out.push_str(&format!("{:02}", (a / 60) % 60));
                        }
                        if secs {
                            if colon {
                                out.push(':');
                            }
                            out.push_str(&format!("{:02}", a % 60));
                        }
                    }
                }
                Tok::Frac { sep, digits, nines } => {
                    let s = format!("{:09}", p.nanos);
                    let mut f = s[..digits.min(9)].to_string();
                    if nines {
                        while f.ends_with('0') {
                            f.pop();
                        }
                        if !f.is_empty() {
                            out.push(sep);
                            out.push_str(&f);
                        }
                    } else {
                        out.push(sep);
                        out.push_str(&f);
                    }
                }
            }
        }
        out
    }

    /// Go's `Time.String()`.
    pub fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// Go's `time.ParseInLocation(layout, value, loc)`; `None` where Go returns an error.
    pub fn parse(layout: &str, value: &str, loc: &Zone) -> Option<GoTime> {
        Self::parse_go(layout, value, loc).ok()
    }

    /// Like [`GoTime::parse`], with Go's error text (`parsing time "x" as "2006": cannot parse "x"
    /// as "2006"`).
    pub fn parse_go(layout: &str, value: &str, loc: &Zone) -> Result<GoTime, String> {
        let mut diag = Diag::default();
        match Self::parse_inner(layout, value, loc, &mut diag) {
            Some(t) => Ok(t),
            None if diag.extra => Err(format!(
                "parsing time \"{value}\": extra text: \"{}\"",
                diag.value
            )),
            None if diag.range => Err(format!(
                "parsing time \"{value}\": {} out of range",
                diag.elem
            )),
            None => Err(format!(
                "parsing time \"{value}\" as \"{layout}\": cannot parse \"{}\" as \"{}\"",
                diag.value, diag.elem
            )),
        }
    }

    fn parse_inner(layout: &str, value: &str, loc: &Zone, diag: &mut Diag) -> Option<GoTime> {
        let (mut year, mut month, mut day) = (1i64, 1i64, 1i64);
        let (mut hour, mut minute, mut second, mut nanos) = (0i64, 0i64, 0i64, 0i64);
        let mut pm: Option<bool> = None;
        let mut offset: Option<i32> = None;
        let mut zone_name: Option<String> = None;
        let mut rest = layout;
        let mut v = value;
        while !rest.is_empty() {
            let (prefix, tok, after) = next_chunk(rest);
            diag.value = v.to_string();
            diag.elem = prefix.to_string();
            v = v.strip_prefix(prefix)?;
            diag.value = v.to_string();
            diag.elem = rest[prefix.len()..rest.len() - after.len()].to_string();
            rest = after;
            let Some(tok) = tok else { break };
            match tok {
                Tok::Year => {
                    let (n, r) = take_digits(v, 4, 4)?;
                    year = n;
                    v = r;
                }
                Tok::Year2 => {
                    let (n, r) = take_digits(v, 2, 2)?;
                    year = if n >= 69 { n + 1900 } else { n + 2000 };
                    v = r;
                }
                Tok::LongMonth | Tok::Month => {
                    let long = matches!(tok, Tok::LongMonth);
                    let idx = MONTHS.iter().position(|m| {
                        let name = if long { m } else { &m[..3] };
                        v.len() >= name.len() && v[..name.len()].eq_ignore_ascii_case(name)
                    })?;
                    let n = if long { MONTHS[idx].len() } else { 3 };
                    month = idx as i64 + 1;
                    v = &v[n..];
                }
                Tok::LongWeekday | Tok::Weekday => {
                    let long = matches!(tok, Tok::LongWeekday);
                    let idx = DAYS.iter().position(|m| {
                        let name = if long { m } else { &m[..3] };
                        v.len() >= name.len() && v[..name.len()].eq_ignore_ascii_case(name)
                    })?;
                    v = &v[if long { DAYS[idx].len() } else { 3 }..];
                }
                Tok::NumMonth | Tok::ZeroMonth => {
                    let (n, r) =
                        take_digits(v, if matches!(tok, Tok::ZeroMonth) { 2 } else { 1 }, 2)?;
                    month = n;
                    v = r;
                }
                Tok::Day | Tok::ZeroDay | Tok::UnderDay => {
                    if matches!(tok, Tok::UnderDay) {
                        v = v.strip_prefix(' ').unwrap_or(v);
                    }
                    let (n, r) =
                        take_digits(v, if matches!(tok, Tok::ZeroDay) { 2 } else { 1 }, 2)?;
                    day = n;
                    v = r;
                }
                Tok::UnderYearDay | Tok::ZeroYearDay => {
                    let (_, r) = take_digits(v.trim_start_matches(' '), 1, 3)?;
                    v = r;
                }
                Tok::Hour => {
                    let (n, r) = take_digits(v, 2, 2)?;
                    hour = n;
                    v = r;
                }
                Tok::Hour12 | Tok::ZeroHour12 => {
                    let (n, r) =
                        take_digits(v, if matches!(tok, Tok::ZeroHour12) { 2 } else { 1 }, 2)?;
                    hour = n;
                    v = r;
                }
                Tok::Minute | Tok::ZeroMinute => {
                    let (n, r) =
                        take_digits(v, if matches!(tok, Tok::ZeroMinute) { 2 } else { 1 }, 2)?;
                    minute = n;
                    v = r;
                }
                Tok::Second | Tok::ZeroSecond => {
                    let (n, r) =
                        take_digits(v, if matches!(tok, Tok::ZeroSecond) { 2 } else { 1 }, 2)?;
                    second = n;
                    v = r;
                    // Go accepts a fractional second after the seconds field even if the layout has none.
                    if (v.starts_with('.') || v.starts_with(','))
                        && !matches!(next_chunk(rest).1, Some(Tok::Frac { .. }))
                        && v[1..].starts_with(|c: char| c.is_ascii_digit())
                    {
                        let digits: String =
                            v[1..].chars().take_while(char::is_ascii_digit).collect();
                        nanos = frac_nanos(&digits);
                        v = &v[1 + digits.len()..];
                    }
                }
                Tok::PM | Tok::Pm => {
                    let s = v.get(..2)?;
                    pm = Some(match s.to_ascii_uppercase().as_str() {
                        "PM" => true,
                        "AM" => false,
                        _ => return None,
                    });
                    v = &v[2..];
                }
                Tok::TZ => {
                    if v.starts_with(['+', '-']) {
                        // A zone without a name prints as its offset ("+0200" or "+02").
                        let n = 1 + v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        let off = parse_offset(&v[..n]);
                        offset = Some(off);
                        v = &v[n..];
                    } else if let Some(r) = v.strip_prefix("UTC") {
                        zone_name = Some("UTC".into());
                        offset = Some(0);
                        v = r;
                    } else {
                        let n = v.chars().take_while(char::is_ascii_uppercase).count();
                        if n < 3 {
                            return None;
                        }
                        zone_name = Some(v[..n].to_string());
                        v = &v[n..];
                    }
                }
                Tok::Offset {
                    z,
                    colon,
                    secs,
                    hours_only,
                } => {
                    if z && v.starts_with('Z') {
                        v = &v[1..];
                        offset = Some(0);
                        zone_name = Some("UTC".into());
                        continue;
                    }
                    let sign = match v.chars().next()? {
                        '+' => 1,
                        '-' => -1,
                        _ => return None,
                    };
                    v = &v[1..];
                    let (h, r) = take_digits(v, 2, 2)?;
                    v = r;
                    let mut m = 0;
                    let mut s = 0;
                    if !hours_only {
                        if colon {
                            v = v.strip_prefix(':')?;
                        }
                        let (n, r) = take_digits(v, 2, 2)?;
                        m = n;
                        v = r;
                    }
                    if secs {
                        if colon {
                            v = v.strip_prefix(':')?;
                        }
                        let (n, r) = take_digits(v, 2, 2)?;
                        s = n;
                        v = r;
                    }
                    offset = Some(sign * (h * 3600 + m * 60 + s) as i32);
                }
                Tok::Frac { sep, digits, nines } => {
                    if nines {
                        if v.starts_with(sep) {
                            let d: String =
                                v[1..].chars().take_while(char::is_ascii_digit).collect();
                            nanos = frac_nanos(&d);
                            v = &v[1 + d.len()..];
                        }
                    } else {
                        v = v.strip_prefix(sep)?;
                        let d = v.get(..digits)?;
                        if !d.bytes().all(|b| b.is_ascii_digit()) {
                            return None;
                        }
                        nanos = frac_nanos(d);
                        v = &v[digits..];
                    }
                }
            }
        }
        if !v.is_empty() {
            diag.extra = true;
            diag.value = v.to_string();
            return None;
        }
        if let Some(pm) = pm {
            if hour > 12 {
                return None;
            }
            if pm && hour < 12 {
                hour += 12;
            } else if !pm && hour == 12 {
                hour = 0;
            }
        }
        diag.range = true;
        for (what, bad) in [
            ("month", !(1..=12).contains(&month)),
            ("hour", hour > 23),
            ("minute", minute > 59),
            ("second", second > 59),
        ] {
            if bad {
                diag.elem = what.to_string();
                return None;
            }
        }
        diag.elem = "day".to_string();
        let date =
            jiff::civil::Date::new(i16::try_from(year).ok()?, month as i8, day as i8).ok()?;
        diag.range = false;
        let dt = date.at(hour as i8, minute as i8, second as i8, nanos as i32);
        match (offset, &zone_name) {
            (Some(0), Some(n)) if n == "UTC" => {
                let ts = Offset::UTC.to_timestamp(dt).ok()?;
                Some(GoTime {
                    ts,
                    zone: Zone::Tz(TimeZone::UTC),
                })
            }
            (Some(off), _) => {
                let ts = Offset::from_seconds(off).ok()?.to_timestamp(dt).ok()?;
                let t = GoTime {
                    ts,
                    zone: loc.clone(),
                };
                if t.parts().offset == off {
                    Some(t)
                } else {
                    Some(GoTime {
                        ts,
                        zone: Zone::Fixed(off, String::new()),
                    })
                }
            }
            (None, Some(name)) => {
                // A zone abbreviation: use the location's offset if it matches, else UTC offset.
                let tz = match loc {
                    Zone::Tz(tz) => tz.clone(),
                    Zone::Fixed(o, _) => TimeZone::fixed(Offset::from_seconds(*o).ok()?),
                };
                let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
                let t = GoTime {
                    ts,
                    zone: loc.clone(),
                };
                if &t.parts().abbr == name {
                    Some(t)
                } else {
                    let ts = Offset::UTC.to_timestamp(dt).ok()?;
                    Some(GoTime {
                        ts,
                        zone: Zone::Fixed(0, name.clone()),
                    })
                }
            }
            (None, None) => {
                let tz = match loc {
                    Zone::Tz(tz) => tz.clone(),
                    Zone::Fixed(o, _) => TimeZone::fixed(Offset::from_seconds(*o).ok()?),
                };
                let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
                Some(GoTime {
                    ts,
                    zone: loc.clone(),
                })
            }
        }
    }
}

/// Where parsing stopped, for Go's error text.
#[derive(Default)]
struct Diag {
    value: String,
    elem: String,
    extra: bool,
    range: bool,
}

/// Parses a numeric zone offset (`+0200`, `-07`) into seconds east of UTC.
fn parse_offset(s: &str) -> i32 {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let d = s.trim_start_matches(['+', '-']);
    let h: i32 = d.get(..2).and_then(|x| x.parse().ok()).unwrap_or(0);
    let m: i32 = d.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
    sign * (h * 3600 + m * 60)
}

fn frac_nanos(d: &str) -> i64 {
    let mut s: String = d.chars().take(9).collect();
    while s.len() < 9 {
        s.push('0');
    }
    s.parse().unwrap_or(0)
}

fn take_digits(v: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((v[..n].parse().ok()?, &v[n..]))
}

fn h12(h: i64) -> i64 {
    match h % 12 {
        0 => 12,
        x => x,
    }
}

/// What Go prints for `MST` in a zone without a name: the offset as `-0700`.
fn go_offset_name(off: i32) -> String {
    let a = off.unsigned_abs();
    let sign = if off < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", a / 3600, (a / 60) % 60)
}

#[derive(Clone, Copy, Debug)]
enum Tok {
    Year,
    Year2,
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekday,
    Weekday,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    PM,
    Pm,
    TZ,
    Offset {
        z: bool,
        colon: bool,
        secs: bool,
        hours_only: bool,
    },
    Frac {
        sep: char,
        digits: usize,
        nines: bool,
    },
}

/// Go's `nextStdChunk`: literal prefix, the next layout element, and the rest.
fn next_chunk(layout: &str) -> (&str, Option<Tok>, &str) {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout[i..].starts_with(s);
    for i in 0..b.len() {
        let found: Option<(Tok, usize)> = match b[i] {
            b'J' if at(i, "January") => Some((Tok::LongMonth, 7)),
            b'J' if at(i, "Jan") => Some((Tok::Month, 3)),
            b'M' if at(i, "Monday") => Some((Tok::LongWeekday, 6)),
            b'M' if at(i, "Mon") => Some((Tok::Weekday, 3)),
            b'M' if at(i, "MST") => Some((Tok::TZ, 3)),
            b'0' if at(i, "002") => Some((Tok::ZeroYearDay, 3)),
            b'0' if i + 1 < b.len() && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                match b[i + 1] {
                    b'1' => Tok::ZeroMonth,
                    b'2' => Tok::ZeroDay,
                    b'3' => Tok::ZeroHour12,
                    b'4' => Tok::ZeroMinute,
                    b'5' => Tok::ZeroSecond,
                    _ => Tok::Year2,
                },
                2,
            )),
            b'1' if at(i, "15") => Some((Tok::Hour, 2)),
            b'1' => Some((Tok::NumMonth, 1)),
            b'2' if at(i, "2006") => Some((Tok::Year, 4)),
            b'2' => Some((Tok::Day, 1)),
            b'_' if at(i, "_2006") => {
                return (&layout[..i + 1], Some(Tok::Year), &layout[i + 5..]);
            }
            b'_' if at(i, "__2") => Some((Tok::UnderYearDay, 3)),
            b'_' if at(i, "_2") => Some((Tok::UnderDay, 2)),
            b'3' => Some((Tok::Hour12, 1)),
            b'4' => Some((Tok::Minute, 1)),
            b'5' => Some((Tok::Second, 1)),
            b'P' if at(i, "PM") => Some((Tok::PM, 2)),
            b'p' if at(i, "pm") => Some((Tok::Pm, 2)),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let s = &layout[i + 1..];
                if s.starts_with("070000") {
                    Some((
                        Tok::Offset {
                            z,
                            colon: false,
                            secs: true,
                            hours_only: false,
                        },
                        7,
                    ))
                } else if s.starts_with("07:00:00") {
                    Some((
                        Tok::Offset {
                            z,
                            colon: true,
                            secs: true,
                            hours_only: false,
                        },
                        9,
                    ))
                } else if s.starts_with("0700") {
                    Some((
                        Tok::Offset {
                            z,
                            colon: false,
                            secs: false,
                            hours_only: false,
                        },
                        5,
                    ))
                } else if s.starts_with("07:00") {
                    Some((
                        Tok::Offset {
                            z,
                            colon: true,
                            secs: false,
                            hours_only: false,
                        },
                        6,
                    ))
                } else if s.starts_with("07") {
                    Some((
                        Tok::Offset {
                            z,
                            colon: false,
                            secs: false,
                            hours_only: true,
                        },
                        3,
                    ))
                } else {
                    None
                }
            }
            b'.' | b',' if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == ch {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    Some((
                        Tok::Frac {
                            sep: b[i] as char,
                            digits: j - i - 1,
                            nines: ch == b'9',
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        if let Some((tok, n)) = found {
            return (&layout[..i], Some(tok), &layout[i + n..]);
        }
    }
    (layout, None, "")
}

/// Go's `Duration.String()` for a duration in nanoseconds.
pub fn duration_string(d: i128) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_str(u, div));
        out.push_str(unit);
    } else {
        let secs_total = u / 1_000_000_000;
        let h = secs_total / 3600;
        let m = (secs_total / 60) % 60;
        let s_nanos = u % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac_str(s_nanos, 1_000_000_000));
        out.push('s');
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

fn frac_str(v: u128, div: u128) -> String {
    let int = v / div;
    let frac = v % div;
    if frac == 0 {
        return int.to_string();
    }
    let width = div.to_string().len() - 1;
    let mut f = format!("{frac:0width$}");
    while f.ends_with('0') {
        f.pop();
    }
    format!("{int}.{f}")
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let orig = s;
    let err = || format!("time: invalid duration \"{orig}\"");
    let (neg, mut s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    let mut exact: i128 = 0;
    while !s.is_empty() {
        let n = s
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .count();
        if n == 0 {
            return Err(err());
        }
        let num = &s[..n];
        s = &s[n..];
        let u = s
            .bytes()
            .take_while(|c| !c.is_ascii_digit() && *c != b'.')
            .count();
        let unit = &s[..u];
        s = &s[u..];
        let mult: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration \"{orig}\"")),
            _ => {
                return Err(format!(
                    "time: unknown unit \"{unit}\" in duration \"{orig}\""
                ));
            }
        };
        if num == "." {
            return Err(err());
        }
        if let Ok(i) = num.parse::<i128>() {
            exact += i * mult;
        } else {
            let f: f64 = num.parse().map_err(|_| err())?;
            total += f * mult as f64;
        }
    }
    let v = exact + total as i128;
    Ok(if neg { -v } else { v })
}

impl Object for GoTime {
    fn type_name(&self) -> String {
        "time.Time".into()
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn method(&self, name: &str) -> Option<Function> {
        let t = self.clone();
        let int =
            |v: i64| -> Function { Function::new(Vec::new(), None, move |_, _| Ok(Value::Int(v))) };
        let p = self.parts();
        Some(match name {
            "Unix" => {
                let s = t.unix_seconds();
                Function::new(Vec::new(), None, move |_, _| Ok(Value::Int64(s)))
                    .with_type_name("func() int64")
            }
            "UnixNano" => {
                let s = t.ts.as_nanosecond() as i64;
                Function::new(Vec::new(), None, move |_, _| Ok(Value::Int64(s)))
                    .with_type_name("func() int64")
            }
            "Year" => int(p.year),
            "Day" => int(p.day),
            "Hour" => int(p.hour),
            "Minute" => int(p.minute),
            "Second" => int(p.second),
            "Nanosecond" => int(p.nanos),
            "YearDay" => int(p.yday),
            "String" => {
                let s = t.go_string();
                Function::new(Vec::new(), None, move |_, _| Ok(Value::from(s.clone())))
            }
            "Format" => Function::new(vec![ArgType::String], None, move |_, a| {
                Ok(Value::from(t.format(a[0].as_str().unwrap_or(""))))
            }),
            "UTC" => Function::new(Vec::new(), None, move |_, _| {
                Ok(Value::Object(Arc::new(t.in_zone(Zone::Tz(TimeZone::UTC)))))
            }),
            "Local" => Function::new(Vec::new(), None, move |_, _| {
                Ok(Value::Object(Arc::new(t.in_zone(local_zone()))))
            }),
            "IsZero" => {
                let z = t.ts == GoTime::zero().ts;
                Function::new(Vec::new(), None, move |_, _| Ok(Value::Bool(z)))
            }
            _ => return None,
        })
    }

    fn format(&self, _plus: bool) -> String {
        self.go_string()
    }
}

/// Wraps a time as a template value.
pub fn value(t: GoTime) -> Value {
    Value::Object(Arc::new(t))
}

/// The [`GoTime`] inside a template value, if it holds one (read back from its Go `String()` form,
/// which carries the instant to the nanosecond and the zone offset and name).
pub fn from_value(v: &Value) -> Option<GoTime> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => GoTime::parse(
            "2006-01-02 15:04:05.999999999 -0700 MST",
            &o.format(false),
            &local_zone(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_round_trip() {
        let utc = Zone::Tz(TimeZone::UTC);
        let t = GoTime::parse(
            "2006-01-02T15:04:05Z07:00",
            "2024-03-04T05:06:07+02:00",
            &utc,
        )
        .expect("parses");
        assert_eq!(t.go_string(), "2024-03-04 05:06:07 +0200 +0200");
        assert_eq!(
            t.in_zone(utc.clone()).format("Mon Jan _2 3:04PM 2006 .000"),
            "Mon Mar  4 3:06AM 2024 .000"
        );
        let back = from_value(&value(t.clone())).expect("time value");
        assert_eq!(back.unix_seconds(), t.unix_seconds());
        assert_eq!(
            GoTime::parse_go("2006-01-02", "x", &utc).err().as_deref(),
            Some("parsing time \"x\" as \"2006-01-02\": cannot parse \"x\" as \"2006\"")
        );
    }

    #[test]
    fn durations_like_go() {
        assert_eq!(duration_string(3_661_000_000_000), "1h1m1s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(parse_duration("+1h30m"), Ok(5_400_000_000_000));
        assert!(parse_duration("bogus").is_err());
    }
}
