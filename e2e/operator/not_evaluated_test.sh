#!/usr/bin/env bash
# Not evaluated (docs/api.md): the running operator loses, in turn, each read its controls need
# (rolebindings with the other RBAC kinds, serviceaccounts, networkpolicies) from its own
# ClusterRole. Each time, within seconds, what reads it is not evaluated, never compliant or held:
# the workload's bulwark.dev/posture is not-evaluated and bulwark.dev/not-evaluated names the
# controls, its report has result error with the reason, and the policy says
# Compliant=Unknown/NotEvaluated; without NetworkPolicies, an Enforce policy's
# NetworkPoliciesHeld is Unknown/NotEvaluated, and an Audit policy's NamespacesIsolated is too
# (its bulwark_namespace_findings_not_evaluated 1, no bulwark_namespace_violations series);
# without Namespaces, both again, and Compliant=Unknown/NotEvaluated for a policy that selects
# namespaces by label. With the read given back, all is as before. All of it within 2 minutes.
#   usage: e2e/operator/not_evaluated_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
annotation() { $kubectl -n "$1" get "$2" -o jsonpath="{.metadata.annotations.bulwark\.dev/$3}" 2>/dev/null; }
is() { [ "$(annotation "$1" "$2" "$3")" = "$4" ]; }
compliant_condition() {
  $kubectl get secpol inputs -o jsonpath='{.status.conditions[?(@.type=="Compliant")].status}/{.status.conditions[?(@.type=="Compliant")].reason}'
}
condition_is() { [ "$(compliant_condition)" = "$1" ]; }

install_prerequisites
crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
$kubectl create namespace ne-shop >/dev/null
$kubectl label namespace ne-shop inputs=on >/dev/null
cat <<'O' | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: ne-shop}
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ne-shop}
spec:
  replicas: 0
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: app, image: registry.example.com/app:1.0}]
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: inputs}
spec:
  match: {namespaceSelector: {matchLabels: {inputs: "on"}}}
  podSecurity: {level: privileged}
  images: {forbidLatestTag: false}
  network: {defaultDeny: false}
  serviceAccount: {forbidAutomountToken: true}
  permissions: {forbid: [rbacSecretsRead, rbacPodExec]}
  enforcement: {mode: Audit}
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: fenced}
spec:
  match: {namespaceSelector: {matchLabels: {inputs: "on"}}}
  podSecurity: {level: privileged}
  images: {forbidLatestTag: false}
  network: {defaultDeny: true}
  enforcement: {mode: Enforce, actions: [Annotate]}
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: watched}
spec:
  match: {namespaceSelector: {matchLabels: {inputs: "on"}}}
  podSecurity: {level: privileged}
  images: {forbidLatestTag: false}
  network: {defaultDeny: true}
  enforcement: {mode: Audit}
O
metrics_port=$(free_port)
start_own_operator operator --metrics-bind-address "127.0.0.1:$metrics_port"
pid=$started_pid
begin=$SECONDS

check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else
    fail "$name"
    $kubectl -n ne-shop get deploy web -o jsonpath='{.metadata.annotations}'; echo
    $kubectl get secpol inputs -o jsonpath='{.status.summary} {.status.conditions}'; echo
  fi
}
check "with every read, the workload is compliant" \
  eventually 30 is ne-shop deploy/web posture compliant

# without RESOURCE: the operator's ClusterRole minus the rule that reads RESOURCE (or, for an
# RBAC kind, the rule of all four: a rule is the unit the role lists).
without() {
  $kubectl get clusterrole bulwark -o json | python3 -c '
import json, sys
role = json.load(sys.stdin)
role["rules"] = [r for r in role["rules"] if sys.argv[1] not in r.get("resources", [])]
for k in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
    role["metadata"].pop(k, None)
print(json.dumps(role))' "$1" | $kubectl replace -f - >/dev/null
}
restore() { $kubectl apply -f "$root/deploy/operator/rbac.yaml" >/dev/null; }

for case in "rolebindings rbacPodExec,rbacSecretsRead" "serviceaccounts automountServiceAccountToken"; do
  set -- $case
  without "$1"
  check "without $1: the workload is not-evaluated, naming $2" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is ne-shop deploy/web posture not-evaluated && is ne-shop deploy/web not-evaluated $2"
  check "without $1: the policy says Compliant=Unknown/NotEvaluated" \
    eventually 10 condition_is Unknown/NotEvaluated
  check "without $1: the report's result is error with the reason" \
    eventually 10 bash -c "$kubectl -n ne-shop get reports.openreports.io deployment-web -o json | python3 -c '
import json, sys
results = json.load(sys.stdin)[\"results\"]
assert any(r[\"result\"] == \"error\" and \"may not\" in r[\"properties\"][\"reason\"] for r in results)'"
  restore
  check "with $1 readable again: compliant" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is ne-shop deploy/web posture compliant && is ne-shop deploy/web not-evaluated ''"
done
policy_condition() {
  [ "$($kubectl get secpol "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}")" = "$3" ]
}
held() { policy_condition fenced NetworkPoliciesHeld "$1"; }
# isolated STATE NOT_EVALUATED: the Audit policy's condition, and its metrics (no count while
# not evaluated).
isolated() {
  policy_condition watched NamespacesIsolated "$1" || return 1
  local m; m=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
  grep -qF "bulwark_namespace_findings_not_evaluated{control=\"networkDefaultDeny\",policy=\"watched\"} $2" <<<"$m" || return 1
  if [ "$2" = 1 ]; then ! grep -q 'bulwark_namespace_violations{.*policy="watched"' <<<"$m"
  else grep -qF 'bulwark_namespace_violations{control="networkDefaultDeny",policy="watched"} 0' <<<"$m"; fi
}
check "with every read, the Enforce policy holds its NetworkPolicies" eventually 30 held True/Held
check "with every read, the Audit policy sees its namespace isolated (by the other's default-deny)" \
  eventually 30 isolated True/Isolated 0
for resource in networkpolicies namespaces; do
  without $resource
  check "without $resource: NetworkPoliciesHeld is Unknown/NotEvaluated" \
    eventually 30 held Unknown/NotEvaluated
  check "without $resource: NamespacesIsolated is Unknown/NotEvaluated, no count exported" \
    eventually 10 isolated Unknown/NotEvaluated 1
  if [ $resource = namespaces ]; then
    check "without namespaces: a policy that selects by label says Compliant=Unknown/NotEvaluated" \
      eventually 10 condition_is Unknown/NotEvaluated
  fi
  restore
  check "with $resource readable again: held and isolated" \
    eventually 30 bash -c "$(declare -f policy_condition held isolated); kubectl=$kubectl; metrics_port=$metrics_port; held True/Held && isolated True/Isolated 0"
done
check "with every read again: Compliant" eventually 10 condition_is True/NoViolations
took=$((SECONDS - begin))
if [ "$took" -le 120 ]; then ok "all of it in ${took}s (at most 120)"; else fail "it took ${took}s, more than 120"; fi
stop_operator "$pid" >/dev/null
finish
