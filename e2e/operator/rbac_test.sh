#!/usr/bin/env bash
# RBAC posture end to end (issue 18), the operator on its own RBAC: a binding added to a running
# workload's ServiceAccount flips its posture within seconds, and removing it flips it back; the
# chain that grants the permission is in the policy status and the Event; a group binding reaches
# every account of the namespace; a ServiceAccount's automountServiceAccountToken decides the token
# of a pod that leaves it unset, and changing it re-judges; a converged cluster costs no write
# across resyncs.
#   usage: e2e/operator/rbac_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
annotation() { $kubectl -n "$1" get "$2" -o jsonpath="{.metadata.annotations.bulwark\.dev/$3}" 2>/dev/null; }
is() { [ "$(annotation "$1" "$2" "$3")" = "$4" ]; }
# flip_time NS DEPLOY KEY VALUE: seconds (millisecond precision) until the annotation has the value.
flip_time() {
  local start=$(date +%s.%N)
  eventually 20 is "$@" || { echo 99; return 1; }
  awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $start}"
}

install_prerequisites
$kubectl create namespace r-shop >/dev/null
$kubectl label namespace r-shop rbac=on >/dev/null
$kubectl -n r-shop create serviceaccount web >/dev/null
$kubectl -n r-shop create serviceaccount api >/dev/null
for d in web api; do
  cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: $d, namespace: r-shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: $d}}
  template:
    metadata: {labels: {app: $d}}
    spec:
      serviceAccountName: $d
      containers: [{name: app, image: registry.example.com/app:1.0}]
D
done
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: least-privilege}
spec:
  match: {namespaceSelector: {matchLabels: {rbac: "on"}}}
  podSecurity: {level: baseline}
  network: {defaultDeny: false}
  permissions: {forbid: [rbacSecretsRead, rbacClusterAdmin, rbacPodExec]}
  enforcement: {mode: Audit}
P
cat <<'R' | $kubectl apply -f - >/dev/null
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r-secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
R

printf 'log: {level: debug}\nresyncPeriod: 2s\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid

check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else
    fail "$name"
    $kubectl get secpol least-privilege -o yaml | grep -A30 '^status:'
  fi
}
check "the workloads start compliant" eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is r-shop deploy/web posture compliant && is r-shop deploy/api posture compliant"

cat <<'B' | $kubectl apply -f - >/dev/null
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-reads-secrets, namespace: r-shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r-secret-reader}
subjects: [{kind: ServiceAccount, name: web, namespace: r-shop}]
B
if t=$(flip_time r-shop deploy/web violations rbacSecretsRead); then
  ok "a RoleBinding added: web violates rbacSecretsRead after ${t}s"
  awk "BEGIN{exit !($t < 3)}" && ok "... within 3 seconds" || fail "flipped only after ${t}s"
else
  fail "a RoleBinding added: web never violated rbacSecretsRead"
fi
check "without the OpenReports CRDs the policy says Reports=False, ReportsNotServed, and stays Ready" eventually 20 bash -c \
  "[ \"\$($kubectl get secpol least-privilege -o jsonpath='{.status.conditions[?(@.type==\"Reports\")].status}/{.status.conditions[?(@.type==\"Reports\")].reason}/{.status.conditions[?(@.type==\"Ready\")].status}')\" = False/ReportsNotServed/True ]"
check "the account the binding does not name stays compliant" is r-shop deploy/api posture compliant
check "the policy status names the chain" eventually 10 bash -c \
  "$kubectl get secpol least-privilege -o jsonpath='{.status.violations[*].details[*]}' | grep -qF 'rbacSecretsRead: RoleBinding/r-shop/web-reads-secrets -> ClusterRole/r-secret-reader rules[0]: get secrets (in namespace r-shop)'"
check "the PolicyViolation Event names the chain" eventually 10 bash -c \
  "$kubectl -n r-shop get events --field-selector reason=PolicyViolation,involvedObject.name=web -o jsonpath='{.items[*].message}' | grep -q 'web-reads-secrets -> ClusterRole/r-secret-reader'"

