#!/usr/bin/env bash
# Regenerates example-0.1.0.tgz with real Helm 4.1.4 (the chart the example getter serves).
# Usage: plugins/example-getter/assets/regenerate.sh   (needs /work/shared/tools/helm-peer or $HELM)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
helm="${HELM:-$(/work/shared/tools/helm-peer)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$helm" create example >/dev/null
# Keep the archive small: one ConfigMap template instead of the full scaffold.
rm -rf example/templates/* example/charts
cat > example/templates/configmap.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-example
  labels:
    app.kubernetes.io/name: example
data:
  greeting: {{ .Values.greeting | default "hello from example://" | quote }}
YAML
printf 'greeting: hello from example://\n' > example/values.yaml
"$helm" package example --destination "$here" >/dev/null
echo "wrote $here/example-0.1.0.tgz"
