#!/usr/bin/env bash
# The OpenReports CRDs installed while the operator runs (issue 20): until then the policy says
# Reports=False, ReportsNotServed and stays Ready; once they are installed the same process writes
# every report and the condition turns True, without a restart; a resync then writes nothing.
#   usage: e2e/reports/late_crds_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
check() {
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; $kubectl get reports -A -o yaml 2>&1 | head -40; fi
}
conditions='{.status.conditions[?(@.type=="Reports")].status}/{.status.conditions[?(@.type=="Reports")].reason}/{.status.conditions[?(@.type=="Ready")].status}'
condition_is() { [ "$($kubectl get secpol late -o jsonpath="$conditions" 2>/dev/null)" = "$1" ]; }

crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
install_prerequisites
$kubectl create namespace late-shop >/dev/null
$kubectl label namespace late-shop late=on >/dev/null
deployment late-shop bad 1 true
deployment late-shop good 1 false
cat <<'P' | $kubectl apply -f - >/dev/null || fail "the policy is refused"
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: late}
spec:
  match: {namespaceSelector: {matchLabels: {late: "on"}}}
  podSecurity: {level: baseline}
  network: {defaultDeny: false}
  enforcement: {mode: Audit}
P
# The CRD is looked for every resync period when that is under 30 s.
printf 'log: {level: debug}\nresyncPeriod: 2s\n' >"$work/config.yaml"
probe_port=$(free_port)
start_own_operator operator --health-probe-bind-address "127.0.0.1:$probe_port"
pid=$started_pid

check "without the CRDs: Reports=False, ReportsNotServed, Ready stays True" eventually 30 \
  condition_is False/ReportsNotServed/True
check "the operator is ready without them" eventually 20 bash -c \
  "curl -fsS http://127.0.0.1:$probe_port/readyz >/dev/null"
check "the log says how they are picked up" grep -q 'none are written until reports.openreports.io is installed' "$work/operator.log"

$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
check "the CRDs installed: a Report for each workload, from the same process" eventually 30 bash -c \
  "[ \$($kubectl -n late-shop get reports --no-headers 2>/dev/null | grep -c .) -eq 2 ]"
check "... the violating one fails privileged" bash -c \
  "[ \"\$($kubectl -n late-shop get report deployment-bad -o jsonpath='{.results[?(@.rule==\"privileged\")].result}')\" = fail ]"
check "... the condition turns True, ReportsServed" eventually 20 condition_is True/ReportsServed/True
check "... the process never restarted" kill -0 "$pid"
check "... the log says the CRD is served now" grep -q 'reports: reports.openreports.io is served now' "$work/operator.log"

versions() { $kubectl -n late-shop get reports -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'; }
count=$(grep -c 'resync: judging everything again' "$work/operator.log")
before=$(versions)
eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((count + 2)) ]"
check "two resyncs write no report" [ "$(versions)" = "$before" ]

if grep -qiE 'forbidden|: 403 ' "$work/operator.log"; then
  fail "refused: $(grep -iE 'forbidden|: 403 ' "$work/operator.log" | head -2)"
else
  ok "its own RBAC was enough"
fi
stop_operator "$pid" >/dev/null
finish
