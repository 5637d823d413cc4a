//! Versions: lenient (`NewVersion`) and strict (`StrictNewVersion`) parsing, ordering, display.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Why `strconv.ParseUint` rejected a numeric segment (Go's wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentReason {
    /// The digits do not fit in a `u64`.
    OutOfRange,
    /// The segment is empty.
    InvalidSyntax,
}

impl fmt::Display for SegmentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SegmentReason::OutOfRange => "value out of range",
            SegmentReason::InvalidSyntax => "invalid syntax",
        })
    }
}

/// A version string that Masterminds/semver rejects. The messages are Masterminds' own, because
/// Helm shows them verbatim (for example in `semver`/`semverCompare` template errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The input is empty (strict parsing only; lenient parsing reports [`VersionError::InvalidSemVer`]).
    #[error("version string empty")]
    Empty,
    /// The input does not have the shape of a version.
    #[error("invalid semantic version")]
    InvalidSemVer,
    /// A major, minor or patch segment holds something other than ASCII digits (strict parsing).
    #[error("invalid characters in version")]
    InvalidCharacters,
    /// A numeric segment (or numeric prerelease identifier) has a leading zero.
    #[error("version segment starts with 0")]
    SegmentStartsZero,
    /// The build metadata has an empty identifier or a character outside `[0-9A-Za-z-]`.
    #[error("invalid metadata string")]
    InvalidMetadata,
    /// The prerelease has an empty identifier or a character outside `[0-9A-Za-z-]`.
    #[error("invalid prerelease string")]
    InvalidPrerelease,
    /// Strict parsing: a major, minor or patch segment is not a `u64`.
    #[error("strconv.ParseUint: parsing {segment:?}: {reason}")]
    Segment {
        /// The segment text (ASCII digits or empty).
        segment: String,
        /// Why it was rejected.
        reason: SegmentReason,
    },
    /// Lenient parsing: a major, minor or patch segment does not fit in a `u64`.
    #[error("error parsing version segment: strconv.ParseUint: parsing {segment:?}: {reason}")]
    ParseSegment {
        /// The segment text (ASCII digits).
        segment: String,
        /// Why it was rejected.
        reason: SegmentReason,
    },
}

/// A semantic version as Masterminds/semver v3 models it.
///
/// Equality, ordering and hashing follow Masterminds' `Compare`: build metadata and the original
/// spelling are ignored, so `v1.2` == `1.2.0` == `1.2.0+build`.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`
fn is_dotted_idents(s: &str) -> bool {
    s.split('.')
        .all(|p| !p.is_empty() && p.bytes().all(is_ident_char))
}

fn validate_prerelease(p: &str) -> Result<(), VersionError> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err(VersionError::InvalidPrerelease);
        } else if part.bytes().all(|b| b.is_ascii_digit()) {
            if part.len() > 1 && part.starts_with('0') {
                return Err(VersionError::SegmentStartsZero);
            }
        } else if !part.bytes().all(is_ident_char) {
            return Err(VersionError::InvalidPrerelease);
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), VersionError> {
    if is_dotted_idents(m) {
        Ok(())
    } else {
        Err(VersionError::InvalidMetadata)
    }
}

/// Go's `strconv.ParseUint(s, 10, 64)` for a string already known to hold only ASCII digits.
fn parse_u64(s: &str) -> Result<u64, SegmentReason> {
    if s.is_empty() {
        return Err(SegmentReason::InvalidSyntax);
    }
    s.parse::<u64>().map_err(|_| SegmentReason::OutOfRange)
}

