#!/usr/bin/env bash
# The operator's OpenReports Reports against the real API server with the OpenReports CRDs
# (issue 20), on its own RBAC: a Report per judged workload, violating and compliant, owned by it;
# fixing a workload updates its report; an exemption shows as skip; a workload out of scope loses
# its report, a deleted one takes it along (garbage collection); a resync and a restart write
# nothing; a user's edit of Bulwark's report is undone once, and a report of Bulwark's name that
# Bulwark did not write is left alone and reported as a conflict.
#   usage: e2e/reports/reports_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; $kubectl get reports -A -o yaml 2>&1 | head -60; fi
}
report() { $kubectl -n "$1" get report "$2" -o jsonpath="$3" 2>/dev/null; }
result_of() {  # NS REPORT RULE: the result of that rule
  $kubectl -n "$1" get report "$2" -o jsonpath="{.results[?(@.rule==\"$3\")].result}" 2>/dev/null
}

crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
install_prerequisites
$kubectl create namespace rp-shop >/dev/null
$kubectl label namespace rp-shop reports=on >/dev/null
deployment rp-shop bad 1 true
deployment rp-shop good 1 false
deployment rp-shop legacy 1 true
$kubectl -n rp-shop label deployment legacy app=legacy >/dev/null  # what the exemption selects
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: rp-baseline}
spec:
  match: {namespaceSelector: {matchLabels: {reports: "on"}}}
  podSecurity: {level: baseline, version: v1.37}
  network: {defaultDeny: false}
  enforcement: {mode: Audit}
  exemptions: [{name: legacy-privileged, workloadSelector: {matchLabels: {app: legacy}}, controls: [privileged], expires: "2099-01-01T00:00:00Z", reason: e2e}]
P
printf 'log: {level: debug}\nresyncPeriod: 2s\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid

check "a Report for the violating Deployment: privileged fails" eventually 30 bash -c \
  "$(declare -f result_of); kubectl=$kubectl; [ \"\$(result_of rp-shop deployment-bad privileged)\" = fail ]"
check "... with what to change, the field path and the PSS version" bash -c \
  "$kubectl -n rp-shop get report deployment-bad -o jsonpath='{.results[?(@.rule==\"privileged\")].message}|{.results[?(@.rule==\"privileged\")].properties.paths}|{.results[?(@.rule==\"privileged\")].properties.pssVersion}' | grep -q 'must not set securityContext.privileged=true|spec.template.spec.containers\[0\].securityContext.privileged|v1.37'"
check "... owned by the Deployment, labelled, scoped, with its summary" bash -c \
  "[ \"\$($kubectl -n rp-shop get report deployment-bad -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}|{.metadata.labels.app\.kubernetes\.io/managed-by}|{.scope.kind}/{.scope.name}|{.source}|{.summary.fail}')\" = 'Deployment/bad|bulwark|Deployment/bad|bulwark|1' ]"
check "a Report for the compliant one: every control passes, summarised in one result" eventually 30 bash -c \
  "[ \"\$($kubectl -n rp-shop get report deployment-good -o jsonpath='{.summary.fail}/{.summary.skip}/{.results[*].rule}/{.results[*].result}')\" = 0/0/passing/pass ] && [ \$($kubectl -n rp-shop get report deployment-good -o jsonpath='{.summary.pass}') -gt 5 ]"
check "an exempted control is skip, naming the exemption and its expiry" eventually 30 bash -c \
  "[ \"\$($kubectl -n rp-shop get report deployment-legacy -o jsonpath='{.results[?(@.rule==\"privileged\")].result}/{.results[?(@.rule==\"privileged\")].properties.exemption}/{.results[?(@.rule==\"privileged\")].properties.expires}')\" = skip/legacy-privileged/2099-01-01T00:00:00Z ]"
check "the policy's condition Reports is True" eventually 20 bash -c \
  "[ \"\$($kubectl get secpol rp-baseline -o jsonpath='{.status.conditions[?(@.type==\"Reports\")].status}/{.status.conditions[?(@.type==\"Reports\")].reason}')\" = True/ReportsServed ]"
check "kubectl get reports lists them" bash -c \
  "[ \$($kubectl -n rp-shop get reports --no-headers | grep -c .) -eq 3 ]"

# Steady state: two resyncs, then a restart, change no report.
versions() { $kubectl -n rp-shop get reports -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'; }
resyncs() { grep -c 'resync: judging everything again' "$work/$1.log"; }
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge 1 ]"
before=$(versions) count=$(resyncs operator)
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((count + 2)) ]"
check "two resyncs write no report" [ "$(versions)" = "$before" ]
stop_operator "$pid" >/dev/null
start_own_operator restarted
pid=$started_pid
eventually 30 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/restarted.log') -ge 2 ]"
check "a restart writes no report" [ "$(versions)" = "$before" ]

