#!/usr/bin/env bash
# Writes a kubeconfig that authenticates to the local control plane in DIR as the operator's
# ServiceAccount (bulwark-system/bulwark, from deploy/operator/rbac.yaml), with a token valid for
# DURATION. Used by the e2e tests and the demo to run the operator on its own RBAC.
#   usage: e2e/cluster/sa-kubeconfig.sh DIR OUT [DURATION]
set -euo pipefail
dir=$1 out=$2 duration=${3:-30m}
. "$dir/env"
token=$("$BIN/kubectl" --kubeconfig "$dir/kubeconfig" -n bulwark-system create token bulwark --duration="$duration")
cat >"$out" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://${APISERVER_HOST:-127.0.0.1}:$APISERVER_PORT", certificate-authority: "$dir/pki/ca.crt"}}]
users: [{name: bulwark, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: bulwark}}]
current-context: c
KC
