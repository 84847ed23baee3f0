#!/usr/bin/env bash
# Faults during remediation (run through e2e/with_cluster.sh), each followed by a count of what was
# lost (annotations, quarantine labels) or done twice (Events, by object and reason), which must
# all be zero:
# - kill -9 of the operator in the middle of its first pass over BULWARK_FAULT_WORKLOADS (300)
#   Deployments, then a restart;
# - kube-apiserver stopped for five seconds while the operator remediates a new batch, then
#   started again on the same port.
# Prints one row per fault: fault, times injected, lost, done twice.
#   usage: e2e/faults/restarts_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
n=${BULWARK_FAULT_WORKLOADS:-300}
rows=()

install_prerequisites
$kubectl create namespace fr >/dev/null && $kubectl label namespace fr env=faults >/dev/null
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: faults}
spec:
  match: {namespaceSelector: {matchLabels: {env: faults}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
  network: {defaultDeny: false}
  enforcement: {mode: Enforce, actions: [Annotate, Quarantine]}
P
# deployments FROM TO: bad-i (privileged) for odd i, good-i otherwise, in one apply.
deployments() {
  local i name privileged
  for ((i = $1; i < $2; i++)); do
    if ((i % 2)); then name=bad-$i privileged=true; else name=good-$i privileged=false; fi
    cat <<D
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: fr}
spec:
  replicas: 1
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: $privileged}}]}
D
  done | $kubectl apply -f - >/dev/null
}
annotated() {
  $kubectl -n fr get deployments -o jsonpath='{range .items[*]}{.metadata.annotations.bulwark\.dev/posture}{"\n"}{end}' \
    | grep -cE '^(violating|compliant)$'
}
# damage FAULT TIMES: counts what the fault cost once everything has settled, and records a row.
damage() {
  $kubectl -n fr get deployments -o json >"$work/d.json"
  $kubectl -n fr get pods -o json >"$work/p.json"
  $kubectl -n fr get events -o json >"$work/e.json"
  local result lost_a lost_q twice
  result=$("$root/e2e/faults/count_damage.py" "$work/d.json" "$work/p.json" "$work/e.json")
  read -r lost_a lost_q twice <<<"$(head -n1 <<<"$result")"
  rows+=("$(printf '%-48s %8s %10s %10s %11s' "$1" "$2" "$lost_a" "$lost_q" "$twice")")
  [ "$lost_a$lost_q$twice" = 000 ] && ok "$1: nothing lost or done twice" \
    || fail "$1: lost annotations $lost_a, quarantines $lost_q, events twice $twice: $(tail -n +2 <<<"$result")"
}
pods_of_all() { [ "$($kubectl -n fr get pods --no-headers 2>/dev/null | wc -l)" -ge "$1" ]; }
all_annotated() { [ "$(annotated)" -ge "$1" ]; }

echo "client: {qps: 500, burst: 500}" >"$work/config.yaml"
deployments 0 "$n"
eventually 120 pods_of_all "$n" || fail "the controllers made the pods"

# Fault 1: kill -9 in the middle of the first pass, then a restart.
start_own_operator op1
some() { [ "$(annotated)" -ge $((n / 10)) ]; }
eventually 60 some && ok "the first pass is under way" || fail "the first pass started"
stop_operator "$started_pid" KILL
killed_at=$(annotated)
start_own_operator op2
eventually 120 all_annotated "$n" && ok "after kill -9 at $killed_at/$n and a restart, all are judged" \
  || fail "all judged after the restart: $(annotated)/$n"
eventually 60 bash -c "[ \$($kubectl -n fr get pods -l bulwark.dev/quarantine=true --no-headers | wc -l) -ge $((n / 2)) ]"
damage "kill -9 mid first pass ($n workloads), restart" 1

# Fault 2: the API server taken away during remediation, then back on the same port.
deployments "$n" $((n + 100))
# Taken away as soon as the operator has begun on the new batch.
eventually 60 all_annotated $((n + 1)) || fail "the operator began on the new batch"
"$root/e2e/cluster/apiserver.sh" "$BULWARK_E2E_CLUSTER" stop
sleep 5  # the fault's duration, not a wait for state
"$root/e2e/cluster/apiserver.sh" "$BULWARK_E2E_CLUSTER" start
eventually 60 pods_of_all $((n + 100)) || fail "the controllers made the new pods"
eventually 180 all_annotated $((n + 100)) && ok "after the API server came back, all are judged" \
  || fail "all judged after the API server came back: $(annotated)/$((n + 100))"
eventually 60 bash -c "[ \$($kubectl -n fr get pods -l bulwark.dev/quarantine=true --no-headers | wc -l) -ge $(((n + 100) / 2)) ]"
damage "kube-apiserver stopped 5 s during remediation" 1

stop_operator "$started_pid"
printf '%-48s %8s %10s %10s %11s\n' fault injected "lost ann." "lost quar." "events x2"
printf '%s\n' "${rows[@]}"
finish
