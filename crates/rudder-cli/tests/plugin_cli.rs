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
    // A tarball without a .prov is refused unless --verify=false (a directory is "local
    // dev" and not verified, as in Helm).
    let env = Env::new();
    let dir = example_dir("hello");
    let work = tempfile::tempdir().unwrap();
    let archive = tgz_of(dir.path(), "hello", work.path(), "0.1.0");
    let out = env.rudder(&["plugin", "install", archive.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(".prov"), "{stderr}");
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
        assert_eq!(cells.last(), Some(&"extism/v1"));
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

// --- subprocess runtime, install sources, push/update ---

/// `testdata/plugins/subprocess/<name>`.
fn subprocess_src(name: &str) -> std::path::PathBuf {
    support::repo_root()
        .join("testdata/plugins/subprocess")
        .join(name)
}

/// Copies `testdata/plugins/subprocess/<name>` into `<parent>/<name>` (so hooks write
/// into the copy, never into the repository).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A `<name>-<version>.tgz` of a plugin directory, wrapped in `<name>/` as Helm packages it.
fn tgz_of(dir: &Path, name: &str, out_dir: &Path, version: &str) -> std::path::PathBuf {
    let staging = tempfile::tempdir().unwrap();
    copy_tree(dir, &staging.path().join(name));
    let archive = out_dir.join(format!("{name}-{version}.tgz"));
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(staging.path())
        .arg(name)
        .status()
        .expect("run tar");
    assert!(status.success());
    archive
}

/// Real Helm 4.1.4 with its own plugins/data/config/cache directories.
struct Helm {
    home: tempfile::TempDir,
}

impl Helm {
    fn new() -> Self {
        Helm {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let h = self.home.path();
        let mut cmd = Command::new(rudder_testkit::helm());
        cmd.args(args)
            // Helm installs local plugins under its data directory whatever HELM_PLUGINS
            // says, so both point at the same place.
            .env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_PLUGINS", h.join("data/plugins"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"));
        cmd
    }

    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.cmd(args).envs(env.iter().copied()).output().unwrap();
        assert!(
            out.status.success(),
            "helm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Env {
    fn rudder_env(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        use std::io::Write as _;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rudder"));
        cmd.args(args)
            .env("RUDDER_PLUGINS", self.plugins.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("RUDDER_NO_PLUGINS")
            .env_remove("RUDDER_NAMESPACE")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .stdin(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("run rudder");
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }
}

/// The lines of `text` starting with one of `prefixes` (what both hosts must agree on).
fn lines_with<'a>(text: &'a str, prefixes: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
        .collect()
}

/// The four subprocess test plugins run under Rudder as under real Helm 4.1.4: command
/// selection per platform, `$VAR` expansion, HELM_* environment, global flags taken out of
/// the arguments, exit codes, stdin, hooks, post-renderer and getter protocols.
#[test]
fn subprocess_plugins_run_like_helm() {
    let env = Env::new();
    let helm = Helm::new();
    let sources = tempfile::tempdir().unwrap();
    for name in ["sh-cli", "sh-getter", "sh-postrender", "legacy-cli"] {
        let copy = sources.path().join(name);
        copy_tree(&subprocess_src(name), &copy);
        env.ok(&[
            "plugin",
            "install",
            copy.to_str().unwrap(),
            "--verify=false",
        ]);
        helm.ok(&["plugin", "install", copy.to_str().unwrap()], &[]);
    }
    let plugins = env.plugins.path();

    // Marked unsandboxed in the list.
    let list = env.ok(&["plugin", "list"]);
    for name in ["sh-cli", "sh-getter", "sh-postrender", "legacy-cli"] {
        let row = list
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{list}"));
        assert!(row.contains("subprocess (unsandboxed)"), "{row}");
    }
    assert!(list.contains("legacy"), "{list}");

    // Install hooks ran in the installed copies (v1 platformHooks; legacy `hooks` via sh -c).
    assert_eq!(
        std::fs::read_to_string(plugins.join("sh-cli/installed.txt")).unwrap(),
        "installed\n"
    );
    assert_eq!(
        std::fs::read_to_string(plugins.join("legacy-cli/hook.txt")).unwrap(),
        "legacy hook in legacy-cli\n"
    );

    // cli/v1: arguments, expansion, environment; global flags become HELM_* variables.
    let args = ["sh-cli", "a", "--b", "c", "-n", "myns", "--debug"];
    let vars = [("SH_CLI_TEST_TOKEN", "tok")];
    let out = env.rudder_env(&args, &vars, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = helm.ok(&args, &vars);
    let same = ["args:", "name=", "namespace=", "debug=", "token="];
    assert_eq!(lines_with(&ours, &same), lines_with(&theirs, &same));
    assert_eq!(
        lines_with(&ours, &same),
        [
            "args: --from-manifest=sh-cli a --b c",
            "name=sh-cli",
            "namespace=myns",
            "debug=true",
            // Not sandboxed: the plugin sees the whole environment, secrets included.
            "token=tok",
        ]
    );
    assert!(
        ours.contains(&format!("dir={}", plugins.join("sh-cli").display())),
        "{ours}"
    );
    assert!(
        ours.contains(&format!("bin={}", env!("CARGO_BIN_EXE_rudder"))),
        "{ours}"
    );

    // Exit status and stderr pass through; stdin too.
    let out = env.rudder_env(&["sh-cli"], &[("SH_CLI_EXIT", "3")], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exiting with 3"));
    let out = env.rudder_env(&["sh-cli", "stdin"], &[], Some("piped text\n"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "piped text\n");
    // HELM_BIN is this rudder.
    let out = env.rudder_env(&["sh-cli", "self"], &[], None);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("sh-cli"));

    // Legacy manifest: the command string's words, then the user's arguments.
    let args = ["legacy-cli", "x", "y", "--namespace=q"];
    let ours = env.ok(&args);
    assert_eq!(ours, helm.ok(&args, &[]));
    assert_eq!(ours, "legacy args: --legacy x y\nlegacy name=legacy-cli\n");

    // postrenderer/v1: manifests through stdin/stdout, --post-renderer-args appended.
    let args = [
        "template",
        "rel",
        &chart("v2-webapp"),
        "--post-renderer",
        "sh-postrender",
        "--post-renderer-args",
        "x",
        "--post-renderer-args",
        "y",
    ];
    let ours = env.ok(&args);
    let theirs = helm.ok(&args, &[]);
    // The added document, compared line by line (key order and quoting aside; the two hosts
    // name the post-renderer's extra document differently in the `# Source:` comment).
    let added = |text: &str| {
        let doc = documents(text)
            .into_iter()
            .find(|d| d.contains("name: post-rendered"))
            .unwrap_or_else(|| panic!("no post-rendered ConfigMap in:\n{text}"));
        let mut lines: Vec<String> = doc
            .lines()
            .filter(|l| !l.starts_with("# Source:") && !l.trim().is_empty())
            .map(|l| l.replace('"', ""))
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(added(&ours), added(&theirs));
    assert!(added(&ours).contains(&"  args: x y".to_string()), "{ours}");
    assert!(ours.contains("# Source: webapp/"), "{ours}");

    // getter/v1: the chart comes from the plugin's stdout; arguments as Helm passes them.
    let packaged = tempfile::tempdir().unwrap();
    env.ok(&[
        "package",
        &chart("v2-webapp"),
        "-d",
        packaged.path().to_str().unwrap(),
    ]);
    let tgz = std::fs::read_dir(packaged.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = tgz.file_name().unwrap().to_str().unwrap().to_string();
    for dir in [
        plugins.join("sh-getter"),
        helm.home.path().join("data/plugins/sh-getter"),
    ] {
        std::fs::create_dir_all(dir.join("charts")).unwrap();
        std::fs::copy(&tgz, dir.join("charts").join(&file)).unwrap();
    }
    let url = format!("shget://charts/{file}");
    let logs = tempfile::tempdir().unwrap();
    let (our_log, their_log) = (logs.path().join("ours"), logs.path().join("theirs"));
    let out = env.rudder_env(
        &["template", "rel", &url],
        &[("SH_GETTER_LOG", our_log.to_str().unwrap())],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = helm.ok(
        &["template", "rel", &url],
        &[("SH_GETTER_LOG", their_log.to_str().unwrap())],
    );
    assert!(ours.contains("# Source: webapp/"), "{ours}");
    assert_eq!(documents(&ours).len(), documents(&theirs).len());
    let our_log = std::fs::read_to_string(&our_log).unwrap();
    assert_eq!(our_log, std::fs::read_to_string(&their_log).unwrap());
    assert_eq!(
        our_log,
        format!("cert= key= ca= url={url} user= all=false\n")
    );
    // A failing getter: its stderr is in the one-line error.
    let out = env.rudder(&["template", "rel", "shget://charts/missing.tgz"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sh-getter") && err.contains("not found"),
        "{err}"
    );

    // Uninstall runs the delete hook first.
    let marker = logs.path().join("deleted");
    let out = env.rudder_env(
        &["plugin", "uninstall", "sh-cli"],
        &[("SH_CLI_DELETE_MARKER", marker.to_str().unwrap())],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "deleted\n");
    assert!(!plugins.join("sh-cli").exists());
}

/// `python3 -m http.server` on a free loopback port, serving `dir`; killed on drop.
struct HttpServer {
    child: std::process::Child,
    port: u16,
}

impl HttpServer {
    fn start(dir: &Path) -> Self {
        use std::io::BufRead as _;
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 is required for the http install test");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected http.server banner {line:?}"));
        HttpServer { child, port }
    }

    fn url(&self, file: &str) -> String {
        format!("http://127.0.0.1:{}/{file}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a .tgz holding `plugin.yaml` plus one hostile entry, with Python's tarfile (which,
/// unlike the tar tool, writes any name and link asked for).
fn hostile_tgz(path: &Path, entry: &str, kind: &str) {
    let script = r#"
import io, sys, tarfile
path, entry, kind = sys.argv[1:4]
with tarfile.open(path, "w:gz") as t:
    def add(name, data):
        info = tarfile.TarInfo(name); info.size = len(data); info.mode = 0o644
        t.addfile(info, io.BytesIO(data))
    add("evil/plugin.yaml", b"apiVersion: v1\nname: evil\nversion: 0.1.0\ntype: cli/v1\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n  - command: sh\n")
    if kind == "file":
        add(entry, b"pwned\n")
    else:
        info = tarfile.TarInfo(entry); info.type = tarfile.SYMTYPE; info.linkname = "/etc/passwd"
        t.addfile(info)
"#;
    let status = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap(), entry, kind])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Install from an http:// URL (a real HTTP server), update from the recorded URL, and
/// refuse archives whose entries escape the plugin directory or are links.
#[test]
fn installs_and_updates_from_http_and_rejects_unsafe_archives() {
    let env = Env::new();
    let served = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let plugin = src.path().join("sh-cli");
    copy_tree(&subprocess_src("sh-cli"), &plugin);
    let archive = tgz_of(&plugin, "sh-cli", served.path(), "0.1.0");
    // A stable name for the URL, so that `update` finds the new version there.
    std::fs::rename(&archive, served.path().join("sh-cli.tgz")).unwrap();
    let server = HttpServer::start(served.path());

    let url = server.url("sh-cli.tgz");
    let out = env.ok(&["plugin", "install", &url, "--verify=false"]);
    assert!(out.starts_with("Installed plugin: sh-cli"), "{out}");
    // The script kept its executable bit through the archive.
    let out = env.rudder_env(&["sh-cli", "hi"], &[], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("args: --from-manifest=sh-cli hi"));

    // A new version at the same URL; `plugin update` re-installs from it.
    let text = std::fs::read_to_string(plugin.join("plugin.yaml")).unwrap();
    std::fs::write(
        plugin.join("plugin.yaml"),
        text.replace("version: 0.1.0", "version: 0.2.0"),
    )
    .unwrap();
    let v2 = tgz_of(&plugin, "sh-cli", src.path(), "0.2.0");
    std::fs::rename(&v2, served.path().join("sh-cli.tgz")).unwrap();
    let out = env.ok(&["plugin", "update", "sh-cli", "--verify=false"]);
    assert_eq!(out.trim(), "Updated plugin: sh-cli (0.2.0)");
    let list = env.ok(&["plugin", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("sh-cli") && l.contains("0.2.0")),
        "{list}"
    );
    assert!(env.rudder_env(&["sh-cli"], &[], None).status.success());

    // Missing URL, and content that is not an archive.
    std::fs::write(served.path().join("page.html"), "<html></html>").unwrap();
    for (file, expected) in [
        ("missing.tgz", "404"),
        ("page.html", "not a plugin archive"),
    ] {
        let out = env.rudder(&["plugin", "install", &server.url(file), "--verify=false"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    // Path traversal, absolute paths and links are refused; nothing lands outside.
    let outside = served.path().join("pwned");
    for (name, entry, kind, reason) in [
        (
            "dotdot.tgz",
            "evil/../../pwned",
            "file",
            "path escapes the archive",
        ),
        ("abs.tgz", "/tmp/rudder-pwned-abs", "file", "absolute path"),
        (
            "link.tgz",
            "evil/passwd",
            "symlink",
            "not a regular file or directory",
        ),
    ] {
        hostile_tgz(&served.path().join(name), entry, kind);
        let out = env.rudder(&["plugin", "install", &server.url(name), "--verify=false"]);
        assert!(!out.status.success(), "{name} was installed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(reason), "{name}: {err}");
        assert!(!env.plugins.path().join("evil").exists());
    }
    assert!(!outside.exists());
    assert!(!Path::new("/tmp/rudder-pwned-abs").exists());
}

#[path = "../../rudder-registry/tests/common/mod.rs"]
mod registry_common;

/// `rudder plugin push` to a real registry; `rudder plugin install oci://…` and real
/// Helm 4.1.4's `helm plugin install oci://…` both install the pushed artifact;
/// `plugin update` follows the newest tag; a chart artifact is refused.
#[test]
fn oci_push_install_update_and_helm_reads_it() {
    let reg = registry_common::Registry::start();
    let env = Env::new();
    let work = tempfile::tempdir().unwrap();
    let cfg = work.path().join("config.json");
    let cfg = cfg.to_str().unwrap();
    let hello = example_dir("hello");
    let archive = tgz_of(hello.path(), "hello", work.path(), "0.1.0");
    let remote = format!("oci://{}/plugins", reg.addr);
    let out = env.ok(&[
        "plugin",
        "push",
        archive.to_str().unwrap(),
        &remote,
        "--plain-http",
        "--registry-config",
        cfg,
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("Pushed: {}/plugins/hello:0.1.0", reg.addr)
    );
    assert!(lines[1].starts_with("Digest: sha256:"), "{out}");

    // Rudder installs it.
    let reference = format!("{remote}/hello:0.1.0");
    env.ok(&[
        "plugin",
        "install",
        &reference,
        "--plain-http",
        "--registry-config",
        cfg,
        "--verify=false",
    ]);
    assert_eq!(env.ok(&["hello", "oci"]).trim(), "Hello, oci!");

    // Real Helm installs the same artifact and runs the same .wasm.
    let helm = Helm::new();
    helm.ok(
        &[
            "plugin",
            "install",
            &reference,
            "--plain-http",
            "--verify=false",
        ],
        &[],
    );
    assert_eq!(helm.ok(&["hello", "oci"], &[]).trim(), "Hello, oci!");

    // Version 0.2.0 pushed; a plugin installed without a tag updates to the newest.
    let env2 = Env::new();
    env2.ok(&[
        "plugin",
        "install",
        &format!("{remote}/hello"),
        "--plain-http",
        "--registry-config",
        cfg,
        "--verify=false",
    ]);
    let text = std::fs::read_to_string(hello.path().join("plugin.yaml")).unwrap();
    std::fs::write(
        hello.path().join("plugin.yaml"),
        text.replace("version: 0.1.0", "version: 0.2.0"),
    )
    .unwrap();
    let v2 = tgz_of(hello.path(), "hello", work.path(), "0.2.0");
    env.ok(&[
        "plugin",
        "push",
        v2.to_str().unwrap(),
        &remote,
        "--plain-http",
        "--registry-config",
        cfg,
    ]);
    let out = env2.ok(&[
        "plugin",
        "update",
        "hello",
        "--verify=false",
        "--registry-config",
        cfg,
    ]);
    assert_eq!(out.trim(), "Updated plugin: hello (0.2.0)");
    assert_eq!(env2.ok(&["hello", "v2"]).trim(), "Hello, v2!");
    // The tarball kept for `plugin list`/`verify` is the new version's, not the old one's.
    let kept = env2.plugins.path().join(".rudder-provenance");
    assert!(kept.join("hello-0.2.0.tgz").is_file(), "new tarball kept");
    assert!(
        !kept.join("hello-0.1.0.tgz").exists(),
        "old tarball dropped"
    );
    // The tagged install stays on its tag.
    let out = env.ok(&[
        "plugin",
        "update",
        "hello",
        "--verify=false",
        "--registry-config",
        cfg,
    ]);
    assert_eq!(out.trim(), "Updated plugin: hello (0.1.0)");

    // A chart is not a plugin.
    let charts = tempfile::tempdir().unwrap();
    env.ok(&[
        "package",
        &chart("e2e-basic"),
        "-d",
        charts.path().to_str().unwrap(),
    ]);
    let chart_tgz = std::fs::read_dir(charts.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let chart_name = chart_tgz.file_name().unwrap().to_str().unwrap().to_string();
    let version = chart_name
        .trim_start_matches("e2e-basic-")
        .trim_end_matches(".tgz")
        .to_string();
    env.ok(&[
        "push",
        chart_tgz.to_str().unwrap(),
        &format!("oci://{}/charts", reg.addr),
        "--plain-http",
        "--registry-config",
        cfg,
    ]);
    let out = env.rudder(&[
        "plugin",
        "install",
        &format!("oci://{}/charts/e2e-basic:{version}", reg.addr),
        "--plain-http",
        "--registry-config",
        cfg,
        "--verify=false",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a Helm plugin"), "{err}");
}
