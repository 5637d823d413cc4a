#!/usr/bin/env bash
# Render benchmark: hello-v3 and a generated 1,200-object v3 chart.
# Builds the bench harness (release profile), runs it once, and reports its own timings plus
# /usr/bin/time -v's wall time and maximum resident set size.
# Usage: bench/render/run.sh   (from anywhere; honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/../.."
exe="$(cargo bench -p rudder-render --bench render --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | tail -n1 | cut -d'"' -f4)"
[ -x "$exe" ] || { echo "bench binary not found" >&2; exit 1; }
echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores"
/usr/bin/time -v "$exe" --bench 2> >(grep -E 'Maximum resident|Elapsed \(wall' >&2)
