//! Aggregating many statuses into one (kstatus `AggregateStatus` and Helm's wait observer).

use crate::Status;

/// kstatus `AggregateStatus`: no statuses → `desired`; any `Failed` → `Failed`; else any
/// `Unknown` → `Unknown`; all equal to `desired` → `desired`; else `InProgress`.
pub fn aggregate(statuses: impl IntoIterator<Item = Status>, desired: Status) -> Status {
    let mut any = false;
    let mut all_desired = true;
    let mut any_unknown = false;
    for status in statuses {
        any = true;
        match status {
            Status::Failed => return Status::Failed,
            Status::Unknown => any_unknown = true,
            _ => {}
        }
        all_desired &= status == desired;
    }
    if !any {
        desired
    } else if any_unknown {
        Status::Unknown
    } else if all_desired {
        desired
    } else {
        Status::InProgress
    }
}

/// Helm 4's wait observer: like [`aggregate`], but when waiting for `Current`, `Failed`
/// objects are left out (Failed is terminal: the wait ends once the rest are `Current`, and
/// the failed objects are then reported), and when waiting for `NotFound`, `Unknown` objects
/// are left out (already gone before the watch started).
pub fn aggregate_for_wait(statuses: impl IntoIterator<Item = Status>, desired: Status) -> Status {
    aggregate(
        statuses.into_iter().filter(|s| {
            !(*s == Status::Failed && desired == Status::Current
                || *s == Status::Unknown && desired == Status::NotFound)
        }),
        desired,
    )
}

/// True when a wait for `desired` is over: [`aggregate_for_wait`] reached `desired`.
pub fn wait_is_done(statuses: impl IntoIterator<Item = Status>, desired: Status) -> bool {
    aggregate_for_wait(statuses, desired) == desired
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn aggregate_follows_kstatus_precedence() {
        assert_eq!(aggregate([], Current), Current);
        assert_eq!(aggregate([], NotFound), NotFound);
        assert_eq!(aggregate([Current, Unknown, Failed], Current), Failed);
        assert_eq!(aggregate([Current, Unknown, InProgress], Current), Unknown);
        assert_eq!(aggregate([Current, Current], Current), Current);
        assert_eq!(aggregate([Current, InProgress], Current), InProgress);
        assert_eq!(aggregate([Current, Terminating], Current), InProgress);
        assert_eq!(aggregate([NotFound, Current], NotFound), InProgress);
    }

    #[test]
    fn wait_excludes_failed_and_gone_objects() {
        assert_eq!(aggregate_for_wait([Current, Failed], Current), Current);
        assert_eq!(aggregate_for_wait([Failed], Current), Current);
        assert_eq!(
            aggregate_for_wait([InProgress, Failed], Current),
            InProgress
        );
        assert_eq!(aggregate_for_wait([Unknown, Current], Current), Unknown);
        assert_eq!(aggregate_for_wait([Unknown, NotFound], NotFound), NotFound);
        assert_eq!(aggregate_for_wait([Failed, NotFound], NotFound), Failed);
        assert!(wait_is_done([Current, Failed], Current));
        assert!(!wait_is_done([Current, Unknown], Current));
    }
}
