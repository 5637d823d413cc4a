//! `rudder plugin …`, `rudder <plugin>`, `--post-renderer` and getter plugins, end to end
//! through the `rudder` binary with a temporary `RUDDER_PLUGINS`. The example plugins are
//! built from `plugins/` to wasm32-wasip1 by rudder-plugin's test support.

#[path = "../../rudder-plugin/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Output};

struct Env {
    plugins: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            plugins: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn rudder(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rudder"))
            .args(args)
            .env("RUDDER_PLUGINS", self.plugins.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("RUDDER_NO_PLUGINS")
            .output()
            .expect("run rudder")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.rudder(args);
        assert!(
            out.status.success(),
            "rudder {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Installs the example plugin `plugins/<name>` from an assembled directory.
    fn install_example(&self, name: &str) {
        let dir = example_dir(name);
        self.ok(&[
            "plugin",
            "install",
            dir.path().to_str().unwrap(),
            "--verify=false",
        ]);
    }
}

fn example_dir(name: &str) -> tempfile::TempDir {
    let wasm = format!("{}.wasm", name.replace('-', "_"));
    support::plugin_dir(&support::repo_root().join("plugins").join(name), &wasm)
}

fn chart(name: &str) -> String {
    support::repo_root()
        .join("testdata/charts")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The documents of `rudder template` output (split at `---` lines).
fn documents(text: &str) -> Vec<&str> {
    text.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .collect()
}

#[test]
fn install_without_verify_false_is_refused() {
    let env = Env::new();
    let dir = example_dir("hello");
    let out = env.rudder(&["plugin", "install", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--verify=false"), "{stderr}");
    assert!(stderr.contains("not implemented"), "{stderr}");
    assert!(!env.plugins.path().join("hello").exists());
}

#[test]
fn lifecycle_cli_postrenderer_and_getter() {
    let env = Env::new();
    for name in ["hello", "add-label", "example-getter"] {
        env.install_example(name);
    }
    // Installed by copy, not symlink.
    let meta = std::fs::symlink_metadata(env.plugins.path().join("hello")).unwrap();
    assert!(meta.is_dir());

    let list = env.ok(&["plugin", "list"]);
    let header: Vec<&str> = list.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "VERSION",
            "TYPE",
            "APIVERSION",
            "PROVENANCE",
            "SOURCE",
            "RUNTIME"
        ]
    );
    for (name, ty) in [
        ("hello", "cli/v1"),
        ("add-label", "postrenderer/v1"),
        ("example-getter", "getter/v1"),
    ] {
        let row = list
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{list}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], "0.1.0");
        assert_eq!(cells[2], ty);
        assert_eq!(cells[3], "v1");
        assert_eq!(cells[6], "extism/v1");
    }
    let getters = env.ok(&["plugin", "list", "--type", "getter/v1"]);
    assert_eq!(getters.lines().count(), 2, "{getters}");
    assert!(getters.contains("example-getter"));

    // `rudder <plugin>` runs the cli/v1 plugin with real stdio.
    let out = env.rudder(&["hello", "x"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Hello, x!");

    // --post-renderer labels every document, hooks included.
    let plain = env.ok(&[
        "template",
        "rel",
        &chart("e2e-basic"),
        "--set",
        "hooks.enabled=true",
    ]);
    let text = env.ok(&[
        "template",
        "rel",
        &chart("e2e-basic"),
        "--set",
        "hooks.enabled=true",
        "--post-renderer",
        "add-label",
    ]);
    let docs = documents(&text);
    assert_eq!(docs.len(), documents(&plain).len());
    assert!(text.contains("helm.sh/hook"), "{text}");
    for doc in &docs {
        assert!(
            doc.contains("rudder.example/post-rendered: \"true\""),
            "{doc}"
        );
    }
    assert!(!plain.contains("rudder.example/post-rendered"));
    let text = env.ok(&[
        "template",
        "rel",
        &chart("e2e-basic"),
        "--post-renderer",
        "add-label",
        "--post-renderer-args",
        "team=blue",
    ]);
    assert!(documents(&text).iter().all(|d| d.contains("team: blue")));

    // A getter plugin serves example:// chart references.
    let text = env.ok(&["template", "rel", "example://charts/example-0.1.0.tgz"]);
    assert!(text.contains("# Source: example/templates/"), "{text}");
    assert!(text.contains("name: rel-example"), "{text}");

    // Unknown post-renderer: a clear error.
    let out = env.rudder(&[
        "template",
        "rel",
        &chart("e2e-basic"),
        "--post-renderer",
        "nope",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"nope\" is not installed"));

    env.ok(&["plugin", "uninstall", "hello"]);
    assert!(!env.plugins.path().join("hello").exists());
    assert!(!env.ok(&["plugin", "list"]).contains("hello"));
    assert!(!env.rudder(&["hello", "x"]).status.success());
}

#[test]
fn installs_from_a_tgz() {
    let env = Env::new();
    let dir = example_dir("hello");
    let staging = tempfile::tempdir().unwrap();
    let wrapped = staging.path().join("hello");
    std::fs::create_dir(&wrapped).unwrap();
    for file in ["plugin.yaml", "plugin.wasm"] {
        std::fs::copy(dir.path().join(file), wrapped.join(file)).unwrap();
    }
    let archive = staging.path().join("hello-0.1.0.tgz");
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(staging.path())
        .arg("hello")
        .status()
        .expect("run tar");
    assert!(status.success());
    env.ok(&[
        "plugin",
        "install",
        archive.to_str().unwrap(),
        "--verify=false",
    ]);
    assert!(Path::new(&env.plugins.path().join("hello/plugin.wasm")).is_file());
    assert_eq!(env.ok(&["hello", "tgz"]).trim(), "Hello, tgz!");
}

#[test]
fn no_plugins_disables_running_plugins() {
    let env = Env::new();
    env.install_example("hello");
    let out = Command::new(env!("CARGO_BIN_EXE_rudder"))
        .args(["hello", "x"])
        .env("RUDDER_PLUGINS", env.plugins.path())
        .env("XDG_CACHE_HOME", env.cache.path())
        .env("RUDDER_NO_PLUGINS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RUDDER_NO_PLUGINS"));
}

/// `rudder install --post-renderer add-label` on the local control plane: the live objects
/// carry the label the plugin added.
#[test]
fn install_post_renders_live_objects() {
    use k8s_openapi::api::core::v1::{ConfigMap, Service};

    let plane = rudder_testkit::ControlPlane::shared().expect("control plane");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ns = rt
        .block_on(rudder_testkit::TestNamespace::create(
            plane,
            "plugin-postrender",
        ))
        .expect("namespace");
    let env = Env::new();
    env.install_example("add-label");
    env.ok(&[
        "install",
        "pr",
        &chart("e2e-basic"),
        "--post-renderer",
        "add-label",
        "--post-renderer-args",
        "team=blue",
        "--kubeconfig",
        plane.kubeconfig().to_str().unwrap(),
        "-n",
        ns.name(),
        "--wait=hookOnly",
    ]);
    let cm = rt
        .block_on(ns.api::<ConfigMap>().get("pr-config"))
        .expect("configmap");
    let svc = rt
        .block_on(ns.api::<Service>().get("pr-web"))
        .expect("service");
    for labels in [cm.metadata.labels, svc.metadata.labels] {
        let labels = labels.unwrap_or_default();
        assert_eq!(
            labels.get("team").map(String::as_str),
            Some("blue"),
            "{labels:?}"
        );
    }
    rt.block_on(ns.delete()).expect("delete namespace");
}
