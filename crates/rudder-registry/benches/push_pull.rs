//! Push and pull of a ~5 MiB chart, rudder vs helm, same registry, same run.
//! Run with `cargo bench -p rudder-registry --bench push_pull`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Registry, run_helm};
use rudder_registry::{Auth, ClientOptions, PushChart, RegistryClient};

#[tokio::main]
async fn main() {
    let helm = rudder_testkit::helm();
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
