#!/usr/bin/env bash
# Regenerates testdata/release/golden/ from Helm 4.1.4's own release types and storage
# drivers (testdata/release/gen, pinned to helm.sh/helm/v4 v4.1.4 in its go.mod), then checks
# the reverse direction: Helm's Secret and ConfigMap drivers read the objects Rudder builds
# (crates/rudder-release/examples/write_records.rs) and see the same releases and labels.
# Usage: scripts/goldens/release.sh   (needs Go and cargo; honours CARGO_TARGET_DIR)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/testdata/release/golden"
rm -rf "$out"
mkdir -p "$out"
# Times in the fixtures come out in the local zone; pin it.
export TZ=UTC
cd "$root/testdata/release/gen"
go run . "$out"
echo "wrote $(ls "$out" | wc -l) files to ${out#"$root"/}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo run -q --manifest-path "$root/Cargo.toml" -p rudder-release --example write_records -- "$out" "$scratch"
go run . verify "$out" "$scratch"
