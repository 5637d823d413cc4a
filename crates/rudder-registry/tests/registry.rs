//! Push and pull against a real registry (Debian's docker-registry via scripts/registry).

mod common;

use common::{CREATED, Options, Registry, dead_port, demo_archive};
use rudder_registry::manifest::{self, CHART_LAYER_MEDIA_TYPE, PROVENANCE_LAYER_MEDIA_TYPE};
use rudder_registry::{
    Auth, ClientOptions, OciReference, PushChart, RegistryClient, RegistryError, TlsOptions,
};

fn plain() -> RegistryClient {
    RegistryClient::new(ClientOptions {
        plain_http: true,
        ..Default::default()
    })
    .unwrap()
}

fn push_chart(archive: Vec<u8>, prov: Option<Vec<u8>>) -> PushChart {
    PushChart {
        archive,
        provenance: prov,
        created: Some(CREATED.into()),
    }
}

fn assert_one_line(e: &RegistryError) -> String {
    let s = e.to_string();
    eprintln!("error: {s}");
    assert!(!s.contains('\n'), "multi-line error: {s}");
    s
}

#[tokio::test]
async fn push_then_pull_round_trip_by_tag_digest_and_range() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let prov = b"-----BEGIN PGP SIGNED MESSAGE-----\nfake provenance for transport\n".to_vec();
    let client = plain();
    let base = format!("oci://{}/charts", reg.addr);
    let pushed = client
        .push(
            &base,
            &push_chart(archive.clone(), Some(prov.clone())),
            &Auth::Anonymous,
        )
        .await
        .unwrap();
    assert_eq!(
        pushed.reference.to_string(),
        format!("oci://{}/charts/demo:0.1.0_build.7", reg.addr)
    );
    let mut types: Vec<_> = pushed
        .manifest
        .layers
        .iter()
        .map(|l| l.media_type.as_str())
        .collect();
    types.sort_unstable();
    assert_eq!(types, [CHART_LAYER_MEDIA_TYPE, PROVENANCE_LAYER_MEDIA_TYPE]);

    let by_tag = OciReference::parse(&format!("{base}/demo"))
        .unwrap()
        .with_version("0.1.0+build.7")
        .unwrap();
    let pulled = client.pull(&by_tag, &Auth::Anonymous).await.unwrap();
    assert_eq!(pulled.chart, archive);
    assert_eq!(pulled.provenance.as_deref(), Some(prov.as_slice()));
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(
        pulled.digest,
        manifest::sha256_digest(&pulled.manifest_bytes)
    );
    let cfg: serde_json::Value = serde_json::from_slice(&pulled.config).unwrap();
    assert_eq!(cfg["name"], "demo");
    assert_eq!(cfg["version"], "0.1.0+build.7");
    assert_eq!(
        pulled.manifest.annotations["org.opencontainers.image.title"],
        "demo"
    );
    assert_eq!(
        pulled.manifest.annotations["org.opencontainers.image.created"],
        CREATED
    );

    let by_digest = OciReference::parse(&format!("{base}/demo@{}", pushed.digest)).unwrap();
    assert_eq!(
        client
            .pull(&by_digest, &Auth::Anonymous)
            .await
            .unwrap()
            .chart,
        archive
    );

    // A second version, then listing and range resolution through the caller's matcher.
    let tmp2 = tempfile::tempdir().unwrap();
    let chart2 = rudder_chart::package(
        common::repo_root().join("testdata/registry/demo"),
        tmp2.path(),
        &rudder_chart::PackageOptions::default().with_version("0.2.0"),
    )
    .unwrap();
    client
        .push(
            &base,
            &push_chart(std::fs::read(chart2).unwrap(), None),
            &Auth::Anonymous,
        )
        .await
        .unwrap();
    let repo = OciReference::parse(&format!("{base}/demo")).unwrap();
    let versions = client.versions(&repo, &Auth::Anonymous).await.unwrap();
    assert_eq!(versions, ["0.2.0", "0.1.0+build.7"]);
    let seen = std::sync::Mutex::new(Vec::new());
    let matcher = |c: &str, vs: &[String]| {
        seen.lock().unwrap().push((c.to_string(), vs.to_vec()));
        vs.iter().find(|v| v.starts_with("0.1.")).cloned()
    };
    let resolved = client
        .resolve_version(&repo, "~0.1", &matcher, &Auth::Anonymous)
        .await
        .unwrap();
    assert_eq!(resolved.tag(), Some("0.1.0_build.7"));
    assert_eq!(seen.lock().unwrap()[0].1, versions);
    let none = |_: &str, _: &[String]| None;
    let e = client
        .resolve_version(&repo, ">5", &none, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(
        assert_one_line(&e).contains("no tag matches version \">5\" (tags: 0.2.0, 0.1.0+build.7)"),
        "{e}"
    );
}

