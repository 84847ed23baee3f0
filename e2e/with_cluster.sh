#!/usr/bin/env bash
# Runs a command against a fresh local control plane: brings one up in a temporary folder,
# exports KUBECONFIG and BULWARK_E2E_CLUSTER (the folder: env, pki, logs), runs the command, prints
# the components' log tails if it failed, and brings the cluster down whatever happened.
#   usage: e2e/with_cluster.sh COMMAND [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/bulwark-e2e.XXXXXX)
trap '"$here/cluster/down.sh" "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/cluster/up.sh" "$dir" >&2 || exit 1
export KUBECONFIG=$dir/kubeconfig BULWARK_E2E_CLUSTER=$dir
"$@"
status=$?
if [ "$status" -ne 0 ]; then
  for log in "$dir"/logs/*.log; do echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; done
fi
exit "$status"
