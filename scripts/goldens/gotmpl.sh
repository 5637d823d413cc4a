#!/usr/bin/env bash
# Regenerates testdata/gotmpl-conformance/golden/*.out by running every case in
# testdata/gotmpl-conformance/cases with Go's real text/template (standard library only).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/testdata/gotmpl-conformance"
rm -f "$dir"/golden/*.out
cd "$dir/harness"
GOTOOLCHAIN=local GOFLAGS=-mod=mod go run . "$dir"
