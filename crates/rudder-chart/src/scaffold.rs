//! Writing a new v3 chart scaffold (`rudder create`).
//!
//! The scaffold is an apiVersion v3 chart (Jinja templates, see `charts-v3-spec/`) with the
//! same resources as `helm create`: a Deployment, a Service, a ServiceAccount, a test hook
//! and NOTES.txt, plus `values.schema.json`. Every value the templates read is declared in
//! `values.yaml`, as v3's strict undefined requires.

use std::path::{Path, PathBuf};

/// Why a scaffold could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The chart name is not a valid chart directory name.
    #[error(
        "invalid chart name {name:?}: use lowercase letters, digits and '-', starting with a letter (at most 53 characters)"
    )]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// The target directory already exists and is not empty.
    #[error("{}: already exists and is not empty", path.display())]
    Exists {
        /// The target directory.
        path: PathBuf,
    },
    /// Writing a file failed.
    #[error("{}: cannot write", path.display())]
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Whether `name` is acceptable for `rudder create`: a DNS-1123 label short enough that
/// `<release>-<name>` still fits Kubernetes name limits.
pub fn valid_chart_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 53
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Writes a new v3 chart named `name` into `parent_dir/name` and returns that path.
///
/// Fails if the name is invalid or the directory exists and is not empty.
pub fn create(name: &str, parent_dir: &Path) -> Result<PathBuf, ScaffoldError> {
    if !valid_chart_name(name) {
        return Err(ScaffoldError::InvalidName {
            name: name.to_string(),
        });
    }
    let root = parent_dir.join(name);
    if let Ok(mut entries) = std::fs::read_dir(&root)
        && entries.next().is_some()
    {
        return Err(ScaffoldError::Exists { path: root });
    }
    for (rel, text) in FILES {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ScaffoldError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let text = text.replace("<CHARTNAME>", name);
        std::fs::write(&path, text).map_err(|source| ScaffoldError::Io { path, source })?;
    }
    let charts = root.join("charts");
    std::fs::create_dir_all(&charts).map_err(|source| ScaffoldError::Io {
        path: charts,
        source,
    })?;
    Ok(root)
}

/// The scaffold files, relative to the chart root. `<CHARTNAME>` is replaced by the name.
const FILES: &[(&str, &str)] = &[
    ("Chart.yaml", CHART_YAML),
    ("values.yaml", VALUES_YAML),
    ("values.schema.json", VALUES_SCHEMA),
    (".helmignore", HELMIGNORE),
    ("templates/_helpers.j2", HELPERS),
    ("templates/deployment.yaml", DEPLOYMENT),
    ("templates/service.yaml", SERVICE),
    ("templates/serviceaccount.yaml", SERVICE_ACCOUNT),
    ("templates/NOTES.txt", NOTES),
    ("templates/tests/test-connection.yaml", TEST_CONNECTION),
];

const CHART_YAML: &str = r#"apiVersion: v3
name: <CHARTNAME>
description: A Rudder chart for Kubernetes (chart apiVersion v3, Jinja templates)
# application (installable) or library (helpers only).
type: application
# The chart's version: strict SemVer 2, bumped on every change to the chart.
version: 0.1.0
# The version of the application the chart deploys.
appVersion: "1.16.0"
"#;

const VALUES_YAML: &str = r#"# Default values for <CHARTNAME>.
# Templates use strict undefined: every value they read is declared here.

replicaCount: 1

image:
  repository: nginx
  pullPolicy: IfNotPresent
  # Overrides the image tag; empty means the chart appVersion.
  tag: ""

imagePullSecrets: []
nameOverride: ""
fullnameOverride: ""

serviceAccount:
  # Create a ServiceAccount for the release.
  create: true
  # Annotations to add to the ServiceAccount.
  annotations: {}
  # Name to use; empty means the full name of the release.
  name: ""

podAnnotations: {}
podLabels: {}

service:
  type: ClusterIP
  port: 80

resources: {}
  # limits:
  #   cpu: 100m
  #   memory: 128Mi

nodeSelector: {}
tolerations: []
affinity: {}
"#;

const VALUES_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "replicaCount": {"type": "integer", "minimum": 0},
    "image": {
      "type": "object",
      "required": ["repository"],
      "properties": {
        "repository": {"type": "string", "minLength": 1},
        "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
        "tag": {"type": "string"}
      }
    },
    "service": {
      "type": "object",
      "properties": {
        "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535}
      }
    }
  }
}
"#;

const HELMIGNORE: &str = r#"# Patterns to ignore when packaging (gitignore syntax).
.DS_Store
.git/
.gitignore
*.swp
*.bak
*.tmp
*.orig
*~
.idea/
.vscode/
"#;

const HELPERS: &str = r#"{# Helpers for this chart. Use them with: {% import "_helpers.j2" as h %} #}
{% macro name() %}{{ (Values.nameOverride or Chart.Name) | trunc(63) | trimSuffix("-") }}{% endmacro %}

