//! Interop with real Helm 4.1.4 on the same registry: each side pulls what the other pushed,
//! and the manifests and config blobs of the same archive are compared byte for byte.
//!
//! Helm comes from `rudder_testkit::helm()` (`$RUDDER_HELM` or the workplace's helm-peer);
//! without it the tests fail.

mod common;

use std::process::Command;

use common::{CREATED, Registry, demo_archive, run_helm};
use rudder_registry::{Auth, ClientOptions, OciReference, PushChart, RegistryClient, manifest};

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
    let helm = rudder_testkit::helm();
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
    let helm = rudder_testkit::helm();
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
