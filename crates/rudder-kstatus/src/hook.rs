//! The hook-completion state machine: what a hook's status is after each watch event,
//! including Rudder's fix for hook Jobs deleted by their TTL after succeeding.

use serde_json::Value;

use crate::fields::{self, find, string_field};
use crate::rules::GroupKind;
use crate::{ObjectStatus, Status};

/// What a delete event means for a hook object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedHookPolicy {
    /// Helm 4: a deleted object is `NotFound`, so a hook Job removed by
    /// `ttlSecondsAfterFinished` blocks the wait until the timeout (helm #31786).
    NotFound,
    /// Rudder: an object last seen finished successfully (a Job with `Complete=True`, a Pod
    /// in phase `Succeeded`, any other kind `Current`) is done when it disappears; one last
    /// seen `Failed` stays `Failed`; anything else becomes `NotFound`.
    DoneIfCompleted,
}

/// One watch event about a hook object.
#[derive(Debug, Clone, Copy)]
pub enum HookEvent<'a> {
    /// The object was added or updated; `status` is what the strategy computed for it.
    Observed {
        /// The object as seen.
        object: &'a Value,
        /// Its computed status.
        status: &'a ObjectStatus,
    },
    /// The object was deleted.
    Deleted,
}

/// Where a hook stands between watch events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookState {
    /// No event yet (the collector reports `Unknown`).
    NotSeen,
    /// Last seen with this status; `finished` records whether the object itself said it had
    /// finished successfully.
    Seen {
        /// The last computed status.
        status: ObjectStatus,
        /// Whether the last seen object had finished successfully.
        finished: bool,
    },
    /// Deleted; `status` is the status the wait should use from now on.
    Gone {
        /// The status after deletion.
        status: ObjectStatus,
    },
}

impl HookState {
    /// The status a wait should use in this state.
    pub fn status(&self) -> ObjectStatus {
        match self {
            HookState::NotSeen => ObjectStatus {
                status: Status::Unknown,
                message: String::new(),
                reason: None,
                recheck_after: None,
            },
            HookState::Seen { status, .. } | HookState::Gone { status } => status.clone(),
        }
    }

    /// The state after `event`.
    pub fn next(&self, event: HookEvent<'_>, policy: DeletedHookPolicy) -> HookState {
        match event {
            HookEvent::Observed { object, status } => HookState::Seen {
                status: status.clone(),
                finished: finished_successfully(object, status),
            },
            HookEvent::Deleted => HookState::Gone {
                status: self.status_after_delete(policy),
            },
        }
    }

    fn status_after_delete(&self, policy: DeletedHookPolicy) -> ObjectStatus {
        match (policy, self) {
            (
                DeletedHookPolicy::DoneIfCompleted,
                HookState::Seen {
                    status,
                    finished: true,
                },
            ) => ObjectStatus::current(format!("{}; deleted after completion", status.message)),
            (DeletedHookPolicy::DoneIfCompleted, HookState::Seen { status, .. })
                if status.status == Status::Failed =>
            {
                status.clone()
            }
            (DeletedHookPolicy::DoneIfCompleted, HookState::Gone { status }) => status.clone(),
            _ => ObjectStatus::not_found(),
        }
    }
}

/// Whether the object says it finished successfully: a Job with `Complete=True`, a Pod in
/// phase `Succeeded`; for other kinds, a `Current` status.
fn finished_successfully(object: &Value, status: &ObjectStatus) -> bool {
    let gk = GroupKind::of(object);
    match (gk.group.as_str(), gk.kind.as_str()) {
        ("batch", "Job") => {
            fields::conditions(object).is_ok_and(|c| find(&c, "Complete", "True").is_some())
        }
        ("", "Pod") => string_field(object, &["status", "phase"], "") == "Succeeded",
        _ => status.status == Status::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(complete: bool) -> Value {
        let conds = if complete {
            json!([{"type": "Complete", "status": "True"}])
        } else {
            json!([])
        };
        json!({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": conds}})
    }

    #[test]
    fn completed_job_deleted_by_ttl_is_done() {
        let done = ObjectStatus::current("Job Completed. succeeded: 1/1");
        let obj = job(true);
        let seen = HookState::NotSeen.next(
            HookEvent::Observed {
                object: &obj,
                status: &done,
            },
            DeletedHookPolicy::DoneIfCompleted,
        );
        let gone = seen.next(HookEvent::Deleted, DeletedHookPolicy::DoneIfCompleted);
        assert_eq!(gone.status().status, Status::Current);
        assert_eq!(
            gone.status().message,
            "Job Completed. succeeded: 1/1; deleted after completion"
        );
        // Helm's behaviour: NotFound, the wait hangs.
        assert_eq!(
            seen.next(HookEvent::Deleted, DeletedHookPolicy::NotFound)
                .status()
                .status,
            Status::NotFound
        );
    }

    #[test]
    fn running_or_unseen_job_deleted_is_not_found_and_failed_stays_failed() {
        let running = ObjectStatus::in_progress("JobInProgress", "Job in progress");
        let obj = job(false);
        let seen = HookState::NotSeen.next(
            HookEvent::Observed {
                object: &obj,
                status: &running,
            },
            DeletedHookPolicy::DoneIfCompleted,
        );
        assert_eq!(
            seen.next(HookEvent::Deleted, DeletedHookPolicy::DoneIfCompleted)
                .status()
                .status,
            Status::NotFound
        );
        assert_eq!(
            HookState::NotSeen
                .next(HookEvent::Deleted, DeletedHookPolicy::DoneIfCompleted)
                .status()
                .status,
            Status::NotFound
        );
        assert_eq!(HookState::NotSeen.status().status, Status::Unknown);

        let failed = ObjectStatus::failed("JobFailed", "Job Failed. failed: 1/1");
        let seen = HookState::NotSeen.next(
            HookEvent::Observed {
                object: &obj,
                status: &failed,
            },
            DeletedHookPolicy::DoneIfCompleted,
        );
        assert_eq!(
            seen.next(HookEvent::Deleted, DeletedHookPolicy::DoneIfCompleted)
                .status(),
            failed
        );
    }

    #[test]
    fn a_job_that_merely_looks_current_is_not_finished() {
        // Under the `Wait` strategy a started Job is Current; that is not completion.
        let current = ObjectStatus::current("Job in progress. success:0, active: 1, failed: 0");
        let obj = job(false);
        let seen = HookState::NotSeen.next(
            HookEvent::Observed {
                object: &obj,
                status: &current,
            },
            DeletedHookPolicy::DoneIfCompleted,
        );
        assert_eq!(
            seen.next(HookEvent::Deleted, DeletedHookPolicy::DoneIfCompleted)
                .status()
                .status,
            Status::NotFound
        );
    }
}
