//! `accelerators`: a postrenderer/v1 plugin (runtime extism/v1) that applies an accelerator
//! profile to ML workloads: GPU resource limits, tolerations, a node selector and a
//! `runtimeClassName`.
//!
//! # Arguments (`--post-renderer-args KEY=VALUE`, repeatable)
//!
//! | argument | meaning |
//! |---|---|
//! | `profile=nvidia\|amd\|intel` | preset: resource, toleration, node selector (and `runtime-class=nvidia` for `nvidia`) |
//! | `resource=<name>` | extended resource to request, e.g. `nvidia.com/gpu` |
//! | `count=<n>` | how many per pod (default 1) |
//! | `toleration=<key>[=<value>][:<effect>]` | add a toleration (`Exists` without a value, `Equal` with one); repeatable |
//! | `node-selector=<key>=<value>` | add a node selector entry; repeatable |
//! | `runtime-class=<name>` | set `runtimeClassName` (`none` clears a preset's) |
//! | `kinds=<Kind>[,<Kind>...]` | only these kinds (default `TrainJob,InferenceService,SparkApplication,Deployment`) |
//! | `deployment-label=<key>=<value>` | which Deployments (default `mlstack.rudder.dev/accelerator=true`) |
//!
//! Later arguments override a preset: `profile=nvidia count=4` asks for 4 GPUs. At least
//! `profile` or `resource` is required.
//!
//! # What changes, per kind
//!
//! - `trainer.kubeflow.org` `TrainJob`: `spec.trainer.resourcesPerNode.limits`, and one
//!   `spec.podSpecOverrides` entry for the `node` job with the node selector and tolerations.
//!   Trainer's pod overrides have no `runtimeClassName`; set it in the training runtime.
//! - `serving.kserve.io` `InferenceService`: `spec.predictor.model.resources.limits` (or every
//!   `spec.predictor.containers[].resources.limits`), `nodeSelector`, `tolerations`,
//!   `runtimeClassName` of `spec.predictor`.
//! - `sparkoperator.k8s.io` `SparkApplication`: `spec.executor.gpu` (`name`, `quantity`) and
//!   the executor's `nodeSelector` and `tolerations` (the driver is left alone). The
//!   SparkApplication v1beta2 pod spec has no `runtimeClassName`.
//! - `apps` `Deployment` carrying the deployment label: every container's
//!   `resources.limits`, and the pod's `nodeSelector`, `tolerations`, `runtimeClassName`.
//!
//! Other documents pass through byte for byte. Changed documents are re-emitted as YAML with
//! their leading comments (`# Source: ...`) kept.

use serde_json::{Map, Value, json};

/// An accelerator profile, from the arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Extended resource name.
    pub resource: String,
    /// Resources per pod.
    pub count: u64,
    /// Tolerations to add.
    pub tolerations: Vec<Value>,
    /// Node selector entries to add.
    pub node_selector: Map<String, Value>,
    /// `runtimeClassName` to set.
    pub runtime_class: Option<String>,
    /// Kinds to change.
    pub kinds: Vec<String>,
    /// The label selecting Deployments.
    pub deployment_label: (String, String),
}

const DEFAULT_KINDS: [&str; 4] = [
    "TrainJob",
    "InferenceService",
    "SparkApplication",
    "Deployment",
];

fn toleration(spec: &str) -> Result<Value, String> {
    let (kv, effect) = match spec.rsplit_once(':') {
        Some((kv, effect)) => (kv, Some(effect)),
        None => (spec, None),
    };
    if let Some(effect) = effect
        && !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute")
    {
        return Err(format!(
            "toleration={spec}: effect must be NoSchedule, PreferNoSchedule or NoExecute"
        ));
    }
    let mut t = Map::new();
    match kv.split_once('=') {
        Some((key, value)) => {
            t.insert("key".into(), json!(key));
            t.insert("operator".into(), json!("Equal"));
            t.insert("value".into(), json!(value));
        }
        None => {
            t.insert("key".into(), json!(kv));
            t.insert("operator".into(), json!("Exists"));
        }
    }
    if kv.is_empty() || kv.starts_with('=') {
        return Err(format!("toleration={spec}: missing key"));
    }
    if let Some(effect) = effect {
        t.insert("effect".into(), json!(effect));
    }
    Ok(Value::Object(t))
}

fn key_value<'a>(arg: &str, text: &'a str) -> Result<(&'a str, &'a str), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k, v)),
        _ => Err(format!("{arg}={text}: expected KEY=VALUE")),
    }
}

