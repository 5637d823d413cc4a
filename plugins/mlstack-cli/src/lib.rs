//! `mlstack`: a cli/v1 plugin (runtime extism/v1), `rudder mlstack plan|status`.
//!
//! - `plan [--profile minimal|full] [--components a,b] [--examples]` prints what
//!   `mlstack://platform` installs with those values: the components with their chart and
//!   upstream versions and images, and the install order (the charts' resource groups). It
//!   reads the metadata of the very charts the `mlstack-getter` plugin serves
//!   (`mlstack-charts`).
//! - `status [-n NAMESPACE]` lists the mlstack CRDs (cluster-wide) and controller Deployments,
//!   then every custom resource of the Kubeflow kinds in the namespace, each with Rudder's
//!   readiness (status, reason, message). It reads the cluster through the host function
//!   `rudder_kube_list` (granted by `runtimeConfig.hostFunctions`), which lists one kind and
//!   returns each object with its readiness; the plugin sees no credentials.
//!
//! The namespace is `-n/--namespace`, else `RUDDER_NAMESPACE`/`HELM_NAMESPACE`, else the
//! kubeconfig context's (chosen by the host).

use serde::{Deserialize, Serialize};

/// The label every mlstack object carries.
pub const PART_OF: &str = "app.kubernetes.io/part-of=mlstack";

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `plan`.
    Plan {
        /// Profile name.
        profile: String,
        /// Explicit components (override the profile).
        components: Vec<String>,
        /// Whether examples are included.
        examples: bool,
    },
    /// `status`.
    Status {
        /// Namespace (`None`: the host's default).
        namespace: Option<String>,
    },
    /// `help`.
    Help,
}

/// Usage text.
pub const USAGE: &str = "Usage:
  rudder mlstack plan [--profile minimal|full] [--components a,b,...] [--examples]
  rudder mlstack status [-n NAMESPACE]
";

