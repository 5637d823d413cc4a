//! `ControlPlane::start` reports a control plane that cannot start as an error carrying the
//! script's own words, so a test author sees why (tests fail, they never skip).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rudder_testkit::{ControlPlane, Error, StartOptions};

fn script(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("cluster");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
    path
}

fn options(script: PathBuf, dir: &Path) -> StartOptions {
    StartOptions {
        script,
        state_dir: dir.join("state"),
        owner_pid: None,
    }
}

#[test]
fn a_failing_script_is_reported_with_its_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = script(
        dir.path(),
        r#"[ "$1" = up ] || exit 9
echo "building etcd" >&2
echo "scripts/cluster: timed out after 120s waiting for kube-apiserver /readyz" >&2
exit 3"#,
    );
    let error = ControlPlane::start(&options(script, dir.path())).expect_err("the script fails");
    let Error::StartFailed { status, output, .. } = &error else {
        panic!("unexpected error: {error:?}");
    };
    assert!(status.contains('3'), "{status}");
    assert!(
        output.ends_with("waiting for kube-apiserver /readyz"),
        "{output}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("the local control plane could not start"),
        "{text}"
    );
}

#[test]
fn the_state_dir_reaches_the_script_and_its_kubeconfig_is_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = script(
        dir.path(),
        r#"echo "export KUBECONFIG=$RUDDER_CLUSTER_STATE/kubeconfig""#,
    );
    let plane = ControlPlane::start(&options(script, dir.path())).expect("start");
    assert_eq!(plane.kubeconfig(), dir.path().join("state/kubeconfig"));
    assert!(!plane.is_owned());
}

#[test]
fn a_script_without_an_export_line_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = script(dir.path(), "echo started");
    let error = ControlPlane::start(&options(script, dir.path())).expect_err("no export line");
    assert!(matches!(error, Error::NoKubeconfigLine { .. }), "{error:?}");
}

#[test]
fn a_missing_script_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = ControlPlane::start(&options(dir.path().join("absent"), dir.path()))
        .expect_err("no script");
    assert!(matches!(error, Error::SpawnScript { .. }), "{error:?}");
}
