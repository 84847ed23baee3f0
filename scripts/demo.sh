#!/usr/bin/env bash
# Quick start, first command: set up, build, and scan the sample manifests shipped in
# deploy/samples, first against Pod Security "restricted", then against the sample SecurityPolicy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
build=$(scripts/build.sh release)
bulwark=$build/operator/bulwark

# scan exits 1 when it finds violations, which is the point of the demo.
scan() { "$bulwark" scan "$@" || [ $? -eq 1 ]; }

echo
echo "== bulwark scan -f deploy/samples/workloads   (Pod Security Standards, restricted)"
scan -f deploy/samples/workloads
echo
echo "== bulwark scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml   (summary)"
scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml | tail -n 1
echo
echo "The binary is $bulwark; try: $bulwark scan --help"
