#!/usr/bin/env bash
# `bulwark scan` against the API server's Pod Security Admission on a few thousand seeded pods
# written in every spelling Kubernetes reads (run it through e2e/with_cluster.sh). Set
# BULWARK_DIFF_SEED to replay another seed; the seed is printed either way.
#   usage: scan_vs_psa_test.sh BULWARK_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$BULWARK_E2E_CLUSTER/env"
work=$(mktemp -d /tmp/bulwark-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/scan_vs_psa.py" --bulwark "$1" --kubectl "$BIN/kubectl" --cases 3000 --workdir "$work"