stamp() { $kubectl -n rp-shop get report deployment-bad -o jsonpath="{.results[?(@.rule==\"$1\")].timestamp.seconds}"; }
stamped=$(stamp privileged)
deployment rp-shop bad 1 false
check "the Deployment fixed: its report passes privileged (summarised with the other passes)" eventually 30 bash -c \
  "[ \"\$($kubectl -n rp-shop get report deployment-bad -o jsonpath='{.summary.fail}/{.results[*].rule}')\" = 0/passing ]"
check "... with the time of the new verdict" [ "$(stamp passing)" -gt "$stamped" ]
$kubectl label namespace rp-shop reports- >/dev/null
check "the namespace out of scope: its reports are removed" eventually 30 bash -c \
  "[ -z \"\$($kubectl -n rp-shop get reports -o name)\" ]"
$kubectl label namespace rp-shop reports=on >/dev/null
check "back in scope: they are written again" eventually 30 bash -c \
  "[ \$($kubectl -n rp-shop get reports --no-headers 2>/dev/null | grep -c .) -eq 3 ]"
$kubectl -n rp-shop delete deployment good >/dev/null
check "the Deployment deleted: its report goes with it" eventually 30 bash -c \
  "! $kubectl -n rp-shop get report deployment-good >/dev/null 2>&1"

# Issue 34: a namespace user with edit and an explicit grant to write reports.
$kubectl -n rp-shop create rolebinding alice-edit --clusterrole=edit --user=alice >/dev/null
$kubectl -n rp-shop create role report-writer --verb=get,list,create,update,patch,delete \
  --resource=reports.openreports.io >/dev/null
$kubectl -n rp-shop create rolebinding alice-reports --role=report-writer --user=alice >/dev/null
alice="$kubectl --as=alice"
deployment rp-shop bad 1 true  # violating again
check "setup: bad's report fails privileged again" eventually 30 bash -c \
  "$(declare -f result_of); kubectl=$kubectl; [ \"\$(result_of rp-shop deployment-bad privileged)\" = fail ]"
# alice flips every result to pass, keeping the labels.
$kubectl -n rp-shop get report deployment-bad -o json | python3 -c '
import json, sys
r = json.load(sys.stdin)
for x in r["results"]: x["result"] = "pass"
r["summary"]["fail"] = 0
json.dump(r, sys.stdout)' | $alice replace -f - >/dev/null || fail "alice could not rewrite the report"
check "a report flipped to pass by a user is rewritten to fail" eventually 30 bash -c \
  "$(declare -f result_of); kubectl=$kubectl; [ \"\$(result_of rp-shop deployment-bad privileged)\" = fail ]"
before=$(versions) count=$(resyncs restarted)
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/restarted.log') -ge $((count + 2)) ]"
check "... once: two resyncs then write no report" [ "$(versions)" = "$before" ]
# alice pre-creates an all-pass report of the name Bulwark would give a violating Deployment.
cat <<R | $alice create -f - >/dev/null || fail "alice could not create her report"
apiVersion: openreports.io/v1alpha1
kind: Report
metadata: {name: deployment-hidden, namespace: rp-shop}
summary: {pass: 20, fail: 0, warn: 0, error: 0, skip: 0}
R
theirs=$(report rp-shop deployment-hidden '{.metadata.resourceVersion}')
deployment rp-shop hidden 1 true
check "a report Bulwark did not write is a conflict: Reports=False, NameTaken, naming the workload" eventually 30 bash -c \
  "[ \"\$($kubectl get secpol rp-baseline -o jsonpath='{.status.conditions[?(@.type==\"Reports\")].reason}')\" = NameTaken ] && $kubectl get secpol rp-baseline -o jsonpath='{.status.conditions[?(@.type==\"Reports\")].message}' | grep -q 'Deployment/rp-shop/hidden'"
check "... a Warning Event NameConflict on it" eventually 30 bash -c \
  "$kubectl -n rp-shop get events --field-selector involvedObject.name=deployment-hidden,reason=NameConflict -o jsonpath='{.items[*].type}' | grep -qx Warning"
check "... and it is untouched" [ "$(report rp-shop deployment-hidden '{.metadata.resourceVersion}/{.summary.fail}')" = "$theirs/0" ]

for log in "$work"/*.log; do
  if grep -qiE 'forbidden|: 403 ' "$log"; then fail "refused in $log: $(grep -iE 'forbidden|: 403 ' "$log" | head -2)"; fi
done
ok "its own RBAC was enough"
stop_operator "$pid" >/dev/null
finish
