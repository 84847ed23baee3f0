#!/usr/bin/env bash
# e2e.real_node_reachability (issue 38): the network model's matrix (`bulwark scan -o reach`)
# against real packets through kube-router on the real node, over seeded random NetworkPolicies
# (e2e/real_node/reachability.py). BULWARK_REACH_SEEDS=1,2,... runs other seeds.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/reachability_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
. "$BULWARK_E2E_CLUSTER/env"
work=$(mktemp -d /tmp/bulwark-reach.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/reachability.py" "$BIN/kubectl" "$bulwark" "$work"
