#!/usr/bin/env bash
# Prints the folder holding the CRDs of a policy report format (or the Prometheus Operator's), from
# the Go module that ships them, at the pinned version, fetched once through the Go module proxy
# into the cache (never copied into the repo by hand):
#   openreports (default): github.com/openreports/reports-api v0.2.1, config/crd
#   wgpolicy: Kyverno's github.com/kyverno/kyverno v1.19.1, config/crds/policyreport
#   prometheus-operator: github.com/prometheus-operator/prometheus-operator v0.85.0,
#     example/prometheus-operator-crd (ServiceMonitor, PrometheusRule and the rest), for the chart
#   usage: e2e/cluster/report_crds.sh [openreports|wgpolicy|prometheus-operator]
set -euo pipefail
case "${1:-openreports}" in
  openreports) module=github.com/openreports/reports-api@v0.2.1 folder=config/crd ;;
  wgpolicy) module=github.com/kyverno/kyverno@v1.19.1 folder=config/crds/policyreport ;;
  prometheus-operator) module=github.com/prometheus-operator/prometheus-operator@v0.85.0
    folder=example/prometheus-operator-crd ;;
  *) echo "usage: $0 [openreports|wgpolicy|prometheus-operator]" >&2; exit 2 ;;
esac
cache=${BULWARK_CACHE:-$HOME/.cache/bulwark}/go/mod  # the Go module cache of e2e/cluster/build.sh
command -v go >/dev/null || { echo "Go is needed to fetch the report CRDs" >&2; exit 2; }
dir=$(cd /tmp && GOMODCACHE=$cache GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$module" |
  python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')
[ -n "$(ls "$dir/$folder"/*.yaml 2>/dev/null)" ] || { echo "no CRDs in $dir/$folder" >&2; exit 1; }
echo "$dir/$folder"
