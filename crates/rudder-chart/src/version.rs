//! Chart version checks: Helm's lenient SemVer (v1/v2 charts) and strict SemVer 2 (v3
//! charts, and what `lint` recommends everywhere).

/// Whether `v` is a version Helm's loader accepts for v1/v2 charts.
///
/// Helm uses Masterminds `semver.NewVersion`: an optional `v`, one to three numeric parts,
/// then optional `-prerelease` and `+build` of dot-separated `[0-9A-Za-z-]+` identifiers;
/// a numeric prerelease identifier must not have a leading zero.
pub fn is_lenient_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core_pre, build) = match v.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match core_pre.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (core_pre, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return false;
    }
    if !parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 20)
    {
        return false;
    }
    if let Some(pre) = pre {
        if !identifiers_ok(pre) {
            return false;
        }
        for id in pre.split('.') {
            if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
        }
    }
    if let Some(build) = build
        && !identifiers_ok(build)
    {
        return false;
    }
    true
}

fn identifiers_ok(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// Whether `v` is strict SemVer 2 (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no `v` prefix,
/// no leading zeros), as v3 charts require.
pub fn is_strict_semver(v: &str) -> bool {
    semver::Version::parse(v).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_accepts_what_masterminds_accepts() {
        for v in ["1", "1.2", "v1.2.3", "1.2.3-rc.1+build.5", "0.1.0-alpha-1"] {
            assert!(is_lenient_semver(v), "{v}");
        }
        for v in [
            "",
            "x",
            "1.2.3.4",
            "1..2",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3+",
            "1.2.3-a_b",
        ] {
            assert!(!is_lenient_semver(v), "{v}");
        }
    }

    #[test]
    fn strict_rejects_partial_and_prefixed() {
        assert!(is_strict_semver("1.2.3-rc.1+b"));
        for v in ["1.2", "v1.2.3", "01.2.3", "1.2.3-01"] {
            assert!(!is_strict_semver(v), "{v}");
        }
    }
}
