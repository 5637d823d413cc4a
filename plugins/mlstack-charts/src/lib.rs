//! The mlstack charts, shared by the `mlstack` getter (which serves the archives) and the
//! `mlstack` CLI plugin (which prints the plan from the same metadata).
//!
//! `build.rs` packs `plugins/mlstack/charts/` into one gzip'd tar per chart, reproducibly
//! (sorted entries, fixed mtime, uid, gid and modes, no gzip timestamp or name): the same chart
//! sources always give the same bytes. Each component chart is packed as an application chart;
//! the `platform` chart embeds every component under `charts/` as a library chart (its values
//! and macros only), and renders the components its `profile`/`components` values select.
//! `_common/_common.j2` is copied into every chart's `templates/`.

#![no_std]

/// One component chart.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Chart name (also the `mlstack://<name>` path).
    pub name: &'static str,
    /// Chart version.
    pub version: &'static str,
    /// Upstream version of the component.
    pub app_version: &'static str,
    /// Chart description.
    pub description: &'static str,
    /// Upstream images at their pinned versions.
    pub images: &'static [&'static str],
    /// Custom resource kinds the component defines, as `group/version/Kind`.
    pub kinds: &'static [&'static str],
    /// Deployments the component runs.
    pub controllers: &'static [&'static str],
}

/// The umbrella chart.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// Chart name (`platform`).
    pub name: &'static str,
    /// Chart version.
    pub version: &'static str,
    /// Profiles and their components, in install order.
    pub profiles: &'static [(&'static str, &'static [&'static str])],
}

/// The resource groups every chart uses, in install order (their name order, as the v3
/// format orders groups without dependencies), with what each holds.
pub const GROUPS: &[(&str, &str)] = &[
    ("1-crds", "CustomResourceDefinitions, until Established"),
    (
        "2-controllers",
        "ServiceAccounts, RBAC, ConfigMaps, databases, Services and controller Deployments, until Available",
    ),
    (
        "3-runtimes",
        "ClusterTrainingRuntimes and ClusterServingRuntimes",
    ),
    (
        "4-examples",
        "sample TrainJob, Experiment, InferenceService and SparkApplication (examples.enabled=true), until they finish",
    ),
];

include!(concat!(env!("OUT_DIR"), "/metadata.rs"));
include!(concat!(env!("OUT_DIR"), "/archives.rs"));

/// The component called `name`.
pub fn component(name: &str) -> Option<&'static Component> {
    COMPONENTS.iter().find(|c| c.name == name)
}

/// The components of `profile`, in install order.
pub fn profile(name: &str) -> Option<&'static [&'static str]> {
    PLATFORM
        .profiles
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, c)| *c)
}

/// The archive of chart `name` (a component or `platform`) and its version.
pub fn archive(name: &str) -> Option<(&'static str, &'static [u8])> {
    ARCHIVES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, v, a)| (*v, *a))
}