/// Parses the plugin's arguments (`env_namespace` is the namespace from the environment).
pub fn parse(args: &[String], env_namespace: Option<String>) -> Result<Command, String> {
    let Some((sub, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    let mut it = rest.iter();
    let value = |flag: &str, inline: Option<&str>, it: &mut std::slice::Iter<String>| {
        inline
            .map(str::to_string)
            .or_else(|| it.next().cloned())
            .ok_or_else(|| format!("{flag} needs a value"))
    };
    match sub.as_str() {
        "plan" => {
            let mut profile = "full".to_string();
            let mut components = Vec::new();
            let mut examples = false;
            while let Some(arg) = it.next() {
                let (flag, inline) = match arg.split_once('=') {
                    Some((f, v)) => (f, Some(v)),
                    None => (arg.as_str(), None),
                };
                match flag {
                    "--profile" => profile = value(flag, inline, &mut it)?,
                    "--components" => {
                        components = value(flag, inline, &mut it)?
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect();
                    }
                    "--examples" => examples = true,
                    other => return Err(format!("plan: unknown flag {other:?}\n{USAGE}")),
                }
            }
            Ok(Command::Plan {
                profile,
                components,
                examples,
            })
        }
        "status" => {
            let mut namespace = env_namespace.filter(|n| !n.is_empty());
            while let Some(arg) = it.next() {
                let (flag, inline) = match arg.split_once('=') {
                    Some((f, v)) => (f, Some(v)),
                    None => (arg.as_str(), None),
                };
                match flag {
                    "-n" | "--namespace" => namespace = Some(value(flag, inline, &mut it)?),
                    other => return Err(format!("status: unknown flag {other:?}\n{USAGE}")),
                }
            }
            Ok(Command::Status { namespace })
        }
        "help" | "--help" | "-h" => Ok(Command::Help),
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The text of `plan`.
pub fn plan(profile: &str, components: &[String], examples: bool) -> Result<String, String> {
    let platform = &mlstack_charts::PLATFORM;
    let selected: Vec<&str> = if components.is_empty() {
        mlstack_charts::profile(profile)
            .ok_or_else(|| {
                let names: Vec<&str> = platform.profiles.iter().map(|(n, _)| *n).collect();
                format!(
                    "profile must be one of {}, not {profile:?}",
                    names.join(", ")
                )
            })?
            .to_vec()
    } else {
        components.iter().map(String::as_str).collect()
    };
    let mut chosen = Vec::new();
    for name in &selected {
        chosen.push(mlstack_charts::component(name).ok_or_else(|| {
            let known: Vec<&str> = mlstack_charts::COMPONENTS.iter().map(|c| c.name).collect();
            format!("unknown component {name:?} (known: {})", known.join(", "))
        })?);
    }
    let mut out = format!(
        "mlstack://{} {} ({})\n\nComponents:\n",
        platform.name,
        platform.version,
        if components.is_empty() {
            format!("profile {profile}")
        } else {
            "components ".to_string() + &selected.join(",")
        }
    );
    let mut rows = vec![
        ["COMPONENT", "CHART", "VERSION", "IMAGES"]
            .map(String::from)
            .to_vec(),
    ];
    for c in &chosen {
        rows.push(vec![
            c.name.to_string(),
            c.version.to_string(),
            c.app_version.to_string(),
            c.images.join(" "),
        ]);
    }
    out.push_str(&table(&rows));
    out.push_str("\nInstall order (each group waits until the previous one is ready):\n");
    for (group, what) in mlstack_charts::GROUPS {
        let detail: Vec<String> = match *group {
            "1-crds" => chosen
                .iter()
                .flat_map(|c| c.kinds.iter())
                .map(|k| {
                    let mut parts = k.rsplitn(3, '/');
                    let kind = parts.next().unwrap_or("");
                    let _version = parts.next();
                    format!("{kind}.{}", parts.next().unwrap_or(""))
                })
                .collect(),
            "2-controllers" => chosen
                .iter()
                .flat_map(|c| c.controllers.iter())
                .map(|d| d.to_string())
                .collect(),
            "3-runtimes" => chosen
                .iter()
                .filter_map(|c| match c.name {
                    "trainer" => Some("ClusterTrainingRuntime/torch-distributed".to_string()),
                    "kserve" => Some("ClusterServingRuntime/kserve-sklearnserver".to_string()),
                    _ => None,
                })
                .collect(),
            _ if !examples => vec!["off (--set examples.enabled=true)".to_string()],
            _ => chosen
                .iter()
                .filter_map(|c| match c.name {
                    "trainer" => Some("TrainJob/mlstack-example-trainjob"),
                    "katib" => Some("Experiment/mlstack-example-experiment"),
                    "kserve" => Some("InferenceService/mlstack-example-isvc"),
                    "spark-operator" => Some("SparkApplication/mlstack-example-spark-pi"),
                    _ => None,
                })
                .map(str::to_string)
                .collect(),
        };
        let detail = if detail.is_empty() {
            "(none)".to_string()
        } else {
            detail.join(", ")
        };
        out.push_str(&format!("  {group}: {what}\n     {detail}\n"));
    }
    Ok(out)
}

/// A `rudder_kube_list` request.
#[derive(Debug, Clone, Serialize)]
pub struct ListRequest {
    /// `group/version` or `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Kind.
    pub kind: String,
    /// Namespace; `None` for the host's default (ignored for cluster-scoped kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Label selector.
    #[serde(rename = "labelSelector", skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
}

/// A `rudder_kube_list` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct ListResponse {
    /// Whether the API server serves the kind (false: CRD not installed).
    pub served: bool,
    /// The namespace listed (empty for cluster-scoped kinds).
    #[serde(default)]
    pub namespace: String,
    /// The objects.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One listed object and its readiness.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// The object (without `metadata.managedFields`).
    pub object: serde_json::Value,
    /// `Current`, `InProgress`, `Failed`, `Terminating`, `Unknown`.
    pub status: String,
    /// Reason, when there is one.
    #[serde(default)]
    pub reason: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: String,
}

impl Item {
    fn name(&self) -> String {
        self.object
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    }

    fn component(&self) -> String {
        self.object
            .pointer("/metadata/labels/app.kubernetes.io~1component")
            .and_then(|v| v.as_str())
            .unwrap_or("-")
            .to_string()
    }
}

/// The kinds `status` lists, in order: CRDs, Deployments, then the Kubeflow kinds.
pub fn status_requests(namespace: Option<&str>) -> Vec<ListRequest> {
    let mut out = vec![
        ListRequest {
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            namespace: None,
            label_selector: Some(PART_OF.into()),
        },
        ListRequest {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: namespace.map(str::to_string),
            label_selector: Some(PART_OF.into()),
        },
    ];
    for c in mlstack_charts::COMPONENTS {
        for k in c.kinds {
            let Some((api_version, kind)) = k.rsplit_once('/') else {
                continue;
            };
            out.push(ListRequest {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: namespace.map(str::to_string),
                label_selector: None,
            });
        }
    }
    out
}

/// The text of `status` from the answers to [`status_requests`].
pub fn status_text(answers: &[(ListRequest, ListResponse)]) -> String {
    let namespace = answers
        .iter()
        .find(|(r, _)| r.kind == "Deployment")
        .map(|(_, a)| a.namespace.clone())
        .unwrap_or_default();
    let mut rows = vec![
        ["COMPONENT", "KIND", "NAME", "STATUS", "MESSAGE"]
            .map(String::from)
            .to_vec(),
    ];
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for (req, answer) in answers {
        if !answer.served {
            continue;
        }
        let component = mlstack_charts::COMPONENTS
            .iter()
            .find(|c| {
                c.kinds.iter().any(|k| {
                    k.ends_with(&format!("/{}", req.kind)) && k.starts_with(&req.api_version)
                })
            })
            .map(|c| c.name.to_string());
        for item in &answer.items {
            *counts.entry(item.status.clone()).or_default() += 1;
            let message = match &item.reason {
                Some(r) if !r.is_empty() && item.status != "Current" => {
                    format!("{r}: {}", item.message)
                }
                _ => item.message.clone(),
            };
            rows.push(vec![
                component.clone().unwrap_or_else(|| item.component()),
                req.kind.clone(),
                item.name(),
                item.status.clone(),
                message,
            ]);
        }
    }
    let mut out = format!("NAMESPACE: {namespace}\n");
    if rows.len() == 1 {
        out.push_str("No mlstack resources found.\n");
        return out;
    }
    out.push_str(&table(&rows));
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    out.push_str(&format!(
        "\n{} resources: {}\n",
        rows.len() - 1,
        summary.join(", ")
    ));
    out
}

#[cfg(target_arch = "wasm32")]
mod plugin {
    use extism_pdk::{FnResult, Json, WithReturnCode, host_fn, plugin_fn};
    use serde::{Deserialize, Serialize};

    use super::{Command, ListRequest, ListResponse};

    #[host_fn]
    extern "ExtismHost" {
        fn rudder_kube_list(request: Json<ListRequest>) -> Json<HostAnswer>;
    }

    /// The host's answer: the list, or an error.
    #[derive(Deserialize)]
    struct HostAnswer {
        #[serde(default)]
        error: Option<String>,
        #[serde(flatten)]
        list: Option<ListResponse>,
    }

    #[derive(Deserialize)]
    struct CliInput {
        #[serde(rename = "extraArgs", default)]
        extra_args: Vec<String>,
    }

    #[derive(Serialize)]
    struct CliOutput {}

    fn fail(message: String) -> WithReturnCode<extism_pdk::Error> {
        WithReturnCode::new(extism_pdk::Error::msg(message), 1)
    }

    fn list(request: ListRequest) -> Result<ListResponse, String> {
        // SAFETY: a host function call with a JSON handle, as the Extism PDK defines it.
        let answer = unsafe { rudder_kube_list(Json(request.clone())) }
            .map_err(|e| format!("rudder_kube_list: {e}"))?
            .0;
        if let Some(error) = answer.error {
            return Err(format!(
                "listing {} {}: {error}",
                request.api_version, request.kind
            ));
        }
        answer
            .list
            .ok_or_else(|| "rudder_kube_list: empty answer".to_string())
    }

    #[plugin_fn]
    pub fn helm_plugin_main(Json(input): Json<CliInput>) -> FnResult<Json<CliOutput>> {
        let env_namespace = std::env::var("RUDDER_NAMESPACE")
            .or_else(|_| std::env::var("HELM_NAMESPACE"))
            .ok();
        match super::parse(&input.extra_args, env_namespace).map_err(fail)? {
            Command::Help => print!("{}", super::USAGE),
            Command::Plan {
                profile,
                components,
                examples,
            } => print!(
                "{}",
                super::plan(&profile, &components, examples).map_err(fail)?
            ),
            Command::Status { namespace } => {
                let mut answers = Vec::new();
                for request in super::status_requests(namespace.as_deref()) {
                    let answer = list(request.clone()).map_err(fail)?;
                    answers.push((request, answer));
                }
                print!("{}", super::status_text(&answers));
            }
        }
        Ok(Json(CliOutput {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_commands() {
        assert_eq!(
            parse(&args(&["status", "-n", "ml"]), Some("x".into())).unwrap(),
            Command::Status {
                namespace: Some("ml".into())
            }
        );
        assert_eq!(
            parse(&args(&["status"]), Some("x".into())).unwrap(),
            Command::Status {
                namespace: Some("x".into())
            }
        );
        assert_eq!(
            parse(&args(&["plan", "--profile=minimal", "--examples"]), None).unwrap(),
            Command::Plan {
                profile: "minimal".into(),
                components: vec![],
                examples: true
            }
        );
        assert!(parse(&args(&["plan", "--bogus"]), None).is_err());
        assert!(parse(&args(&["deploy"]), None).is_err());
    }

    #[test]
    fn minimal_plan_lists_its_components_in_order() {
        let text = plan("minimal", &[], false).unwrap();
        let trainer = text.find("\ntrainer ").expect(&text);
        let spark = text.find("\nspark-operator ").expect(&text);
        assert!(trainer < spark, "{text}");
        assert!(!text.contains("\nkatib "), "{text}");
        assert!(text.contains("TrainJob.trainer.kubeflow.org"), "{text}");
        assert!(text.contains("v2.1.0"), "{text}");
        assert!(
            plan("huge", &[], false)
                .unwrap_err()
                .contains("minimal, full")
        );
        assert!(
            plan("full", &["nope".into()], false)
                .unwrap_err()
                .contains("unknown component")
        );
    }
}
