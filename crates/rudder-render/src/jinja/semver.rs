//! `semverCompare`: the subset of Masterminds/semver v3 constraints that charts use.
//!
//! Normative description: `charts-v3-spec/functions.md#semvercompare`. In short:
//! versions may have a `v` prefix and one to three numeric parts; constraints are
//! `||`-separated alternatives of comparators joined by `,` or spaces; operators are
//! `= != > < >= <= ~ ~> ^` (none means `=`); `x`, `X` and `*` are wildcards while a
//! missing part is 0 (`1.2` is `1.2.0`, as in Masterminds); `A - B` is an inclusive range. As in Masterminds v3, a prerelease version
//! only satisfies a comparator whose own version has a prerelease (`>=1.21-0`).

use std::cmp::Ordering;

/// A constraint or version that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid semver {what} {input:?}: {reason}")]
pub struct SemverError {
    /// `version` or `constraint`.
    pub what: &'static str,
    /// The input text.
    pub input: String,
    /// Why it was rejected.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(u64),
    Alpha(String),
}

/// A parsed version (missing minor/patch are 0; build metadata ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Ident>,
}

impl Version {
    fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = match (a, b) {
                            (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
                            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
                            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
                            (Ident::Alpha(x), Ident::Alpha(y)) => x.cmp(y),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A version with wildcard parts (`None`).
#[derive(Debug, Clone)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Vec<Ident>,
}

fn parse_partial(text: &str, what: &'static str) -> Result<Partial, SemverError> {
    let err = |reason: &str| SemverError {
        what,
        input: text.to_string(),
        reason: reason.to_string(),
    };
    let s = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let s = s.split('+').next().unwrap_or(s);
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (s, None),
    };
    let mut parts = Vec::new();
    for p in core.split('.') {
        if matches!(p, "x" | "X" | "*") {
            parts.push(None);
        } else if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
            parts.push(Some(p.parse::<u64>().map_err(|_| err("number too large"))?));
        } else {
            return Err(err("expected numeric parts like 1.2.3"));
        }
    }
    if parts.is_empty() || parts.len() > 3 {
        return Err(err("expected one to three parts"));
    }
    let pre = match pre {
        None => Vec::new(),
        Some("") => return Err(err("empty prerelease")),
        Some(p) => p
            .split('.')
            .map(|i| {
                if i.is_empty() {
                    Err(err("empty prerelease identifier"))
                } else if i.bytes().all(|b| b.is_ascii_digit()) {
                    i.parse()
                        .map(Ident::Num)
                        .map_err(|_| err("number too large"))
                } else if i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    Ok(Ident::Alpha(i.to_string()))
                } else {
                    Err(err("invalid prerelease identifier"))
                }
            })
            .collect::<Result<_, _>>()?,
    };
    // Missing parts are 0 (Masterminds: `1.2` is `1.2.0`, not a wildcard); a wildcard
    // makes every later part a wildcard too.
    let get = |i: usize| parts.get(i).copied().unwrap_or(Some(0));
    let major = get(0);
    let minor = major.and(get(1));
    let patch = minor.and(get(2));
    Ok(Partial {
        major,
        minor,
        patch,
        pre,
    })
}

