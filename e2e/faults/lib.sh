# Shared by the fault tests (run through e2e/with_cluster.sh), which source it after setting
# `bulwark`: the operator e2e helpers, an Enforce + Quarantine policy over namespace "fr", batches of
# Deployments (bad-N privileged, good-N not), and the count of what a fault cost.
# shellcheck source=../operator/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../operator/lib.sh"
rows=()
n=${BULWARK_FAULT_WORKLOADS:-300}  # the first batch of Deployments

# setup_faults: the CRD, RBAC, namespace "fr", the policy, the operator's config (a high client
# rate, so the test measures the faults rather than the limiter) and the first batch of $n
# Deployments with their pods.
setup_faults() {
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
  echo "client: {qps: 500, burst: 500}" >"$work/config.yaml"
  deployments 0 "$n"
  eventually 120 pods_of_all "$n" || fail "the controllers made the pods"
}

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
# The Deployments judged so far.
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


# print_rows: the table of every fault recorded with damage().
print_rows() {
  printf '%-48s %8s %10s %10s %11s\n' fault injected "lost ann." "lost quar." "events x2"
  printf '%s\n' "${rows[@]}"
}

# quarantined_at_least N: at least N pods carry the quarantine label.
quarantined_at_least() {
  [ "$($kubectl -n fr get pods -l bulwark.dev/quarantine=true --no-headers 2>/dev/null | wc -l)" -ge "$1" ]
}
