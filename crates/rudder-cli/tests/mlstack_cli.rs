//! The Kubeflow ML stack plugins end to end through the `rudder` binary: the `mlstack-getter`
//! getter (`mlstack://`), the `accelerators` post-renderer and the `mlstack` CLI plugin, all
//! built from `plugins/` to wasm32-wasip1 by rudder-plugin's test support.
//!
//! The cluster tests use the local control plane (kwok plays the kubelet, so controller pods
//! become Ready without running). The mlstack CRDs are cluster-scoped and owned by one release
//! at a time, so those tests run one after another (`CLUSTER`) and wait for the CRDs to be gone
//! after each uninstall. `kubectl` plays the Kubeflow controllers by writing `status`.

#[path = "../../rudder-plugin/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Serialises the tests that install the mlstack CRDs.
static CLUSTER: Mutex<()> = Mutex::new(());

const COMPONENTS: [&str; 6] = [
    "trainer",
    "katib",
    "kserve",
    "spark-operator",
    "model-registry",
    "notebooks",
];

struct Env {
    plugins: tempfile::TempDir,
    cache: tempfile::TempDir,
    kubeconfig: Option<PathBuf>,
}

impl Env {
    fn new() -> Self {
        let env = Env {
            plugins: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
            kubeconfig: None,
        };
        for (dir, wasm) in [
            ("mlstack", "mlstack.wasm"),
            ("accelerators", "accelerators.wasm"),
            ("mlstack-cli", "mlstack_cli.wasm"),
        ] {
            let src = support::plugin_dir(&support::repo_root().join("plugins").join(dir), wasm);
            env.ok(&[
                "plugin",
                "install",
                src.path().to_str().unwrap(),
                "--verify=false",
            ]);
        }
        env
    }

    fn on_cluster(plane: &rudder_testkit::ControlPlane) -> Self {
        let mut env = Env::new();
        env.kubeconfig = Some(plane.kubeconfig().to_path_buf());
        env
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rudder"));
        cmd.args(args)
            .env("RUDDER_PLUGINS", self.plugins.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("RUDDER_NO_PLUGINS")
            .env_remove("RUDDER_NAMESPACE")
            .env_remove("HELM_NAMESPACE");
        if let Some(k) = &self.kubeconfig {
            cmd.env("KUBECONFIG", k);
        }
        cmd
    }

    fn rudder(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run rudder")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.rudder(args);
        assert!(
            out.status.success(),
            "rudder {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// The documents of `rudder template` output.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---\n")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| serde_saphyr::from_str::<Value>(d).unwrap_or_else(|e| panic!("{e}\n{d}")))
        .collect()
}

fn field<'a>(doc: &'a Value, pointer: &str) -> &'a str {
    doc.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn names_of(docs: &[Value], kind: &str) -> Vec<String> {
    docs.iter()
        .filter(|d| field(d, "/kind") == kind)
        .map(|d| field(d, "/metadata/name").to_string())
        .collect()
}