/// Parses a version the way `semverCompare` does (lenient: `v1`, `1.2` are accepted).
pub fn parse_version(text: &str) -> Result<Version, SemverError> {
    let p = parse_partial(text.trim(), "version")?;
    if p.major.is_none() {
        return Err(SemverError {
            what: "version",
            input: text.to_string(),
            reason: "wildcards are not allowed in versions".to_string(),
        });
    }
    Ok(Version {
        major: p.major.unwrap_or(0),
        minor: p.minor.unwrap_or(0),
        patch: p.patch.unwrap_or(0),
        pre: p.pre,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    v: Partial,
}

impl Comparator {
    fn floor(&self) -> Version {
        Version {
            major: self.v.major.unwrap_or(0),
            minor: self.v.minor.unwrap_or(0),
            patch: self.v.patch.unwrap_or(0),
            pre: self.v.pre.clone(),
        }
    }

    /// The first version above the wildcard range (`None`: unbounded).
    fn wildcard_ceiling(&self) -> Option<Version> {
        let p = &self.v;
        match (p.major, p.minor, p.patch) {
            (None, _, _) => None,
            (Some(m), None, _) => Some(Version::new(m + 1, 0, 0)),
            (Some(m), Some(n), None) => Some(Version::new(m, n + 1, 0)),
            (Some(m), Some(n), Some(x)) => Some(Version::new(m, n, x + 1)),
        }
    }

    fn exact(&self) -> bool {
        self.v.patch.is_some()
    }

    fn matches(&self, v: &Version) -> bool {
        if !v.pre.is_empty() && self.v.pre.is_empty() {
            return false;
        }
        let floor = self.floor();
        let in_wildcard =
            |v: &Version| v >= &floor && self.wildcard_ceiling().is_none_or(|c| v < &c);
        match self.op {
            Op::Eq if self.exact() => *v == floor,
            Op::Eq => in_wildcard(v),
            Op::Ne if self.exact() => *v != floor,
            Op::Ne => !in_wildcard(v),
            Op::Gt if self.exact() => *v > floor,
            Op::Gt => self.wildcard_ceiling().is_some_and(|c| *v >= c),
            Op::Ge => *v >= floor,
            Op::Lt => self.v.major.is_some() && *v < floor,
            Op::Le if self.exact() => *v <= floor,
            Op::Le => self.wildcard_ceiling().is_none_or(|c| *v < c),
            Op::Tilde => {
                let ceiling = match (self.v.major, self.v.minor) {
                    (None, _) => return true,
                    (Some(m), None) => Version::new(m + 1, 0, 0),
                    (Some(m), Some(n)) => Version::new(m, n + 1, 0),
                };
                *v >= floor && *v < ceiling
            }
            Op::Caret => {
                let ceiling = match (self.v.major, self.v.minor, self.v.patch) {
                    (None, _, _) => return true,
                    (Some(m), _, _) if m > 0 => Version::new(m + 1, 0, 0),
                    (Some(_), None, _) => Version::new(1, 0, 0),
                    (Some(_), Some(n), _) if n > 0 => Version::new(0, n + 1, 0),
                    (Some(_), Some(_), None) => Version::new(0, 1, 0),
                    (Some(_), Some(_), Some(x)) => Version::new(0, 0, x + 1),
                };
                *v >= floor && *v < ceiling
            }
        }
    }
}

/// A parsed constraint: alternatives (`||`) of comparator sets (AND).
#[derive(Debug, Clone)]
pub struct Constraint {
    alternatives: Vec<Vec<Comparator>>,
}

fn split_op(token: &str) -> (Op, &str) {
    for (prefix, op) in [
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("!=", Op::Ne),
        ("~>", Op::Tilde),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ] {
        if let Some(rest) = token.strip_prefix(prefix) {
            return (op, rest);
        }
    }
    (Op::Eq, token)
}

/// Parses a constraint such as `>=1.21.0-0 <2`, `^1.2 || ~2.0`, `1.0 - 2.0`.
pub fn parse_constraint(text: &str) -> Result<Constraint, SemverError> {
    parse_constraint_inner(text).map_err(|mut e| {
        e.what = "constraint";
        e.input = text.to_string();
        e
    })
}

fn parse_constraint_inner(text: &str) -> Result<Constraint, SemverError> {
    let err = |reason: &str| SemverError {
        what: "constraint",
        input: text.to_string(),
        reason: reason.to_string(),
    };
    let mut alternatives = Vec::new();
    for alt in text.split("||") {
        let raw: Vec<&str> = alt
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        // Glue operators written apart from their version (`>= 1.2`).
        let mut tokens: Vec<String> = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            let t = raw[i];
            if t != "-" && t.chars().all(|c| "<>=!~^".contains(c)) {
                let next = raw
                    .get(i + 1)
                    .ok_or_else(|| err("operator without a version"))?;
                tokens.push(format!("{t}{next}"));
                i += 2;
            } else {
                tokens.push(t.to_string());
                i += 1;
            }
        }
        let mut set = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if tokens.get(i + 1).map(String::as_str) == Some("-") {
                let hi = tokens
                    .get(i + 2)
                    .ok_or_else(|| err("range without an upper bound"))?;
                set.push(Comparator {
                    op: Op::Ge,
                    v: parse_partial(&tokens[i], "constraint")?,
                });
                set.push(Comparator {
                    op: Op::Le,
                    v: parse_partial(hi, "constraint")?,
                });
                i += 3;
                continue;
            }
            if tokens[i] == "-" {
                return Err(err("range without a lower bound"));
            }
            let (op, version) = split_op(&tokens[i]);
            if version.is_empty() {
                return Err(err("operator without a version"));
            }
            set.push(Comparator {
                op,
                v: parse_partial(version, "constraint")?,
            });
            i += 1;
        }
        if set.is_empty() {
            return Err(err("empty alternative"));
        }
        alternatives.push(set);
    }
    Ok(Constraint { alternatives })
}

