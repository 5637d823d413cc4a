#!/usr/bin/env bash
# Regenerates the evidence for ordering.md: writes a v2 chart with every kind of Helm's
# InstallOrder (declared in reverse order, spread over several files, plus unknown kinds,
# comment-only and empty documents, hooks with weights, a subchart and a CRD) to
# charts-v3-spec/evidence/order/, renders it with real `helm template --include-crds` into
# charts-v3-spec/evidence/helm-template.yaml (the golden that
# crates/rudder-render/tests/helm_order.rs compares Rudder's pipeline against), and prints
# the output reduced to "<source> <kind>/<name>" lines.
# The templates hold no template directives, so Go templates and Jinja render them alike.
# Usage: charts-v3-spec/tools/helm-order-check.sh [path-to-helm]
set -euo pipefail
HELM="${1:-$(/work/shared/tools/helm-peer)}"
evidence="$(cd "$(dirname "$0")/.." && pwd)/evidence"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
c="$dir/order"
mkdir -p "$c/templates" "$c/charts/sub/templates" "$c/crds"
printf 'apiVersion: v2\nname: order\nversion: 0.1.0\n' > "$c/Chart.yaml"
printf 'apiVersion: v2\nname: sub\nversion: 0.1.0\n' > "$c/charts/sub/Chart.yaml"
kinds="PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass PersistentVolume PersistentVolumeClaim CustomResourceDefinition ClusterRole ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role RoleList RoleBinding RoleBindingList Service DaemonSet Pod ReplicationController ReplicaSet Deployment HorizontalPodAutoscaler StatefulSet Job CronJob IngressClass Ingress APIService MutatingWebhookConfiguration ValidatingWebhookConfiguration"
doc() { printf -- '---\napiVersion: v1\nkind: %s\nmetadata:\n  name: %s\n' "$1" "$2"; }
# Reverse kind order inside b-all.yaml; a second file with the same kinds sorts before it.
for k in $(echo $kinds | tr ' ' '\n' | tac); do doc "$k" "b-$k" >> "$c/templates/b-all.yaml"; done
{ doc Service a-svc; doc ConfigMap a-cm; doc Zebra a-zebra; doc Alpha a-alpha; doc Zebra a-zebra2; } > "$c/templates/a-mixed.yaml"
{ doc Deployment c-deploy; printf -- '---\n# only a comment\n---\n\n'; doc Alpha c-alpha; } > "$c/templates/c-more.yaml"
{ doc ConfigMap sub-cm; doc Service sub-svc; } > "$c/charts/sub/templates/x.yaml"
hook() { printf -- '---\napiVersion: v1\nkind: %s\nmetadata:\n  name: %s\n  annotations:\n    helm.sh/hook: %s\n    helm.sh/hook-weight: "%s"\n' "$1" "$2" "$3" "$4"; }
{ hook Job h-job-w5 pre-install 5; hook ConfigMap h-cm-w10 pre-install 10; hook Pod h-pod-wm1 test -1; hook Job h-job-w0 post-install 0; } > "$c/templates/hooks.yaml"
doc CustomResourceDefinition crd-file > "$c/crds/crd.yaml"
"$HELM" template rel "$c" --include-crds > "$dir/out.yaml"
rm -rf "$evidence"
mkdir -p "$evidence"
cp -r "$c" "$evidence/order"
cp "$dir/out.yaml" "$evidence/helm-template.yaml"
"$HELM" version --short > "$evidence/helm-version.txt"
awk '/^# Source: /{src=$3} /^kind: /{k=$2} /^  name: /{if (k!="") {print src, k "/" $2; k=""}}' "$dir/out.yaml"
