#!/usr/bin/env bash
# Configures and builds Bulwark with Ninja in a folder outside the work tree, and prints its path.
#   usage: scripts/build.sh [release|asan|fuzz] [NINJA TARGETS...]
#     release  Release (-O3), what the tests and benchmarks run and packagers build
#     asan     Debug with AddressSanitizer and UndefinedBehaviorSanitizer
#     fuzz     clang, RelWithDebInfo, the libFuzzer targets only (scripts/fuzz.sh)
# Warnings are errors in all of them (BULWARK_WERROR); a plain cmake build leaves them warnings.
#   BULWARK_BUILD_ROOT  where build folders live (default ~/.cache/bulwark)
#
# Layout: BUILD_ROOT/cxx/<hash of the checkout's path>/ holds `src`, a symlink to the checkout, and
# one folder per variant. CMake is given the checkout as that symlink, so every path a compiler
# sees is the same distance from the folder it runs in whatever the checkout's path; ccache (with
# base_dir BUILD_ROOT/cxx) then makes them relative, and a fresh clone at another path compiles
# from the cache (keyed by content) instead of from scratch. Without ccache the build is the same,
# only slower.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-release}
build_root=${BULWARK_BUILD_ROOT:-$HOME/.cache/bulwark}
slot=$build_root/cxx/$(echo "$root" | sha256sum | cut -c1-8)
build=$slot/$variant
compilers=()
case "$variant" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DBULWARK_SANITIZE=ON) ;;
  fuzz)
    flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_BUILD_TESTS=OFF -DBULWARK_FUZZ=ON)
    compilers=(-DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: scripts/build.sh [release|asan|fuzz]" >&2; exit 2 ;;
esac
mkdir -p "$slot"
ln -sfn "$root" "$slot/src"
if command -v ccache >/dev/null; then
  flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # hash_dir off: the folder a compiler runs in differs between checkouts; only debug info
  # records it, and it may then name the first checkout's build folder.
  export CCACHE_DIR=$build_root/ccache CCACHE_BASEDIR=$build_root/cxx CCACHE_NOHASHDIR=1
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
fi
# Configured every time (a second or so) so a cached folder picks up changed options.
cmake -S "$slot/src" -B "$build" -G Ninja "${compilers[@]}" "${flags[@]}" -DBULWARK_WERROR=ON \
  >/dev/null
ninja -C "$build" "${@:2}" >&2
echo "$build"
