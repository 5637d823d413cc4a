#!/usr/bin/env bash
# Runs the example plugins' .wasm files under real Helm 4 (the same files Rudder's tests run):
# `helm hello` (cli/v1) and `helm pull example://…` (getter/v1). postrenderer/v1 is not checked:
# Helm 4.1.4 sends Wasm post-renderers no manifests (helm/helm#31832).
# Usage: plugins/scripts/helm-compat.sh   (HELM=/path/to/helm, default: /work/shared/tools/helm-peer)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
helm="${HELM:-$(/work/shared/tools/helm-peer)}"
(cd "$root/plugins" && CARGO_TARGET_DIR="$root/plugins/target" cargo build --release --target wasm32-wasip1 -q)
wasm="$root/plugins/target/wasm32-wasip1/release"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HELM_DATA_HOME="$work/data" HELM_CONFIG_HOME="$work/config" HELM_CACHE_HOME="$work/cache"
export HELM_PLUGINS="$work/data/plugins"
for p in hello example-getter; do
  mkdir -p "$work/src/$p"
  cp "$root/plugins/$p/plugin.yaml" "$work/src/$p/"
  cp "$wasm/${p//-/_}.wasm" "$work/src/$p/plugin.wasm"
  "$helm" plugin install "$work/src/$p" --verify=false >/dev/null
done
"$helm" version --short
got="$("$helm" hello Rudder crew)"
[ "$got" = "Hello, Rudder crew!" ] || { echo "FAIL: helm hello printed: $got"; exit 1; }
echo "ok: helm hello -> $got"
(cd "$work" && "$helm" pull example://charts/example-0.1.0.tgz)
cmp "$work/example-0.1.0.tgz" "$root/plugins/example-getter/assets/example-0.1.0.tgz"
echo "ok: helm pull example://charts/example-0.1.0.tgz returned the embedded chart"
