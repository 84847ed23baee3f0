#!/usr/bin/env bash
# Builds Bulwark and prints the benchmark figures (not a test).
#   usage: scripts/bench.sh [N]   (N manifests for the scan benchmark, default 10000; then the
#   posture reconciler over 10,000 pods, then RBAC posture over 10,000 pods and 2,000 RBAC
#   objects, then network posture over 10,000 pods, 200 NetworkPolicies and 200 Services)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$("$root/scripts/build.sh" release)
"$build/bench/scan_bench" "$build/operator/bulwark" "${1:-10000}"
echo
"$build/bench/posture_bench"
echo
"$build/bench/posture_bench" --reports
echo
"$build/bench/rbac_bench"
echo
"$build/bench/network_bench"
