#!/usr/bin/env bash
# `bulwark scan` refuses exactly the NetworkPolicies the API server refuses, on a few hundred
# seeded policies with risky values (e2e/differential/netpol_validation.py; run it through
# e2e/with_cluster.sh). Set BULWARK_DIFF_SEED to replay a seed; it is printed either way.
#   usage: netpol_validation_test.sh BULWARK_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$BULWARK_E2E_CLUSTER/env"
work=$(mktemp -d /tmp/bulwark-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/netpol_validation.py" --bulwark "$1" --kubectl "$BIN/kubectl" --workdir "$work"
