#!/usr/bin/env bash
# The runtime stage of deploy/Dockerfile installs the Debian package of every shared library the
# bulwark binary links directly (its DT_NEEDED entries; apt brings their own dependencies).
# Catches a new library added to the build but not to the image, which no build here would show:
# there is no Docker engine on this machine.
#   usage: tests/deploy/dockerfile_runtime_test.sh BULWARK_BINARY DOCKERFILE
set -uo pipefail
bin=$1 dockerfile=$2
runtime=$(sed -n '/^FROM debian:12-slim/,$p' "$dockerfile")
[ -n "$runtime" ] || { echo "FAIL: no debian:12-slim runtime stage in $dockerfile"; exit 1; }
status=0
for soname in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  path=$(ldd "$bin" | awk -v s="$soname" '$1 == s { print $3 }')
  [ -n "$path" ] || { echo "FAIL: $soname does not resolve"; status=1; continue; }
  real=$(readlink -f "$path")
  pkg=""
  # With the merged /usr, dpkg knows a library under /lib or /usr/lib, whichever it shipped.
  for candidate in "$real" "/usr${real#/usr}" "${real#/usr}"; do
    [ -n "$pkg" ] || pkg=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1)
  done
  [ -n "$pkg" ] || { echo "FAIL: no Debian package owns $real"; status=1; continue; }
  case "$pkg" in libc6 | libstdc++6 | libgcc-s1) continue ;; esac  # in every Debian image
  if grep -qw -- "$pkg" <<<"$runtime"; then
    echo "ok: $soname from $pkg"
  else
    echo "FAIL: $soname comes from $pkg, which the runtime image does not install"; status=1
  fi
done
exit "$status"