#[tokio::test]
async fn tampered_content_is_refused() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let client = plain();
    let base = format!("oci://{}/charts", reg.addr);
    let pushed = client
        .push(&base, &push_chart(archive, None), &Auth::Anonymous)
        .await
        .unwrap();

    // Pinned digest that the registry does not have.
    let other = format!("sha256:{}", "0".repeat(64));
    let e = client
        .pull(
            &OciReference::parse(&format!("{base}/demo@{other}")).unwrap(),
            &Auth::Anonymous,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::NotFound { .. }), "{e}");

    // The chart layer's bytes are changed on the registry's disk: pull by tag must refuse.
    let layer = &pushed.manifest.layers[0];
    let path = reg.blob_path(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let e = client
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e}");
    assert!(assert_one_line(&e).contains(&layer.digest), "{e}");

    // The manifest itself is changed on disk: a digest-pinned pull must refuse it.
    let mpath = reg.blob_path(&pushed.digest);
    let text = std::fs::read_to_string(&mpath)
        .unwrap()
        .replace("\"demo\"", "\"omed\"");
    std::fs::write(&mpath, text).unwrap();
    let pinned = OciReference::parse(&format!("{base}/demo@{}", pushed.digest)).unwrap();
    let e = client.pull(&pinned, &Auth::Anonymous).await.unwrap_err();
    assert!(matches!(e, RegistryError::DigestMismatch { .. }), "{e}");
    assert!(assert_one_line(&e).contains(&pushed.digest), "{e}");
}

#[tokio::test]
async fn missing_tag_oversized_layer_and_foreign_artifact() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let client = plain();
    let base = format!("oci://{}/charts", reg.addr);
    let pushed = client
        .push(&base, &push_chart(archive.clone(), None), &Auth::Anonymous)
        .await
        .unwrap();

    let missing = OciReference::parse(&format!("{base}/demo:9.9.9")).unwrap();
    let e = client.pull(&missing, &Auth::Anonymous).await.unwrap_err();
    assert_eq!(
        assert_one_line(&e),
        format!("{missing}: not found in the registry")
    );

    let small = RegistryClient::new(ClientOptions {
        plain_http: true,
        max_layer_size: 100,
        ..Default::default()
    })
    .unwrap();
    let e = small
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(
        matches!(e, RegistryError::TooLarge { limit: 100, .. }),
        "{e}"
    );

    // An OCI image-style artifact (not a Helm chart) pushed with oci-client directly.
    let oci_ref: oci_client::Reference = format!("{}/images/app:1.0.0", reg.addr).parse().unwrap();
    let raw = oci_client::Client::new(oci_client::client::ClientConfig {
        protocol: oci_client::client::ClientProtocol::Http,
        ..Default::default()
    });
    let cfg = oci_client::client::Config::oci_v1(b"{}".to_vec(), None);
    let layer = oci_client::client::ImageLayer::oci_v1_gzip(archive, None);
    raw.push(
        &oci_ref,
        &[layer],
        cfg,
        &oci_client::secrets::RegistryAuth::Anonymous,
        None,
    )
    .await
    .unwrap();
    let image = OciReference::parse(&format!("oci://{}/images/app:1.0.0", reg.addr)).unwrap();
    let e = client.pull(&image, &Auth::Anonymous).await.unwrap_err();
    assert!(
        assert_one_line(&e)
            .contains("config media type is \"application/vnd.oci.image.config.v1+json\""),
        "{e}"
    );
}

