#!/usr/bin/env bash
# Prints the folder holding the OpenReports CRDs (openreports.io Report and ClusterReport), from
# the Go module github.com/openreports/reports-api at the pinned version, fetched once through
# the Go module proxy into the cache (never copied into the repo by hand).
#   usage: e2e/cluster/report_crds.sh
set -euo pipefail
version=v0.2.1
cache=${BULWARK_CACHE:-$HOME/.cache/bulwark}/go-modules
command -v go >/dev/null || { echo "Go is needed to fetch the OpenReports CRDs" >&2; exit 2; }
dir=$(cd /tmp && GOMODCACHE=$cache GOFLAGS=-mod=mod GOTOOLCHAIN=local \
  go mod download -json "github.com/openreports/reports-api@$version" |
  python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')
[ -f "$dir/config/crd/openreports.io_reports.yaml" ] || { echo "no CRDs in $dir/config/crd" >&2; exit 1; }
echo "$dir/config/crd"
