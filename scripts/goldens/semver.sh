#!/usr/bin/env bash
# Regenerates the rudder-semver goldens with the real Masterminds/semver v3.4.0 (the version
# Helm 4.1.4's go.mod pins):
#   testdata/semver/versions.json     NewVersion / StrictNewVersion on each input
#   testdata/semver/compare.json      Version.Compare on pairs (both orders)
#   testdata/semver/constraints.json  NewConstraint, String, Check, Check with
#                                     IncludePrerelease, Validate on (constraint, version) pairs
#   testdata/semver/lookups.json      Helm 4.1.4's registry.GetTagMatchingVersionOrConstraint
#                                     and repo.IndexFile.Get on candidate lists
# The inputs are the tables in testdata/semver/oracle/main.go (a Go module requiring
# helm.sh/helm/v4 v4.1.4 and the Masterminds/semver it pins). Idempotent.
# Usage: scripts/goldens/semver.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE="$ROOT/testdata/semver/oracle"
check_version() { # module expected
  local got
  got=$(cd "$ORACLE" && go list -m -f '{{.Version}}' "$1")
  if [ "$got" != "$2" ]; then
    echo "oracle uses $1 $got, expected $2" >&2
    exit 1
  fi
}
check_version helm.sh/helm/v4 v4.1.4
check_version github.com/Masterminds/semver/v3 v3.4.0 # the version Helm 4.1.4's go.mod pins
(cd "$ORACLE" && go run . "$ROOT/testdata/semver")
echo "wrote goldens to testdata/semver/"
