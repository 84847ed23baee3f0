#!/usr/bin/env bash
# Configures and builds Bulwark with Ninja in a folder outside the work tree, and prints its path.
#   usage: scripts/build.sh [release|asan|optimized]
#     release    RelWithDebInfo, what the tests and benchmarks run
#     asan       Debug with AddressSanitizer and UndefinedBehaviorSanitizer
#     optimized  Release (-O3), the way packagers build; CI builds it once
# Warnings are errors in all three (BULWARK_WERROR); a plain cmake build leaves them warnings.
#   BULWARK_BUILD_ROOT  where build folders live (default ~/.cache/bulwark)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-release}
build=${BULWARK_BUILD_ROOT:-$HOME/.cache/bulwark}/build-$variant-$(echo "$root" | sha256sum | cut -c1-8)
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DBULWARK_SANITIZE=ON) ;;
  optimized) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  *) echo "usage: scripts/build.sh [release|asan|optimized]" >&2; exit 2 ;;
esac
# Configured every time (a second or so) so a cached folder picks up changed options.
cmake -S "$root" -B "$build" -G Ninja "${flags[@]}" -DBULWARK_WERROR=ON >/dev/null
ninja -C "$build" >&2
echo "$build"
