//! Interop with real Helm 4.1.4 on the same registry: each side pulls what the other pushed,
//! and the manifests and config blobs of the same archive are compared byte for byte.
//!
//! Helm comes from `$RUDDER_HELM` or `/work/shared/tools/helm-peer`; without it the test
//! says so on stderr and passes vacuously.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{CREATED, Registry, demo_archive};
use rudder_registry::{Auth, ClientOptions, OciReference, PushChart, RegistryClient, manifest};

fn helm() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("RUDDER_HELM") {
        return Some(PathBuf::from(p));
    }
    let peer = Path::new("/work/shared/tools/helm-peer");
    let out = Command::new(peer).output().ok()?;
    let p = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !p.is_empty()).then(|| PathBuf::from(p))
}

fn run_helm(helm: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new(helm)
        .args(args)
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_REGISTRY_CONFIG", home.join("registry.json"))
        .env("HELM_CONTENT_CACHE", home.join("content"))
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn get(url: &str, accept: &str) -> Vec<u8> {
    let out = Command::new("curl")
        .args(["-sSf", "-H", &format!("Accept: {accept}"), url])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "GET {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[tokio::test]
async fn rudder_and_helm_pull_each_others_charts_with_identical_manifests() {
    let Some(helm) = helm() else {
        eprintln!("SKIP: no helm (set RUDDER_HELM or provide /work/shared/tools/helm-peer)");
        return;
    };
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (archive_path, archive) = demo_archive(tmp.path());
    let home = tmp.path().join("helm-home");
    let client = RegistryClient::new(ClientOptions {
        plain_http: true,
        ..Default::default()
    })
    .unwrap();

    // rudder pushes to /rudder, helm pulls it back.
    let pushed = client
        .push(
            &format!("oci://{}/rudder", reg.addr),
            &PushChart {
                archive: archive.clone(),
                provenance: None,
                created: Some(CREATED.into()),
            },
            &Auth::Anonymous,
        )
        .await
        .unwrap();
    let dl = tmp.path().join("helm-pulled");
    std::fs::create_dir_all(&dl).unwrap();
    let out = run_helm(
        &helm,
        &home,
        &[
            "pull",
            &format!("oci://{}/rudder/demo", reg.addr),
            "--version",
            "0.1.0+build.7",
            "--plain-http",
            "-d",
            dl.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains(&pushed.digest),
        "helm pull output lacks our digest: {out}"
    );
    assert_eq!(
        std::fs::read(dl.join("demo-0.1.0+build.7.tgz")).unwrap(),
        archive
    );

    // helm pushes the same archive (mtime = CREATED) to /helm, rudder pulls it.
    let out = run_helm(
        &helm,
        &home,
        &[
            "push",
            archive_path.to_str().unwrap(),
            &format!("oci://{}/helm", reg.addr),
            "--plain-http",
        ],
    );
    let r = OciReference::parse(&format!("oci://{}/helm/demo:0.1.0_build.7", reg.addr)).unwrap();
    let pulled = client.pull(&r, &Auth::Anonymous).await.unwrap();
    assert_eq!(pulled.chart, archive);
    assert!(
        out.contains(&pulled.digest),
        "helm push output lacks the digest we pulled: {out}"
    );

    // Same archive, same created time: Helm's manifest and config must equal ours.
    let helm_manifest = get(
        &format!("http://{}/v2/helm/demo/manifests/0.1.0_build.7", reg.addr),
        manifest::MANIFEST_MEDIA_TYPE,
    );
    let ours = get(
        &format!("http://{}/v2/rudder/demo/manifests/0.1.0_build.7", reg.addr),
        manifest::MANIFEST_MEDIA_TYPE,
    );
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&helm_manifest),
        "manifest differs from Helm's"
    );
    assert_eq!(pulled.digest, pushed.digest);
    let helm_config = get(
        &format!(
            "http://{}/v2/helm/demo/blobs/{}",
            reg.addr, pulled.manifest.config.digest
        ),
        "*/*",
    );
    assert_eq!(
        String::from_utf8_lossy(&manifest::config_json(
            &rudder_chart::load(&archive_path).unwrap().metadata
        )),
        String::from_utf8_lossy(&helm_config),
        "config blob differs from Helm's"
    );
}

#[tokio::test]
async fn credentials_file_is_shared_with_helm_and_digest_pins_work_both_ways() {
    let Some(helm) = helm() else {
        eprintln!("SKIP: no helm (set RUDDER_HELM or provide /work/shared/tools/helm-peer)");
        return;
    };
    let reg = Registry::start_htpasswd("rudder:s3cret");
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let home = tmp.path().join("helm-home");
    let cfg_path = home.join("registry.json");

    // helm registry login writes the file; rudder reads the credentials from it.
    run_helm(
        &helm,
        &home,
        &[
            "registry",
            "login",
            &reg.addr,
            "-u",
            "rudder",
            "-p",
            "s3cret",
            "--plain-http",
        ],
    );
    let auth = rudder_registry::RegistryConfig::load(&cfg_path)
        .unwrap()
        .auth_for(&reg.addr)
        .unwrap();
    assert_eq!(
        auth,
        Auth::Basic {
            username: "rudder".into(),
            password: "s3cret".into()
        }
    );
    let client = RegistryClient::new(ClientOptions {
        plain_http: true,
        ..Default::default()
    })
    .unwrap();
    let pushed = client
        .push(
            &format!("oci://{}/charts", reg.addr),
            &PushChart {
                archive: archive.clone(),
                provenance: None,
                created: None,
            },
            &auth,
        )
        .await
        .unwrap();

    // rudder rewrites the file from scratch; helm pulls by digest with it.
    std::fs::remove_file(&cfg_path).unwrap();
    let mut cfg = rudder_registry::RegistryConfig::load(&cfg_path).unwrap();
    cfg.set(&reg.addr, "rudder", "s3cret");
    cfg.save().unwrap();
    let dl = tmp.path().join("dl");
    std::fs::create_dir_all(&dl).unwrap();
    let pinned = format!("oci://{}/charts/demo@{}", reg.addr, pushed.digest);
    run_helm(
        &helm,
        &home,
        &["pull", &pinned, "--plain-http", "-d", dl.to_str().unwrap()],
    );
    let got: Vec<_> = std::fs::read_dir(&dl)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(std::fs::read(&got[0]).unwrap(), archive);

    // And rudder pulls by the same digest.
    let r = OciReference::parse(&pinned).unwrap();
    assert_eq!(client.pull(&r, &auth).await.unwrap().chart, archive);
}

/// Push and pull of a ~5 MiB chart, rudder vs helm, same registry, same run. Prints the
/// timings; run with `cargo test -p rudder-registry --test helm_interop -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "benchmark: run explicitly"]
async fn bench_5mib_push_pull_rudder_vs_helm() {
    let Some(helm) = helm() else {
        eprintln!("SKIP: no helm");
        return;
    };
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let chart_dir = tmp.path().join("big");
    std::fs::create_dir_all(chart_dir.join("templates")).unwrap();
    std::fs::create_dir_all(chart_dir.join("files")).unwrap();
    std::fs::write(
        chart_dir.join("Chart.yaml"),
        "apiVersion: v2\nname: big\nversion: 1.0.0\n",
    )
    .unwrap();
    // 5 MiB of xorshift noise: gzip cannot shrink it, so the layer stays ~5 MiB.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..5 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(chart_dir.join("files/noise.bin"), noise).unwrap();
    let archive_path = rudder_chart::package(
        &chart_dir,
        tmp.path(),
        &rudder_chart::PackageOptions::default(),
    )
    .unwrap();
    let archive = std::fs::read(&archive_path).unwrap();
    let home = tmp.path().join("helm-home");
    let client = RegistryClient::new(ClientOptions {
        plain_http: true,
        ..Default::default()
    })
    .unwrap();

    let t = std::time::Instant::now();
    let pushed = client
        .push(
            &format!("oci://{}/r", reg.addr),
            &PushChart {
                archive: archive.clone(),
                provenance: None,
                created: None,
            },
            &Auth::Anonymous,
        )
        .await
        .unwrap();
    let rudder_push = t.elapsed();
    let t = std::time::Instant::now();
    let pulled = client
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap();
    let rudder_pull = t.elapsed();
    assert_eq!(pulled.chart.len(), archive.len());

    let t = std::time::Instant::now();
    run_helm(
        &helm,
        &home,
        &[
            "push",
            archive_path.to_str().unwrap(),
            &format!("oci://{}/h", reg.addr),
            "--plain-http",
        ],
    );
    let helm_push = t.elapsed();
    let dl = tmp.path().join("dl");
    std::fs::create_dir_all(&dl).unwrap();
    let t = std::time::Instant::now();
    run_helm(
        &helm,
        &home,
        &[
            "pull",
            &format!("oci://{}/h/big", reg.addr),
            "--version",
            "1.0.0",
            "--plain-http",
            "-d",
            dl.to_str().unwrap(),
        ],
    );
    let helm_pull = t.elapsed();
    eprintln!(
        "5 MiB chart ({} bytes): rudder push {:?} pull {:?}; helm push {:?} pull {:?} (helm includes process start)",
        archive.len(),
        rudder_push,
        rudder_pull,
        helm_push,
        helm_pull
    );
}
