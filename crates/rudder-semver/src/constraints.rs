//! Constraints: parsing (`NewConstraint`), `Check` and `Validate`.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::version::{Version, compare_prerelease};

/// A constraint string that Masterminds/semver rejects (Masterminds' wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// An `||` group does not have the shape `OP VERSION ([ ,] OP VERSION)*`; holds that group
    /// after hyphen ranges were rewritten (as Masterminds reports it).
    #[error("improper constraint: {0}")]
    Improper(String),
    /// A constraint has the right shape but its version does not parse (e.g. `1.2x`, `1.2.3-01`,
    /// a segment over `u64`).
    #[error("constraint parser error")]
    Parser,
}

// Masterminds' regular expressions, with Go's `\s` spelled out (RE2's `\s` is ASCII
// `[\t\n\f\r ]`; the regex crate's would be Unicode). Go's regexp and the regex crate both use
// leftmost-first alternation, so the ops list (which starts `=|` then an empty alternative)
// matches the same way.
const WS: &str = r"[\t\n\f\r ]";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

struct Patterns {
    /// One `OP VERSION`, anchored.
    constraint: Regex,
    /// `VERSION - VERSION`, unanchored.
    range: Regex,
    /// `OP VERSION`, unanchored, to split a valid group.
    find: Regex,
    /// A whole `||` group, anchored.
    valid: Regex,
}

