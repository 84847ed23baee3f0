#!/usr/bin/env bash
# Quick start, second command, and what CI runs (.ci/run): set up, build, and run every test. The
# release build (-O3, warnings as errors) runs the unit and deploy tests, the end-to-end tests
# against real kube-apiservers (those with bounds in time one at a time, the others three at a
# time beside them at idle priority), the fault suite and the real node's tests (one at a time);
# then the unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer; each libFuzzer
# target runs for 30 seconds beside the fault and real node tests, at idle priority.
# At its end, and when a stage fails, it prints each stage's wall time, the slowest ten tests and
# the counts that show no test was dropped (scripts/test_summary.py; docs/development.md has the
# budget). BULWARK_E2E_JOBS sets how many end-to-end tests run at once (default 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
record=$(mktemp -d /tmp/bulwark-test.XXXXXX)
# shellcheck source=stages.sh
. scripts/stages.sh
date +%s >"$record/start"
job=""
finish() {
  local status=$?
  if [ -n "$job" ]; then kill_tree "$job"; fi
  stages_summary || status=1
  rm -rf "$record"
  exit "$status"
}
trap finish EXIT

stage "packages" scripts/setup.sh
command -v go >/dev/null || { echo "Go 1.26 or newer is needed to build the test control plane" >&2; exit 2; }
stage "go: control plane" e2e/cluster/build.sh >/dev/null
# The real node's kubelet, kube-scheduler, kube-proxy and kube-router
stage "go: real node" e2e/cluster/build.sh node >/dev/null
stage "go: helm" e2e/cluster/build.sh helm >/dev/null  # Helm 4 and Helm 3 for the chart's tests
stage "go: kwok" e2e/cluster/build.sh kwok >/dev/null  # KWOK's simulated nodes (e2e.kwok_cluster)
build=$(stage "c++: release" scripts/build.sh release)

# The sanitizer and fuzz builds, then the fuzzing: each target 30 s of wall time, one per core,
# beside the fault and real node tests at idle priority (they mostly wait on their clusters); the
# summary prints each target's executions.
beside_the_tests() {
  stage_beside "c++: asan" flock "$record/asan.lock" scripts/build.sh asan >/dev/null
  stage_beside "c++: fuzz" scripts/fuzz.sh --build-only
  BULWARK_FUZZ_COUNT=$record/fuzz.txt stage_beside "fuzz" scripts/fuzz.sh 30
}

# ctest_stage NAME BUILD ARGS...: one ctest run, its results kept as $record/NAME.xml.
ctest_stage() {
  local name=$1 dir=$2
  shift 2
  ctest --test-dir "$dir" --output-on-failure --no-tests=error --output-junit "$record/$name.xml" \
    "$@"
}
ctest --test-dir "$build" -N >"$record/listed.txt"
stage "tests: unit" ctest_stage unit "$build" -L '^unit$' -j "$(nproc)"
stage "tests: deploy" ctest_stage deploy "$build" -L '^deploy$'

# The end-to-end tests bounded in time (label timing) run one at a time, as the only work at normal
# priority. Beside them, the other end-to-end tests run three at a time at idle priority
# (SCHED_IDLE: only the CPU the timing tests leave, and those mostly wait: 2:40 of CPU in 6:24
# here), and whatever of them is left runs alone after. The fault suite starts only then.
background "$record/e2e.log" stage_beside "tests: e2e" ctest_stage e2e "$build" -L '^e2e$' \
  -LE '^(timing|faults|real_node)$' -j "${BULWARK_E2E_JOBS:-3}"
stage "tests: e2e timing" ctest_stage e2e_timing "$build" -L '^timing$'
stage "tests: e2e (the rest of them)" wait_background "$record/e2e.log" print

# The sanitizer and fuzz builds compile, and then the fuzzers run, beside the fault and real node
# tests, also at idle priority: nothing with a bound in time goes beside them but these.
background "$record/beside.log" beside_the_tests
stage "tests: faults" ctest_stage faults "$build" -L '^faults$'
stage "tests: real node" ctest_stage real_node "$build" -L '^real_node$'
# The lock waits for the ASan build beside, if it is still compiling (a cold run).
asan=$(stage "c++: asan (the rest of it)" flock "$record/asan.lock" scripts/build.sh asan)
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  stage "tests: asan unit" ctest_stage asan "$asan" -L '^unit$' -j "$(nproc)"
stage "fuzz and its build (the rest of them)" wait_background "$record/beside.log" print
