#!/usr/bin/env bash
# `rudder install --wait` vs `helm install --wait=watcher` (real Helm 4.1.4) on the same local
# control plane, in the same run: a generated apiVersion v2 chart with 300 objects (75 each of
# Deployment, Service, ConfigMap, Secret). Each iteration installs into a fresh namespace
# (alternating rudder and helm) and times the command until it returns with every object
# ready; the median wall times and their ratio are printed. A benchmark, not a test.
#
# Usage: bench/install/run.sh [ITERATIONS]   (default 5; builds rudder in release first)
# Needs: a running control plane (`scripts/cluster up`, or KUBECONFIG naming one).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
iterations=${1:-5}
if [[ -z "${KUBECONFIG:-}" ]]; then eval "$(scripts/cluster env)"; fi
: "${KUBECONFIG:?KUBECONFIG must name the local control plane}"
cargo build --release --locked -p rudder-cli >&2
rudder=${CARGO_TARGET_DIR:-$PWD/target}/release/rudder
helm=${RUDDER_HELM:-$(../shared/tools/helm-peer)}
kubectl=$(../shared/tools/helm-peer kubectl)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

chart=$work/bench300
mkdir -p "$chart/templates"
cat > "$chart/Chart.yaml" <<'YAML'
apiVersion: v2
name: bench300
version: 0.1.0
YAML
echo "count: 75" > "$chart/values.yaml"
cat > "$chart/templates/objects.yaml" <<'YAML'
{{- range $i := until (int .Values.count) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-{{ $i }}
data:
  index: "{{ $i }}"
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-{{ $i }}
stringData:
  token: "t{{ $i }}"
---
apiVersion: v1
kind: Service
metadata:
  name: svc-{{ $i }}
spec:
  selector:
    app: app-{{ $i }}
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ $i }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: app-{{ $i }}
  template:
    metadata:
      labels:
        app: app-{{ $i }}
    spec:
      containers:
        - name: app
          image: registry.example/bench/app:1.0.0
          envFrom:
            - configMapRef:
                name: cm-{{ $i }}
{{- end }}
YAML

python3 - "$iterations" "$rudder" "$helm" "$kubectl" "$chart" <<'PY'
import statistics, subprocess, sys, time, uuid

iterations, rudder, helm, kubectl, chart = int(sys.argv[1]), *sys.argv[2:]

def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr.strip()}")
    return wall

def one(tool):
    ns = f"bench-{tool}-{uuid.uuid4().hex[:8]}"
    if tool == "rudder":
        cmd = [rudder, "install", "b", chart, "-n", ns, "--create-namespace", "--wait", "--timeout", "10m"]
    else:
        cmd = [helm, "install", "b", chart, "-n", ns, "--create-namespace", "--wait=watcher", "--timeout", "10m"]
    wall = timed(cmd)
    subprocess.run([kubectl, "delete", "namespace", ns, "--wait=false"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return wall

walls = {"rudder": [], "helm": []}
one("rudder"); one("helm")  # warm-up: discovery caches, first-pod scheduling
for n in range(iterations):
    for tool in (["rudder", "helm"] if n % 2 == 0 else ["helm", "rudder"]):
        walls[tool].append(one(tool))
        print(f"iteration {n + 1} {tool:6} {walls[tool][-1]:7.2f} s", flush=True)
r, h = statistics.median(walls["rudder"]), statistics.median(walls["helm"])
print(f"# 300 objects (75 Deployments, 75 Services, 75 ConfigMaps, 75 Secrets), {iterations} iterations each")
print(f"rudder install --wait          median {r:7.2f} s  (all: {', '.join(f'{w:.2f}' for w in walls['rudder'])})")
print(f"helm install --wait=watcher    median {h:7.2f} s  (all: {', '.join(f'{w:.2f}' for w in walls['helm'])})")
print(f"median wall-time ratio helm/rudder: {h / r:.2f}x")
PY
