#!/usr/bin/env bash
# `rudder template` vs `helm template` (real Helm 4.1.4) on the same v2 charts and values
# files, in one run: median wall time of N runs each and peak RSS, per chart, plus the
# median of the per-chart ratios. A benchmark, not a test: nothing here asserts a speed.
#
# Usage: bench/template/run.sh [RUNS]     (default 15; builds rudder in release first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs=${1:-15}
cargo build --release --locked -p rudder-cli >&2
rudder=${CARGO_TARGET_DIR:-$PWD/target}/release/rudder
helm=$(../shared/tools/helm-peer)
python3 - "$runs" "$rudder" "$helm" <<'PY'
import glob, os, statistics, sys

sys.path.insert(0, "bench/lib")
import harness

runs, rudder, helm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cases = []
for chart in sorted(glob.glob("testdata/charts/v2-*")):
    ci = sorted(glob.glob(os.path.join(chart, "ci", "*.yaml")))
    if ci:
        cases.append((chart, ci[0]))

def measure(cmd):
    walls, ok = [], True
    for _ in range(runs):
        wall, code = harness.run(cmd, quiet_stderr=False)
        walls.append(wall)
        ok = ok and code == 0
    return statistics.median(walls), harness.peak_rss_kib(cmd), ok

print(f"# {runs} runs each; wall = median; rss = peak KiB (/usr/bin/time %M); {os.cpu_count()} cores")
print(f"{'chart':24} {'rudder ms':>10} {'helm ms':>9} {'ratio':>6} {'rudder KiB':>11} {'helm KiB':>9}")
ratios, rss_ratios = [], []
for chart, values in cases:
    args = ["template", "rel", chart, "-f", values, "-n", "ns"]
    rw, rr, rok = measure([rudder] + args)
    hw, hr, hok = measure([helm] + args)
    if not (rok and hok):
        print(f"{os.path.basename(chart):24} skipped (rudder ok={rok}, helm ok={hok})")
        continue
    ratios.append(hw / rw)
    rss_ratios.append(rr / hr)
    print(f"{os.path.basename(chart):24} {rw*1000:10.1f} {hw*1000:9.1f} {hw/rw:6.1f} {rr:11} {hr:9}")
print(f"median speed-up (helm/rudder wall): {statistics.median(ratios):.1f}x over {len(ratios)} charts")
print(f"median memory (rudder/helm peak RSS): {statistics.median(rss_ratios):.2f}")
PY
