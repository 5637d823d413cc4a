//! `rudder push`, `pull` and `registry login/logout` against a real registry
//! (`scripts/registry`), with real Helm reading the credentials Rudder stored.

#[path = "../../rudder-registry/tests/common/mod.rs"]
mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::Registry;

fn rudder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rudder"))
        .args(args)
        .env_remove("HELM_REGISTRY_CONFIG")
        .output()
        .expect("run rudder")
}

fn ok(args: &[&str]) -> String {
    let out = rudder(args);
    assert!(
        out.status.success(),
        "rudder {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 stdout")
}

/// Runs a command that must fail; returns its stderr, asserted to be one `Error:` line.
fn fails(args: &[&str]) -> String {
    let out = rudder(args);
    assert!(!out.status.success(), "rudder {args:?} succeeded");
    let err = String::from_utf8(out.stderr).expect("utf8 stderr");
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("Error: "), "{err:?}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// Packages the demo chart (optionally at another version) into `dir`.
fn package(dir: &Path, version: Option<&str>) -> PathBuf {
    let demo = common::repo_root().join("testdata/registry/demo");
    let mut args = vec!["package", s(&demo), "-d", s(dir)];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    ok(&args);
    let name = format!("demo-{}.tgz", version.unwrap_or("0.1.0+build.7"));
    let path = dir.join(name);
    assert!(path.is_file(), "{} missing", path.display());
    path
}

#[test]
fn push_then_pull_untar_renders_like_the_directory() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("config.json");
    let archive = package(tmp.path(), None);
    let remote = format!("oci://{}/charts", reg.addr);
    let pushed = ok(&[
        "push",
        s(&archive),
        &remote,
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    let lines: Vec<&str> = pushed.lines().collect();
    assert_eq!(
        lines[0],
        format!("Pushed: {}/charts/demo:0.1.0_build.7", reg.addr)
    );
    let digest = lines[1]
        .strip_prefix("Digest: sha256:")
        .expect("digest line");
    assert_eq!(digest.len(), 64);

    let out = tmp.path().join("out");
    let pulled = ok(&[
        "pull",
        &format!("{remote}/demo"),
        "--version",
        "0.1.0+build.7",
        "--untar",
        "-d",
        s(&out),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert_eq!(
        pulled,
        format!(
            "Pulled: {}/charts/demo:0.1.0_build.7\nDigest: sha256:{digest}\n",
            reg.addr
        )
    );
    let untarred = out.join("demo");
    assert!(untarred.join("Chart.yaml").is_file());

    // A second --untar into the same place is refused (as Helm), leaving the first intact.
    let err = fails(&[
        "pull",
        &format!("{remote}/demo:0.1.0+build.7"),
        "--untar",
        "-d",
        s(&out),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("already exists"), "{err}");
    // No registry listening: one line naming the address.
    let dead = format!("127.0.0.1:{}", common::dead_port());
    let err = fails(&[
        "pull",
        &format!("oci://{dead}/charts/demo:0.1.0"),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains(&dead), "{err}");

    let from_pull = ok(&["template", "rel", s(&untarred)]);
    let demo = common::repo_root().join("testdata/registry/demo");
    let from_dir = ok(&["template", "rel", s(&demo)]);
    assert!(!from_dir.is_empty());
    assert_eq!(from_pull, from_dir);
}

#[test]
fn version_ranges_pick_the_newest_match_and_tampered_digests_are_refused() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("config.json");
    let remote = format!("oci://{}/charts", reg.addr);
    let mut digests = Vec::new();
    for v in [None, Some("0.2.0"), Some("0.2.5"), Some("1.0.0")] {
        let archive = package(tmp.path(), v);
        let out = ok(&[
            "push",
            s(&archive),
            &remote,
            "--plain-http",
            "--registry-config",
            s(&cfg),
        ]);
        let d = out
            .lines()
            .find_map(|l| l.strip_prefix("Digest: "))
            .expect("digest")
            .to_string();
        digests.push(d);
    }
    let chart = format!("{remote}/demo");
    for (range, file) in [
        ("^0.1", "demo-0.1.0+build.7.tgz"),
        ("~0.2", "demo-0.2.5.tgz"),
        (">=0.2.0 <0.2.5", "demo-0.2.0.tgz"),
        ("", "demo-1.0.0.tgz"),
    ] {
        let dest = tmp.path().join(format!("range-{file}"));
        ok(&[
            "pull",
            &chart,
            "--version",
            range,
            "-d",
            s(&dest),
            "--plain-http",
            "--registry-config",
            s(&cfg),
        ]);
        let names: Vec<String> = std::fs::read_dir(&dest)
            .expect("read dest")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [file], "range {range:?}");
    }
    let err = fails(&[
        "pull",
        &chart,
        "--version",
        "^3",
        "-d",
        s(tmp.path()),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("no tag matches"), "{err}");

    // Pinned to 0.2.0's digest: the untouched manifest is accepted...
    let pinned = format!("{chart}@{}", digests[1]);
    let good = tmp.path().join("good");
    ok(&[
        "pull",
        &pinned,
        "-d",
        s(&good),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(good.join("demo-0.2.0.tgz").is_file());
    // ...and once the registry serves other bytes under that digest, refused, nothing written.
    let blob = reg.blob_path(&digests[1]);
    let mut manifest = std::fs::read(&blob).expect("read manifest blob");
    manifest.push(b'\n');
    std::fs::write(&blob, manifest).expect("tamper manifest blob");
    let bad = tmp.path().join("bad");
    let err = fails(&[
        "pull",
        &pinned,
        "-d",
        s(&bad),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(!bad.exists(), "something was written for a refused pull");
}

#[test]
fn login_checks_credentials_and_helm_uses_the_stored_config() {
    let reg = Registry::start_htpasswd("ci:s3cret");
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("registry/config.json");
    let host = reg.addr.as_str();

    let err = fails(&[
        "registry",
        "login",
        host,
        "-u",
        "ci",
        "-p",
        "wrong",
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains("wrong"), "password printed: {err}");
    assert!(!cfg.exists(), "credentials written after a refused login");

    let mut child = Command::new(env!("CARGO_BIN_EXE_rudder"))
        .args([
            "registry",
            "login",
            host,
            "-u",
            "ci",
            "--password-stdin",
            "--plain-http",
            "--registry-config",
            s(&cfg),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rudder");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"s3cret\n")
        .expect("write password");
    let out = child.wait_with_output().expect("wait rudder");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains("s3cret"), "password printed: {printed}");
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg).expect("config written")).expect("json");
    assert!(stored["auths"][host]["auth"].is_string(), "{stored}");

    // The stored credentials let rudder push and real Helm pull.
    let archive = package(tmp.path(), None);
    ok(&[
        "push",
        s(&archive),
        &format!("oci://{host}/charts"),
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    let helm_dir = tmp.path().join("helm");
    std::fs::create_dir_all(&helm_dir).expect("mkdir");
    common::run_helm(
        &rudder_testkit::helm(),
        &helm_dir,
        &[
            "pull",
            &format!("oci://{host}/charts/demo"),
            "--version",
            "0.1.0+build.7",
            "--plain-http",
            "--registry-config",
            s(&cfg),
            "-d",
            s(&helm_dir),
        ],
    );
    assert_eq!(
        std::fs::read(helm_dir.join("demo-0.1.0+build.7.tgz")).expect("helm pulled"),
        std::fs::read(&archive).expect("archive")
    );

    ok(&["registry", "logout", host, "--registry-config", s(&cfg)]);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg).expect("config")).expect("json");
    assert!(stored["auths"].get(host).is_none(), "{stored}");
    let err = fails(&["registry", "logout", host, "--registry-config", s(&cfg)]);
    assert!(err.contains("not logged in"), "{err}");
}

#[test]
fn oci_chart_references_load_for_template_show_and_install() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("config.json");
    for v in [None, Some("0.2.0")] {
        let archive = package(tmp.path(), v);
        ok(&[
            "push",
            s(&archive),
            &format!("oci://{}/charts", reg.addr),
            "--plain-http",
            "--registry-config",
            s(&cfg),
        ]);
    }
    let source = rudder_action::oci::OciSource {
        version: Some("^0.1".into()),
        registry: rudder_action::oci::RegistryOptions {
            plain_http: true,
            registry_config: cfg.clone(),
            tls: Default::default(),
            docker_config: None,
        },
        verify: None,
    };
    let reference = format!("oci://{}/charts/demo", reg.addr);
    let fetched =
        rudder_action::oci::load_chart_blocking(&reference, &source).expect("load oci chart");
    let local = rudder_chart::loader::load(common::repo_root().join("testdata/registry/demo"))
        .expect("load demo dir");
    assert_eq!(fetched.metadata.version, "0.1.0+build.7");
    assert_eq!(fetched.metadata, local.metadata);
    // Also callable from inside a runtime (install is async).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let newest = runtime.block_on(async {
        rudder_action::oci::load_chart_blocking(
            &reference,
            &rudder_action::oci::OciSource {
                version: None,
                ..source.clone()
            },
        )
    });
    assert_eq!(newest.expect("newest").metadata.version, "0.2.0");

    // `rudder template` takes the oci:// reference with a range, and renders exactly as the
    // chart directory does.
    let from_oci = ok(&[
        "template",
        "rel",
        &reference,
        "--version",
        "^0.1",
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    let from_dir = ok(&[
        "template",
        "rel",
        s(&common::repo_root().join("testdata/registry/demo")),
    ]);
    assert!(!from_dir.is_empty());
    assert_eq!(from_oci, from_dir);
    // A digest that is not the chart's is refused with one line.
    let pinned = format!("{reference}@sha256:{}", "0".repeat(64));
    let err = fails(&[
        "template",
        "rel",
        &pinned,
        "--plain-http",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("sha256:0000"), "{err}");
}

#[test]
fn token_auth_over_tls_with_a_ca_file_interoperates_with_helm() {
    let reg = Registry::start_opts(&common::Options {
        token: Some("ci:t0ken"),
        tls: true,
        ..common::Options::default()
    });
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = tmp.path().join("registry/config.json");
    let host = reg.addr.as_str();
    let ca = reg.ca_file();
    let with_tls = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        v.extend(["--ca-file".into(), s(&ca).into()]);
        v.extend(["--registry-config".into(), s(&cfg).into()]);
        v
    };
    let run = |args: Vec<String>| ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // Without the CA the certificate is refused, in one line that says what to do.
    let err = fails(&[
        "registry",
        "login",
        host,
        "-u",
        "ci",
        "-p",
        "t0ken",
        "--registry-config",
        s(&cfg),
    ]);
    assert!(err.contains("--ca-file"), "{err}");
    // Wrong credentials: the token server refuses them; nothing is stored.
    let args = with_tls(&["registry", "login", host, "-u", "ci", "-p", "wrong"]);
    let err = fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("authentication failed"), "{err}");
    assert!(!err.contains("wrong"), "password printed: {err}");
    assert!(!cfg.exists(), "credentials written after a refused login");
    // Client certificates are refused rather than silently not sent.
    let mut args = with_tls(&["registry", "login", host, "-u", "ci", "-p", "t0ken"]);
    args.extend(["--cert-file".into(), s(&ca).into()]);
    let err = fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(err.contains("--cert-file"), "{err}");

    // Login (a token exchange over TLS), push, and pull of the tagged chart.
    run(with_tls(&[
        "registry", "login", host, "-u", "ci", "-p", "t0ken",
    ]));
    let archive = package(tmp.path(), None);
    let remote = format!("oci://{host}/charts");
    let pushed = run(with_tls(&["push", s(&archive), &remote]));
    assert!(pushed.contains("Digest: sha256:"), "{pushed}");
    let reference = format!("oci://{host}/charts/demo");
    let dl = tmp.path().join("dl");
    std::fs::create_dir_all(&dl).expect("mkdir");
    run(with_tls(&["pull", &reference, "-d", s(&dl)]));
    assert_eq!(
        std::fs::read(dl.join("demo-0.1.0+build.7.tgz")).expect("pulled"),
        std::fs::read(&archive).expect("archive")
    );

    // Real Helm, with the same config file and CA, pulls what Rudder pushed ...
    let helm_dir = tmp.path().join("helm");
    std::fs::create_dir_all(&helm_dir).expect("mkdir");
    let helm = rudder_testkit::helm();
    common::run_helm(
        &helm,
        &helm_dir,
        &with_tls(&["pull", &reference, "-d", s(&helm_dir)])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        std::fs::read(helm_dir.join("demo-0.1.0+build.7.tgz")).expect("helm pulled"),
        std::fs::read(&archive).expect("archive")
    );
    // ... and pushes a version Rudder renders through the token and the CA.
    let v2 = package(&tmp.path().join("v2"), Some("0.2.0"));
    common::run_helm(
        &helm,
        &helm_dir,
        &with_tls(&["push", s(&v2), &remote])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    let from_oci = run(with_tls(&[
        "template",
        "rel",
        &reference,
        "--version",
        "0.2.0",
    ]));
    let from_helm = common::run_helm(
        &helm,
        &helm_dir,
        &with_tls(&["template", "rel", &reference, "--version", "0.2.0"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(from_oci.contains("kind:"), "{from_oci}");
    assert!(
        from_helm.starts_with(&from_oci),
        "rudder:\n{from_oci}\nhelm:\n{from_helm}"
    );

    // --insecure-skip-tls-verify (and `registry login --insecure`) work without the CA.
    let out = ok(&[
        "pull",
        &reference,
        "--version",
        "0.2.0",
        "--insecure-skip-tls-verify",
        "--registry-config",
        s(&cfg),
        "-d",
        s(&dl),
    ]);
    assert!(out.contains("Pulled:"), "{out}");
    assert!(dl.join("demo-0.2.0.tgz").is_file());
    ok(&[
        "registry",
        "login",
        host,
        "-u",
        "ci",
        "-p",
        "t0ken",
        "--insecure",
        "--registry-config",
        s(&cfg),
    ]);
}

#[test]
fn credential_helpers_and_docker_config_serve_credentials_as_for_helm() {
    let reg = Registry::start_htpasswd("ci:s3cret");
    let tmp = tempfile::tempdir().expect("tempdir");
    let host = reg.addr.as_str();
    let store = tmp.path().join("helper-store");
    let helpers = common::repo_root().join("testdata/registry/credential-helper");
    let path = format!(
        "{}:{}",
        helpers.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(&docker).expect("mkdir");
    let run = |cfg: &Path, args: &[&str]| -> Output {
        Command::new(env!("CARGO_BIN_EXE_rudder"))
            .args(args)
            .args(["--registry-config", s(cfg)])
            .env_remove("HELM_REGISTRY_CONFIG")
            .env("PATH", &path)
            .env("RUDDER_TEST_CREDENTIALS", &store)
            .env("DOCKER_CONFIG", &docker)
            .output()
            .expect("run rudder")
    };
    let must = |out: Output| -> String {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    };
    let one_error = |out: Output| -> String {
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).expect("utf8");
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };

    // `credsStore` names the helper: login stores there, not in the file.
    let cfg = tmp.path().join("helm/registry.json");
    std::fs::create_dir_all(cfg.parent().expect("parent")).expect("mkdir");
    std::fs::write(&cfg, r#"{"credsStore":"rudder-test"}"#).expect("write config");
    must(run(
        &cfg,
        &[
            "registry",
            "login",
            host,
            "-u",
            "ci",
            "-p",
            "s3cret",
            "--plain-http",
        ],
    ));
    let text = std::fs::read_to_string(&cfg).expect("config");
    assert!(
        !text.contains("auths"),
        "credentials went to the file: {text}"
    );
    let stored = std::fs::read_to_string(store.join(host.replace(':', "_"))).expect("stored");
    assert!(stored.contains(r#""Username":"ci""#), "{stored}");

    // push reads them back through the helper's `get` ...
    let archive = package(tmp.path(), None);
    must(run(
        &cfg,
        &[
            "push",
            s(&archive),
            &format!("oci://{host}/charts"),
            "--plain-http",
        ],
    ));
    let calls = std::fs::read_to_string(store.join("calls")).expect("calls");
    assert!(calls.lines().any(|l| l == "get"), "{calls}");
    // ... and real Helm, with the same file and helper, pulls with them.
    let helm_home = tmp.path().join("helm-home");
    let out = Command::new(rudder_testkit::helm())
        .args(["pull", &format!("oci://{host}/charts/demo"), "--plain-http"])
        .args(["--registry-config", s(&cfg), "-d", s(tmp.path())])
        .env("HELM_CONFIG_HOME", helm_home.join("config"))
        .env("HELM_CACHE_HOME", helm_home.join("cache"))
        .env("HELM_DATA_HOME", helm_home.join("data"))
        .env("PATH", &path)
        .env("RUDDER_TEST_CREDENTIALS", &store)
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm pull: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // logout erases them from the helper; then the registry refuses us.
    must(run(&cfg, &["registry", "logout", host]));
    assert!(!store.join(host.replace(':', "_")).exists());
    let dl = tmp.path().join("dl");
    std::fs::create_dir_all(&dl).expect("mkdir");
    let err = one_error(run(
        &cfg,
        &[
            "pull",
            &format!("oci://{host}/charts/demo"),
            "-d",
            s(&dl),
            "--plain-http",
        ],
    ));
    assert!(err.contains("authentication failed"), "{err}");

    // Docker's config serves hosts the Helm file has no credentials for.
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("ci:s3cret");
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .expect("write docker config");
    let empty = tmp.path().join("empty.json");
    let out = must(run(
        &empty,
        &[
            "pull",
            &format!("oci://{host}/charts/demo"),
            "-d",
            s(&dl),
            "--plain-http",
        ],
    ));
    assert!(out.contains("Pulled:"), "{out}");
    assert!(!empty.exists(), "Helm's file was written by a pull");
    std::fs::remove_file(docker.join("config.json")).expect("rm");

    // A helper that is not installed is one line naming it; the secret is never printed.
    let broken = tmp.path().join("broken.json");
    std::fs::write(
        &broken,
        format!(r#"{{"credHelpers":{{"{host}":"rudder-missing"}}}}"#),
    )
    .expect("write config");
    let err = one_error(run(
        &broken,
        &[
            "pull",
            &format!("oci://{host}/charts/demo"),
            "-d",
            s(&dl),
            "--plain-http",
        ],
    ));
    assert!(err.contains("docker-credential-rudder-missing"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}
