# Shared by the fault tests (run through e2e/with_cluster.sh), which source it after setting
# `bulwark`: the operator e2e helpers, an Enforce + Quarantine policy over namespace "fr" and an
# Enforce + ScaleToZero one over namespace "fs", batches of Deployments (bad-N privileged, good-N
# not), and the count of what a fault cost.
# shellcheck source=../operator/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../operator/lib.sh"
# shellcheck source=table.sh
. "$(dirname "${BASH_SOURCE[0]}")/table.sh"
rows=()
n=${BULWARK_FAULT_WORKLOADS:-300}  # the first batch of Deployments (restarts_test.sh: 2,000)

# setup_faults: the CRD, RBAC, namespaces "fr" and "fs", their policies, the operator's config (a
# high client rate, so the test measures the faults rather than the limiter) and the first batch of
# $n Deployments with their pods.
setup_faults() {
  install_prerequisites
  $kubectl create namespace fr >/dev/null && $kubectl label namespace fr env=faults >/dev/null
  $kubectl create namespace fs >/dev/null && $kubectl label namespace fs env=faults-scale >/dev/null
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
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: faults-scale}
spec:
  match: {namespaceSelector: {matchLabels: {env: faults-scale}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
  network: {defaultDeny: false}
  enforcement: {mode: Enforce, actions: [Annotate, ScaleToZero]}
P
  echo "client: {qps: 500, burst: 500}" >"$work/config.yaml"
  deployments 0 "$n"
  eventually 300 pods_of_all "$n" || fail "the controllers made the pods"
}

# deployments FROM TO: bad-i (privileged) for odd i, good-i otherwise, in namespace fr with one
# replica; and, for one i in ten of each kind, the same in namespace fs with two replicas (where
# the bad ones are scaled to zero). One create for all.
deployments() {
  local i
  for ((i = $1; i < $2; i++)); do
    deployment_yaml fr "$i" 1
    if ((i % 10 < 2)); then deployment_yaml fs "$i" 2; fi
  done | $kubectl create -f - >/dev/null
}
deployment_yaml() {  # NAMESPACE I REPLICAS
  local name=good-$2 privileged=false
  if (($2 % 2)); then name=bad-$2 privileged=true; fi
  cat <<D
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: $1}
spec:
  replicas: $3
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: $privileged}}]}
D
}
# The Deployments judged so far.
annotated() {
  $kubectl -n fr get deployments -o jsonpath='{range .items[*]}{.metadata.annotations.bulwark\.dev/posture}{"\n"}{end}' \
    | grep -cE '^(violating|compliant)$'
}
# count_damage: what was lost or done twice in namespaces fr and fs (count_damage.py's output).
count_damage() {
  $kubectl get deployments -A -o json >"$work/d.json"
  $kubectl get pods -A -o json >"$work/p.json"
  $kubectl get events -A -o json >"$work/e.json"
  "$root/e2e/faults/count_damage.py" "$work/d.json" "$work/p.json" "$work/e.json" >"$work/damage"
}
undamaged() { count_damage && [ "$(head -n1 "$work/damage")" = "0 0 0 0" ]; }
# damage FAULT TIMES: once the operator has settled (no damage left, or two minutes gone), counts
# what the fault cost and records a row of the table.
damage() {
  eventually 120 undamaged
  count_damage
  local lost_a lost_q lost_r twice
  read -r lost_a lost_q lost_r twice <"$work/damage"
  fault_row "$1" "$2" "$lost_a" "$lost_q" "$lost_r" "$twice" -
  [ "$lost_a$lost_q$lost_r$twice" = 0000 ] && ok "$1: nothing lost or done twice" \
    || fail "$1: lost annotations $lost_a, quarantines $lost_q, replica counts $lost_r, events twice $twice: $(tail -n +2 "$work/damage")"
}
pods_of_all() { [ "$($kubectl -n fr get pods --no-headers 2>/dev/null | wc -l)" -ge "$1" ]; }
all_annotated() { [ "$(annotated)" -ge "$1" ]; }


# print_rows: the table of every fault recorded with damage().
print_rows() {
  fault_table_header
  printf '%s\n' "${rows[@]}"
}

