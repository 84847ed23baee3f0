#!/usr/bin/env bash
# Configures and builds Bulwark with Ninja in a folder outside the work tree, and prints its path.
#   usage: scripts/build.sh [release|asan]
#   BULWARK_BUILD_ROOT  where build folders live (default ~/.cache/bulwark)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-release}
build=${BULWARK_BUILD_ROOT:-$HOME/.cache/bulwark}/build-$variant-$(echo "$root" | sha256sum | cut -c1-8)
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DBULWARK_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja "${flags[@]}" >&2
fi
ninja -C "$build" >&2
echo "$build"