impl Constraint {
    /// Whether `version` satisfies the constraint.
    pub fn matches(&self, version: &Version) -> bool {
        self.alternatives
            .iter()
            .any(|set| set.iter().all(|c| c.matches(version)))
    }
}

/// `semverCompare(constraint, version)`.
pub fn semver_compare(constraint: &str, version: &str) -> Result<bool, SemverError> {
    Ok(parse_constraint(constraint)?.matches(&parse_version(version)?))
}

#[cfg(test)]
mod tests {
    use super::semver_compare as sc;

    #[test]
    fn operators_and_wildcards() {
        let cases = [
            (">=1.2.3", "1.2.3", true),
            (">=1.2.3", "v1.2.2", false),
            (">1.2", "1.2.9", true),
            (">1.2.x", "1.2.9", false),
            (">1.2.x", "1.3.0", true),
            ("<=1.2", "1.2.9", false),
            ("<=1.2.x", "1.2.9", true),
            ("<1.2", "1.1.9", true),
            ("<1.2", "1.2.0", false),
            ("1.2.x", "1.2.7", true),
            ("1.2", "1.3.0", false),
            ("!=1.2.3", "1.2.4", true),
            ("*", "3.0.0", true),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.0.9", true),
            ("~1", "1.1.0", false),
            ("~1.x", "1.9.0", true),
            ("^1.2", "1.9.9", true),
            ("^1.2", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            (">=1.2.3 <2", "1.9.0", true),
            (">=1.2.3, <2", "2.0.0", false),
            ("^1.2 || ^2.0", "2.5.0", true),
            ("1.0 - 2.0", "2.0.0", true),
            ("1.0 - 2.0", "2.0.1", false),
            (">= 1.19", "v1.20.0", true),
        ];
        for (c, v, want) in cases {
            assert_eq!(sc(c, v).unwrap(), want, "{c} vs {v}");
        }
    }

    #[test]
    fn prereleases_need_a_prerelease_comparator() {
        assert!(!sc(">=1.21", "1.22.0-eks.1").unwrap());
        assert!(sc(">=1.21-0", "1.22.0-eks.1").unwrap());
        assert!(sc(">=1.0.0-alpha", "1.0.0-beta").unwrap());
        assert!(!sc(">=1.0.0-beta", "1.0.0-alpha").unwrap());
    }

    #[test]
    fn errors() {
        assert!(sc(">=", "1.0.0").is_err());
        assert!(sc("abc", "1.0.0").is_err());
        assert!(sc(">=1.0", "one").is_err());
        assert!(sc("1.0 -", "1.0.0").is_err());
    }
}
