#!/usr/bin/env bash
# Pod-level and container resources: `bulwark scan` against the API server's defaulting and the
# real node's pod cgroups (e2e/real_node/pod_resources.py). BULWARK_DIFF_SEED replays a seed.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/pod_resources_test.sh BULWARK_BINARY
set -euo pipefail
. "$BULWARK_E2E_CLUSTER/env"
python3 "$(dirname "$0")/pod_resources.py" --bulwark "$1" --kubectl "$BIN/kubectl"