impl Profile {
    /// Parses the post-renderer arguments (see the crate docs).
    pub fn from_args(args: &[String]) -> Result<Profile, String> {
        let mut p = Profile {
            resource: String::new(),
            count: 1,
            tolerations: Vec::new(),
            node_selector: Map::new(),
            runtime_class: None,
            kinds: DEFAULT_KINDS.iter().map(|k| k.to_string()).collect(),
            deployment_label: ("mlstack.rudder.dev/accelerator".into(), "true".into()),
        };
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(format!("argument {arg:?}: expected KEY=VALUE"));
            };
            match key {
                "profile" => {
                    let (resource, taint, selector, runtime) = match value {
                        "nvidia" => (
                            "nvidia.com/gpu",
                            "nvidia.com/gpu:NoSchedule",
                            ("nvidia.com/gpu.present", "true"),
                            Some("nvidia"),
                        ),
                        "amd" => (
                            "amd.com/gpu",
                            "amd.com/gpu:NoSchedule",
                            ("feature.node.kubernetes.io/amd-gpu", "true"),
                            None,
                        ),
                        "intel" => (
                            "gpu.intel.com/i915",
                            "gpu.intel.com/i915:NoSchedule",
                            ("intel.feature.node.kubernetes.io/gpu", "true"),
                            None,
                        ),
                        other => {
                            return Err(format!(
                                "profile={other}: unknown profile (nvidia, amd, intel)"
                            ));
                        }
                    };
                    p.resource = resource.into();
                    p.tolerations.push(toleration(taint)?);
                    p.node_selector.insert(selector.0.into(), json!(selector.1));
                    p.runtime_class = runtime.map(str::to_string);
                }
                "resource" => p.resource = value.into(),
                "count" => {
                    p.count = value
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("count={value}: expected a positive integer"))?;
                }
                "toleration" => p.tolerations.push(toleration(value)?),
                "node-selector" => {
                    let (k, v) = key_value(key, value)?;
                    p.node_selector.insert(k.into(), json!(v));
                }
                "runtime-class" => {
                    p.runtime_class = (value != "none" && !value.is_empty()).then(|| value.into());
                }
                "kinds" => {
                    p.kinds = value.split(',').map(|k| k.trim().to_string()).collect();
                    if let Some(bad) = p
                        .kinds
                        .iter()
                        .find(|k| !DEFAULT_KINDS.contains(&k.as_str()))
                    {
                        return Err(format!(
                            "kinds={value}: unsupported kind {bad:?} (supported: {})",
                            DEFAULT_KINDS.join(", ")
                        ));
                    }
                }
                "deployment-label" => {
                    let (k, v) = key_value(key, value)?;
                    p.deployment_label = (k.into(), v.into());
                }
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (profile, resource, count, toleration, node-selector, runtime-class, kinds, deployment-label)"
                    ));
                }
            }
        }
        if p.resource.is_empty() {
            return Err("no accelerator: pass profile=nvidia|amd|intel or resource=<name>".into());
        }
        Ok(p)
    }

    fn wants(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }
}

/// `obj[key]` as an object, created (or replaced, if not an object) when missing.
fn object<'a>(obj: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    let map = obj.as_object_mut().expect("an object");
    let slot = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("an object")
}

fn path<'a>(obj: &'a mut Value, keys: &[&str]) -> &'a mut Value {
    let mut cur = obj;
    for key in keys {
        object(cur, key);
        cur = cur.get_mut(*key).expect("just inserted");
    }
    cur
}

fn set_limit(resources: &mut Value, p: &Profile) {
    object(resources, "limits").insert(p.resource.clone(), json!(p.count));
}

fn add_scheduling(pod: &mut Value, p: &Profile, runtime_class: bool) {
    if !p.node_selector.is_empty() {
        let sel = object(pod, "nodeSelector");
        for (k, v) in &p.node_selector {
            sel.insert(k.clone(), v.clone());
        }
    }
    if !p.tolerations.is_empty() {
        let map = pod.as_object_mut().expect("an object");
        let list = map
            .entry("tolerations")
            .or_insert_with(|| json!([]))
            .as_array_mut();
        if let Some(list) = list {
            for t in &p.tolerations {
                if !list.contains(t) {
                    list.push(t.clone());
                }
            }
        }
    }
    if runtime_class && let Some(rc) = &p.runtime_class {
        pod.as_object_mut()
            .expect("an object")
            .insert("runtimeClassName".into(), json!(rc));
    }
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("")
}

