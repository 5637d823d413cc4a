#!/usr/bin/env bash
# Plugin invocation latency, Rudder vs real Helm 4.1.4 in the same run, on the same plugin
# files: the extism/v1 cli plugin `hello` (one plugin.wasm, built from plugins/hello) run as
# `rudder hello bench` and `helm hello bench`, each with its own isolated plugin and cache
# directories; plus the shell-script subprocess plugin testdata/plugins/subprocess/sh-cli.
#
# cold = the compiled-module cache is emptied before every run (Rudder: $XDG_CACHE_HOME/
# rudder/wasm; Helm: $HELM_CACHE_HOME/wazero-build); warm = the cache is filled by a first
# run. Whole-process wall time (start, load, compile or cache load, call, exit), median of N
# runs each, Rudder and Helm runs interleaved. A benchmark, not a test: nothing is asserted.
#
# Usage: bench/plugin/run.sh [RUNS]     (default 21; builds rudder in release first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs=${1:-21}
cargo build --release --locked -p rudder-cli >&2
rudder=${CARGO_TARGET_DIR:-$PWD/target}/release/rudder
helm=$(../shared/tools/helm-peer)
(cd plugins && cargo build --release --target wasm32-wasip1 -p hello >&2)
wasm=plugins/target/wasm32-wasip1/release/hello.wasm

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/hello"
cp plugins/hello/plugin.yaml "$work/src/hello/plugin.yaml"
cp "$wasm" "$work/src/hello/plugin.wasm"
cp -r testdata/plugins/subprocess/sh-cli "$work/src/sh-cli"

export RUDDER_PLUGINS=$work/rudder/plugins XDG_CACHE_HOME=$work/rudder/cache
export HELM_DATA_HOME=$work/helm/data HELM_PLUGINS=$work/helm/data/plugins
export HELM_CONFIG_HOME=$work/helm/config HELM_CACHE_HOME=$work/helm/cache
for p in hello sh-cli; do
  "$rudder" plugin install "$work/src/$p" --verify=false >/dev/null
  "$helm" plugin install "$work/src/$p" >/dev/null
done
[ "$("$rudder" hello bench)" = "$("$helm" hello bench)" ] || { echo "outputs differ" >&2; exit 1; }

python3 - "$runs" "$rudder" "$helm" "$work" <<'PY'
import os, shutil, statistics, sys

sys.path.insert(0, "bench/lib")
import harness

runs, rudder, helm, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
caches = {rudder: os.path.join(work, "rudder/cache/rudder/wasm"),
          helm: os.path.join(work, "helm/cache/wazero-build")}

def once(exe, args, cold):
    if cold:
        shutil.rmtree(caches[exe], ignore_errors=True)
    elapsed, code = harness.run([exe] + args)
    if code != 0:
        sys.exit(f"{exe} {' '.join(args)} failed")
    return elapsed

def compare(label, args, cold):
    for exe in (rudder, helm):  # fill caches / page cache before a warm series
        once(exe, args, False)
    r, h = [], []
    for _ in range(runs):
        r.append(once(rudder, args, cold))
        h.append(once(helm, args, cold))
    rm, hm = statistics.median(r), statistics.median(h)
    print(f"{label:28} {rm*1000:9.1f} {hm*1000:9.1f} {hm/rm:7.1f}x")
    return rm, hm

print(f"# {runs} runs each, interleaved; median whole-process wall time; {os.cpu_count()} cores")
print(f"{'case':28} {'rudder ms':>9} {'helm ms':>9} {'helm/rudder':>8}")
compare("hello.wasm cold (compile)", ["hello", "bench"], True)
compare("hello.wasm warm (cached)", ["hello", "bench"], False)
compare("sh-cli (subprocess)", ["sh-cli", "bench"], False)
compare("baseline: version", ["version"], False)
PY
