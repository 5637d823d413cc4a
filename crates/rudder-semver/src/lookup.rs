//! Helm's "pick a version for `--version`" rule, shared by OCI tag lists and repository indexes.

use crate::{ConstraintError, Constraints, Version};

/// Which Helm lookup [`first_match`] mirrors. They differ only in when the request is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `registry.GetTagMatchingVersionOrConstraint` (OCI `--version`): an exact tag match wins
    /// before the request is parsed, so a tag such as `latest` can be requested verbatim.
    /// Helm passes the tags that `StrictNewVersion` accepts (`_` read as `+`), highest first.
    OciTags,
    /// `repo.IndexFile.Get` (classic repositories, `repo/chart --version`): an empty list finds
    /// nothing, otherwise the request must parse as a constraint even when a version equals it
    /// verbatim. Helm passes the index entries sorted highest first.
    RepositoryIndex,
}

/// The first of `candidates` (in the caller's order) that equals `requested` verbatim or
/// satisfies it as a constraint, as Helm picks a chart version. An empty request means `*`
/// (the newest release, prereleases skipped); candidates that do not parse leniently are
/// skipped. `Ok(None)` is Helm's "could not locate a version matching provided version string
/// REQ" (OCI) or "no chart version found for NAME-REQ" (index); an unparsable request is
/// Masterminds' constraint error.
pub fn first_match<'a, S: AsRef<str>>(
    candidates: &'a [S],
    requested: &str,
    lookup: Lookup,
) -> Result<Option<&'a str>, ConstraintError> {
    let verbatim = || {
        candidates
            .iter()
            .map(AsRef::as_ref)
            .find(|c| *c == requested)
    };
    let constraints = if requested.is_empty() {
        if lookup == Lookup::RepositoryIndex && candidates.is_empty() {
            return Ok(None);
        }
        Constraints::parse("*")?
    } else {
        match lookup {
            Lookup::OciTags => {
                if let Some(found) = verbatim() {
                    return Ok(Some(found));
                }
                Constraints::parse(requested)?
            }
            Lookup::RepositoryIndex => {
                if candidates.is_empty() {
                    return Ok(None);
                }
                let constraints = Constraints::parse(requested)?;
                if let Some(found) = verbatim() {
                    return Ok(Some(found));
                }
                constraints
            }
        }
    };
    Ok(candidates
        .iter()
        .map(AsRef::as_ref)
        .find(|c| Version::parse(c).is_ok_and(|v| constraints.check(&v))))
}
