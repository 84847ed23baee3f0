# Shared by the operator e2e scripts, which run through e2e/with_cluster.sh. Sourcing scripts set
# `work` (their temporary folder) first; fail() prints the tails of the *.log files there.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$BULWARK_E2E_CLUSTER/env"
kubectl="$BIN/kubectl"
passed=0 failed=0

ok() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL: $1"; failed=$((failed + 1))
  for f in "$work"/*.log; do [ -e "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
}
# eventually SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
eventually() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.1; done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The CRD, the operator's namespace and its RBAC, as a user installs them.
install_prerequisites() {
  $kubectl apply -f "$root/crds/securitypolicy.yaml" -f "$root/deploy/operator/namespace.yaml" \
    -f "$root/deploy/operator/rbac.yaml" >/dev/null
  $kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
}

# sa_kubeconfig FILE: a kubeconfig that authenticates as the operator's ServiceAccount.
sa_kubeconfig() {
  local token
  token=$($kubectl -n bulwark-system create token bulwark --duration=30m)
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$BULWARK_E2E_CLUSTER/pki/ca.crt"}}]
users: [{name: bulwark, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: bulwark}}]
current-context: c
KC
}

# Prints the plain closing line and sets the exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
