#!/usr/bin/env bash
# Regenerates the values conformance goldens with real Helm 4.1.4:
#   testdata/values-conformance/goldens/<case>.json
# For every case in testdata/values-conformance/cases.yaml it writes the case's -f and
# --set-file inputs into a scratch directory, runs `helm template` on the case's chart
# (every chart under testdata/values-conformance/charts prints `toJson .Values`, base64
# encoded, into a ConfigMap), and records the values each rendered chart saw, keyed by
# chart path (`parent`, `parent/charts/sub`, ...), or Helm's error. Idempotent: the
# output depends only on the cases, the charts and Helm.
# Usage: scripts/goldens/values.sh   (HELM=/path/to/helm to override the binary)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HELM=${HELM:-$("$ROOT/../shared/tools/helm-peer")}
exec python3 - "$ROOT/testdata/values-conformance" "$HELM" <<'PY'
import base64, json, os, re, subprocess, sys, tempfile
import yaml

base, helm = sys.argv[1], sys.argv[2]
version = subprocess.run([helm, "version", "--template", "{{.Version}}"],
                         capture_output=True, text=True, check=True).stdout.strip()
if version != "v4.1.4":
    sys.exit(f"expected Helm v4.1.4, found {version}")
cases = yaml.safe_load(open(os.path.join(base, "cases.yaml")))
out_dir = os.path.join(base, "goldens")
os.makedirs(out_dir, exist_ok=True)
names = set()
for case in cases:
    name = case["name"]
    assert name not in names, f"duplicate case {name}"
    names.add(name)
    chart = os.path.join(base, "charts", case["chart"])
    with tempfile.TemporaryDirectory() as tmp:
        for f in case.get("inputs", []):
            with open(os.path.join(tmp, f["name"]), "w") as fh:
                fh.write(f["text"])
        proc = subprocess.run([helm, "template", "rel", chart, *case.get("args", [])],
                              cwd=tmp, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.splitlines()
        first = next((i for i, l in enumerate(lines) if l.startswith("Error:")), 0)
        golden = {"error": "\n".join(lines[first:]).strip()}
    else:
        charts = {}
        for doc in proc.stdout.split("\n---\n"):
            src = re.search(r"^# Source: (.*)/templates/values\.yaml$", doc, re.M)
            val = re.search(r"^  values: (\S+)$", doc, re.M)
            if src and val:
                charts[src.group(1)] = json.loads(base64.b64decode(val.group(1)))
        golden = {"charts": charts}
    with open(os.path.join(out_dir, name + ".json"), "w") as fh:
        json.dump(golden, fh, indent=1, sort_keys=True)
        fh.write("\n")
for stale in os.listdir(out_dir):
    if stale.endswith(".json") and stale[:-5] not in names:
        os.remove(os.path.join(out_dir, stale))
print(f"{len(names)} goldens written to {out_dir} with Helm {version}")
PY
