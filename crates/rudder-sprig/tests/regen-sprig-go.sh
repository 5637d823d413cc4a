#!/bin/sh
# Regenerates sprig_go.json from sprig_cases.txt with real Go + Sprig v3.3.0.
set -eu
cd "$(dirname "$0")/sprig-go"
TZ=UTC go run . ../sprig_cases.txt > ../sprig_go.json
