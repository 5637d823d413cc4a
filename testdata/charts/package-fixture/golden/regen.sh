#!/bin/sh
# Regenerates the package-fixture goldens with real Helm 4.
#
# 1. (Re)creates the nested subchart archive charts/sub/charts/inner-0.1.0.tgz (Python
#    tarfile, fixed mtimes, so it is reproducible).
# 2. Copies the chart to a temporary directory, sets every mtime to 1700000000.6 (the
#    fraction checks that mtimes are rounded to the nearest second), and runs
#    `helm package` on it. The result is golden/helm-package-fixture-0.1.0.tgz, which
#    crates/rudder-chart/tests/package.rs compares (decompressed) with Rudder's output,
#    and golden/helm-show-chart.yaml (`helm show chart`), compared with metadata_yaml.
#
# Usage: testdata/charts/package-fixture/golden/regen.sh   (HELM overrides the binary)
set -eu
chart=$(cd "$(dirname "$0")/.." && pwd)
helm=${HELM:-$(/work/shared/tools/helm-peer)}

python3 - "$chart/charts/sub/charts/inner-0.1.0.tgz" <<'PY'
import gzip, io, sys, tarfile
files = {
    "inner/Chart.yaml": b"apiVersion: v2\nname: inner\nversion: 0.1.0\n",
    "inner/values.yaml": b"greeting: hello\n",
    "inner/templates/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inner\n",
}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
    for name, data in files.items():
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 1600000000, 0o644
        tf.addfile(info, io.BytesIO(data))
with open(sys.argv[1], "wb") as out:
    out.write(gzip.compress(buf.getvalue(), mtime=0))
PY

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -a "$chart/." "$tmp/package-fixture"
find "$tmp/package-fixture" -exec touch -h -d @1700000000.6 {} +
"$helm" package "$tmp/package-fixture" -d "$tmp/out" >/dev/null
cp "$tmp/out/package-fixture-0.1.0.tgz" "$chart/golden/helm-package-fixture-0.1.0.tgz"
"$helm" show chart "$tmp/package-fixture" > "$chart/golden/helm-show-chart.yaml"
echo "wrote $chart/golden/helm-package-fixture-0.1.0.tgz and helm-show-chart.yaml"

# 3. Small variants (a v1 chart with requirements.*, a library chart with quoting and
#    folding edge cases): golden/variants/<name>/ -> golden/variants/<name>.tgz.
for dir in "$chart"/golden/variants/*/; do
    name=$(basename "$dir")
    rm -rf "$tmp/$name" "$tmp/vout"
    cp -a "$dir" "$tmp/$name"
    find "$tmp/$name" -exec touch -h -d @1700000000.6 {} +
    "$helm" package "$tmp/$name" -d "$tmp/vout" >/dev/null
    cp "$tmp"/vout/*.tgz "$chart/golden/variants/$name.tgz"
    echo "wrote $chart/golden/variants/$name.tgz"
done
