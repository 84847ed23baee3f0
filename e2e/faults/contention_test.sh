#!/usr/bin/env bash
# Faults of contention during remediation (run through e2e/with_cluster.sh), each followed by the
# count of what was lost or done twice, which must be zero:
# - a second writer patching the same Deployments and the policy, round after round, while the
#   operator remediates a new batch;
# - (BULWARK_FAULT_SHED=1) the API server restarted with a few requests in flight at most and
#   loaded for twenty seconds by other clients of the operator's priority level, so it answers
#   the operator 429 while it remediates.
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
eventually 60 quarantined_at_least $(((n + 100) / 2))
kill "$writer"; wait "$writer" 2>/dev/null
damage "a second writer on the same objects" "$(cat "$writer_rounds")"

# Fault 5 (only with BULWARK_FAULT_SHED=1: not yet passing, see issue 14's note): an API server
# that sheds load (429) under clients of the operator's own priority level for twenty seconds of
# remediation; then the load goes and everything must be judged. Measured: the operator is
# answered 429 and retries after Retry-After, the Deployments are all judged, but its pod patches
# then wait out their deadline in the API server's queue for minutes after the load has gone.
shed_fault() {
  "$root/e2e/cluster/component.sh" "$BULWARK_E2E_CLUSTER" kube-apiserver stop
  "$root/e2e/cluster/component.sh" "$BULWARK_E2E_CLUSTER" kube-apiserver start \
    --max-requests-inflight 6 --max-mutating-requests-inflight 3
  loaders=()
  for _ in 1 2 3 4 5 6 7 8; do
    (while :; do $kubectl --kubeconfig "$work/sa.kubeconfig" get pods -A -o json >/dev/null 2>&1; done) &
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
  eventually 180 quarantined_at_least $(((n + 200) / 2))
  damage "the API server shedding load (429) for 20 s" "$shed"
}
[ "${BULWARK_FAULT_SHED:-0}" = 1 ] && shed_fault

stop_operator "$started_pid"
print_rows
finish
