//! Storage semantics over the memory driver.

use std::collections::BTreeMap;

use rudder_release::{
    Driver, DriverError, MemoryDriver, Release, Status, Storage, StorageError, StorageOptions,
    storage_key,
};

fn rel(name: &str, ns: &str, version: i64, status: Status) -> Release {
    let mut r = Release {
        name: name.into(),
        namespace: ns.into(),
        version,
        ..Release::default()
    };
    r.set_status(status, format!("v{version}"));
    r
}

fn storage() -> Storage<MemoryDriver> {
    Storage::new(MemoryDriver::new(Some("ns")), StorageOptions::default())
}

#[tokio::test]
async fn history_last_deployed_and_next_revision() {
    let s = storage();
    assert_eq!(s.next_revision("web").await.unwrap(), 1);
    assert!(matches!(
        s.last("web").await,
        Err(StorageError::NoRevision { .. })
    ));
    assert!(matches!(
        s.deployed("web").await,
        Err(StorageError::NoDeployedReleases { .. })
    ));
    for (v, st) in [
        (3, Status::Failed),
        (1, Status::Superseded),
        (2, Status::Deployed),
    ] {
        s.create(&rel("web", "ns", v, st)).await.unwrap();
    }
    s.create(&rel("other", "ns", 1, Status::Deployed))
        .await
        .unwrap();

    let versions: Vec<i64> = s
        .history("web")
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(s.last("web").await.unwrap().version, 3);
    assert_eq!(s.deployed("web").await.unwrap().version, 2);
    assert_eq!(s.next_revision("web").await.unwrap(), 4);
    assert_eq!(s.list_deployed().await.unwrap().len(), 2);
    assert_eq!(s.list_releases().await.unwrap().len(), 4);
}

#[tokio::test]
async fn status_change_moves_label_queries() {
    let s = storage();
    s.create(&rel("web", "ns", 1, Status::Deployed))
        .await
        .unwrap();
    let mut r = s.get("web", 1).await.unwrap();
    r.set_status(Status::Superseded, "superseded");
    s.update(&r).await.unwrap();
    assert!(s.deployed_all("web").await.unwrap().is_empty());
    assert_eq!(s.get("web", 1).await.unwrap().status(), Status::Superseded);
}

#[tokio::test]
async fn pending_and_uninstalling_block_new_operations() {
    let s = storage();
    assert!(s.ensure_idle("web").await.unwrap().is_none());
    s.create(&rel("web", "ns", 1, Status::Deployed))
        .await
        .unwrap();
    assert_eq!(s.ensure_idle("web").await.unwrap().unwrap().version, 1);
    for st in [
        Status::PendingUpgrade,
        Status::PendingRollback,
        Status::Uninstalling,
    ] {
        let r = rel("web", "ns", 2, st.clone());
        s.driver().delete(&storage_key("web", 2)).await.ok();
        s.create(&r).await.unwrap();
        let err = s.ensure_idle("web").await.unwrap_err();
        assert!(
            matches!(&err, StorageError::OperationInProgress { version: 2, status, .. } if *status == st),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("another operation (install/upgrade/rollback) is in progress")
        );
    }
}

#[tokio::test]
async fn driver_errors_are_typed() {
    let d = MemoryDriver::new(Some("ns"));
    let r = rel("web", "ns", 1, Status::Deployed);
    d.create(&r.storage_key(), &r).await.unwrap();
    assert!(matches!(
        d.create(&r.storage_key(), &r).await,
        Err(DriverError::AlreadyExists { .. })
    ));
    let r2 = rel("web", "ns", 2, Status::Deployed);
    assert!(matches!(
        d.update(&r2.storage_key(), &r2).await,
        Err(DriverError::NotFound { .. })
    ));
    assert!(matches!(
        d.get("web.v1").await,
        Err(DriverError::InvalidKey { .. })
    ));
    let bad: BTreeMap<String, String> = [("name".to_string(), "no spaces".to_string())].into();
    assert!(matches!(
        d.query(&bad).await,
        Err(DriverError::InvalidLabelValue { .. })
    ));
    assert_eq!(d.delete(&r.storage_key()).await.unwrap(), r);
    assert!(d.get(&r.storage_key()).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn namespaces_are_scoped() {
    let all = MemoryDriver::new(None);
    let a = all.scoped(Some("a"));
    let b = all.scoped(Some("b"));
    a.create(
        &storage_key("web", 1),
        &rel("web", "a", 1, Status::Deployed),
    )
    .await
    .unwrap();
    b.create(&storage_key("web", 1), &rel("web", "b", 1, Status::Failed))
        .await
        .unwrap();
    assert_eq!(
        a.get(&storage_key("web", 1)).await.unwrap().status(),
        Status::Deployed
    );
    assert_eq!(
        b.get(&storage_key("web", 1)).await.unwrap().status(),
        Status::Failed
    );
    assert_eq!(all.list(|_| true).await.unwrap().len(), 2);
    assert_eq!(a.list(|_| true).await.unwrap().len(), 1);
}

#[tokio::test]
async fn user_labels_round_trip_and_system_labels_are_queryable() {
    let d = MemoryDriver::new(Some("ns"));
    let mut r = rel("web", "ns", 1, Status::Deployed);
    r.labels.insert("team".into(), "core".into());
    d.create(&r.storage_key(), &r).await.unwrap();
    let got = d.get(&r.storage_key()).await.unwrap();
    assert_eq!(got.labels, r.labels);
    for (k, v) in [
        ("team", "core"),
        ("owner", "helm"),
        ("status", "deployed"),
        ("version", "1"),
    ] {
        let sel: BTreeMap<String, String> = [(k.to_string(), v.to_string())].into();
        assert_eq!(d.query(&sel).await.unwrap().len(), 1, "{k}={v}");
    }
}
