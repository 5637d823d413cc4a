//! Helm's URL helpers: joining a path onto a base URL (`urlutil.URLJoin`), resolving an index
//! entry's URL against its repository (`repo.ResolveReferenceURL`) and comparing repository
//! URLs (`urlutil.Equal`, which ignores a trailing slash).

use crate::RepoError;

/// Splits `s` into (scheme://authority, path, ?query#fragment). A string without `://` has
/// an empty prefix.
fn split(s: &str) -> (&str, &str, &str) {
    let (before_suffix, suffix) = match s.find(['?', '#']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    match before_suffix.find("://") {
        Some(i) => {
            let rest = &before_suffix[i + 3..];
            let path_at = rest
                .find('/')
                .map(|p| i + 3 + p)
                .unwrap_or(before_suffix.len());
            (&before_suffix[..path_at], &before_suffix[path_at..], suffix)
        }
        None => ("", before_suffix, suffix),
    }
}

/// Go's `path.Clean` for `/`-separated paths, except that an empty result stays empty
/// (as `path.Join` of empty elements gives "").
fn clean(p: &str) -> String {
    if p.is_empty() {
        return String::new();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `urlutil.URLJoin`: appends `parts` to the path of `base` with `path.Join` rules.
pub fn url_join(base: &str, parts: &[&str]) -> String {
    let (prefix, path, suffix) = split(base);
    let elems: Vec<&str> = std::iter::once(path)
        .chain(parts.iter().copied())
        .filter(|e| !e.is_empty())
        .collect();
    let joined = if elems.is_empty() {
        String::new()
    } else {
        clean(&elems.join("/"))
    };
    let joined = if !prefix.is_empty() && !joined.is_empty() && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    };
    format!("{prefix}{joined}{suffix}")
}

/// `repo.ResolveReferenceURL`: an absolute `reference` is returned as it is; a relative one
/// is resolved against `base` taken as a directory, keeping the base URL's query.
pub fn resolve_reference(base: &str, reference: &str) -> Result<String, RepoError> {
    if url::Url::parse(reference).is_ok() {
        return Ok(reference.to_string());
    }
    let mut b = url::Url::parse(base).map_err(|e| RepoError::InvalidUrl {
        url: base.to_string(),
        message: e.to_string(),
    })?;
    let query = b.query().map(str::to_string);
    let path = format!("{}/", b.path().trim_end_matches('/'));
    b.set_path(&path);
    let mut joined = b.join(reference).map_err(|e| RepoError::InvalidUrl {
        url: reference.to_string(),
        message: e.to_string(),
    })?;
    joined.set_query(query.as_deref());
    Ok(joined.to_string())
}

/// `urlutil.Equal`: the same URL once an empty path is `/` and paths are cleaned (so a
/// trailing slash does not matter).
pub fn urls_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> Option<String> {
        let mut u = url::Url::parse(s).ok()?;
        let p = clean(if u.path().is_empty() { "/" } else { u.path() });
        u.set_path(&p);
        Some(u.to_string())
    };
    match (norm(a), norm(b)) {
        (Some(x), Some(y)) => x == y,
        _ => clean(a) == clean(b),
    }
}

/// Whether `reference` is an absolute `http://` or `https://` URL.
pub fn is_http_url(reference: &str) -> bool {
    reference.starts_with("http://") || reference.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_follows_go_path_join() {
        assert_eq!(url_join("", &[""]), "");
        assert_eq!(url_join("", &["sub"]), "sub");
        assert_eq!(url_join("sub", &["a-1.0.0.tgz"]), "sub/a-1.0.0.tgz");
        assert_eq!(
            url_join("http://example.com/charts/", &[""]),
            "http://example.com/charts"
        );
        assert_eq!(
            url_join("http://example.com/charts", &["a-1.0.0.tgz"]),
            "http://example.com/charts/a-1.0.0.tgz"
        );
        assert_eq!(
            url_join("http://example.com", &["a.tgz"]),
            "http://example.com/a.tgz"
        );
        assert_eq!(
            url_join("https://h/x?sig=1", &["a.tgz"]),
            "https://h/x/a.tgz?sig=1"
        );
    }

    #[test]
    fn references_resolve_against_the_repository_directory() {
        assert_eq!(
            resolve_reference("http://h:1/charts", "a-1.0.0.tgz").unwrap(),
            "http://h:1/charts/a-1.0.0.tgz"
        );
        assert_eq!(
            resolve_reference("http://h:1/charts/", "sub/a.tgz").unwrap(),
            "http://h:1/charts/sub/a.tgz"
        );
        assert_eq!(
            resolve_reference("http://h:1", "a.tgz").unwrap(),
            "http://h:1/a.tgz"
        );
        assert_eq!(
            resolve_reference("http://h:1/r?token=x", "a.tgz").unwrap(),
            "http://h:1/r/a.tgz?token=x"
        );
        assert_eq!(
            resolve_reference("http://h:1/r", "https://other/a.tgz").unwrap(),
            "https://other/a.tgz"
        );
    }

    #[test]
    fn equality_ignores_a_trailing_slash() {
        assert!(urls_equal("http://h:1", "http://h:1/"));
        assert!(urls_equal("http://h:1/charts/", "http://h:1/charts"));
        assert!(!urls_equal("http://h:1/a", "http://h:1/b"));
        assert!(!urls_equal("http://h:1", "http://h:2"));
    }
}
