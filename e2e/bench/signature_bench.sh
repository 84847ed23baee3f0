#!/usr/bin/env bash
# Benchmark, not a test: image signature verification against a real registry (Debian's
# docker-registry on loopback) holding the reproducible test image and the signature real cosign
# made (e2e/images). Runs bench/signature_bench (its header says what it prints).
#   usage: e2e/bench/signature_bench.sh [BUILD]   (BUILD: the release build folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$("$root/scripts/build.sh" release signature_bench | tail -1)}
work=$(mktemp -d)
. "$root/e2e/images/registry.sh"
trap 'stop_registry; rm -rf "$work"' EXIT
addr=127.0.0.76:5000
start_registry "$addr"
digest=$(python3 "$root/e2e/images/oci_image.py" push "http://$addr" team/app signed signed)
python3 "$root/e2e/images/oci_image.py" push-dir "http://$addr" team/app \
  "$root/e2e/images/testdata/sig-signed" >/dev/null
"$build/bench/signature_bench" "$addr" team/app "$digest" "$root/e2e/images/testdata/ec.pub"
