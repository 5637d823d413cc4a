//! Declarative per-kind readiness overrides: data (for example a v3 chart's `readiness:`
//! list) compiled into a [`Rule`]. The YAML shape is documented in the crate docs.

use serde::Deserialize;
use serde_json::Value;

use crate::compute::no_status;
use crate::fields::{self, Condition, status_is_empty};
use crate::rules::{GroupKind, Rule, RuleContext, RuleSet};
use crate::{Error, ObjectStatus, Status};

/// One readiness override: how objects of one group/kind are judged.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadinessOverride {
    /// API group; empty (the default) for the core group.
    #[serde(default)]
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Skip the generic `observedGeneration` check for this kind.
    #[serde(default)]
    pub ignore_observed_generation: bool,
    /// Any match makes the object `Failed`. Checked first.
    #[serde(default)]
    pub failed: Vec<Matcher>,
    /// Any match makes the object `Current`.
    #[serde(default)]
    pub current: Vec<Matcher>,
    /// A field whose string value becomes the message when a field matcher decides.
    #[serde(default)]
    pub message_field: Option<String>,
    /// The status when nothing matches: `InProgress` (default) or `Current`.
    #[serde(default)]
    pub otherwise: Otherwise,
}

/// The status of an object that no matcher decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Otherwise {
    /// Keep waiting.
    #[default]
    InProgress,
    /// Ready.
    Current,
}

/// One test on an object: either a condition (`condition`, optional `status`, `reasons`)
/// or a field (`field` with exactly one of `equals`, `in`, `exists`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Matcher {
    /// Condition type to look for in `status.conditions`.
    #[serde(default)]
    pub condition: Option<String>,
    /// Required condition status; default `"True"`.
    #[serde(default)]
    pub status: Option<String>,
    /// If set, the condition's reason must be one of these.
    #[serde(default)]
    pub reasons: Option<Vec<String>>,
    /// Dotted field path, e.g. `status.phase` or `.status.items[0].state`.
    #[serde(default)]
    pub field: Option<String>,
    /// The field must equal this JSON value.
    #[serde(default)]
    pub equals: Option<Value>,
    /// The field must equal one of these JSON values.
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<Value>>,
    /// The field must be present (`true`) or absent (`false`).
    #[serde(default)]
    pub exists: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

impl FieldPath {
    fn parse(text: &str) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidFieldPath {
            path: text.to_owned(),
            reason,
        };
        let body = text.strip_prefix('.').unwrap_or(text);
        if body.is_empty() {
            return Err(bad("empty path"));
        }
        let mut segments = Vec::new();
        for part in body.split('.') {
            let key = part.split('[').next().unwrap_or(part);
            if key.is_empty() {
                return Err(bad("empty field name"));
            }
            segments.push(Segment::Key(key.to_owned()));
            let mut rest = &part[key.len()..];
            while let Some(after) = rest.strip_prefix('[') {
                let (index, tail) = after.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
                let index = index
                    .parse::<usize>()
                    .map_err(|_| bad("index is not a non-negative integer"))?;
                segments.push(Segment::Index(index));
                rest = tail;
            }
            if !rest.is_empty() {
                return Err(bad("unexpected text after ']'"));
            }
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    fn lookup<'a>(&self, obj: &'a Value) -> Option<&'a Value> {
        self.segments.iter().try_fold(obj, |v, seg| match seg {
            Segment::Key(k) => v.get(k.as_str()),
            Segment::Index(i) => v.get(*i),
        })
    }
}

#[derive(Debug, Clone)]
enum Test {
    Condition {
        type_: String,
        status: String,
        reasons: Option<Vec<String>>,
    },
    Equals(FieldPath, Vec<Value>),
    Exists(FieldPath, bool),
}

/// What a matched test says about the object.
struct Match {
    reason: String,
    message: String,
}

impl Test {
    fn compile(m: &Matcher, gk: &GroupKind) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidOverride {
            group_kind: gk.to_string(),
            reason: reason.to_owned(),
        };
        match (&m.condition, &m.field) {
            (Some(type_), None) => {
                if m.equals.is_some() || m.one_of.is_some() || m.exists.is_some() {
                    return Err(invalid(
                        "a condition matcher takes only `status` and `reasons`",
                    ));
                }
                Ok(Test::Condition {
                    type_: type_.clone(),
                    status: m.status.clone().unwrap_or_else(|| "True".to_owned()),
                    reasons: m.reasons.clone(),
                })
            }
            (None, Some(path)) => {
                if m.status.is_some() || m.reasons.is_some() {
                    return Err(invalid("a field matcher takes no `status` or `reasons`"));
                }
                let path = FieldPath::parse(path)?;
                match (&m.equals, &m.one_of, m.exists) {
                    (Some(v), None, None) => Ok(Test::Equals(path, vec![v.clone()])),
                    (None, Some(vs), None) => Ok(Test::Equals(path, vs.clone())),
                    (None, None, Some(e)) => Ok(Test::Exists(path, e)),
                    _ => Err(invalid(
                        "a field matcher needs exactly one of `equals`, `in`, `exists`",
                    )),
                }
            }
            _ => Err(invalid(
                "a matcher needs exactly one of `condition` and `field`",
            )),
        }
    }

    fn eval(&self, obj: &Value, conds: &[Condition]) -> Option<Match> {
        match self {
            Test::Condition {
                type_,
                status,
                reasons,
            } => {
                let c = conds.iter().find(|c| {
                    c.is(type_, status) && reasons.as_ref().is_none_or(|r| r.contains(&c.reason))
                })?;
                let message = if c.message.is_empty() {
                    format!("{} is {}", c.type_, c.status)
                } else {
                    c.message.clone()
                };
                Some(Match {
                    reason: if c.reason.is_empty() {
                        c.type_.clone()
                    } else {
                        c.reason.clone()
                    },
                    message,
                })
            }
            Test::Equals(path, values) => {
                let v = path.lookup(obj)?;
                values.contains(v).then(|| Match {
                    reason: "FieldMatched".to_owned(),
                    message: format!("{} is {v}", path.text.trim_start_matches('.')),
                })
            }
            Test::Exists(path, want) => (path.lookup(obj).is_some() == *want).then(|| Match {
                reason: "FieldMatched".to_owned(),
                message: format!(
                    "{} {}",
                    path.text.trim_start_matches('.'),
                    if *want { "is set" } else { "is not set" }
                ),
            }),
        }
    }
}

