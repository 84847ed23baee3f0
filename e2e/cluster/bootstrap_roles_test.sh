#!/usr/bin/env bash
# The bootstrap ClusterRoles built into Bulwark (operator/rbac/bootstrap_cluster_roles.json) are
# still those of the pinned control plane, on one with no CRDs (run it through e2e/with_cluster.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$BULWARK_E2E_CLUSTER/env"
python3 "$here/bootstrap_roles.py" check --kubectl "$BIN/kubectl" "$here/../../operator/rbac/bootstrap_cluster_roles.json"
