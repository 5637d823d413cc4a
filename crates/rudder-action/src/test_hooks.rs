//! `rudder test`: runs the `test` hooks of a release's newest revision, as `helm test` does.
//!
//! The hooks run one after another, ordered by weight then name, with the usual delete
//! policies ([`run_hooks`]); each hook's `last_run` is written back into the same revision
//! (no new revision), whether the tests pass or not, so `status` shows the last test suite.
//! `--filter name=X` runs only the named hooks, `--filter '!name=X'` skips them (Helm's
//! syntax). Logs are read from the API server for the test hooks that are Pods and still
//! exist (a `hook-succeeded` policy deletes them).

use std::time::Duration;

use rudder_kstatus::RuleSet;
use rudder_kube::wait::WaitObserver;
use rudder_release::{HookEvent, Release};

use crate::ActionError;
use crate::release_ops::{HookRun, ReleaseClient, run_hooks};

/// Which test hooks run (`--filter`).
#[derive(Debug, Clone, Default)]
pub struct TestFilter {
    /// `name=X`: run only these (all when empty).
    pub only: Vec<String>,
    /// `!name=X`: never run these.
    pub skip: Vec<String>,
}

impl TestFilter {
    /// Parses Helm's `--filter` values: `name=X` or `!name=X`.
    ///
    /// # Errors
    /// [`ActionError::InvalidArgument`] for any other form.
    pub fn parse(filters: &[String]) -> Result<Self, ActionError> {
        let mut filter = TestFilter::default();
        for f in filters {
            if let Some(name) = f.strip_prefix("!name=") {
                filter.skip.push(name.to_string());
            } else if let Some(name) = f.strip_prefix("name=") {
                filter.only.push(name.to_string());
            } else {
                return Err(ActionError::InvalidArgument(format!(
                    "invalid test filter {f:?}: expected name=NAME or !name=NAME"
                )));
            }
        }
        Ok(filter)
    }

    fn selects(&self, name: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| n == name))
            && !self.skip.iter().any(|n| n == name)
    }
}

/// Options of [`test`].
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Release name.
    pub release_name: String,
    /// How long each test hook may take (`--timeout`).
    pub timeout: Duration,
    /// Which tests run.
    pub filter: TestFilter,
}

/// What a test run left: the revision with its hooks' `last_run` updated, and the error of
/// the first failing test, if any (the record is stored either way).
#[derive(Debug)]
pub struct TestReport {
    /// The tested revision as stored after the run.
    pub release: Release,
    /// The first test that failed.
    pub failure: Option<ActionError>,
}

/// Runs the test hooks of the newest revision of a release.
///
/// # Errors
/// [`ActionError::ReleaseNotFound`]; storage errors. A failing test is not an error here: it
/// is in [`TestReport::failure`], after the record was updated.
pub async fn test(
    client: &ReleaseClient,
    opts: &TestOptions,
    observer: &dyn WaitObserver,
) -> Result<TestReport, ActionError> {
    let history = client.storage.history(&opts.release_name).await?;
    let mut release = history
        .into_iter()
        .last()
        .ok_or_else(|| ActionError::ReleaseNotFound {
            name: opts.release_name.clone(),
        })?;
    // Run the selected hooks on their own, then put them back in their places.
    let all = std::mem::take(&mut release.hooks);
    let selected: Vec<bool> = all
        .iter()
        .map(|h| h.events.contains(&HookEvent::Test) && opts.filter.selects(&h.name))
        .collect();
    release.hooks = all
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(h, _)| h.clone())
        .collect();
    let rules = RuleSet::rudder();
    let outcome = run_hooks(
        &client.kube,
        &mut release,
        HookRun {
            event: HookEvent::Test,
            timeout: opts.timeout,
            observer,
            rules: &rules,
        },
    )
    .await;
    let mut ran = std::mem::take(&mut release.hooks).into_iter();
    release.hooks = all
        .into_iter()
        .zip(selected)
        .map(|(hook, s)| if s { ran.next().unwrap_or(hook) } else { hook })
        .collect();
    client.storage.update(&release).await?;
    Ok(TestReport {
        release,
        failure: outcome.err(),
    })
}

/// The logs of the test hooks of `release` that are Pods and still exist, as
/// `(pod name, log text)` in the order the tests ran.
///
/// # Errors
/// [`ActionError::Kube`] when a log cannot be read for another reason than a missing Pod.
pub async fn test_logs(
    client: &ReleaseClient,
    release: &Release,
    filter: &TestFilter,
) -> Result<Vec<(String, String)>, ActionError> {
    let mut hooks: Vec<_> = release
        .hooks
        .iter()
        .filter(|h| h.kind == "Pod" && h.events.contains(&HookEvent::Test))
        .filter(|h| filter.selects(&h.name))
        .collect();
    hooks.sort_by(|a, b| a.weight.cmp(&b.weight).then_with(|| a.name.cmp(&b.name)));
    let mut logs = Vec::new();
    for hook in hooks {
        if let Some(text) = client.kube.pod_logs(&release.namespace, &hook.name).await? {
            logs.push((hook.name.clone(), text));
        }
    }
    Ok(logs)
}
