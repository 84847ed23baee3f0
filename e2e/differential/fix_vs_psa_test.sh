#!/usr/bin/env bash
# Bulwark's fixes against the API server: seeded pods fixed by `bulwark scan --fix-out`, judged by
# Pod Security Admission, checked field by field against `-o patch`, and created under Harden
# through the chart's MutatingAdmissionPolicy (run it through e2e/with_cluster.sh). Set
# BULWARK_DIFF_SEED to start from another seed; the seeds are printed.
#   usage: fix_vs_psa_test.sh BULWARK_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$BULWARK_E2E_CLUSTER/env"
work=$(mktemp -d /tmp/bulwark-fix-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT
kubectl=$BIN/kubectl
"$kubectl" apply -f "$root/crds/securitypolicy.yaml" >/dev/null
"$kubectl" wait --for condition=established --timeout 60s crd/securitypolicies.bulwark.dev >/dev/null
"$kubectl" apply -f "$root/deploy/operator/harden.yaml" >/dev/null
python3 "$here/fix_vs_psa.py" --bulwark "$1" --kubectl "$kubectl" --seeds 3 --cases 1000 \
  --workdir "$work"