{% macro fullname() %}
{%- if Values.fullnameOverride -%}
{{ Values.fullnameOverride | trunc(63) | trimSuffix("-") }}
{%- elif name() in Release.Name -%}
{{ Release.Name | trunc(63) | trimSuffix("-") }}
{%- else -%}
{{ (Release.Name ~ "-" ~ name()) | trunc(63) | trimSuffix("-") }}
{%- endif -%}
{% endmacro %}

{% macro selector_labels() %}
app.kubernetes.io/name: {{ name() }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- endmacro %}

{% macro labels() %}
helm.sh/chart: {{ (Chart.Name ~ "-" ~ Chart.Version) | replace("+", "_") | trunc(63) | trimSuffix("-") }}
{{ selector_labels() }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- endmacro %}

{% macro service_account_name() %}
{%- if Values.serviceAccount.create -%}
{{ Values.serviceAccount.name or fullname() }}
{%- else -%}
{{ Values.serviceAccount.name or "default" }}
{%- endif -%}
{% endmacro %}
"#;

const DEPLOYMENT: &str = r#"{% import "_helpers.j2" as h %}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ h.fullname() }}
  labels:
    {{- h.labels() | nindent(4) }}
spec:
  replicas: {{ Values.replicaCount }}
  selector:
    matchLabels:
      {{- h.selector_labels() | nindent(6) }}
  template:
    metadata:
      {% if Values.podAnnotations %}
      annotations:
        {{- Values.podAnnotations | toYaml | nindent(8) }}
      {% endif %}
      labels:
        {{- h.selector_labels() | nindent(8) }}
        {% if Values.podLabels %}
        {{- Values.podLabels | toYaml | nindent(8) }}
        {% endif %}
    spec:
      {% if Values.imagePullSecrets %}
      imagePullSecrets:
        {{- Values.imagePullSecrets | toYaml | nindent(8) }}
      {% endif %}
      serviceAccountName: {{ h.service_account_name() }}
      containers:
        - name: {{ Chart.Name }}
          image: "{{ Values.image.repository }}:{{ Values.image.tag | default(Chart.AppVersion) }}"
          imagePullPolicy: {{ Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /
              port: http
          readinessProbe:
            httpGet:
              path: /
              port: http
          {% if Values.resources %}
          resources:
            {{- Values.resources | toYaml | nindent(12) }}
          {% endif %}
      {% if Values.nodeSelector %}
      nodeSelector:
        {{- Values.nodeSelector | toYaml | nindent(8) }}
      {% endif %}
      {% if Values.affinity %}
      affinity:
        {{- Values.affinity | toYaml | nindent(8) }}
      {% endif %}
      {% if Values.tolerations %}
      tolerations:
        {{- Values.tolerations | toYaml | nindent(8) }}
      {% endif %}
"#;

const SERVICE: &str = r#"{% import "_helpers.j2" as h %}
apiVersion: v1
kind: Service
metadata:
  name: {{ h.fullname() }}
  labels:
    {{- h.labels() | nindent(4) }}
spec:
  type: {{ Values.service.type }}
  ports:
    - port: {{ Values.service.port }}
      targetPort: http
      protocol: TCP
      name: http
  selector:
    {{- h.selector_labels() | nindent(4) }}
"#;

const SERVICE_ACCOUNT: &str = r#"{% import "_helpers.j2" as h %}
{% if Values.serviceAccount.create %}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ h.service_account_name() }}
  labels:
    {{- h.labels() | nindent(4) }}
  {% if Values.serviceAccount.annotations %}
  annotations:
    {{- Values.serviceAccount.annotations | toYaml | nindent(4) }}
  {% endif %}
{% endif %}
"#;

const NOTES: &str = r#"{% import "_helpers.j2" as h %}
{{ Chart.Name }} is {{ "upgraded" if Release.IsUpgrade else "installed" }} as release {{ Release.Name }} in namespace {{ Release.Namespace }}.

Reach the application:
  kubectl --namespace {{ Release.Namespace }} port-forward service/{{ h.fullname() }} 8080:{{ Values.service.port }}
  then open http://127.0.0.1:8080/
"#;

const TEST_CONNECTION: &str = r#"{% import "_helpers.j2" as h %}
apiVersion: v1
kind: Pod
metadata:
  name: {{ h.fullname() }}-test-connection
  labels:
    {{- h.labels() | nindent(4) }}
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: wget
      image: busybox
      command: ["wget"]
      args: ["{{ h.fullname() }}:{{ Values.service.port }}"]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_chart_name("my-app2"));
        for bad in ["", "My", "1app", "a_b", "a-", "a/b", &"a".repeat(54)] {
            assert!(!valid_chart_name(bad), "{bad}");
        }
    }

    #[test]
    fn refuses_non_empty_target() {
        let dir = tempfile::tempdir().unwrap();
        create("app", dir.path()).unwrap();
        let err = create("app", dir.path()).unwrap_err();
        assert!(matches!(err, ScaffoldError::Exists { .. }), "{err}");
        assert!(
            err.to_string()
                .ends_with("app: already exists and is not empty"),
            "{err}"
        );
    }
}
