//! Writes the Secret and ConfigMap objects Rudder builds for each Helm fixture, so Helm's own
//! drivers can read them back (`scripts/goldens/release.sh` runs this, then
//! `testdata/release/gen verify`).
//!
//! Usage: `cargo run -p rudder-release --example write_records -- <golden-dir> <out-dir>`

use std::collections::BTreeMap;
use std::error::Error;
use std::path::Path;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use rudder_release::{Stamp, Time, from_json, storage_object, user_labels};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [golden, out] = args.as_slice() else {
        return Err("usage: write_records <golden-dir> <out-dir>".into());
    };
    let (golden, out) = (Path::new(golden), Path::new(out));
    std::fs::create_dir_all(out)?;
    let mut count = 0;
    for entry in std::fs::read_dir(golden)? {
        let path = entry?.path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".secret.json"))
        else {
            continue;
        };
        let json = std::fs::read(golden.join(format!("{id}.json")))?;
        let mut release = from_json(&json).map_err(|e| format!("{id}.json: {e}"))?;
        // Carry the user labels Helm's fixture had, so both objects hold the same release.
        let helm_secret: Secret = serde_json::from_slice(&std::fs::read(&path)?)?;
        release.labels = user_labels(&helm_secret.metadata.labels.unwrap_or_default());
        let key = release.storage_key();
        let secret: Secret = storage_object(&key, &release, Stamp::Created(Time::now()))?;
        let config_map: ConfigMap = storage_object(&key, &release, Stamp::Created(Time::now()))?;
        std::fs::write(
            out.join(format!("{id}.secret.json")),
            serde_json::to_vec_pretty(&secret)?,
        )?;
        std::fs::write(
            out.join(format!("{id}.configmap.json")),
            serde_json::to_vec_pretty(&config_map)?,
        )?;
        std::fs::write(
            out.join(format!("{id}.labels.json")),
            serde_json::to_vec(&release.labels.iter().collect::<BTreeMap<_, _>>())?,
        )?;
        count += 1;
    }
    if count == 0 {
        return Err(format!("no *.secret.json fixtures in {}", golden.display()).into());
    }
    Ok(())
}