/// `COMPONENT` column values of the components' Deployments.
fn components_of(docs: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = docs
        .iter()
        .filter(|d| field(d, "/kind") == "Deployment")
        .map(|d| {
            field(d, "/metadata/labels/app.kubernetes.io~1component").replace("jobset", "trainer")
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn platform_renders_the_selected_components_in_ordered_groups() {
    let env = Env::new();
    let minimal = documents(&env.ok(&[
        "template",
        "ml",
        "mlstack://platform",
        "--set",
        "profile=minimal",
    ]));
    assert_eq!(components_of(&minimal), ["spark-operator", "trainer"]);
    let full = documents(&env.ok(&["template", "ml", "mlstack://platform"]));
    let mut all: Vec<String> = COMPONENTS.iter().map(|c| c.to_string()).collect();
    all.sort();
    assert_eq!(components_of(&full), all);
    let picked = documents(&env.ok(&[
        "template",
        "ml",
        "mlstack://platform",
        "--set",
        "components={kserve,katib}",
    ]));
    assert_eq!(components_of(&picked), ["katib", "kserve"]);

    // Every object is in a group; the group names sort in install order (CRDs, then
    // controllers, then runtimes), and each group waits for the one before it through
    // `helm.sh/depends-on/resource-groups` (the only annotation key with two `/`).
    for doc in &full {
        let group = field(doc, "/metadata/annotations/helm.sh~1resource-group");
        let expected = match field(doc, "/kind") {
            "CustomResourceDefinition" => "1-crds",
            "ClusterTrainingRuntime" | "ClusterServingRuntime" => "3-runtimes",
            _ => "2-controllers",
        };
        assert_eq!(
            group,
            expected,
            "{} {}",
            field(doc, "/kind"),
            field(doc, "/metadata/name")
        );
        let annotations = doc
            .pointer("/metadata/annotations")
            .unwrap()
            .as_object()
            .unwrap();
        assert!(
            annotations
                .keys()
                .all(|k| k.matches('/').count() <= 1 || k == "helm.sh/depends-on/resource-groups"),
            "{annotations:?}"
        );
        let after = field(
            doc,
            "/metadata/annotations/helm.sh~1depends-on~1resource-groups",
        );
        let component = field(doc, "/metadata/labels/app.kubernetes.io~1component");
        let want = match expected {
            "1-crds" => "",
            // The model registry has no CRDs: its controllers wait for nothing.
            "2-controllers" if component == "model-registry" => "",
            "2-controllers" => r#"["1-crds"]"#,
            _ => r#"["2-controllers"]"#,
        };
        assert_eq!(
            after,
            want,
            "{} {}",
            field(doc, "/kind"),
            field(doc, "/metadata/name")
        );
    }
    // No hook Jobs, and the controllers run the pinned upstream images.
    assert!(
        full.iter()
            .all(|d| field(d, "/metadata/annotations/helm.sh~1hook").is_empty())
    );
    let images: Vec<&str> = full
        .iter()
        .filter(|d| field(d, "/kind") == "Deployment")
        .map(|d| field(d, "/spec/template/spec/containers/0/image"))
        .collect();
    for image in [
        "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.1.0",
        "registry.k8s.io/jobset/jobset:v0.10.1",
        "kserve/kserve-controller:v0.16.0",
        "ghcr.io/kubeflow/katib/katib-controller:v0.18.0",
    ] {
        assert!(images.contains(&image), "{image} not in {images:?}");
    }

    let bad = env.rudder(&[
        "template",
        "ml",
        "mlstack://platform",
        "--set",
        "profile=huge",
    ]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("profile must be one of"), "{stderr}");
    let bad = env.rudder(&[
        "template",
        "ml",
        "mlstack://platform",
        "--set",
        "components={trainer,pipelines}",
    ]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("unknown component \"pipelines\""),
        "{stderr}"
    );
}

#[test]
fn component_charts_define_the_kinds_they_declare() {
    let env = Env::new();
    let plan = env.ok(&["mlstack", "plan", "--profile", "full", "--examples"]);
    for component in COMPONENTS {
        let docs = documents(&env.ok(&[
            "template",
            "x",
            &format!("mlstack://{component}"),
            "--set",
            "examples.enabled=true",
        ]));
        let crds: Vec<&Value> = docs
            .iter()
            .filter(|d| field(d, "/kind") == "CustomResourceDefinition")
            .collect();
        for crd in &crds {
            let versions = crd
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .unwrap();
            assert!(
                versions
                    .iter()
                    .any(|v| v["served"] == true && v["storage"] == true),
                "{component}: {}",
                field(crd, "/metadata/name")
            );
            let spec = crd.pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
            assert!(spec.is_some(), "{component}: no spec schema");
            // Plan names every kind as Kind.group.
            let kind = field(crd, "/spec/names/kind");
            let group = field(crd, "/spec/group");
            assert!(
                plan.contains(&format!("{kind}.{group}")),
                "{kind}.{group}\n{plan}"
            );
        }
        // Workload kinds have a status subresource (controllers write status).
        for crd in crds.iter().filter(|c| {
            !matches!(
                field(c, "/spec/names/kind"),
                "TrainingRuntime" | "ClusterTrainingRuntime"
            )
        }) {
            assert!(
                crd.pointer("/spec/versions/0/subresources/status")
                    .is_some(),
                "{}",
                field(crd, "/metadata/name")
            );
        }
        // The Deployments are the controllers the plan lists.
        for name in names_of(&docs, "Deployment") {
            assert!(plan.contains(&name), "{name} missing from the plan\n{plan}");
        }
    }
}

#[test]
fn plan_prints_components_versions_and_order() {
    let env = Env::new();
    let text = env.ok(&["mlstack", "plan", "--profile", "minimal"]);
    let lines: Vec<&str> = text.lines().collect();
    let row = |name: &str| {
        lines
            .iter()
            .position(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert!(row("trainer") < row("spark-operator"), "{text}");
    assert!(lines[row("trainer")].contains("v2.1.0"), "{text}");
    assert!(!text.contains("katib-controller"), "{text}");
    let crds = text.find("1-crds:").expect("crds step");
    let controllers = text.find("2-controllers:").expect("controllers step");
    let runtimes = text.find("3-runtimes:").expect("runtimes step");
    assert!(crds < controllers && controllers < runtimes, "{text}");
    assert!(text.contains("JobSet.jobset.x-k8s.io"), "{text}");

    let bad = env.rudder(&["mlstack", "plan", "--profile", "huge"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("profile must be one of"));
}

/// Builds the getter alone (`-p mlstack`, so features are not unified with the other
/// plugins) into a fresh target directory and returns the module.
fn build_getter_fresh() -> Vec<u8> {
    let target = tempfile::tempdir().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(support::repo_root().join("plugins"))
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip1",
            "-p",
            "mlstack",
        ])
        .env("CARGO_TARGET_DIR", target.path())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(target.path().join("wasm32-wasip1/release/mlstack.wasm")).unwrap()
}

#[test]
fn getter_module_is_small_and_reproducible() {
    // Two builds from the same sources in different target directories give the same bytes.
    let first = build_getter_fresh();
    let second = build_getter_fresh();
    assert!(
        first.len() < 2 * 1024 * 1024,
        "mlstack.wasm is {} bytes",
        first.len()
    );
    assert!(first == second, "two builds of mlstack.wasm differ");
    // What the getter serves is inside the module, so the chart archives are reproducible
    // too; and a chart needs nothing from the sandbox (plugin.yaml grants nothing).
    let manifest =
        std::fs::read_to_string(support::repo_root().join("plugins/mlstack/plugin.yaml")).unwrap();
    for grant in ["allowedHosts", "fileSystem", "env:", "hostFunctions"] {
        assert!(!manifest.contains(grant), "plugin.yaml grants {grant}");
    }
}

// --- on the local control plane ---

/// `kubectl` for the control plane: `RUDDER_KUBECTL`, else the workplace's `helm-peer kubectl`.
fn kubectl_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RUDDER_KUBECTL") {
        return PathBuf::from(p);
    }
    let peer = support::repo_root().join("../shared/tools/helm-peer");
    let out = Command::new(&peer)
        .arg("kubectl")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "kubectl is required: set RUDDER_KUBECTL or provide {}: {e}",
                peer.display()
            )
        });
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && !path.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(path)
}