/// A compiled [`ReadinessOverride`].
#[derive(Debug, Clone)]
pub struct OverrideRule {
    failed: Vec<Test>,
    current: Vec<Test>,
    message_field: Option<FieldPath>,
    otherwise: Otherwise,
    checks_generation: bool,
}

impl ReadinessOverride {
    /// The group/kind this override applies to.
    pub fn group_kind(&self) -> GroupKind {
        GroupKind::new(&self.group, &self.kind)
    }

    /// Validates the override and builds its rule.
    ///
    /// # Errors
    /// [`Error::InvalidOverride`] for an empty kind or an inconsistent matcher, and
    /// [`Error::InvalidFieldPath`] for an unparsable path.
    pub fn compile(&self) -> Result<OverrideRule, Error> {
        let gk = self.group_kind();
        if self.kind.is_empty() {
            return Err(Error::InvalidOverride {
                group_kind: gk.to_string(),
                reason: "`kind` is empty".to_owned(),
            });
        }
        let tests = |ms: &[Matcher]| {
            ms.iter()
                .map(|m| Test::compile(m, &gk))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(OverrideRule {
            failed: tests(&self.failed)?,
            current: tests(&self.current)?,
            message_field: self
                .message_field
                .as_deref()
                .map(FieldPath::parse)
                .transpose()?,
            otherwise: self.otherwise,
            checks_generation: !self.ignore_observed_generation,
        })
    }

    /// Compiles the override and registers it in `rules` as a custom rule, replacing any
    /// rule for the same group/kind.
    ///
    /// # Errors
    /// As [`compile`](Self::compile).
    pub fn register_into(&self, rules: &mut RuleSet) -> Result<(), Error> {
        rules.register(self.group_kind(), self.compile()?);
        Ok(())
    }
}

impl Rule for OverrideRule {
    fn evaluate(&self, obj: &Value, _: &RuleContext<'_>) -> Result<ObjectStatus, Error> {
        let conds = fields::conditions(obj)?;
        let own_message = self
            .message_field
            .as_ref()
            .and_then(|p| p.lookup(obj))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let decide = |tests: &[Test], status: Status| {
            tests
                .iter()
                .find_map(|t| t.eval(obj, &conds).map(|m| (t, m)))
                .map(|(t, m)| {
                    let message = match (t, own_message) {
                        (Test::Condition { .. }, _) | (_, None) => m.message,
                        (_, Some(own)) => own.to_owned(),
                    };
                    match status {
                        Status::Failed => ObjectStatus::failed(m.reason, message),
                        _ => ObjectStatus::current(message),
                    }
                })
        };
        if let Some(status) = decide(&self.failed, Status::Failed) {
            return Ok(status);
        }
        if let Some(status) = decide(&self.current, Status::Current) {
            return Ok(status);
        }
        Ok(match self.otherwise {
            Otherwise::Current => ObjectStatus::current("Resource is current"),
            Otherwise::InProgress if status_is_empty(obj) => no_status(),
            Otherwise::InProgress => ObjectStatus::in_progress(
                "ReadinessOverride",
                own_message.unwrap_or("Waiting for the readiness override to match"),
            ),
        })
    }

    fn checks_generation(&self) -> bool {
        self.checks_generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_parse_keys_and_indices() {
        let p = FieldPath::parse(".webhooks[0].clientConfig.caBundle").unwrap();
        assert_eq!(
            p.segments,
            vec![
                Segment::Key("webhooks".into()),
                Segment::Index(0),
                Segment::Key("clientConfig".into()),
                Segment::Key("caBundle".into())
            ]
        );
        for bad in ["", ".", "a..b", "a[", "a[x]", "a[0]b", "[0]"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn inconsistent_matchers_are_rejected() {
        let both = ReadinessOverride {
            group: "example.com".into(),
            kind: "Widget".into(),
            ignore_observed_generation: false,
            failed: vec![Matcher {
                condition: Some("Failed".into()),
                status: None,
                reasons: None,
                field: Some("status.phase".into()),
                equals: None,
                one_of: None,
                exists: None,
            }],
            current: vec![],
            message_field: None,
            otherwise: Otherwise::InProgress,
        };
        let err = both.compile().unwrap_err();
        assert_eq!(
            err.to_string(),
            "readiness override for example.com/Widget: a matcher needs exactly one of `condition` and `field`"
        );
    }
}