fn digits_prefix(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

impl Version {
    /// A release version `major.minor.patch`; its [`original`](Self::original) is its display form.
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: String::new(),
            metadata: String::new(),
            original: format!("{major}.{minor}.{patch}"),
        }
    }

    /// Lenient parsing, as Masterminds' `NewVersion` (with its default `CoerceNewVersion = true`,
    /// which Helm keeps): an optional `v` prefix, 1 to 3 numeric segments (missing ones are 0,
    /// leading zeros allowed), then an optional `-prerelease` and `+metadata`.
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        let rest = input.strip_prefix('v').unwrap_or(input);
        let mut segments: [&str; 3] = ["", "", ""];
        let n = digits_prefix(rest);
        if n == 0 {
            return Err(VersionError::InvalidSemVer);
        }
        segments[0] = &rest[..n];
        let mut rest = &rest[n..];
        for segment in &mut segments[1..] {
            let Some(after_dot) = rest.strip_prefix('.') else {
                break;
            };
            let n = digits_prefix(after_dot);
            if n == 0 {
                return Err(VersionError::InvalidSemVer);
            }
            *segment = &after_dot[..n];
            rest = &after_dot[n..];
        }
        let mut pre = "";
        let mut metadata = "";
        if let Some(after) = rest.strip_prefix('-') {
            let end = after.find('+').unwrap_or(after.len());
            pre = &after[..end];
            if !is_dotted_idents(pre) {
                return Err(VersionError::InvalidSemVer);
            }
            rest = &after[end..];
        }
        if let Some(after) = rest.strip_prefix('+') {
            metadata = after;
            if !is_dotted_idents(metadata) {
                return Err(VersionError::InvalidSemVer);
            }
            rest = "";
        }
        if !rest.is_empty() {
            return Err(VersionError::InvalidSemVer);
        }
        let mut numbers = [0u64; 3];
        for (number, segment) in numbers.iter_mut().zip(segments) {
            if !segment.is_empty() {
                *number = parse_u64(segment).map_err(|reason| VersionError::ParseSegment {
                    segment: segment.to_owned(),
                    reason,
                })?;
            }
        }
        if !pre.is_empty() {
            validate_prerelease(pre)?;
        }
        if !metadata.is_empty() {
            validate_metadata(metadata)?;
        }
        Ok(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers[2],
            pre: pre.to_owned(),
            metadata: metadata.to_owned(),
            original: input.to_owned(),
        })
    }

    /// Strict parsing, as Masterminds' `StrictNewVersion`: exactly `MAJOR.MINOR.PATCH` without a
    /// `v` prefix or leading zeros, then an optional `-prerelease` and `+metadata`. Helm uses it
    /// for plugin versions, `helm lint`'s chart version check and OCI tags.
    pub fn parse_strict(input: &str) -> Result<Version, VersionError> {
        if input.is_empty() {
            return Err(VersionError::Empty);
        }
        let mut parts = input.splitn(3, '.');
        let (Some(major), Some(minor), Some(mut patch)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(VersionError::InvalidSemVer);
        };
        let mut metadata = "";
        let mut pre = "";
        if let Some((before, after)) = patch.split_once('+') {
            metadata = after;
            patch = before;
            validate_metadata(metadata)?;
        }
        if let Some((before, after)) = patch.split_once('-') {
            pre = after;
            patch = before;
            validate_prerelease(pre)?;
        }
        for part in [major, minor, patch] {
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::InvalidCharacters);
            }
            if part.len() > 1 && part.starts_with('0') {
                return Err(VersionError::SegmentStartsZero);
            }
        }
        let number = |segment: &str| {
            parse_u64(segment).map_err(|reason| VersionError::Segment {
                segment: segment.to_owned(),
                reason,
            })
        };
        Ok(Version {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
            pre: pre.to_owned(),
            metadata: metadata.to_owned(),
            original: input.to_owned(),
        })
    }

    /// The major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version (0 when the input had one segment).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version (0 when the input had fewer than three segments).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The prerelease without its `-`, or `""`.
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// The build metadata without its `+`, or `""`.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The string this version was parsed from (Masterminds' `Original()`); the
    /// [`Display`](fmt::Display) form is the normalized `String()`.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Masterminds' `Compare`: numeric segments, then prerelease (a release sorts after its
    /// prereleases); build metadata is ignored.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

/// Masterminds' `comparePrerelease`: identifier by identifier; a missing identifier sorts first.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut a_parts = a.split('.');
    let mut b_parts = b.split('.');
    loop {
        let (x, y) = match (a_parts.next(), b_parts.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => (x.unwrap_or(""), y.unwrap_or("")),
        };
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
}

/// Masterminds' `comparePrePart`. Identifiers that `ParseUint` accepts compare numerically and
/// sort before the others, which compare bytewise; an empty identifier sorts first.
fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    let numeric = |p: &str| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse::<u64>().ok()
        } else {
            None
        }
    };
    match (numeric(s), numeric(o)) {
        (None, None) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(si), Some(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

impl fmt::Display for Version {
    /// Masterminds' `String()`: `MAJOR.MINOR.PATCH[-pre][+metadata]`, without a `v` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Version {
    type Err = VersionError;

    /// Same as [`Version::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.compare(other)
    }
}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal versions have equal numbers and prerelease text (a valid prerelease identifier
        // cannot have two spellings), so this agrees with `Eq`.
        (self.major, self.minor, self.patch, &self.pre).hash(state);
    }
}
