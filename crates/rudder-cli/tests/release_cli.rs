//! End-to-end tests of the `rudder` binary's release commands on the local control plane:
//! an install killed with `kill -9` mid-wait is recovered through its expired lease, two
//! concurrent upgrades (two real processes), `--force-pending`, and `--labels`.
//!
//! Run: `cargo test -p rudder-cli --test release_cli` (after `scripts/cluster up` and `eval "$(scripts/cluster env)"`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use rudder_testkit::{ControlPlane, TestNamespace};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const CHART: &str = "testdata/charts/e2e-basic";
const NEVER_READY: &str = "image=registry.example/e2e/never-ready:1";

fn command(ns: &TestNamespace, args: &[&str]) -> Command {
    let plane = ControlPlane::shared().expect("control plane");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rudder"));
    cmd.args(args)
        .args(["-n", ns.name(), "--kubeconfig"])
        .arg(plane.kubeconfig())
        .current_dir(repo_root())
        .env_remove("RUDDER_LOG")
        .env_remove("HELM_DRIVER");
    cmd
}

fn rudder(ns: &TestNamespace, args: &[&str]) -> Output {
    command(ns, args).output().expect("rudder runs")
}

fn spawn(ns: &TestNamespace, args: &[&str]) -> Child {
    command(ns, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rudder starts")
}

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn record_status(ns: &TestNamespace, name: &str, revision: u32) -> Option<String> {
    let secret = ns
        .api::<Secret>()
        .get_opt(&format!("sh.helm.release.v1.{name}.v{revision}"))
        .await
        .expect("read secret")?;
    secret
        .metadata
        .labels
        .unwrap_or_default()
        .get("status")
        .cloned()
}

async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn namespace(hint: &str) -> TestNamespace {
    let plane = ControlPlane::shared().expect("control plane");
    TestNamespace::create(plane, hint).await.expect("namespace")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_install_killed_mid_wait_is_recovered_after_its_lease_expires() {
    let ns = namespace("cli-kill9").await;
    let mut child = spawn(
        &ns,
        &[
            "install",
            "stuck",
            CHART,
            "--set",
            NEVER_READY,
            "--timeout",
            "5m",
        ],
    );
    // Kill it while it waits for the never-ready Deployment: pending record, lease held.
    wait_for(
        "the pending-install record",
        Duration::from_secs(60),
        async || record_status(&ns, "stuck", 1).await.as_deref() == Some("pending-install"),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    let killed_at = Instant::now();
    assert_eq!(
        record_status(&ns, "stuck", 1).await.as_deref(),
        Some("pending-install")
    );
    let lease = ns
        .api::<Lease>()
        .get("rudder-release-stuck")
        .await
        .expect("the dead process's lease is still there");
    let holder = lease
        .spec
        .and_then(|s| s.holder_identity)
        .unwrap_or_default();
    assert!(holder.starts_with("rudder/"), "{holder}");

    // Right away, the lease is still valid: the retry is refused without touching anything.
    let out = rudder(&ns, &["install", "stuck", CHART, "--timeout", "60s"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("another operation (install) is in progress on release \"stuck\""),
        "{err}"
    );
    assert!(err.contains(&holder), "{err}");

    // Once the lease has expired, the retry marks the stale record failed and installs.
    let expiry = Duration::from_secs(16);
    if let Some(left) = expiry.checked_sub(killed_at.elapsed()) {
        tokio::time::sleep(left).await;
    }
    let out = rudder(&ns, &["install", "stuck", CHART, "--timeout", "60s"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("STATUS: deployed"));
    assert_eq!(
        record_status(&ns, "stuck", 1).await.as_deref(),
        Some("failed")
    );
    assert_eq!(
        record_status(&ns, "stuck", 2).await.as_deref(),
        Some("deployed")
    );
    let history = rudder(&ns, &["history", "stuck", "-o", "json"]);
    let history: serde_json::Value = serde_json::from_slice(&history.stdout).expect("json");
    let first = history[0]["description"].as_str().unwrap_or_default();
    assert!(
        first.starts_with("Interrupted: the install by rudder/"),
        "{history}"
    );
    // The finished operation released its lease.
    assert!(
        ns.api::<Lease>()
            .get_opt("rudder-release-stuck")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_upgrades_the_second_is_refused() {
    let ns = namespace("cli-concurrent").await;
    let out = rudder(&ns, &["install", "web", CHART, "--timeout", "60s"]);
    assert!(out.status.success(), "{}", text(&out));

    // The first upgrade waits for new pods (about a second on kwok); the second starts while
    // it holds the release.
    let first = spawn(
        &ns,
        &[
            "upgrade",
            "web",
            CHART,
            "--set",
            "replicaCount=3",
            "--timeout",
            "60s",
        ],
    );
    wait_for(
        "the first upgrade's lease",
        Duration::from_secs(30),
        async || {
            ns.api::<Lease>()
                .get_opt("rudder-release-web")
                .await
                .unwrap()
                .is_some()
        },
    )
    .await;
    let second = rudder(
        &ns,
        &[
            "upgrade",
            "web",
            CHART,
            "--set",
            "replicaCount=1",
            "--timeout",
            "60s",
        ],
    );
    let first = first.wait_with_output().expect("first upgrade ends");
    assert!(first.status.success(), "{}", text(&first));
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(
            "another operation (upgrade) is in progress on release \"web\": held by rudder/"
        ),
        "{err}"
    );
    assert_eq!(
        record_status(&ns, "web", 2).await.as_deref(),
        Some("deployed")
    );
    assert_eq!(
        record_status(&ns, "web", 3).await,
        None,
        "the second wrote nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_record_without_a_lease_needs_force_pending() {
    let ns = namespace("cli-force-pending").await;
    let out = rudder(
        &ns,
        &[
            "install",
            "web",
            CHART,
            "--wait=hookOnly",
            "--labels",
            "team=a,tier=web",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let secrets = ns.api::<Secret>();
    let labels = secrets
        .get("sh.helm.release.v1.web.v1")
        .await
        .unwrap()
        .metadata
        .labels
        .unwrap_or_default();
    assert_eq!(labels.get("team").map(String::as_str), Some("a"));
    assert_eq!(labels.get("tier").map(String::as_str), Some("web"));

    // A reserved label is refused.
    let out = rudder(&ns, &["upgrade", "web", CHART, "--labels", "owner=me"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("label \"owner\" is reserved"),
        "{}",
        text(&out)
    );

    // A pending record with no lease (as a killed helm would leave it): an upgrade killed
    // mid-wait whose lease is then removed.
    let mut child = spawn(
        &ns,
        &[
            "upgrade",
            "web",
            CHART,
            "--set",
            NEVER_READY,
            "--timeout",
            "5m",
        ],
    );
    wait_for(
        "the pending-upgrade record",
        Duration::from_secs(60),
        async || record_status(&ns, "web", 2).await.as_deref() == Some("pending-upgrade"),
    )
    .await;
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    ns.api::<Lease>()
        .delete("rudder-release-web", &Default::default())
        .await
        .expect("delete the lease");
    let out = rudder(&ns, &["upgrade", "web", CHART, "--wait=hookOnly"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("retry with --force-pending"),
        "{}",
        text(&out)
    );
    let out = rudder(
        &ns,
        &[
            "upgrade",
            "web",
            CHART,
            "--wait=hookOnly",
            "--force-pending",
            "--labels",
            "team=null,tier=api",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        record_status(&ns, "web", 2).await.as_deref(),
        Some("failed")
    );
    let labels = secrets
        .get("sh.helm.release.v1.web.v3")
        .await
        .unwrap()
        .metadata
        .labels
        .unwrap_or_default();
    assert_eq!(labels.get("team"), None, "null removes a label");
    assert_eq!(labels.get("tier").map(String::as_str), Some("api"));
    assert_eq!(labels.get("status").map(String::as_str), Some("deployed"));
}

/// The `TEST SUITE` block of `status` output (up to the notes).
fn test_suite_block(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .skip_while(|l| !l.starts_with("TEST SUITE"))
        .take_while(|l| !l.starts_with("NOTES:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Each test of a `TEST SUITE` block: name → (started, completed, phase), with the times
/// as seconds of the day (the runs here do not cross midnight).
fn test_runs(block: &str) -> std::collections::BTreeMap<String, (u32, u32, String)> {
    let seconds = |l: &str| -> u32 {
        // Go's ANSIC: "Fri Dec  4 15:00:41 2026".
        let clock = l.split_whitespace().nth(3).expect("a time");
        clock
            .split(':')
            .map(|p| p.parse::<u32>().expect("a number"))
            .fold(0, |acc, p| acc * 60 + p)
    };
    let lines: Vec<&str> = block.lines().collect();
    lines
        .chunks(4)
        .map(|c| {
            let name = c[0].strip_prefix("TEST SUITE:     ").expect("a test");
            let started = seconds(c[1].strip_prefix("Last Started:   ").expect("started"));
            let completed = seconds(c[2].strip_prefix("Last Completed: ").expect("completed"));
            let phase = c[3].strip_prefix("Phase:          ").expect("phase");
            (name.to_string(), (started, completed, phase.to_string()))
        })
        .collect()
}

fn helm_status(ns: &TestNamespace, name: &str) -> Output {
    let plane = ControlPlane::shared().expect("control plane");
    Command::new(rudder_testkit::helm())
        .args(["status", name, "-n", ns.name(), "--kubeconfig"])
        .arg(plane.kubeconfig())
        .env_remove("HELM_DRIVER")
        .output()
        .expect("helm runs")
}

/// `rudder test` runs the test hooks in weight order, writes each run into the revision (real
/// Helm's `helm status` shows the same suite), honours `--filter`, and fails naming the
/// failing test while still recording it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rudder_test_runs_test_hooks_and_records_them_as_helm_does() {
    let ns = namespace("cli-test-hooks").await;
    let out = rudder(
        &ns,
        &["install", "web", CHART, "--set", "tests.enabled=true"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Test hooks exist but none has run: Helm prints no TEST SUITE line at all.
    let before = rudder(&ns, &["status", "web"]);
    assert_eq!(test_suite_block(&before.stdout), "", "{}", text(&before));

    let out = rudder(&ns, &["test", "web", "--timeout", "2m"]);
    assert!(out.status.success(), "{}", text(&out));
    let suite = test_suite_block(&out.stdout);
    let runs = test_runs(&suite);
    assert_eq!(
        runs.keys().collect::<Vec<_>>(),
        ["web-test-config", "web-test-smoke"],
        "{suite}"
    );
    assert!(runs.values().all(|r| r.2 == "Succeeded"), "{suite}");
    // Weight order: `config` (weight 1) completed before `smoke` (weight 2) started.
    assert!(
        runs["web-test-config"].1 <= runs["web-test-smoke"].0,
        "{suite}"
    );
    // The revision is the same one (no new revision), and helm reads the same suite.
    assert_eq!(record_status(&ns, "web", 2).await, None);
    let helm = helm_status(&ns, "web");
    assert!(helm.status.success(), "{}", text(&helm));
    let status = rudder(&ns, &["status", "web"]);
    assert_eq!(
        test_suite_block(&helm.stdout),
        test_suite_block(&status.stdout)
    );
    assert_eq!(test_suite_block(&status.stdout), suite);

    // `--filter '!name=…'` skips a test: only `smoke` runs again (its start time moves on).
    let out = rudder(&ns, &["test", "web", "--filter", "!name=web-test-config"]);
    assert!(out.status.success(), "{}", text(&out));
    let again = test_runs(&test_suite_block(&out.stdout));
    assert_eq!(
        again["web-test-config"], runs["web-test-config"],
        "config ran again"
    );
    assert_eq!(again["web-test-smoke"].2, "Succeeded");

    // A failing test: exit code 1 naming it, and the failure recorded.
    let out = rudder(
        &ns,
        &[
            "upgrade",
            "web",
            CHART,
            "--wait=hookOnly",
            "--set",
            "tests.enabled=true",
            "--set-json",
            r#"tests.pods=[{"name":"bad","weight":0,"image":"registry.example/e2e/job-fail:1"}]"#,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = rudder(&ns, &["test", "web", "--timeout", "2m"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Progress lines, then one error line naming the test.
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("test hook Pod/web-test-bad failed"),
        "{stderr}"
    );
    let status = rudder(&ns, &["status", "web"]);
    let suite = test_suite_block(&status.stdout);
    assert!(
        suite.contains("TEST SUITE:     web-test-bad") && suite.contains("Phase:          Failed"),
        "{suite}"
    );
}