/// Applies the profile to one object; returns whether it changed.
pub fn apply(obj: &mut Value, p: &Profile) -> bool {
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !p.wants(&kind) || !obj.is_object() {
        return false;
    }
    match (group_of(&api_version), kind.as_str()) {
        ("trainer.kubeflow.org", "TrainJob") => {
            set_limit(path(obj, &["spec", "trainer", "resourcesPerNode"]), p);
            let mut overrides = json!({"targetJobs": [{"name": "node"}]});
            add_scheduling(&mut overrides, p, false);
            if overrides.as_object().is_some_and(|m| m.len() > 1) {
                let spec = object(obj, "spec");
                let list = spec.entry("podSpecOverrides").or_insert_with(|| json!([]));
                if let Some(list) = list.as_array_mut() {
                    list.push(overrides);
                }
            }
            true
        }
        ("serving.kserve.io", "InferenceService") => {
            let predictor = path(obj, &["spec", "predictor"]);
            let has_model = predictor.get("model").is_some_and(Value::is_object);
            let containers = predictor
                .get_mut("containers")
                .and_then(Value::as_array_mut);
            match containers {
                Some(list) if !has_model => {
                    for c in list.iter_mut().filter(|c| c.is_object()) {
                        set_limit(path(c, &["resources"]), p);
                    }
                }
                _ => set_limit(path(predictor, &["model", "resources"]), p),
            }
            add_scheduling(predictor, p, true);
            true
        }
        ("sparkoperator.k8s.io", "SparkApplication") => {
            let executor = path(obj, &["spec", "executor"]);
            executor.as_object_mut().expect("an object").insert(
                "gpu".into(),
                json!({"name": p.resource, "quantity": p.count}),
            );
            add_scheduling(executor, p, false);
            true
        }
        ("apps", "Deployment") => {
            let (key, value) = &p.deployment_label;
            let labelled = obj
                .pointer(&format!(
                    "/metadata/labels/{}",
                    key.replace('~', "~0").replace('/', "~1")
                ))
                .and_then(Value::as_str)
                == Some(value.as_str());
            if !labelled {
                return false;
            }
            let pod = path(obj, &["spec", "template", "spec"]);
            if let Some(list) = pod.get_mut("containers").and_then(Value::as_array_mut) {
                for c in list.iter_mut().filter(|c| c.is_object()) {
                    set_limit(path(c, &["resources"]), p);
                }
            }
            add_scheduling(pod, p, true);
            true
        }
        _ => false,
    }
}

fn is_separator(line: &str) -> bool {
    line.trim_end() == "---" || line.starts_with("--- ")
}

/// Applies the profile to every document of a YAML stream.
pub fn post_render(stream: &str, p: &Profile) -> Result<String, String> {
    let mut out = String::with_capacity(stream.len() + 1024);
    let mut doc = String::new();
    let mut index = 0usize;
    let flush = |doc: &str, out: &mut String, index: &mut usize| -> Result<(), String> {
        *index += 1;
        out.push_str(&render_document(doc, p).map_err(|e| format!("document {index}: {e}"))?);
        Ok(())
    };
    for line in stream.split_inclusive('\n') {
        if is_separator(line) {
            flush(&doc, &mut out, &mut index)?;
            doc.clear();
            out.push_str(line);
        } else {
            doc.push_str(line);
        }
    }
    flush(&doc, &mut out, &mut index)?;
    Ok(out)
}

fn render_document(doc: &str, p: &Profile) -> Result<String, String> {
    if doc
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(doc.to_string());
    }
    let mut value: Value = serde_saphyr::from_str(doc).map_err(|e| e.to_string())?;
    if !apply(&mut value, p) {
        return Ok(doc.to_string());
    }
    let comments: String = doc
        .split_inclusive('\n')
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
        .collect();
    let body = serde_saphyr::to_string(&value).map_err(|e| e.to_string())?;
    let mut text = comments;
    text.push_str(&body);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