// Compiled once; immutable after initialisation.
static PATTERNS: LazyLock<Patterns> = LazyLock::new(|| {
    let compile = |pattern: String| match Regex::new(&pattern) {
        Ok(re) => re,
        // The patterns are constants; a failure here is a bug in this file.
        Err(e) => panic!("invalid built-in pattern {pattern}: {e}"),
    };
    Patterns {
        constraint: compile(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")),
        range: compile(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")),
        find: compile(format!(r"({OPS}){WS}*({CV})")),
        valid: compile(format!(
            r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
        )),
    }
});

/// A comparison operator, with the spelling it was written in (kept for display and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// No operator: equality, or a tilde range when the version is partial or has wildcards.
    Bare,
    /// `=`: as [`Op::Bare`].
    Equal,
    NotEqual,
    Greater,
    Less,
    /// `>=` or `=>`.
    GreaterEqual(&'static str),
    /// `<=` or `=<`.
    LessEqual(&'static str),
    /// `~` or `~>`.
    Tilde(&'static str),
    Caret,
}

impl Op {
    fn from_text(text: &str) -> Option<Op> {
        Some(match text {
            "" => Op::Bare,
            "=" => Op::Equal,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" => Op::GreaterEqual(">="),
            "=>" => Op::GreaterEqual("=>"),
            "<=" => Op::LessEqual("<="),
            "=<" => Op::LessEqual("=<"),
            "~" => Op::Tilde("~"),
            "~>" => Op::Tilde("~>"),
            "^" => Op::Caret,
            _ => return None,
        })
    }

    fn text(self) -> &'static str {
        match self {
            Op::Bare => "",
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Greater => ">",
            Op::Less => "<",
            Op::GreaterEqual(s) | Op::LessEqual(s) | Op::Tilde(s) => s,
            Op::Caret => "^",
        }
    }
}

/// Why a version failed one constraint; [`Display`](fmt::Display) gives Masterminds' message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsatisfiedReason {
    /// The version is a prerelease and the group holds no prerelease constraint.
    Prerelease,
    /// `!=`: the version equals the constraint.
    Equal,
    /// `>`: the version is not greater.
    LessThanOrEqual,
    /// `<`: the version is not less.
    GreaterThanOrEqual,
    /// `>=`, `~`, `^`: the version is lower.
    LessThan,
    /// `<=`: the version is greater.
    GreaterThan,
    /// `=`: the version differs.
    NotEqual,
    /// `~`, `^`: the major versions differ.
    DifferentMajor,
    /// `~`: the major or minor versions differ.
    DifferentMajorMinor,
    /// `^0.y`: the minor versions differ.
    DifferentMinorZeroMajor,
    /// `^0.0.z`: the version has a non-zero minor.
    DifferentMinor,
    /// `^0.0.z`: the patch versions differ.
    DifferentPatchZeroMajorMinor,
}

/// One reason a version does not satisfy a constraint, as [`Constraints::validate`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Unsatisfied {
    /// The version, in its display form.
    pub version: String,
    /// The constraint's version text as written (without the operator).
    pub constraint: String,
    /// What failed.
    pub reason: UnsatisfiedReason,
}

impl Unsatisfied {
    fn message(&self) -> String {
        let (v, c) = (&self.version, &self.constraint);
        match self.reason {
            UnsatisfiedReason::Prerelease => format!(
                "{v} is a prerelease version and the constraint is only looking for release versions"
            ),
            UnsatisfiedReason::Equal => format!("{v} is equal to {c}"),
            UnsatisfiedReason::LessThanOrEqual => format!("{v} is less than or equal to {c}"),
            UnsatisfiedReason::GreaterThanOrEqual => format!("{v} is greater than or equal to {c}"),
            UnsatisfiedReason::LessThan => format!("{v} is less than {c}"),
            UnsatisfiedReason::GreaterThan => format!("{v} is greater than {c}"),
            UnsatisfiedReason::NotEqual => format!("{v} is not equal to {c}"),
            UnsatisfiedReason::DifferentMajor => {
                format!("{v} does not have same major version as {c}")
            }
            UnsatisfiedReason::DifferentMajorMinor => {
                format!("{v} does not have same major and minor version as {c}")
            }
            UnsatisfiedReason::DifferentMinorZeroMajor => format!(
                "{v} does not have same minor version as {c}. Expected minor versions to match when constraint major version is 0"
            ),
            UnsatisfiedReason::DifferentMinor => {
                format!("{v} does not have same minor version as {c}")
            }
            UnsatisfiedReason::DifferentPatchZeroMajorMinor => format!(
                "{v} does not equal {c}. Expect version and constraint to equal when major and minor versions are 0"
            ),
        }
    }
}

/// One `OP VERSION` term.
#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    /// The version as written, e.g. `1.2.x` or `v1.2.3+meta`.
    orig: String,
    /// The version with wildcards and missing segments as 0 (metadata dropped when partial).
    con: Version,
    /// The major was a wildcard or missing (set together with `dirty`).
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

type Check = Result<(), UnsatisfiedReason>;

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraint {
    fn parse(text: &str) -> Result<Constraint, ConstraintError> {
        let caps = PATTERNS
            .constraint
            .captures(text)
            .ok_or_else(|| ConstraintError::Improper(text.to_owned()))?;
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let op = Op::from_text(group(1)).ok_or(ConstraintError::Parser)?;
        let (major, minor, patch, pre) = (group(3), group(4), group(5), group(6));
        let strip_dot = |s: &'_ str| s.strip_prefix('.').unwrap_or(s).to_owned();
        let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
        let normalized = if is_x(major) || major.is_empty() {
            dirty = true;
            format!("0.0.0{pre}")
        } else if is_x(&strip_dot(minor)) || minor.is_empty() {
            dirty = true;
            minor_dirty = true;
            format!("{major}.0.0{pre}")
        } else if is_x(&strip_dot(patch)) || patch.is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{major}{minor}.0{pre}")
        } else {
            group(2).to_owned()
        };
        let con = Version::parse(&normalized).map_err(|_| ConstraintError::Parser)?;
        Ok(Constraint {
            op,
            orig: group(2).to_owned(),
            con,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }

    fn check(&self, v: &Version, include_pre: bool) -> Check {
        if !v.prerelease().is_empty() && !include_pre {
            return Err(UnsatisfiedReason::Prerelease);
        }
        match self.op {
            Op::Bare | Op::Equal => {
                if self.dirty {
                    self.tilde(v)
                } else if *v == self.con {
                    Ok(())
                } else {
                    Err(UnsatisfiedReason::NotEqual)
                }
            }
            Op::NotEqual => self.not_equal(v),
            Op::Greater => self.greater(v),
            Op::Less => {
                if *v < self.con {
                    Ok(())
                } else {
                    Err(UnsatisfiedReason::GreaterThanOrEqual)
                }
            }
            Op::GreaterEqual(_) => {
                if *v >= self.con {
                    Ok(())
                } else {
                    Err(UnsatisfiedReason::LessThan)
                }
            }
            Op::LessEqual(_) => self.less_equal(v),
            Op::Tilde(_) => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> Check {
        let c = &self.con;
        if self.dirty {
            if c.major() != v.major() {
                return Ok(());
            }
            if c.minor() != v.minor() && !self.minor_dirty {
                return Ok(());
            } else if self.minor_dirty {
                return Err(UnsatisfiedReason::Equal);
            } else if c.patch() != v.patch() && !self.patch_dirty {
                return Ok(());
            } else if self.patch_dirty {
                if (!v.prerelease().is_empty() || !c.prerelease().is_empty())
                    && compare_prerelease(v.prerelease(), c.prerelease()).is_ne()
                {
                    return Ok(());
                }
                return Err(UnsatisfiedReason::Equal);
            }
        }
        if v == c {
            Err(UnsatisfiedReason::Equal)
        } else {
            Ok(())
        }
    }

    fn greater(&self, v: &Version) -> Check {
        let c = &self.con;
        let fail = Err(UnsatisfiedReason::LessThanOrEqual);
        if self.dirty {
            if v.major() > c.major() {
                return Ok(());
            } else if v.major() < c.major() || self.minor_dirty {
                return fail;
            } else if self.patch_dirty {
                return if v.minor() > c.minor() { Ok(()) } else { fail };
            }
        }
        if v > c { Ok(()) } else { fail }
    }

    fn less_equal(&self, v: &Version) -> Check {
        let c = &self.con;
        if !self.dirty {
            return if v <= c {
                Ok(())
            } else {
                Err(UnsatisfiedReason::GreaterThan)
            };
        }
        if v.major() > c.major()
            || (v.major() == c.major() && v.minor() > c.minor() && !self.minor_dirty)
        {
            return Err(UnsatisfiedReason::GreaterThan);
        }
        Ok(())
    }

    fn tilde(&self, v: &Version) -> Check {
        let c = &self.con;
        if v < c {
            return Err(UnsatisfiedReason::LessThan);
        }
        if c.major() == 0
            && c.minor() == 0
            && c.patch() == 0
            && !self.minor_dirty
            && !self.patch_dirty
        {
            return Ok(());
        }
        if v.major() != c.major() {
            return Err(UnsatisfiedReason::DifferentMajor);
        }
        if v.minor() != c.minor() && !self.minor_dirty {
            return Err(UnsatisfiedReason::DifferentMajorMinor);
        }
        Ok(())
    }

    fn caret(&self, v: &Version) -> Check {
        let c = &self.con;
        if v < c {
            return Err(UnsatisfiedReason::LessThan);
        }
        if c.major() > 0 || self.minor_dirty {
            return if v.major() == c.major() {
                Ok(())
            } else {
                Err(UnsatisfiedReason::DifferentMajor)
            };
        }
        if v.major() > 0 {
            return Err(UnsatisfiedReason::DifferentMajor);
        }
        if c.minor() > 0 || self.patch_dirty {
            return if v.minor() == c.minor() {
                Ok(())
            } else {
                Err(UnsatisfiedReason::DifferentMinorZeroMajor)
            };
        }
        if v.minor() > 0 {
            return Err(UnsatisfiedReason::DifferentMinor);
        }
        if c.patch() == v.patch() {
            Ok(())
        } else {
            Err(UnsatisfiedReason::DifferentPatchZeroMajorMinor)
        }
    }

    fn unsatisfied(&self, v: &Version, reason: UnsatisfiedReason) -> Unsatisfied {
        Unsatisfied {
            version: v.to_string(),
            constraint: self.orig.clone(),
            reason,
        }
    }
}

/// A parsed constraint: `||`-separated groups of terms that must all hold (Masterminds'
/// `Constraints`).
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
    /// Per group: some term names a prerelease, so prerelease versions may match it.
    contains_pre: Vec<bool>,
    include_prerelease: bool,
}

/// Masterminds' `rewriteRange`: `A - B` becomes `>= A, <= B `. Each match found in the input
/// replaces the first occurrence of its text in the string rewritten so far.
fn rewrite_range(input: &str) -> String {
    let mut out = input.to_owned();
    for caps in PATTERNS.range.captures_iter(input) {
        let (Some(whole), Some(low), Some(high)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let replacement = format!(">= {}, <= {} ", low.as_str(), high.as_str());
        out = out.replacen(whole.as_str(), &replacement, 1);
    }
    out
}

impl Constraints {
    /// Parse a constraint as Masterminds' `NewConstraint`: `||` separates alternatives; within
    /// one, terms are separated by spaces or commas; a term is an optional operator (`=`, `!=`,
    /// `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~`, `~>`, `^`) and a version that may have a `v`
    /// prefix, fewer than three segments or `x`/`X`/`*` wildcards; `A - B` is a hyphen range.
    pub fn parse(input: &str) -> Result<Constraints, ConstraintError> {
        let rewritten = rewrite_range(input);
        let mut groups = Vec::new();
        let mut contains_pre = Vec::new();
        for group in rewritten.split("||") {
            if !PATTERNS.valid.is_match(group) {
                return Err(ConstraintError::Improper(group.to_owned()));
            }
            let mut terms = Vec::new();
            let mut has_pre = false;
            for m in PATTERNS.find.find_iter(group) {
                let term = Constraint::parse(m.as_str())?;
                has_pre |= !term.con.prerelease().is_empty();
                terms.push(term);
            }
            groups.push(terms);
            contains_pre.push(has_pre);
        }
        Ok(Constraints {
            groups,
            contains_pre,
            include_prerelease: false,
        })
    }

    /// Masterminds' `IncludePrerelease` (Helm never sets it): when true, prerelease versions are
    /// considered by every group, not only by groups that name a prerelease.
    pub fn set_include_prerelease(&mut self, include: bool) {
        self.include_prerelease = include;
    }

    /// Whether prerelease versions are considered by every group (see
    /// [`set_include_prerelease`](Self::set_include_prerelease)).
    pub fn include_prerelease(&self) -> bool {
        self.include_prerelease
    }

    /// Masterminds' `Check`: true when every term of some group holds. A prerelease version only
    /// matches a group in which some term has a prerelease (any major.minor.patch), unless
    /// [`include_prerelease`](Self::include_prerelease) is set.
    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .zip(&self.contains_pre)
            .any(|(group, &pre)| {
                let include_pre = self.include_prerelease || pre;
                group.iter().all(|c| c.check(v, include_pre).is_ok())
            })
    }

    /// Masterminds' `Validate`: `Ok(())` when [`check`](Self::check) would be true, otherwise every
    /// failed term of every group in order (the prerelease reason only once overall).
    pub fn validate(&self, v: &Version) -> Result<(), Vec<Unsatisfied>> {
        let mut reasons = Vec::new();
        let mut prerelease_reported = false;
        for (group, &pre) in self.groups.iter().zip(&self.contains_pre) {
            let include_pre = self.include_prerelease || pre;
            let mut satisfied = true;
            for c in group {
                if !include_pre && !v.prerelease().is_empty() {
                    if !prerelease_reported {
                        reasons.push(c.unsatisfied(v, UnsatisfiedReason::Prerelease));
                        prerelease_reported = true;
                    }
                    satisfied = false;
                } else if let Err(reason) = c.check(v, include_pre) {
                    reasons.push(c.unsatisfied(v, reason));
                    satisfied = false;
                }
            }
            if satisfied {
                return Ok(());
            }
        }
        Err(reasons)
    }
}

impl fmt::Display for Constraints {
    /// Masterminds' `String()`: terms joined by a space, groups by ` || ` (hyphen ranges appear
    /// rewritten as `>=A <=B`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.groups.iter().enumerate() {
            if i > 0 {
                f.write_str(" || ")?;
            }
            for (j, c) in group.iter().enumerate() {
                if j > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{}{}", c.op.text(), c.orig)?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Constraints {
    type Err = ConstraintError;

    /// Same as [`Constraints::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Constraints::parse(s)
    }
}
