#!/usr/bin/env bash
# bulwark run's kubeconfig authentication against a real control plane (run it through
# e2e/with_cluster.sh): an exec credential plugin (client.authentication.k8s.io/v1) whose token
# the API server accepts, run once and cached; a failing plugin, auth-provider, basic auth and
# insecure-skip-tls-verify beside a CA stop the operator with status 2 and a message that says
# why, never an anonymous or unverified client.
#   usage: e2e/operator/kubeconfig_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
token=$($kubectl -n bulwark-system create token bulwark --duration=30m)
expires=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
cat >"$work/plugin.sh" <<P
#!/bin/sh
echo call >>"$work/plugin.calls"
case "\$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "no exec info" >&2; exit 9 ;; esac
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"$token","expirationTimestamp":"$expires"}}'
P
printf '#!/bin/sh\necho "please run: cloud login" >&2\nexit 1\n' >"$work/failing.sh"
chmod +x "$work/plugin.sh" "$work/failing.sh"
# kubeconfig FILE USER_MAPPING [CLUSTER_EXTRA]: the test cluster with the given user (and more
# cluster fields).
kubeconfig() {
  cat >"$1" <<K
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$BULWARK_E2E_CLUSTER/pki/ca.crt"${3:+, $3}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: $2}]
K
}

kubeconfig "$work/exec.kubeconfig" "{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never}}"
port=$(free_port)
echo "log: {level: info}" >"$work/config.yaml"
start_operator exec --config "$work/config.yaml" --kubeconfig "$work/exec.kubeconfig" \
  --health-probe-bind-address "127.0.0.1:$port" --metrics-bind-address 0
eventually 30 curl -sf "http://127.0.0.1:$port/readyz" \
  && ok "an exec plugin's token authenticates the operator (ready, every cache synced)" \
  || fail "the operator became ready with the exec plugin"
calls=$(wc -l <"$work/plugin.calls")
[ "$calls" -le 2 ] && ok "the plugin ran $calls times (a check at start, then one cached token)" \
  || fail "the plugin ran $calls times: its token is not cached"
stop_operator "$started_pid"

# refused KUBECONFIG_USER EXPECTED_MESSAGE WHAT [CLUSTER_EXTRA]
refused() {
  kubeconfig "$work/refused.kubeconfig" "$1" "${4:-}"
  local status=0
  "$bulwark" run --kubeconfig "$work/refused.kubeconfig" --health-probe-bind-address 0 \
    --metrics-bind-address 0 2>"$work/refused.err" || status=$?
  [ "$status" = 2 ] && grep -qF "$2" "$work/refused.err" && ok "$3: status 2, \"$2\"" \
    || fail "$3: status $status, $(cat "$work/refused.err")"
}
refused "{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./failing.sh, interactiveMode: Never}}" \
  "please run: cloud login" "a failing plugin"
refused "{auth-provider: {name: oidc}}" "auth-provider is not supported" "auth-provider"
refused "{username: admin, password: secret}" "basic authentication" "basic auth"
# client-go refuses this pair; Bulwark used to turn verification off without a word (issue 34).
refused "{token: $token}" "insecure-skip-tls-verify: true and a certificate-authority together" \
  "insecure-skip-tls-verify beside a certificate-authority" "insecure-skip-tls-verify: true"
finish
