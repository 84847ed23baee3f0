#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/build.sh fuzz) and runs each for a bounded time from its seed
# corpus (tests/fuzz/corpus/NAME). New corpus entries go to a temporary folder, never into the
# repo; a crash leaves its input in $BULWARK_BUILD_ROOT/fuzz-artifacts and fails the run.
# libFuzzer runs on one core, so BULWARK_FUZZ_JOBS targets (default: the cores there are) run at
# once, each with a whole core and its full time. The last line counts the targets that ran (also
# written to the file BULWARK_FUZZ_COUNT names, for scripts/test.sh's summary).
#   usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
#          scripts/fuzz.sh --build-only            (builds the targets, runs none)
#   BULWARK_FUZZ_TARGETS="a b" runs those instead, among them yaml_differential, which CI
#   does not run: it holds the YAML reader to yaml-cpp, the parser it replaced, whose syntax
#   differs from kubectl's in more places than it has found yet (docs/development.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
if [ "${1:-}" = --build-only ]; then build_only=1; shift; fi
seconds=${1:-30}
jobs=${BULWARK_FUZZ_JOBS:-$(nproc)}
artifacts=${BULWARK_BUILD_ROOT:-$HOME/.cache/bulwark}/fuzz-artifacts
targets=(yaml_reader json_reader security_policy operator_config watch_decoder admission_review rbac
  canary_protocol network cosign)
if [ -n "${BULWARK_FUZZ_TARGETS:-}" ]; then read -r -a targets <<<"$BULWARK_FUZZ_TARGETS"; fi
build=$("$root/scripts/build.sh" fuzz "${targets[@]/#/fuzz_}")
if [ "$build_only" = 1 ]; then exit 0; fi
mkdir -p "$artifacts"
logs=$(mktemp -d /tmp/bulwark-fuzz.XXXXXX)
trap 'rm -rf "$logs"' EXIT

# run_target NAME: one target for its time; its log and exit status go to $logs.
run_target() {
  local t=$1 scratch
  scratch=$(mktemp -d "$logs/corpus-$t.XXXXXX")
  local status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
    "$scratch" "$root/tests/fuzz/corpus/$t" >"$logs/$t.log" 2>&1 || status=$?
  echo "$status" >"$logs/$t.status"
  rm -rf "$scratch"
}

running=0
for t in "${targets[@]}"; do
  echo "fuzz_$t: ${seconds}s from tests/fuzz/corpus/$t" >&2
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait
status=0 ran=0
for t in "${targets[@]}"; do
  if [ "$(cat "$logs/$t.status" 2>/dev/null || echo missing)" != 0 ]; then
    echo "fuzz_$t FAILED; input in $artifacts; log:" >&2
    tail -n 60 "$logs/$t.log" >&2
    status=1
  else
    ran=$((ran + 1))
    stats=$(grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$logs/$t.log" | tr '\n' ' ')
    echo "fuzz_$t: $stats" >&2
  fi
done
count="fuzz targets: ${#targets[@]} built, $ran ran clean for ${seconds}s each"
echo "$count" >&2
if [ -n "${BULWARK_FUZZ_COUNT:-}" ]; then echo "$count" >"$BULWARK_FUZZ_COUNT"; fi
exit $status
