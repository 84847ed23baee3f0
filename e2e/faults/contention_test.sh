#!/usr/bin/env bash
# Faults of contention during remediation (run through e2e/with_cluster.sh), each followed by the
# count of what was lost or done twice, which must be zero:
# - a second writer patching the same Deployments and the policy, round after round, while the
#   operator remediates a new batch;
# - the API server limiting the operator's ServiceAccount to a few requests in flight, loaded for
#   twenty seconds by other clients of the same ServiceAccount, so it answers the operator 429
#   while it remediates.
# Prints one row per fault; times injected are the second writer's rounds and the 429 answers.
#   usage: e2e/faults/contention_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
setup_faults
metrics_port=$(free_port)
start_own_operator op --metrics-bind-address "127.0.0.1:$metrics_port"
# shed_answers: how often the operator was answered 429, every attempt counted (its own metrics).
shed_answers() {
  curl -sf "http://127.0.0.1:$metrics_port/metrics" \
    | awk '/^bulwark_api_requests_total\{.*code="429"/ {n += $2} END {print n + 0}'
}
eventually 120 all_annotated "$n" && ok "the first pass is done" || fail "the first pass: $(annotated)/$n"

# Fault 4: a second writer on the same objects.
writer_rounds=$work/rounds
(
  i=0
  while :; do
    i=$((i + 1)); echo "$i" >"$writer_rounds"
    $kubectl -n fr annotate deployments --all --overwrite "example.com/touched=$i" >/dev/null 2>&1
    $kubectl label securitypolicy faults --overwrite "touched=$i" >/dev/null 2>&1
  done
) &
writer=$!
deployments "$n" $((n + 100))
eventually 60 pods_of_all $((n + 100)) || fail "the controllers made the new pods"
eventually 180 all_annotated $((n + 100)) && ok "with a second writer, all are judged" \
  || fail "all judged with a second writer: $(annotated)/$((n + 100))"
kill "$writer"; wait "$writer" 2>/dev/null
damage "a second writer on the same objects" "$(cat "$writer_rounds")"

# Fault 5: the API server limits the operator's ServiceAccount to a few requests in flight (its
# own priority level: three seats, nothing lent, the excess rejected with 429 rather than queued)
# and other clients under the same ServiceAccount fill those seats for twenty seconds of
# remediation; then the load goes, the limit stays, and everything must be judged.
shed_fault() {
  cat <<'F' | $kubectl apply -f - >/dev/null
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: PriorityLevelConfiguration
metadata: {name: bulwark-fault-shed}
spec:
  type: Limited
  limited:
    nominalConcurrencyShares: 1
    lendablePercent: 0
    borrowingLimitPercent: 0
    limitResponse: {type: Reject}
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata: {name: bulwark-fault-shed}
spec:
  priorityLevelConfiguration: {name: bulwark-fault-shed}
  matchingPrecedence: 500
  distinguisherMethod: {type: ByUser}
  rules:
  - subjects: [{kind: ServiceAccount, serviceAccount: {name: bulwark, namespace: bulwark-system}}]
    resourceRules: [{verbs: ["*"], apiGroups: ["*"], resources: ["*"], clusterScope: true, namespaces: ["*"]}]
    nonResourceRules: [{verbs: ["*"], nonResourceURLs: ["*"]}]
F
  # The load: eight clients listing every pod as the operator's ServiceAccount, back to back (curl
  # rather than kubectl, whose start-up would leave the seats idle most of the time).
  local token server loaders=()
  token=$(sed -n 's/.*token: "\(.*\)".*/\1/p' "$work/sa.kubeconfig")
  server=$(sed -n 's/.*server: "\([^"]*\)".*/\1/p' "$work/sa.kubeconfig")
  for _ in 1 2 3 4 5 6 7 8; do
    (while :; do curl -s -o /dev/null --cacert "$BULWARK_E2E_CLUSTER/pki/ca.crt" \
       -H "Authorization: Bearer $token" "$server/api/v1/pods"; done) &
    loaders+=($!)
  done
  before=$(shed_answers)
  deployments $((n + 100)) $((n + 200))
  sleep 20  # the fault's duration, not a wait for state
  for p in "${loaders[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done
  shed=$(( $(shed_answers) - before ))
  [ "$shed" -gt 0 ] && ok "the operator was answered 429 ($shed times)" \
    || fail "the API server never shed the operator's requests: the fault was not injected"
  eventually 120 pods_of_all $((n + 200)) || fail "the controllers made the new pods"
  eventually 180 all_annotated $((n + 200)) && ok "after the load went, all are judged" \
    || fail "all judged after the load went: $(annotated)/$((n + 200))"
  damage "the API server shedding load (429) for 20 s" "$shed"
  $kubectl delete flowschema,prioritylevelconfiguration bulwark-fault-shed >/dev/null
}
shed_fault

stop_operator "$started_pid"
print_rows
finish
