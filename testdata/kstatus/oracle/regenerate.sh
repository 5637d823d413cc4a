#!/bin/sh
# Recomputes expected.json with real Go kstatus (fluxcd/cli-utils, pinned in go.mod).
set -eu
cd "$(dirname "$0")"
go run . .. > expected.json.tmp
mv expected.json.tmp expected.json
echo "wrote $(grep -c '":' expected.json) entries to expected.json"
