#!/usr/bin/env bash
# reports.format: wgpolicy (issue 20): with Kyverno's wgpolicyk8s.io CRDs, the operator keeps a
# PolicyReport per judged workload instead, accepted by that schema, and writes nothing more at
# steady state (run it through e2e/with_cluster.sh).
#   usage: e2e/reports/wgpolicy_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

crds=$("$root/e2e/cluster/report_crds.sh" wgpolicy) || { fail "fetch the wgpolicy CRDs"; finish; exit 1; }
$kubectl apply --server-side -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/policyreports.wgpolicyk8s.io >/dev/null
install_prerequisites
# deploy/operator is the chart's default render (reports.format openreports); the chart rendered
# with reports.format wgpolicy grants the PolicyReport kind instead, as this does.
$kubectl apply -f - >/dev/null <<'RBAC'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bulwark-wgpolicy}
rules:
- {apiGroups: [wgpolicyk8s.io], resources: [policyreports], verbs: [list, watch, create, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bulwark-wgpolicy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: bulwark-wgpolicy}
subjects: [{kind: ServiceAccount, name: bulwark, namespace: bulwark-system}]
RBAC
$kubectl create namespace wg-shop >/dev/null
deployment wg-shop bad 1 true
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: wg-baseline}
spec:
  podSecurity: {level: baseline}
  network: {defaultDeny: false}
P
printf 'log: {level: debug}\nresyncPeriod: 2s\nreports: {format: wgpolicy}\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid
check "a PolicyReport for the violating Deployment: privileged fails" eventually 30 bash -c \
  "[ \"\$($kubectl -n wg-shop get policyreport deployment-bad -o jsonpath='{.results[?(@.rule==\"privileged\")].result}/{.scope.kind}/{.summary.fail}')\" = fail/Deployment/1 ]"
check "no OpenReports Report is written in this mode" bash -c \
  "! $kubectl api-resources --api-group=openreports.io -o name | grep -q . || [ -z \"\$($kubectl -n wg-shop get reports -o name 2>/dev/null)\" ]"
version=$($kubectl -n wg-shop get policyreport deployment-bad -o jsonpath='{.metadata.resourceVersion}')
count=$(grep -c 'resync: judging everything again' "$work/operator.log")
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((count + 2)) ]"
check "two resyncs write nothing" \
  [ "$($kubectl -n wg-shop get policyreport deployment-bad -o jsonpath='{.metadata.resourceVersion}')" = "$version" ]
if grep -qiE 'forbidden|: 403 ' "$work/operator.log"; then fail "refused: $(grep -iE 'forbidden|: 403 ' "$work/operator.log" | head -2)"; else ok "its own RBAC was enough"; fi
stop_operator "$pid" >/dev/null
finish
