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
import glob, os, statistics, subprocess, sys, time

runs, rudder, helm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cases = []
for chart in sorted(glob.glob("testdata/charts/v2-*")):
    ci = sorted(glob.glob(os.path.join(chart, "ci", "*.yaml")))
    if ci:
        cases.append((chart, ci[0]))

devnull = os.open(os.devnull, os.O_WRONLY)

def measure(cmd):
    # Wall time: posix_spawn + wait4, so no wrapper runs in the timed path.
    walls, ok = [], True
    for _ in range(runs):
        t = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status, _ = os.wait4(pid, 0)
        walls.append(time.perf_counter() - t)
        ok = ok and os.waitstatus_to_exitcode(status) == 0
    # Peak RSS: from /usr/bin/time, not from this process's rusage of the child. Linux folds
    # the pre-exec address space's high-water mark into the child's ru_maxrss, so a child
    # spawned from Python never reports less than Python's own RSS (~10 MB); /usr/bin/time's
    # floor is ~1 MB.
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    rss = int(out.stderr.strip().splitlines()[-1])
    return statistics.median(walls), rss, ok

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
