//! Classic chart repositories end to end: a real static HTTP server (Python's `http.server`
//! on 127.0.0.1) serving an index made by `rudder repo index`; `repo add`, `search repo`,
//! `template`/`show`/`pull` of `repo/chart`, `dependency update`/`build` — each compared
//! with real Helm 4.1.4 on the same repository — and bad input (unreachable server, 401,
//! missing version, digest mismatches) leaving nothing partial in the content cache.

#[path = "../../rudder-registry/tests/common/mod.rs"]
mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

/// A Python static file server (optionally requiring basic auth), stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, auth: Option<(&str, &str)>) -> Server {
        let port = free_port();
        let mut cmd = Command::new("python3");
        match auth {
            None => {
                cmd.args(["-m", "http.server", "--bind", "127.0.0.1"])
                    .arg(port.to_string())
                    .arg("--directory")
                    .arg(dir);
            }
            Some((user, password)) => {
                cmd.arg("-c")
                    .arg(AUTH_SERVER)
                    .arg(port.to_string())
                    .arg(dir)
                    .arg(user)
                    .arg(password);
            }
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 must be installed to serve the test repository");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `http.server` behind HTTP basic auth (argv: port, directory, user, password).
const AUTH_SERVER: &str = r#"
import base64, functools, http.server, sys
port, root, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(H, directory=root)).serve_forever()
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Isolated configuration for one rudder and one helm.
struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn content_cache(&self) -> PathBuf {
        self.path("rudder/content")
    }

    fn rudder(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rudder"))
            .args(args)
            .env(
                "RUDDER_REPOSITORY_CONFIG",
                self.path("rudder/repositories.yaml"),
            )
            .env("RUDDER_REPOSITORY_CACHE", self.path("rudder/repository"))
            .env("RUDDER_CONTENT_CACHE", self.content_cache())
            .env("HOME", self.path("home"))
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_CACHE_HOME")
            .output()
            .expect("run rudder")
    }

    fn helm(&self, args: &[&str]) -> Output {
        Command::new(rudder_testkit::helm())
            .args(args)
            .env("HELM_CONFIG_HOME", self.path("helm/config"))
            .env("HELM_CACHE_HOME", self.path("helm/cache"))
            .env("HELM_DATA_HOME", self.path("helm/data"))
            .env(
                "HELM_REPOSITORY_CONFIG",
                self.path("helm/repositories.yaml"),
            )
            .env("HELM_REPOSITORY_CACHE", self.path("helm/repository"))
            .env("HELM_CONTENT_CACHE", self.path("helm/content"))
            .output()
            .expect("run helm")
    }

    fn ok(&self, args: &[&str]) -> String {
        check("rudder", args, self.rudder(args))
    }

    fn helm_ok(&self, args: &[&str]) -> String {
        check("helm", args, self.helm(args))
    }

    /// Runs a rudder command that must fail; returns its stderr, asserted to be one
    /// `Error:` line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.rudder(args);
        assert!(!out.status.success(), "rudder {args:?} succeeded");
        let err = String::from_utf8(out.stderr).expect("utf8 stderr");
        assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
        assert!(err.starts_with("Error: "), "{err:?}");
        err
    }

    /// Every file under the content cache (temporary files included).
    fn cache_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.content_cache(), &mut out);
        out.sort();
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn check(tool: &str, args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 stdout")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A small apiVersion v2 chart directory.
fn chart_dir(root: &Path, name: &str, description: &str, keywords: &[&str]) -> PathBuf {
    let dir = root.join(name);
    let mut chart = format!(
        "apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"2.0\"\ndescription: {description}\n"
    );
    if !keywords.is_empty() {
        chart.push_str("keywords:\n");
        for k in keywords {
            chart.push_str(&format!("- {k}\n"));
        }
    }
    write(&dir.join("Chart.yaml"), &chart);
    write(&dir.join("values.yaml"), "greeting: hello\na:\n  x: 1\n");
    write(
        &dir.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n  greeting: {{ .Values.greeting | quote }}\n",
    );
    dir
}

/// A repository directory: alpha 0.1.0, 0.2.0 and 0.3.0-rc.1, beta 1.0.0 (in a
/// subdirectory), indexed by `rudder repo index`.
fn make_repo(env: &Env) -> PathBuf {
    let src = env.path("src");
    let repo = env.path("repo");
    let alpha = chart_dir(&src, "alpha", "Alpha <chart> & more", &["web", "demo"]);
    let beta = chart_dir(&src, "beta", "The beta chart", &[]);
    for v in ["0.1.0", "0.2.0", "0.3.0-rc.1"] {
        env.ok(&["package", s(&alpha), "-d", s(&repo), "--version", v]);
    }
    env.ok(&[
        "package",
        s(&beta),
        "-d",
        s(&repo.join("sub")),
        "--version",
        "1.0.0",
    ]);
    env.ok(&["repo", "index", s(&repo)]);
    repo
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

#[test]
fn repo_add_search_template_show_pull_like_helm() {
    let env = Env::new();
    let repo = make_repo(&env);
    let server = Server::start(&repo, None);
    let url = server.url.as_str();

    assert_eq!(
        env.ok(&["repo", "add", "myrepo", url]),
        "\"myrepo\" has been added to your repositories\n"
    );
    assert_eq!(
        env.ok(&["repo", "add", "myrepo", url]),
        "\"myrepo\" already exists with the same configuration, skipping\n"
    );
    let err = env.fails(&["repo", "add", "myrepo", &format!("{url}/other")]);
    assert!(
        err.contains("repository name (myrepo) already exists"),
        "{err}"
    );
    assert!(env.path("rudder/repository/myrepo-index.yaml").is_file());
    assert_eq!(
        std::fs::read_to_string(env.path("rudder/repository/myrepo-charts.txt")).unwrap(),
        "alpha\nbeta\n"
    );
    // Helm reads the index rudder made.
    env.helm_ok(&["repo", "add", "myrepo", url]);
    // repositories.yaml has Helm's format, so the two files are identical.
    assert_eq!(
        std::fs::read_to_string(env.path("rudder/repositories.yaml")).unwrap(),
        std::fs::read_to_string(env.path("helm/repositories.yaml")).unwrap()
    );
    assert_eq!(env.ok(&["repo", "list"]), env.helm_ok(&["repo", "list"]));
    assert_eq!(
        env.ok(&["repo", "list", "-o", "json"]),
        env.helm_ok(&["repo", "list", "-o", "json"])
    );

    for args in [
        vec!["search", "repo"],
        vec!["search", "repo", "alpha"],
        vec!["search", "repo", "--versions"],
        vec!["search", "repo", "demo", "--devel"],
        vec!["search", "repo", "alpha", "--version", "<0.2.0"],
        vec!["search", "repo", "-o", "json"],
        vec!["search", "repo", "--devel", "-o", "yaml"],
        vec!["search", "repo", "nothing-matches"],
        vec!["search", "repo", "-r", "b.t"],
    ] {
        assert_eq!(env.ok(&args), env.helm_ok(&args), "{args:?}");
    }

    let out = env.ok(&["template", "rel", "myrepo/alpha", "--version", "0.2.0"]);
    assert!(out.contains("version: \"0.2.0\""), "{out}");
    for args in [
        vec!["template", "rel", "myrepo/alpha", "--version", "0.2.0"],
        vec!["template", "rel", "myrepo/alpha", "--version", "^0.1"],
        vec!["template", "rel", "myrepo/alpha"],
        vec!["template", "rel", "myrepo/alpha", "--devel"],
        vec![
            "template",
            "rel",
            "alpha",
            "--repo",
            url,
            "--version",
            "0.1.0",
        ],
        vec!["template", "rel", "myrepo/beta"],
        vec!["show", "chart", "myrepo/beta"],
        vec!["show", "values", "myrepo/alpha", "--version", "0.1.0"],
    ] {
        assert_eq!(env.ok(&args), env.helm_ok(&args), "{args:?}");
    }

    // The archives went into the content cache under their sha256.
    let archive = repo.join("alpha-0.2.0.tgz");
    let digest = sha256_hex(&archive);
    let cached = env
        .content_cache()
        .join(&digest[..2])
        .join(format!("{digest}.chart"));
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        std::fs::read(&archive).unwrap()
    );

    let dest = env.path("pulled");
    env.ok(&["pull", "myrepo/alpha", "--version", "0.1.0", "-d", s(&dest)]);
    assert_eq!(
        std::fs::read(dest.join("alpha-0.1.0.tgz")).unwrap(),
        std::fs::read(repo.join("alpha-0.1.0.tgz")).unwrap()
    );
    env.ok(&["pull", "myrepo/beta", "--untar", "-d", s(&dest)]);
    assert!(dest.join("beta/Chart.yaml").is_file());

    env.ok(&["repo", "update"]);
    assert_eq!(
        env.ok(&["repo", "remove", "myrepo"]),
        "\"myrepo\" has been removed from your repositories\n"
    );
    assert!(!env.path("rudder/repository/myrepo-index.yaml").exists());
    let err = env.fails(&["template", "rel", "myrepo/alpha"]);
    assert!(err.contains("no repo named \"myrepo\" found"), "{err}");
}

#[test]
fn repo_index_merge_and_url_are_what_helm_writes() {
    let env = Env::new();
    let repo = make_repo(&env);
    // Same directory indexed by helm: identical apart from the times.
    let helm_dir = env.path("helm-repo");
    std::fs::create_dir_all(helm_dir.join("sub")).unwrap();
    for f in [
        "alpha-0.1.0.tgz",
        "alpha-0.2.0.tgz",
        "alpha-0.3.0-rc.1.tgz",
        "sub/beta-1.0.0.tgz",
    ] {
        std::fs::copy(repo.join(f), helm_dir.join(f)).unwrap();
    }
    let strip_times = |text: String| -> String {
        text.lines()
            .filter(|l| !l.trim_start().starts_with("created:") && !l.starts_with("generated:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for extra in [vec![], vec!["--url", "https://charts.example.com/x/"]] {
        let mut r = vec!["repo", "index", s(&repo)];
        r.extend(&extra);
        env.ok(&r);
        let mut h = vec!["repo", "index", s(&helm_dir)];
        h.extend(&extra);
        env.helm_ok(&h);
        assert_eq!(
            strip_times(std::fs::read_to_string(repo.join("index.yaml")).unwrap()),
            strip_times(std::fs::read_to_string(helm_dir.join("index.yaml")).unwrap()),
            "{extra:?}"
        );
    }
    // --merge keeps the entries of the old index that the directory no longer has.
    let old = env.path("old-index.yaml");
    std::fs::copy(repo.join("index.yaml"), &old).unwrap();
    std::fs::remove_file(repo.join("alpha-0.1.0.tgz")).unwrap();
    env.ok(&["repo", "index", s(&repo), "--merge", s(&old)]);
    let merged = std::fs::read_to_string(repo.join("index.yaml")).unwrap();
    assert!(merged.contains("version: 0.1.0"), "{merged}");
    std::fs::copy(&old, helm_dir.join("old.yaml")).unwrap();
    std::fs::remove_file(helm_dir.join("alpha-0.1.0.tgz")).unwrap();
    env.helm_ok(&[
        "repo",
        "index",
        s(&helm_dir),
        "--merge",
        s(&helm_dir.join("old.yaml")),
    ]);
    assert_eq!(
        strip_times(merged),
        strip_times(std::fs::read_to_string(helm_dir.join("index.yaml")).unwrap())
    );
}

/// A parent chart whose dependencies come by `@name` and by URL.
fn parent_chart(root: &Path, url: &str) -> PathBuf {
    let dir = chart_dir(root, "parent", "Parent", &[]);
    let mut chart = std::fs::read_to_string(dir.join("Chart.yaml")).unwrap();
    chart.push_str(&format!(
        "dependencies:\n- name: alpha\n  version: \">=0.1.0 <0.3.0\"\n  repository: \"@myrepo\"\n  tags: [x]\n  import-values:\n  - child: a\n    parent: b\n- name: beta\n  version: ^1\n  repository: {url}/\n  alias: bb\n  condition: bb.enabled\n- name: alpha\n  version: \">=0.1.0 <0.3.0\"\n  repository: \"@myrepo\"\n  alias: a2\n"
    ));
    write(&dir.join("Chart.yaml"), &chart);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn without_generated(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("generated:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn dependency_update_and_build_write_helms_chart_lock() {
    let env = Env::new();
    let repo = make_repo(&env);
    let server = Server::start(&repo, None);
    env.ok(&["repo", "add", "myrepo", &server.url]);
    env.helm_ok(&["repo", "add", "myrepo", &server.url]);

    let ours = parent_chart(&env.path("ours"), &server.url);
    let theirs = env.path("theirs/parent");
    copy_dir(&ours, &theirs);
    env.ok(&["dependency", "update", s(&ours)]);
    env.helm_ok(&["dependency", "update", s(&theirs)]);

    let lock = std::fs::read_to_string(ours.join("Chart.lock")).unwrap();
    let helm_lock = std::fs::read_to_string(theirs.join("Chart.lock")).unwrap();
    assert_eq!(without_generated(&lock), without_generated(&helm_lock));
    assert!(lock.contains("version: 0.2.0"), "{lock}");
    assert_eq!(
        listing(&ours.join("charts")),
        ["alpha-0.2.0.tgz", "beta-1.0.0.tgz"]
    );
    assert_eq!(
        listing(&ours.join("charts")),
        listing(&theirs.join("charts"))
    );
    for f in ["alpha-0.2.0.tgz", "beta-1.0.0.tgz"] {
        assert_eq!(
            std::fs::read(ours.join("charts").join(f)).unwrap(),
            std::fs::read(theirs.join("charts").join(f)).unwrap()
        );
    }
    assert_eq!(
        env.ok(&["dependency", "list", s(&ours)]),
        env.helm_ok(&["dependency", "list", s(&theirs)])
    );

    // Helm accepts rudder's lock, and rudder builds from Helm's.
    env.helm_ok(&["dependency", "build", s(&ours)]);
    std::fs::remove_dir_all(theirs.join("charts")).unwrap();
    env.ok(&["dependency", "build", s(&theirs), "--skip-refresh"]);
    assert_eq!(
        listing(&theirs.join("charts")),
        ["alpha-0.2.0.tgz", "beta-1.0.0.tgz"]
    );
    // An unchanged update leaves Chart.lock alone, as Helm does.
    env.ok(&["dependency", "update", s(&ours)]);
    assert_eq!(
        std::fs::read_to_string(ours.join("Chart.lock")).unwrap(),
        lock
    );

    // The parent renders with its dependencies.
    let out = env.ok(&["template", "rel", s(&ours)]);
    assert!(out.contains("name: rel-alpha"), "{out}");
    assert!(out.contains("name: rel-bb"), "{out}");
    assert_eq!(out, env.helm_ok(&["template", "rel", s(&theirs)]));

    // A lock out of sync with Chart.yaml is refused, and charts/ is left as it was.
    let chart = std::fs::read_to_string(ours.join("Chart.yaml")).unwrap();
    write(
        &ours.join("Chart.yaml"),
        &chart.replace("version: ^1", "version: ^2"),
    );
    let err = env.fails(&["dependency", "build", s(&ours)]);
    assert!(err.contains("out of sync"), "{err}");
    let err = env.fails(&["dependency", "update", s(&ours)]);
    assert!(
        err.contains("can't get a valid version for repositories beta"),
        "{err}"
    );
    assert_eq!(
        listing(&ours.join("charts")),
        ["alpha-0.2.0.tgz", "beta-1.0.0.tgz"]
    );

    // --dependency-update fills the missing charts before rendering.
    let fresh = parent_chart(&env.path("fresh"), &server.url);
    let out = env.ok(&["template", "rel", s(&fresh), "--dependency-update"]);
    assert!(out.contains("name: rel-alpha"), "{out}");
    assert!(fresh.join("Chart.lock").is_file());
}

#[test]
fn bad_input_is_one_line_and_leaves_nothing_partial() {
    let env = Env::new();
    let repo = make_repo(&env);

    // Unreachable repository: nothing is recorded.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let err = env.fails(&["repo", "add", "dead", &dead]);
    assert!(
        err.contains("cannot be reached") && err.contains("cannot reach"),
        "{err}"
    );
    assert!(!env.path("rudder/repositories.yaml").exists());

    // Basic auth: 401 without credentials, fine with them (also for the chart download).
    let secure = Server::start(&repo, Some(("user", "s3cret")));
    let err = env.fails(&["repo", "add", "secure", &secure.url]);
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(!err.contains("s3cret"));
    env.ok(&[
        "repo",
        "add",
        "secure",
        &secure.url,
        "--username",
        "user",
        "--password",
        "s3cret",
    ]);
    let out = env.ok(&["template", "rel", "secure/alpha", "--version", "0.1.0"]);
    assert!(out.contains("version: \"0.1.0\""), "{out}");
    let good_cache = env.cache_files();
    assert_eq!(good_cache.len(), 1, "{good_cache:?}");

    // A version the index does not have.
    let err = env.fails(&["template", "rel", "secure/alpha", "--version", "9.9.9"]);
    assert!(err.contains("not found in secure index"), "{err}");
    assert_eq!(env.cache_files(), good_cache);

    // The cached archive was tampered with: refused, removed, and fetched again next time.
    std::fs::write(&good_cache[0], b"not the chart").unwrap();
    let err = env.fails(&["template", "rel", "secure/alpha", "--version", "0.1.0"]);
    assert!(err.contains("does not match its digest"), "{err}");
    assert!(env.cache_files().is_empty());
    env.ok(&["template", "rel", "secure/alpha", "--version", "0.1.0"]);
    assert_eq!(env.cache_files(), good_cache);

    // The server's archive does not match the index digest: nothing enters the cache.
    let tampered = env.path("tampered");
    copy_dir(&repo, &tampered);
    std::fs::copy(
        tampered.join("alpha-0.1.0.tgz"),
        tampered.join("alpha-0.2.0.tgz"),
    )
    .unwrap();
    let server = Server::start(&tampered, None);
    env.ok(&["repo", "add", "tampered", &server.url]);
    let err = env.fails(&["template", "rel", "tampered/alpha", "--version", "0.2.0"]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert_eq!(env.cache_files(), good_cache);
    // …and a dependency update from it leaves charts/ and Chart.lock untouched.
    let parent = chart_dir(&env.path("p"), "parent", "Parent", &[]);
    let mut chart = std::fs::read_to_string(parent.join("Chart.yaml")).unwrap();
    chart.push_str("dependencies:\n- name: alpha\n  version: 0.2.0\n  repository: \"@tampered\"\n");
    write(&parent.join("Chart.yaml"), &chart);
    let err = env.fails(&["dependency", "update", s(&parent)]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(!parent.join("Chart.lock").exists());
    assert!(listing(&parent.join("charts")).is_empty());
    assert_eq!(env.cache_files(), good_cache);
}

#[test]
fn oci_dependencies_lock_like_helm() {
    let env = Env::new();
    let registry = common::Registry::start();
    let remote = format!("oci://{}/charts", registry.addr);
    let config = env.path("registry.json");
    let beta = chart_dir(&env.path("src"), "beta", "The beta chart", &[]);
    let packages = env.path("packages");
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        env.ok(&["package", s(&beta), "-d", s(&packages), "--version", v]);
        let archive = packages.join(format!("beta-{v}.tgz"));
        env.ok(&[
            "push",
            s(&archive),
            &remote,
            "--plain-http",
            "--registry-config",
            s(&config),
        ]);
    }
    let ours = chart_dir(&env.path("ours"), "parent", "Parent", &[]);
    let mut chart = std::fs::read_to_string(ours.join("Chart.yaml")).unwrap();
    chart.push_str(&format!(
        "dependencies:\n- name: beta\n  version: \"^1\"\n  repository: {remote}\n"
    ));
    write(&ours.join("Chart.yaml"), &chart);
    let theirs = env.path("theirs/parent");
    copy_dir(&ours, &theirs);
    env.ok(&[
        "dependency",
        "update",
        s(&ours),
        "--plain-http",
        "--registry-config",
        s(&config),
    ]);
    env.helm_ok(&["dependency", "update", s(&theirs), "--plain-http"]);
    let lock = std::fs::read_to_string(ours.join("Chart.lock")).unwrap();
    assert!(lock.contains("version: 1.1.0"), "{lock}");
    assert_eq!(
        without_generated(&lock),
        without_generated(&std::fs::read_to_string(theirs.join("Chart.lock")).unwrap())
    );
    assert_eq!(listing(&ours.join("charts")), ["beta-1.1.0.tgz"]);
    assert_eq!(
        std::fs::read(ours.join("charts/beta-1.1.0.tgz")).unwrap(),
        std::fs::read(packages.join("beta-1.1.0.tgz")).unwrap()
    );
    assert_eq!(
        std::fs::read(ours.join("charts/beta-1.1.0.tgz")).unwrap(),
        std::fs::read(theirs.join("charts/beta-1.1.0.tgz")).unwrap()
    );
    // Helm builds from rudder's lock.
    std::fs::remove_dir_all(ours.join("charts")).unwrap();
    env.helm_ok(&["dependency", "build", s(&ours), "--plain-http"]);
    assert_eq!(listing(&ours.join("charts")), ["beta-1.1.0.tgz"]);
}

/// `install repo/chart --version` on the local control plane: the release's objects come
/// from the archive verified in the content cache.
#[tokio::test]
async fn install_repo_chart_on_the_cluster() {
    use k8s_openapi::api::core::v1::ConfigMap;
    let env = Env::new();
    let repo = make_repo(&env);
    let server = Server::start(&repo, None);
    env.ok(&["repo", "add", "myrepo", &server.url]);
    let plane = rudder_testkit::ControlPlane::shared().expect("control plane");
    let ns = rudder_testkit::TestNamespace::create(plane, "repo-install")
        .await
        .expect("namespace");
    let kubeconfig = plane.kubeconfig().to_path_buf();
    let out = env.ok(&[
        "install",
        "web",
        "myrepo/alpha",
        "--version",
        "~0.1",
        "-n",
        ns.name(),
        "--kubeconfig",
        s(&kubeconfig),
    ]);
    assert!(out.contains("STATUS: deployed"), "{out}");
    let cm = ns
        .api::<ConfigMap>()
        .get("web-alpha")
        .await
        .expect("the chart's ConfigMap exists");
    let data = cm.data.unwrap_or_default();
    assert_eq!(data.get("version").map(String::as_str), Some("0.1.0"));
}
