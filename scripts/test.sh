#!/usr/bin/env bash
# Quick start, second command: set up, build, and run every test: unit tests, the control-plane
# end-to-end tests against a real kube-apiserver, then the unit tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer, then a Release (-O3) build of everything, with
# warnings as errors, so optimiser-only warnings are caught here and not by packagers, then each
# libFuzzer target for 30 seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
command -v go >/dev/null || { echo "Go 1.26 or newer is needed to build the test control plane" >&2; exit 2; }

build=$(scripts/build.sh release)
e2e/cluster/build.sh >/dev/null  # the pinned control plane; cached after the first build
e2e/cluster/build.sh node >/dev/null  # kubelet, kube-scheduler, kube-router for the real node
e2e/cluster/build.sh helm >/dev/null  # Helm 4 and Helm 3 for the chart's tests
e2e/cluster/build.sh kwok >/dev/null  # KWOK's simulated nodes (e2e.kwok_cluster, the scale benchmark)
ctest --test-dir "$build" --output-on-failure --no-tests=error

asan=$(scripts/build.sh asan)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  ctest --test-dir "$asan" --output-on-failure --no-tests=error -L unit

scripts/build.sh optimized >/dev/null

scripts/fuzz.sh 30
