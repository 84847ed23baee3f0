#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer and runs each for a bounded time from its seed corpus
# (tests/fuzz/corpus/NAME). New corpus entries go to a temporary folder, never into the repo; a
# crash leaves its input in $BULWARK_BUILD_ROOT/fuzz-artifacts and fails the run.
#   usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
build_root=${BULWARK_BUILD_ROOT:-$HOME/.cache/bulwark}
build=$build_root/build-fuzz-$(echo "$root" | sha256sum | cut -c1-8)
artifacts=$build_root/fuzz-artifacts
targets=(yaml_reader json_reader security_policy operator_config watch_decoder admission_review rbac)
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBULWARK_BUILD_TESTS=OFF -DBULWARK_FUZZ=ON -DBULWARK_WERROR=ON >/dev/null
ninja -C "$build" "${targets[@]/#/fuzz_}" >&2
mkdir -p "$artifacts"
status=0
for t in "${targets[@]}"; do
  scratch=$(mktemp -d /tmp/bulwark-fuzz-$t.XXXXXX)
  echo "fuzz_$t: ${seconds}s from tests/fuzz/corpus/$t" >&2
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
      "$scratch" "$root/tests/fuzz/corpus/$t" > "$scratch.log" 2>&1; then
    echo "fuzz_$t FAILED; input in $artifacts; log:" >&2
    tail -n 60 "$scratch.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch.log" | tr '\n' ' ' >&2
    echo >&2
  fi
  rm -rf "$scratch" "$scratch.log"
done
exit $status