$kubectl -n r-shop delete rolebinding web-reads-secrets >/dev/null
if t=$(flip_time r-shop deploy/web posture compliant); then
  ok "the RoleBinding removed: web compliant again after ${t}s"
  awk "BEGIN{exit !($t < 3)}" && ok "... within 3 seconds" || fail "flipped back only after ${t}s"
else
  fail "the RoleBinding removed: web never became compliant"
fi

# A group binding reaches every account of the namespace; editing the role it grants re-judges.
cat <<'B' | $kubectl apply -f - >/dev/null
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: everyone-here, namespace: r-shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r-secret-reader}
subjects: [{kind: Group, name: "system:serviceaccounts:r-shop", apiGroup: rbac.authorization.k8s.io}]
B
check "a binding of system:serviceaccounts:r-shop: both workloads violate" eventually 20 bash -c \
  "$(declare -f annotation is); kubectl=$kubectl; is r-shop deploy/web violations rbacSecretsRead && is r-shop deploy/api violations rbacSecretsRead"
cat <<'R' | $kubectl apply -f - >/dev/null
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r-secret-reader}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
R
check "the role edited: both now violate rbacPodExec instead" eventually 20 bash -c \
  "$(declare -f annotation is); kubectl=$kubectl; is r-shop deploy/web violations rbacPodExec && is r-shop deploy/api violations rbacPodExec"

# A pod that leaves automountServiceAccountToken unset gets the token unless its account says false.
$kubectl create namespace r-token >/dev/null
$kubectl label namespace r-token token=on >/dev/null
$kubectl -n r-token create serviceaccount quiet >/dev/null
cat <<'D' | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: r-token}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      serviceAccountName: quiet
      containers: [{name: app, image: registry.example.com/app:1.0}]
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: token-hygiene}
spec:
  match: {namespaceSelector: {matchLabels: {token: "on"}}}
  podSecurity: {level: privileged}
  network: {defaultDeny: false}
  serviceAccount: {forbidAutomountToken: true}
  enforcement: {mode: Audit}
D
check "an account that leaves automountServiceAccountToken unset: the workload violates" eventually 30 \
  is r-token deploy/worker violations automountServiceAccountToken
$kubectl -n r-token patch serviceaccount quiet -p '{"automountServiceAccountToken":false}' >/dev/null
if t=$(flip_time r-token deploy/worker posture compliant); then
  ok "the account set to false: the workload compliant after ${t}s"
else
  fail "the account set to false: the workload never became compliant"
fi
$kubectl -n r-token patch serviceaccount quiet -p '{"automountServiceAccountToken":true}' >/dev/null
check "the account set to true: it violates again" eventually 20 \
  is r-token deploy/worker violations automountServiceAccountToken
$kubectl delete secpol token-hygiene --wait=false >/dev/null

# Steady state: resourceVersions and the Event count hold across two resyncs.
fingerprint() {
  $kubectl -n r-shop get deploy,pods -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'
  $kubectl get secpol least-privilege -o jsonpath='{.metadata.resourceVersion}'
  $kubectl -n r-shop get events -o name | wc -l
}
resyncs() { grep -c 'resync: judging everything again' "$work/operator.log"; }
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $(($(resyncs) + 2)) ]"
before=$(fingerprint) count=$(resyncs)
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((count + 2)) ]"
after=$(fingerprint)
check "converged: no write and no new Event across two resyncs" [ "$before" = "$after" ]
[ "$before" = "$after" ] || echo "before: $before"$'\n'"after:  $after"

log=$work/operator.log
if grep -qiE 'forbidden|: 403 ' "$log"; then
  fail "the operator was refused: $(grep -iE 'forbidden|: 403 ' "$log" | head -2)"
else
  ok "its own RBAC was enough"
fi
stop_operator "$pid" >/dev/null
finish