#[cfg(target_arch = "wasm32")]
mod plugin {
    use extism_pdk::{FnResult, Json, WithReturnCode, plugin_fn};
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize)]
    struct PostRendererInput {
        /// A string for Rudder; `{}` for Helm 4.1.4 (its Go `*bytes.Buffer`).
        #[serde(default)]
        manifests: serde_json::Value,
        #[serde(rename = "extraArgs", default)]
        extra_args: Vec<String>,
    }

    #[derive(Serialize)]
    struct PostRendererOutput {
        manifests: String,
    }

    fn fail(message: String) -> WithReturnCode<extism_pdk::Error> {
        WithReturnCode::new(extism_pdk::Error::msg(message), 1)
    }

    #[plugin_fn]
    pub fn helm_plugin_main(
        Json(input): Json<PostRendererInput>,
    ) -> FnResult<Json<PostRendererOutput>> {
        let serde_json::Value::String(manifests) = input.manifests else {
            return Err(fail(
                "no manifests received (\"manifests\" must be a YAML string)".into(),
            ));
        };
        let profile = super::Profile::from_args(&input.extra_args).map_err(fail)?;
        let manifests = super::post_render(&manifests, &profile).map_err(fail)?;
        Ok(Json(PostRendererOutput { manifests }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn presets_and_overrides() {
        let p = Profile::from_args(&args(&["profile=nvidia", "count=4", "runtime-class=none"]))
            .unwrap();
        assert_eq!(p.resource, "nvidia.com/gpu");
        assert_eq!(p.count, 4);
        assert_eq!(p.runtime_class, None);
        assert_eq!(
            p.tolerations,
            vec![json!({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"})]
        );
        let t = Profile::from_args(&args(&[
            "resource=x.io/tpu",
            "toleration=pool=tpu:NoExecute",
        ]))
        .unwrap();
        assert_eq!(
            t.tolerations,
            vec![
                json!({"key": "pool", "operator": "Equal", "value": "tpu", "effect": "NoExecute"})
            ]
        );
    }

    #[test]
    fn bad_arguments_are_errors() {
        for (list, needle) in [
            (&["count=2"][..], "no accelerator"),
            (&["profile=tpu"][..], "unknown profile"),
            (&["profile=nvidia", "count=0"][..], "positive integer"),
            (&["profile=nvidia", "toleration=a:Never"][..], "effect"),
            (&["profile=nvidia", "kinds=Pod"][..], "unsupported kind"),
            (&["profile=nvidia", "gpus=1"][..], "unknown argument"),
            (
                &["profile=nvidia", "node-selector=novalue"][..],
                "KEY=VALUE",
            ),
        ] {
            let err = Profile::from_args(&args(list)).unwrap_err();
            assert!(err.contains(needle), "{list:?}: {err}");
        }
    }

    #[test]
    fn unrelated_documents_pass_through_unchanged() {
        let p = Profile::from_args(&args(&["profile=nvidia"])).unwrap();
        let stream = "# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a  # kept\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: plain\n";
        assert_eq!(post_render(stream, &p).unwrap(), stream);
    }

    #[test]
    fn workloads_get_the_profile() {
        let p = Profile::from_args(&args(&["profile=nvidia", "count=2"])).unwrap();
        let stream = "# Source: t.yaml\napiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: t\nspec:\n  runtimeRef:\n    name: torch-distributed\n---\napiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: i\nspec:\n  predictor:\n    model:\n      modelFormat:\n        name: sklearn\n---\napiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata:\n  name: s\nspec:\n  executor:\n    instances: 1\n";
        let out = post_render(stream, &p).unwrap();
        assert!(out.starts_with("# Source: t.yaml\n"), "{out}");
        let docs: Vec<Value> = out
            .split("---\n")
            .map(|d| serde_saphyr::from_str(d).unwrap())
            .collect();
        assert_eq!(
            docs[0].pointer("/spec/trainer/resourcesPerNode/limits/nvidia.com~1gpu"),
            Some(&json!(2))
        );
        assert_eq!(
            docs[0].pointer("/spec/podSpecOverrides/0/targetJobs/0/name"),
            Some(&json!("node"))
        );
        assert_eq!(
            docs[1].pointer("/spec/predictor/model/resources/limits/nvidia.com~1gpu"),
            Some(&json!(2))
        );
        assert_eq!(
            docs[1].pointer("/spec/predictor/runtimeClassName"),
            Some(&json!("nvidia"))
        );
        assert_eq!(
            docs[2].pointer("/spec/executor/gpu"),
            Some(&json!({"name": "nvidia.com/gpu", "quantity": 2}))
        );
        assert_eq!(
            docs[2].pointer("/spec/executor/nodeSelector/nvidia.com~1gpu.present"),
            Some(&json!("true"))
        );
    }
}