fn kubectl(plane: &rudder_testkit::ControlPlane, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(kubectl_path());
    cmd.arg("--kubeconfig").arg(plane.kubeconfig()).args(args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run kubectl");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn kubectl_ok(plane: &rudder_testkit::ControlPlane, args: &[&str]) -> String {
    let out = kubectl(plane, args, None);
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The mlstack CRDs of the full platform.
fn crd_names(plane: &rudder_testkit::ControlPlane) -> Vec<String> {
    kubectl_ok(
        plane,
        &[
            "get",
            "crd",
            "-l",
            "app.kubernetes.io/part-of=mlstack",
            "-o",
            "name",
        ],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// Uninstalls `release` and waits until its CRDs are gone (the next test installs them again).
fn uninstall(env: &Env, plane: &rudder_testkit::ControlPlane, ns: &str, release: &str) {
    env.ok(&["uninstall", release, "-n", ns]);
    // CRD removal waits for the API server to delete every custom resource of the kind;
    // on a loaded 2-core machine that has taken more than two minutes.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !crd_names(plane).is_empty() {
        assert!(
            Instant::now() < deadline,
            "CRDs still present: {:?}",
            crd_names(plane)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Waits until no CRD of an earlier run is left over.
fn no_leftover_crds(plane: &rudder_testkit::ControlPlane) {
    // CRD removal waits for the API server to delete every custom resource of the kind;
    // on a loaded 2-core machine that has taken more than two minutes.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !crd_names(plane).is_empty() {
        assert!(
            Instant::now() < deadline,
            "CRDs of another release: {:?}",
            crd_names(plane)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `rudder template` output as the release layer sends it to the API server: without the
/// `helm.sh/depends-on/resource-groups` annotation (install-order metadata whose key, with
/// two `/`, the API server refuses; charts-v3-spec/resource-groups.md).
fn as_applied(rendered: &str) -> String {
    rendered
        .lines()
        .filter(|l| {
            !l.trim_start()
                .starts_with("helm.sh/depends-on/resource-groups:")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Applies `rudder template` output with kubectl group by group, in the groups' order, waiting
/// for the CRDs to be Established: what an ordered install does, without a release (for the
/// tests that check readiness and schemas, not the install).
fn apply_in_groups(plane: &rudder_testkit::ControlPlane, ns: &str, rendered: &str) {
    let docs: Vec<&str> = rendered
        .split("\n---\n")
        .filter(|d| d.contains("helm.sh/resource-group"))
        .collect();
    for group in ["1-crds", "2-controllers", "3-runtimes", "4-examples"] {
        let stream: String = docs
            .iter()
            .filter(|d| d.contains(&format!("helm.sh/resource-group: {group}")))
            .map(|d| format!("---\n{}\n", d.trim_start_matches("---\n")))
            .collect();
        if stream.is_empty() {
            continue;
        }
        let stream = as_applied(&stream);
        let out = kubectl(
            plane,
            &[
                "apply",
                "--server-side",
                "--field-manager=mlstack-test",
                "-n",
                ns,
                "-f",
                "-",
            ],
            Some(&stream),
        );
        assert!(
            out.status.success(),
            "{group}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if group == "1-crds" {
            kubectl_ok(
                plane,
                &[
                    "wait",
                    "--for=condition=Established",
                    "crd",
                    "-l",
                    "app.kubernetes.io/part-of=mlstack",
                    "--timeout=60s",
                ],
            );
        }
    }
}

/// Deletes what [`apply_in_groups`] created (examples first, CRDs last) and waits until the
/// CRDs are gone.
fn delete_in_groups(plane: &rudder_testkit::ControlPlane, ns: &str, rendered: &str) {
    let _ = kubectl(
        plane,
        &[
            "delete",
            "-n",
            ns,
            "--ignore-not-found",
            "--wait=false",
            "-f",
            "-",
        ],
        Some(rendered),
    );
    no_leftover_crds(plane);
}

struct Cluster {
    plane: &'static rudder_testkit::ControlPlane,
    rt: tokio::runtime::Runtime,
    ns: Option<rudder_testkit::TestNamespace>,
}

impl Cluster {
    fn new(hint: &str) -> Self {
        let plane = rudder_testkit::ControlPlane::shared().expect("control plane");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ns = rt
            .block_on(rudder_testkit::TestNamespace::create(plane, hint))
            .expect("namespace");
        Cluster {
            plane,
            rt,
            ns: Some(ns),
        }
    }

    fn ns(&self) -> &str {
        self.ns.as_ref().unwrap().name()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(ns) = self.ns.take() {
            let _ = self.rt.block_on(ns.delete());
        }
        // After a failed test, leave no mlstack CRDs behind for the next one.
        if std::thread::panicking() {
            let _ = kubectl(
                self.plane,
                &[
                    "delete",
                    "crd",
                    "-l",
                    "app.kubernetes.io/part-of=mlstack",
                    "--wait=false",
                ],
                None,
            );
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    CLUSTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn minimal_platform_install_waits_for_crds_and_controllers() {
    let _guard = lock();
    let c = Cluster::new("mlstack-minimal");
    let env = Env::on_cluster(c.plane);
    no_leftover_crds(c.plane);
    let out = env.ok(&[
        "install",
        "ml",
        "mlstack://platform",
        "--set",
        "profile=minimal",
        "--wait",
        "--timeout",
        "180s",
        "-n",
        c.ns(),
    ]);
    assert!(out.contains("STATUS: deployed"), "{out}");
    // Deployed means every CRD Established and every controller Available.
    let crds = crd_names(c.plane);
    assert_eq!(crds.len(), 6, "{crds:?}");
    for crd in &crds {
        let established = kubectl_ok(
            c.plane,
            &[
                "get",
                crd,
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Established\")].status}",
            ],
        );
        assert_eq!(established, "True", "{crd}");
    }
    let deployments = kubectl_ok(
        c.plane,
        &[
            "get",
            "deployments",
            "-n",
            c.ns(),
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.status.availableReplicas} {end}",
        ],
    );
    let mut names: Vec<&str> = deployments.split_whitespace().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "jobset-controller-manager=1",
            "kubeflow-trainer-controller-manager=1",
            "spark-operator-controller=1"
        ]
    );

    let status = env.ok(&["mlstack", "status", "-n", c.ns()]);
    for name in [
        "trainjobs.trainer.kubeflow.org",
        "jobsets.jobset.x-k8s.io",
        "sparkapplications.sparkoperator.k8s.io",
        "kubeflow-trainer-controller-manager",
        "jobset-controller-manager",
        "spark-operator-controller",
    ] {
        let line = status
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{status}"));
        assert!(line.contains(" Current "), "{line}");
    }
    assert!(
        status.contains(&format!("NAMESPACE: {}", c.ns())),
        "{status}"
    );
    assert!(!status.contains("katib"), "{status}");
    uninstall(&env, c.plane, c.ns(), "ml");
}

/// Status written by "the controllers" for the four examples.
fn example_statuses(success: bool) -> [(&'static str, &'static str, String); 4] {
    let t = "2026-01-01T00:00:00Z";
    if success {
        [
            ("trainjob", "mlstack-example-trainjob", format!(r#"{{"status":{{"conditions":[{{"type":"Complete","status":"True","reason":"JobsCompleted","message":"TrainJob completed: all 1 nodes succeeded","lastTransitionTime":"{t}"}}]}}}}"#)),
            ("inferenceservice", "mlstack-example-isvc", format!(r#"{{"status":{{"conditions":[{{"type":"PredictorReady","status":"True","lastTransitionTime":"{t}"}},{{"type":"Ready","status":"True","lastTransitionTime":"{t}"}}],"modelStatus":{{"transitionStatus":"UpToDate","states":{{"activeModelState":"Loaded","targetModelState":"Loaded"}}}}}}}}"#)),
            ("sparkapplication", "mlstack-example-spark-pi", r#"{"status":{"applicationState":{"state":"COMPLETED"},"sparkApplicationId":"spark-1"}}"#.to_string()),
            ("experiment", "mlstack-example-experiment", format!(r#"{{"status":{{"conditions":[{{"type":"Created","status":"True","reason":"ExperimentCreated","message":"Experiment is created","lastUpdateTime":"{t}"}},{{"type":"Succeeded","status":"True","reason":"ExperimentMaxTrialsReached","message":"Experiment has succeeded because max trial count has reached","lastUpdateTime":"{t}"}}]}}}}"#)),
        ]
    } else {
        [
            ("trainjob", "mlstack-example-trainjob", format!(r#"{{"status":{{"conditions":[{{"type":"Failed","status":"True","reason":"DeadlineExceeded","message":"TrainJob exceeded its active deadline","lastTransitionTime":"{t}"}}]}}}}"#)),
            ("inferenceservice", "mlstack-example-isvc", format!(r#"{{"status":{{"conditions":[{{"type":"Ready","status":"False","reason":"ModelLoadFailed","lastTransitionTime":"{t}"}}],"modelStatus":{{"transitionStatus":"BlockedByFailedLoad","states":{{"activeModelState":"","targetModelState":"FailedToLoad"}},"lastFailureInfo":{{"reason":"ModelLoadFailed","message":"failed to load model from gs://kfserving-examples"}}}}}}}}"#)),
            ("sparkapplication", "mlstack-example-spark-pi", r#"{"status":{"applicationState":{"state":"FAILED","errorMessage":"driver container failed with ExitCode: 1, Reason: Error"}}}"#.to_string()),
            ("experiment", "mlstack-example-experiment", format!(r#"{{"status":{{"conditions":[{{"type":"Created","status":"True","reason":"ExperimentCreated","message":"Experiment is created","lastUpdateTime":"{t}"}},{{"type":"Failed","status":"True","reason":"ExperimentMaxFailedTrialsReached","message":"Experiment has failed because max failed count has reached","lastUpdateTime":"{t}"}}]}}}}"#)),
        ]
    }
}

/// Waits for each example to exist, then writes its status (as its controller would).
fn act_as_controllers(
    plane: &rudder_testkit::ControlPlane,
    ns: &str,
    success: bool,
    mut install: Option<&mut std::process::Child>,
) {
    for (resource, name, patch) in example_statuses(success) {
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let out = kubectl(
                plane,
                &["get", resource, name, "-n", ns, "-o", "name"],
                None,
            );
            if out.status.success() {
                break;
            }
            // An install that has ended will not create it.
            if let Some(child) = install.as_deref_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut stderr);
                }
                panic!(
                    "rudder install ended ({status}) before {resource}/{name} existed:\n{stderr}"
                );
            }
            assert!(
                Instant::now() < deadline,
                "{resource}/{name} never appeared"
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        kubectl_ok(
            plane,
            &[
                "patch",
                resource,
                name,
                "-n",
                ns,
                "--subresource=status",
                "--type=merge",
                "-p",
                &patch,
            ],
        );
    }
}

fn install_examples_in_background(env: &Env, ns: &str, release: &str) -> std::process::Child {
    env.command(&[
        "install",
        release,
        "mlstack://platform",
        "--set",
        "examples.enabled=true",
        "--set",
        EXAMPLE_COMPONENTS,
        "--wait",
        "--timeout",
        "240s",
        "-n",
        ns,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("run rudder install")
}

/// The four examples' rows in `rudder mlstack status`, checked against `expected`
/// (`(name, status, message)`).
fn check_status(env: &Env, ns: &str, expected: &[(&str, &str, &str)]) {
    let status = env.ok(&["mlstack", "status", "-n", ns]);
    for (name, state, message) in expected {
        let line = status
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{status}"));
        assert!(
            line.contains(&format!(" {state} ")) && line.ends_with(message),
            "expected {state} {message:?}:\n{line}"
        );
    }
}

const SUCCESS: [(&str, &str, &str); 4] = [
    (
        "mlstack-example-trainjob",
        "Current",
        "TrainJob completed: all 1 nodes succeeded",
    ),
    (
        "mlstack-example-isvc",
        "Current",
        "InferenceService is Ready",
    ),
    (
        "mlstack-example-spark-pi",
        "Current",
        "SparkApplication applicationState.state is COMPLETED",
    ),
    (
        "mlstack-example-experiment",
        "Current",
        "Experiment has succeeded because max trial count has reached",
    ),
];

const FAILURE: [(&str, &str, &str); 4] = [
    (
        "mlstack-example-trainjob",
        "Failed",
        "DeadlineExceeded: TrainJob exceeded its active deadline",
    ),
    (
        "mlstack-example-isvc",
        "Failed",
        "BlockedByFailedLoad: failed to load model from gs://kfserving-examples",
    ),
    (
        "mlstack-example-spark-pi",
        "Failed",
        "FAILED: driver container failed with ExitCode: 1, Reason: Error",
    ),
    (
        "mlstack-example-experiment",
        "Failed",
        "ExperimentMaxFailedTrialsReached: Experiment has failed because max failed count has reached",
    ),
];

const EXAMPLE_COMPONENTS: &str = "components={trainer,katib,kserve,spark-operator}";

/// Readiness of the examples as `rudder mlstack status` reports it (through the
/// `rudder_kube_list` host function and Rudder's Kubeflow rules), while "the controllers"
/// write no status, success, then failure. The objects are applied with kubectl in group order.
#[test]
fn status_reports_the_examples_readiness_with_their_messages() {
    let _guard = lock();
    let c = Cluster::new("mlstack-status");
    let env = Env::on_cluster(c.plane);
    no_leftover_crds(c.plane);
    let rendered = env.ok(&[
        "template",
        "ml",
        "mlstack://platform",
        "--set",
        EXAMPLE_COMPONENTS,
        "--set",
        "examples.enabled=true",
        "-n",
        c.ns(),
    ]);
    apply_in_groups(c.plane, c.ns(), &rendered);
    // Just created, no status yet: InProgress, never Ready.
    let waiting = SUCCESS.map(|(name, _, _)| {
        (
            name,
            "InProgress",
            "NoStatus: Waiting for the controller to write status",
        )
    });
    check_status(&env, c.ns(), &waiting);
    act_as_controllers(c.plane, c.ns(), true, None);
    check_status(&env, c.ns(), &SUCCESS);
    act_as_controllers(c.plane, c.ns(), false, None);
    check_status(&env, c.ns(), &FAILURE);
    // The controllers of the four components are listed too.
    let status = env.ok(&["mlstack", "status", "-n", c.ns()]);
    for deployment in [
        "kubeflow-trainer-controller-manager",
        "katib-controller",
        "kserve-controller-manager",
        "spark-operator-controller",
    ] {
        assert!(status.contains(deployment), "{deployment}:\n{status}");
    }
    delete_in_groups(c.plane, c.ns(), &rendered);
}

/// `rudder install --wait` with the examples: deployed once the examples report success;
/// failed, with the objects' own messages, when they report failure. Needs the install layer
/// to apply the resource groups in order (the CRs need their CRDs first).
#[test]
fn install_wait_follows_the_examples_readiness() {
    let _guard = lock();
    let c = Cluster::new("mlstack-examples");
    let env = Env::on_cluster(c.plane);
    no_leftover_crds(c.plane);

    let mut child = install_examples_in_background(&env, c.ns(), "mlok");
    act_as_controllers(c.plane, c.ns(), true, Some(&mut child));
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("STATUS: deployed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_status(&env, c.ns(), &SUCCESS);
    uninstall(&env, c.plane, c.ns(), "mlok");

    let mut child = install_examples_in_background(&env, c.ns(), "mlfail");
    act_as_controllers(c.plane, c.ns(), false, Some(&mut child));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for message in [
        "TrainJob exceeded its active deadline",
        "driver container failed with ExitCode: 1",
        "Experiment has failed because max failed count has reached",
        "failed to load model from gs://kfserving-examples",
    ] {
        assert!(stderr.contains(message), "{message} missing:\n{stderr}");
    }
    uninstall(&env, c.plane, c.ns(), "mlfail");
}

#[test]
fn accelerated_examples_pass_the_api_servers_schema_validation() {
    let _guard = lock();
    let c = Cluster::new("mlstack-accel");
    let env = Env::on_cluster(c.plane);
    no_leftover_crds(c.plane);
    // The CRDs of the components with GPU workloads, applied as an install would.
    let crds = env.ok(&[
        "template",
        "crds",
        "mlstack://platform",
        "--set",
        "components={trainer,kserve,spark-operator}",
        "-n",
        c.ns(),
    ]);
    let crds: String = crds
        .split("\n---\n")
        .filter(|d| d.contains("helm.sh/resource-group: 1-crds"))
        .map(|d| format!("---\n{}\n", d.trim_start_matches("---\n")))
        .collect();
    apply_in_groups(c.plane, c.ns(), &crds);
    let rendered = env.ok(&[
        "template",
        "accel",
        "mlstack://platform",
        "--set",
        "components={trainer,kserve,spark-operator}",
        "--set",
        "examples.enabled=true",
        "-n",
        c.ns(),
        "--post-renderer",
        "accelerators",
        "--post-renderer-args",
        "profile=nvidia",
        "--post-renderer-args",
        "count=2",
        "--post-renderer-args",
        "toleration=dedicated=ml:NoSchedule",
    ]);
    let docs = documents(&rendered);
    let examples: Vec<&Value> = docs
        .iter()
        .filter(|d| field(d, "/metadata/labels/mlstack.rudder.dev~1example") == "true")
        .collect();
    assert_eq!(examples.len(), 3);
    let train = docs
        .iter()
        .find(|d| field(d, "/kind") == "TrainJob")
        .unwrap();
    assert_eq!(
        train.pointer("/spec/trainer/resourcesPerNode/limits/nvidia.com~1gpu"),
        Some(&serde_json::json!(2))
    );
    // The examples as the accelerators plugin wrote them, validated strictly by the API
    // server against the installed CRDs (server-side dry run: nothing is stored).
    let stream: String = rendered
        .split("\n---\n")
        .filter(|d| d.contains("mlstack.rudder.dev/example"))
        .map(|d| format!("---\n{}\n", d.trim_start_matches("---\n")))
        .collect();
    let stream = as_applied(&stream);
    assert!(stream.contains("nvidia.com/gpu"), "{stream}");
    let out = kubectl(
        c.plane,
        &[
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "--field-manager=accel-test",
            "-n",
            c.ns(),
            "-o",
            "json",
            "-f",
            "-",
        ],
        Some(&stream),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let applied: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = applied["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![applied.clone()]);
    assert_eq!(items.len(), 3, "{applied}");
    for item in &items {
        let text = item.to_string();
        // Nothing was pruned: the accelerator fields are in the object the server returned.
        assert!(text.contains("nvidia.com/gpu"), "{text}");
        assert!(text.contains("\"dedicated\""), "{text}");
    }
    // A field the schema does not define is refused under strict validation.
    let bogus = stream.replacen("numNodes: 1", "numNodes: 1\n    gpusPerNode: 2", 1);
    let out = kubectl(
        c.plane,
        &[
            "apply",
            "--server-side",
            "--dry-run=server",
            "--validate=strict",
            "--field-manager=accel-test",
            "-n",
            c.ns(),
            "-f",
            "-",
        ],
        Some(&bogus),
    );
    assert!(!out.status.success(), "an unknown field was accepted");
    assert!(String::from_utf8_lossy(&out.stderr).contains("gpusPerNode"));
    delete_in_groups(c.plane, c.ns(), &crds);
}

/// The cluster host function is only linked for a plugin whose manifest grants it.
#[test]
fn cluster_access_needs_the_manifest_grant() {
    let env = Env {
        plugins: tempfile::tempdir().unwrap(),
        cache: tempfile::tempdir().unwrap(),
        kubeconfig: None,
    };
    let src = support::plugin_dir(
        &support::repo_root().join("plugins/mlstack-cli"),
        "mlstack_cli.wasm",
    );
    let manifest = std::fs::read_to_string(src.path().join("plugin.yaml")).unwrap();
    let ungranted = manifest.replace("  hostFunctions:\n    - rudder_kube_list\n", "");
    assert_ne!(manifest, ungranted);
    std::fs::write(src.path().join("plugin.yaml"), ungranted).unwrap();
    env.ok(&[
        "plugin",
        "install",
        src.path().to_str().unwrap(),
        "--verify=false",
    ]);
    let out = env.rudder(&["mlstack", "plan"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"rudder_kube_list\", which plugin.yaml does not grant"),
        "{stderr}"
    );
}

/// The `mlstack` getter ships as a signed plugin package: `rudder plugin package` signs it,
/// `rudder plugin verify` and real Helm's `helm plugin verify` accept it with the public
/// keyring, a tampered copy is refused, and `rudder plugin install` verifies it by default.
#[test]
fn signed_mlstack_package_verifies() {
    use rudder_provenance::keygen::{KeyAlgorithm, KeyGenOptions, generate};
    let env = Env {
        plugins: tempfile::tempdir().unwrap(),
        cache: tempfile::tempdir().unwrap(),
        kubeconfig: None,
    };
    let keys = tempfile::tempdir().unwrap();
    let key = generate(&KeyGenOptions {
        user_id: "MLStack Release <mlstack@rudder.example>".to_string(),
        passphrase: None,
        algorithm: KeyAlgorithm::Rsa2048,
    })
    .unwrap();
    let secring = keys.path().join("secring.gpg");
    let pubring = keys.path().join("pubring.gpg");
    key.write_secret_keyring(&secring).unwrap();
    key.write_public_keyring(&pubring).unwrap();
    let src = support::plugin_dir(
        &support::repo_root().join("plugins/mlstack"),
        "mlstack.wasm",
    );
    let out = tempfile::tempdir().unwrap();
    env.ok(&[
        "plugin",
        "package",
        src.path().to_str().unwrap(),
        "--key",
        "MLStack Release",
        "--keyring",
        secring.to_str().unwrap(),
        "-d",
        out.path().to_str().unwrap(),
    ]);
    let tgz = out.path().join("mlstack-getter-0.1.0.tgz");
    let prov = out.path().join("mlstack-getter-0.1.0.tgz.prov");
    assert!(tgz.is_file() && prov.is_file(), "package and .prov written");

    let report = env.ok(&[
        "plugin",
        "verify",
        tgz.to_str().unwrap(),
        "--keyring",
        pubring.to_str().unwrap(),
    ]);
    assert!(report.contains("MLStack Release"), "{report}");
    let helm = Command::new(rudder_testkit::helm())
        .args(["plugin", "verify", tgz.to_str().unwrap(), "--keyring"])
        .arg(&pubring)
        .env("HELM_CACHE_HOME", env.cache.path())
        .output()
        .unwrap();
    assert!(
        helm.status.success(),
        "helm plugin verify: {}",
        String::from_utf8_lossy(&helm.stderr)
    );

    // One byte changed in the archive: the digest in the .prov no longer matches.
    let tampered = out.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    let mut bytes = std::fs::read(&tgz).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let bad = tampered.join("mlstack-getter-0.1.0.tgz");
    std::fs::write(&bad, bytes).unwrap();
    std::fs::copy(&prov, tampered.join("mlstack-getter-0.1.0.tgz.prov")).unwrap();
    let refused = env.rudder(&[
        "plugin",
        "verify",
        bad.to_str().unwrap(),
        "--keyring",
        pubring.to_str().unwrap(),
    ]);
    assert!(!refused.status.success(), "a tampered package verified");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    // Installing the signed package checks the signature, then the getter works.
    env.ok(&[
        "plugin",
        "install",
        tgz.to_str().unwrap(),
        "--keyring",
        pubring.to_str().unwrap(),
    ]);
    let list = env.ok(&["plugin", "list"]);
    assert!(list.contains("mlstack-getter"), "{list}");
    let rendered = env.ok(&["template", "ml", "mlstack://trainer"]);
    assert!(rendered.contains("kind: CustomResourceDefinition"));
}
