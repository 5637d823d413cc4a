//! The crate's error type.

/// Why a status could not be computed or a rule could not be built.
///
/// A compute error is what kstatus readers turn into [`Status::Unknown`](crate::Status::Unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field exists but holds a value of the wrong JSON type.
    #[error("field {path}: expected {expected}, found {found}")]
    FieldType {
        /// Dotted path of the field, e.g. `status.observedGeneration`.
        path: String,
        /// The JSON type the rule needs.
        expected: &'static str,
        /// A short description of what was found, e.g. `string "3"`.
        found: String,
    },
    /// A Pod reports a phase kstatus does not know.
    #[error("unknown phase {phase}")]
    UnknownPodPhase {
        /// The phase as found in `status.phase`.
        phase: String,
    },
    /// A field path in a declarative readiness override cannot be parsed.
    #[error("invalid field path {path:?}: {reason}")]
    InvalidFieldPath {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A declarative readiness override is inconsistent.
    #[error("readiness override for {group_kind}: {reason}")]
    InvalidOverride {
        /// `group/Kind` (bare Kind for the core group).
        group_kind: String,
        /// What is wrong with it.
        reason: String,
    },
}
