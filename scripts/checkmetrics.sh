#!/usr/bin/env bash
# checkmetrics.sh: lint the committed golden exposition with promtool, the
# way Prometheus will read it. `go test ./exporter` runs the same check (and
# fails in CI when promtool is missing); this script is for a quick manual
# run: regenerate with `go test ./exporter -run TestGoldenExposition -update`.
set -euo pipefail
cd "$(dirname "$0")/.."
golden=exporter/testdata/metrics.golden
if ! command -v promtool >/dev/null 2>&1; then
	echo "checkmetrics: promtool not found (Debian package prometheus; see scripts/deps.sh)" >&2
	exit 1
fi
promtool check metrics <"$golden"
echo "checkmetrics: $golden OK"
