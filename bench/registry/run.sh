#!/usr/bin/env bash
# `rudder push` / `rudder pull` vs `helm push` / `helm pull` (real Helm 4.1.4) of a 5 MiB chart,
# same local registry (scripts/registry), same run, interleaved: median whole-process wall
# time of N runs each. Every push goes to a fresh repository, so its blobs are really
# uploaded; every pull goes to a fresh directory. A benchmark, not a test: nothing asserted.
#
# Usage: bench/registry/run.sh [RUNS]     (default 9; builds rudder in release first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs=${1:-9}
cargo build --release --locked -p rudder-cli >&2
rudder=${CARGO_TARGET_DIR:-$PWD/target}/release/rudder
helm=$(../shared/tools/helm-peer)
work=$(mktemp -d)
trap 'scripts/registry down --state "$work/registry" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
addr=$(scripts/registry up --state "$work/registry")

# A chart with 5 MiB of incompressible noise, so the layer stays ~5 MiB.
mkdir -p "$work/big/templates" "$work/big/files"
printf 'apiVersion: v2\nname: big\nversion: 1.0.0\n' >"$work/big/Chart.yaml"
head -c $((5 << 20)) /dev/urandom >"$work/big/files/noise.bin"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n' >"$work/big/templates/cm.yaml"
"$rudder" package "$work/big" -d "$work" >/dev/null
archive=$work/big-1.0.0.tgz

export HELM_CONFIG_HOME=$work/helm/config HELM_CACHE_HOME=$work/helm/cache
export HELM_DATA_HOME=$work/helm/data HELM_REGISTRY_CONFIG=$work/helm/registry.json
python3 - "$runs" "$rudder" "$helm" "$work" "$addr" "$archive" <<'PY'
import os, statistics, sys

sys.path.insert(0, "bench/lib")
import harness

runs, rudder, helm, work, addr, archive = sys.argv[1:7]
runs = int(runs)
reg_cfg = os.path.join(work, "rudder-registry.json")
def timed(argv):
    elapsed, code = harness.run(argv)
    if code != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    return elapsed

def push(exe, i):
    extra = ["--registry-config", reg_cfg] if exe == rudder else []
    return timed([exe, "push", archive, f"oci://{addr}/{os.path.basename(exe)}{i}",
                  "--plain-http"] + extra)

def pull(exe, i):
    dest = os.path.join(work, f"dl-{os.path.basename(exe)}-{i}")
    os.makedirs(dest)
    extra = ["--registry-config", reg_cfg] if exe == rudder else []
    return timed([exe, "pull", f"oci://{addr}/{os.path.basename(exe)}0/big", "--version",
                  "1.0.0", "--plain-http", "-d", dest] + extra)

size = os.path.getsize(archive)
print(f"# {size} byte chart; {runs} runs each, interleaved; median wall time; {os.cpu_count()} cores")
print(f"{'case':10} {'rudder ms':>10} {'helm ms':>9} {'helm/rudder':>11}")
for label, op in (("push", push), ("pull", pull)):
    r, h = [], []
    for i in range(runs):
        r.append(op(rudder, i))
        h.append(op(helm, i))
    rm, hm = statistics.median(r), statistics.median(h)
    print(f"{label:10} {rm*1000:10.1f} {hm*1000:9.1f} {hm/rm:10.1f}x")
PY
