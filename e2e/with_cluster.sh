#!/usr/bin/env bash
# Runs a command against a fresh local control plane: brings one up in a temporary folder,
# exports KUBECONFIG and BULWARK_E2E_CLUSTER (the folder: env, pki, logs), runs the command, prints
# the components' log tails if it failed, and brings the cluster down whatever happened.
# With --real-node, the cluster has a real node (e2e/cluster/node.sh) and the command runs in its
# network namespace, where the control plane's loopback is.
# With --kwok N, it has N simulated nodes (e2e/cluster/kwok.sh).
#   usage: e2e/with_cluster.sh [--real-node | --kwok N] COMMAND [ARGS...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=()
if [ "${1:-}" = --real-node ]; then mode=(--real-node); shift; fi
if [ "${1:-}" = --kwok ]; then mode=(--kwok "$2"); shift 2; fi
dir=$(mktemp -d /tmp/bulwark-e2e.XXXXXX)
trap '"$here/cluster/down.sh" "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/cluster/up.sh" "${mode[@]}" "$dir" >&2 || exit 1
export KUBECONFIG=$dir/kubeconfig BULWARK_E2E_CLUSTER=$dir
run_in=()
if [ -f "$dir/node.env" ]; then
  # shellcheck disable=SC1091
  . "$dir/node.env"
  run_in=(nsenter --net="/run/netns/$NETNS" --)
fi
"${run_in[@]}" "$@"
status=$?
if [ "$status" -ne 0 ]; then
  for log in "$dir"/logs/*.log; do echo "--- last lines of $log" >&2; tail -n 15 "$log" >&2; done
fi
exit "$status"
