#!/usr/bin/env bash
# Benchmark, not a test (run it through e2e/with_cluster.sh): policy reports at scale. 2,000
# Deployments of 5 pods (10,000 pods, 20 namespaces, a quarter privileged) wait for the operator,
# which runs with the OpenReports CRDs and client.qps 1000; a baseline Audit policy is then
# created. Prints the time from the policy's creation to every report written, the operator's
# writes (from the API server's audit log: the annotation patches, the report applies, Events),
# and the reports' total size in the API server, compliant and failing apart. Then the upgrade
# from reports that list every passing control (reports.passes: list, as every release before
# the summary wrote them) to the shipped summary: the operator restarted with the default, the
# time until every report is rewritten, its writes, and the sizes after.
#   usage: e2e/with_cluster.sh e2e/bench/reports_bench.sh BULWARK_BINARY [DEPLOYMENTS]
set -uo pipefail
bulwark=$1
deployments=${2:-2000}
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"

crds=$("$root/e2e/cluster/report_crds.sh") || exit 1
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
install_prerequisites
python3 - "$deployments" >"$work/workloads.json" <<'PY'
import json, sys
n = int(sys.argv[1])
items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rb-%d" % i}} for i in range(20)]
for d in range(n):
    priv = d % 4 == 0
    items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "app-%d" % d, "namespace": "rb-%d" % (d % 20)},
                  "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "app-%d" % d}},
                           "template": {"metadata": {"labels": {"app": "app-%d" % d}},
                                        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0",
                                                                 "securityContext": {"privileged": priv}}]}}}})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PY
start=$(date +%s)
$kubectl apply --server-side -f "$work/workloads.json" >/dev/null
eventually 600 bash -c "[ \$($kubectl get pods -A -o name | grep -c .) -ge $((deployments * 5)) ]" ||
  { echo "the controller manager did not create $((deployments * 5)) pods within 10 minutes" >&2; exit 1; }
echo "workloads: $deployments Deployments, $((deployments * 5)) pods created in $(( $(date +%s) - start )) s"

printf 'log: {level: info}\nclient: {qps: 1000, burst: 1000}\nworkers: 4\nreports: {passes: list}\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid
eventually 120 bash -c "grep -q 'controllers started\|caches synced' '$work/operator.log'"
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
t0=$(date +%s.%N)
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: rb-baseline}
spec:
  podSecurity: {level: baseline}
  network: {defaultDeny: false}
P
eventually 600 bash -c "[ \$($kubectl get reports -A --no-headers 2>/dev/null | grep -c .) -ge $deployments ]" ||
  { echo "not every report was written within 10 minutes" >&2; stop_operator "$pid" >/dev/null; exit 1; }
t1=$(date +%s.%N)
echo "every report written $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s after the policy was created"
python3 "$root/e2e/faults/audit_writes.py" "$BULWARK_E2E_CLUSTER/logs/audit.log" bulwark/ "$since" >"$work/writes.txt"
echo "operator writes: $(head -1 "$work/writes.txt") in all; by resource:"
tail -n +2 "$work/writes.txt" | awk '{print $2, $3}' | sort | uniq -c | sort -rn | head -6
# sizes: each report as the API server keeps it (JSON, managedFields and all: what etcd stores of
# a custom resource), compliant ones and failing ones apart.
sizes() {
$kubectl get reports -A -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
def line(what, group):
    sizes = sorted(len(json.dumps(i, separators=(",", ":"))) for i in group)
    if sizes: print("reports %s: %d, %.2f MiB in all, %d bytes median, %d largest" % (what, len(sizes), sum(sizes) / 1048576, sizes[len(sizes) // 2], sizes[-1]))
line("in all", items)
line("compliant", [i for i in items if i.get("summary", {}).get("fail", 0) == 0])
line("failing", [i for i in items if i.get("summary", {}).get("fail", 0) > 0])'
}
echo "listing every passing control (reports.passes: list):"
sizes
stop_operator "$pid" >/dev/null

# The upgrade: the same operator with the shipped default rewrites every report once, in its
# start's pass.
printf 'log: {level: info}\nclient: {qps: 1000, burst: 1000}\nworkers: 4\n' >"$work/config.yaml"
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
t0=$(date +%s.%N)
start_own_operator operator-upgraded
pid=$started_pid
summarised() {
  [ "$($kubectl get reports -A -o json | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(sum(1 for i in items if not any(r.get("result") == "pass" and r.get("rule") != "passing" for r in i.get("results", []))))')" -ge "$deployments" ]
}
eventually 600 summarised || { echo "not every report was rewritten within 10 minutes" >&2; stop_operator "$pid" >/dev/null; exit 1; }
echo "upgraded: every report summarised $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s after the operator started with the default"
python3 "$root/e2e/faults/audit_writes.py" "$BULWARK_E2E_CLUSTER/logs/audit.log" bulwark/ "$since" >"$work/writes.txt"
echo "its writes: $(head -1 "$work/writes.txt") in all; by resource:"
tail -n +2 "$work/writes.txt" | awk '{print $2, $3}' | sort | uniq -c | sort -rn | head -6
echo "summarising passing controls (the default):"
sizes
stop_operator "$pid" >/dev/null