#[tokio::test]
async fn basic_auth_good_wrong_and_missing_credentials() {
    let reg = Registry::start_htpasswd("rudder:s3cret");
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let base = format!("oci://{}/charts", reg.addr);

    let good = Auth::Basic {
        username: "rudder".into(),
        password: "s3cret".into(),
    };
    let pushed = plain()
        .push(&base, &push_chart(archive.clone(), None), &good)
        .await
        .unwrap();
    assert_eq!(
        plain().pull(&pushed.reference, &good).await.unwrap().chart,
        archive
    );

    let wrong = Auth::Basic {
        username: "rudder".into(),
        password: "nope".into(),
    };
    let e = plain().pull(&pushed.reference, &wrong).await.unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");
    assert!(
        assert_one_line(&e).starts_with(&format!("{}: authentication failed", reg.addr)),
        "{e}"
    );
    let e = plain()
        .push(&base, &push_chart(archive, None), &wrong)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");

    let e = plain()
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");

    // Credentials read back from a Helm-style config.json.
    let cfg_path = tmp.path().join("registry/config.json");
    let mut cfg = rudder_registry::RegistryConfig::load(&cfg_path).unwrap();
    cfg.set(&reg.addr, "rudder", "s3cret");
    cfg.save().unwrap();
    let auth = rudder_registry::RegistryConfig::load(&cfg_path)
        .unwrap()
        .auth_for(&reg.addr)
        .unwrap();
    assert!(plain().pull(&pushed.reference, &auth).await.is_ok());
}

fn https(tls: TlsOptions) -> Result<RegistryClient, RegistryError> {
    RegistryClient::new(ClientOptions {
        tls,
        ..Default::default()
    })
}

#[tokio::test]
async fn tls_registry_is_trusted_through_its_ca_file_only() {
    let reg = Registry::start_opts(&Options {
        tls: true,
        ..Options::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let base = format!("oci://{}/charts", reg.addr);
    let trusted = https(TlsOptions {
        ca_file: Some(reg.ca_file()),
        ..TlsOptions::default()
    })
    .unwrap();
    let pushed = trusted
        .push(&base, &push_chart(archive.clone(), None), &Auth::Anonymous)
        .await
        .unwrap();
    let pulled = trusted
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap();
    assert_eq!(pulled.chart, archive);
    assert_eq!(pulled.digest, pushed.digest);

    // The system roots do not know the test CA: refused, one line naming the cause.
    let e = https(TlsOptions::default())
        .unwrap()
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Certificate { .. }), "{e}");
    let line = assert_one_line(&e);
    assert!(line.starts_with(&reg.addr), "{line}");
    assert!(line.contains("UnknownIssuer"), "{line}");

    // Another CA (here: the server certificate's own key pair is not a CA) is refused too.
    let other = tmp.path().join("other-ca.pem");
    std::fs::copy(reg.state.join("tls/server.pem"), &other).unwrap();
    let e = https(TlsOptions {
        ca_file: Some(other),
        ..TlsOptions::default()
    })
    .unwrap()
    .pull(&pushed.reference, &Auth::Anonymous)
    .await
    .unwrap_err();
    assert!(matches!(e, RegistryError::Certificate { .. }), "{e}");
    assert_one_line(&e);

    // --insecure-skip-tls-verify accepts the certificate; the content is still verified.
    let insecure = https(TlsOptions {
        insecure_skip_tls_verify: true,
        ..TlsOptions::default()
    })
    .unwrap();
    let pulled = insecure
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap();
    assert_eq!(pulled.chart, archive);

    // Bad TLS inputs are refused before any connection, in one line naming the file.
    let not_pem = tmp.path().join("ca.txt");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let e = https(TlsOptions {
        ca_file: Some(not_pem.clone()),
        ..TlsOptions::default()
    })
    .unwrap_err();
    assert!(matches!(e, RegistryError::Tls { .. }), "{e}");
    assert!(
        assert_one_line(&e).starts_with(&not_pem.display().to_string()),
        "{e}"
    );
    let e = https(TlsOptions {
        ca_file: Some(tmp.path().join("missing.pem")),
        ..TlsOptions::default()
    })
    .unwrap_err();
    assert!(matches!(e, RegistryError::Tls { .. }), "{e}");
    let e = https(TlsOptions {
        cert_file: Some(reg.state.join("tls/server.pem")),
        key_file: Some(reg.state.join("tls/server-key.pem")),
        ..TlsOptions::default()
    })
    .unwrap_err();
    assert!(matches!(e, RegistryError::Unsupported { .. }), "{e}");
    assert!(assert_one_line(&e).contains("--cert-file"), "{e}");
}

#[tokio::test]
async fn token_auth_good_wrong_and_missing_credentials() {
    let reg = Registry::start_opts(&Options {
        token: Some("alice:t0ken-pass"),
        ..Options::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let base = format!("oci://{}/charts", reg.addr);

    // The registry answers 401 with a Bearer challenge; the client exchanges the user's
    // credentials for a token at the realm and retries with it.
    let good = Auth::Basic {
        username: "alice".into(),
        password: "t0ken-pass".into(),
    };
    let pushed = plain()
        .push(&base, &push_chart(archive.clone(), None), &good)
        .await
        .unwrap();
    let pulled = plain().pull(&pushed.reference, &good).await.unwrap();
    assert_eq!(pulled.chart, archive);
    let log = std::fs::read_to_string(reg.state.join("log")).unwrap();
    assert!(
        log.contains("token: \"GET /token?"),
        "token server never asked:\n{log}"
    );

    // Wrong credentials: the token server refuses them.
    let wrong = Auth::Basic {
        username: "alice".into(),
        password: "nope".into(),
    };
    let e = plain().pull(&pushed.reference, &wrong).await.unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");
    assert!(assert_one_line(&e).starts_with(&reg.addr), "{e}");
    let e = plain()
        .push(&base, &push_chart(archive, None), &wrong)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");

    // Anonymous: a token without access, which the registry refuses.
    let e = plain()
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Unauthorized { .. }), "{e}");
    assert_one_line(&e);
}

#[tokio::test]
async fn unreachable_registry_is_one_clear_line() {
    let port = dead_port();
    let r = OciReference::parse(&format!("oci://127.0.0.1:{port}/charts/demo:0.1.0")).unwrap();
    let e = plain().pull(&r, &Auth::Anonymous).await.unwrap_err();
    assert!(matches!(e, RegistryError::Unreachable { .. }), "{e}");
    assert!(
        assert_one_line(&e).starts_with(&format!("127.0.0.1:{port}: registry unreachable")),
        "{e}"
    );
}

#[tokio::test]
async fn truncated_blob_and_invalid_archive_are_refused() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    let client = plain();
    let base = format!("oci://{}/charts", reg.addr);

    let e = client
        .push(
            &base,
            &push_chart(b"not a tarball".to_vec(), None),
            &Auth::Anonymous,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, RegistryError::Chart { .. }), "{e}");
    assert_one_line(&e);

    let pushed = client
        .push(&base, &push_chart(archive.clone(), None), &Auth::Anonymous)
        .await
        .unwrap();
    let path = reg.blob_path(&pushed.manifest.layers[0].digest);
    std::fs::write(&path, &archive[..archive.len() / 2]).unwrap();
    let e = client
        .pull(&pushed.reference, &Auth::Anonymous)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            RegistryError::DigestMismatch { .. } | RegistryError::SizeMismatch { .. }
        ),
        "{e}"
    );
    assert_one_line(&e);
}

#[tokio::test]
async fn legacy_layer_media_type_is_still_pulled() {
    let reg = Registry::start();
    let tmp = tempfile::tempdir().unwrap();
    let (_, archive) = demo_archive(tmp.path());
    // Built first: it installs the ring provider that reqwest (no-provider build) needs.
    let client = plain();
    // A chart as pre-HIP-0017 tools pushed it: Helm config, `application/tar+gzip` layer.
    let raw = oci_client::Client::new(oci_client::client::ClientConfig {
        protocol: oci_client::client::ClientProtocol::Http,
        ..Default::default()
    });
    let oci_ref: oci_client::Reference = format!("{}/old/demo:0.0.1", reg.addr).parse().unwrap();
    let cfg = oci_client::client::Config::new(
        br#"{"name":"demo","version":"0.0.1","apiVersion":"v2"}"#.to_vec(),
        manifest::CONFIG_MEDIA_TYPE.to_string(),
        None,
    );
    let layer = oci_client::client::ImageLayer::new(
        archive.clone(),
        manifest::LEGACY_CHART_LAYER_MEDIA_TYPE.to_string(),
        None,
    );
    raw.push(
        &oci_ref,
        &[layer],
        cfg,
        &oci_client::secrets::RegistryAuth::Anonymous,
        None,
    )
    .await
    .unwrap();
    let r = OciReference::parse(&format!("oci://{}/old/demo:0.0.1", reg.addr)).unwrap();
    let pulled = client.pull(&r, &Auth::Anonymous).await.unwrap();
    assert_eq!(pulled.chart, archive);
    assert_eq!(
        pulled.manifest.layers[0].media_type,
        manifest::LEGACY_CHART_LAYER_MEDIA_TYPE
    );
}
