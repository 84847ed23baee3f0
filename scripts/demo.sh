#!/usr/bin/env bash
# Quick start, first command: set up and build; bring up the local control plane (e2e/cluster);
# install the CRD, the operator's RBAC, the sample policies and the insecure sample workloads;
# run the operator as its own ServiceAccount; and show the posture: `kubectl get secpol`, the
# annotated workloads, the quarantined pods and the metrics. Then the same engine offline:
# `bulwark scan` on the sample manifests.
#   usage: scripts/demo.sh [--keep]
#   --keep  leave the control plane and the operator running to explore (the script prints how
#           to stop them); by default it stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=false
[ "${1:-}" = --keep ] && keep=true
scripts/setup.sh
command -v go >/dev/null || { echo "Go 1.26 or newer is needed to build the local control plane" >&2; exit 2; }
build=$(scripts/build.sh release)
bulwark=$build/operator/bulwark
e2e/cluster/build.sh >/dev/null  # cached after the first build (about 13 minutes on 2 cores)

cluster=$(mktemp -d /tmp/bulwark-demo.XXXXXX)
operator_pid=""
stop() {
  [ -n "$operator_pid" ] && kill "$operator_pid" 2>/dev/null && wait "$operator_pid" 2>/dev/null || true
  e2e/cluster/down.sh "$cluster" >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
$keep || trap stop EXIT
echo "== starting a local control plane in $cluster"
e2e/cluster/up.sh "$cluster" >/dev/null
. "$cluster/env"
export KUBECONFIG=$cluster/kubeconfig
kubectl="$BIN/kubectl"

echo "== installing the CRD, the operator's namespace and RBAC, sample policies and workloads"
$kubectl apply -f crds/securitypolicy.yaml -f deploy/operator/namespace.yaml -f deploy/operator/rbac.yaml >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
for ns in shop batch monitoring; do
  $kubectl create namespace "$ns" >/dev/null
  $kubectl label namespace "$ns" env=prod >/dev/null
done
$kubectl label namespace monitoring bulwark.dev/enforce=quarantine >/dev/null
$kubectl apply -f deploy/samples/policies/ >/dev/null
$kubectl apply -f deploy/samples/workloads/ >/dev/null

e2e/cluster/sa-kubeconfig.sh "$cluster" "$cluster/bulwark.kubeconfig" 24h
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
metrics=127.0.0.1:$(port) probes=127.0.0.1:$(port) webhook=127.0.0.1:$(port)
"$bulwark" run --kubeconfig "$cluster/bulwark.kubeconfig" --metrics-bind-address "$metrics" \
  --health-probe-bind-address "$probes" --webhook-bind-address "$webhook" 2>"$cluster/operator.log" &
operator_pid=$!
echo "== bulwark run (pid $operator_pid, log $cluster/operator.log)"

# Wait (with a deadline) until both policies report a summary.
deadline=$(( $(date +%s) + 60 ))
until [ -n "$($kubectl get secpol prod-restricted -o jsonpath='{.status.lastEvaluated}' 2>/dev/null)" ] &&
      [ -n "$($kubectl get secpol quarantine-baseline -o jsonpath='{.status.lastEvaluated}' 2>/dev/null)" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "the operator did not report in 60s; see $cluster/operator.log" >&2; exit 1; }
  sleep 0.5
done

echo
echo "== kubectl get secpol"
$kubectl get secpol
echo
echo "== the workloads, as Bulwark annotated them"
{
  echo KIND NAMESPACE NAME POSTURE VIOLATIONS
  for kind in deployments statefulsets daemonsets cronjobs jobs pods; do
    $kubectl get "$kind" -A --no-headers -o custom-columns="KIND:.kind,NAMESPACE:.metadata.namespace,NAME:.metadata.name,POSTURE:.metadata.annotations.bulwark\.dev/posture,VIOLATIONS:.metadata.annotations.bulwark\.dev/violations" 2>/dev/null |
      awk '$4 != "<none>"'
  done
} | awk '{ printf "%-12s %-11s %-15s %-10s %s\n", $1, $2, $3, $4, $5 }'
echo
echo "== quarantined pods (a DaemonSet has pods only on nodes, and this control plane has none)"
$kubectl get pods -A -l bulwark.dev/quarantine=true 2>&1
echo
echo "== the NetworkPolicies Bulwark keeps (Enforce policies only; Audit changes nothing)"
$kubectl get networkpolicies -A -l app.kubernetes.io/managed-by=bulwark
echo
echo "== namespaces an Audit policy reports for want of a default-deny NetworkPolicy"
$kubectl get secpol -o jsonpath='{range .items[*]}{range .status.violations[?(@.kind=="Namespace")]}{.namespace}{"\t"}{.controls[*]}{"\n"}{end}{end}' | sort -u
echo
echo "== metrics at http://$metrics/metrics (a sample)"
curl -sf "http://$metrics/metrics" | grep -E '^bulwark_(cluster_posture_score|posture_score|workloads\{.*state="(violating|quarantined)")' | grep -v ' 0$' | head -n 12

echo
echo "== the same engine offline: bulwark scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml"
"$bulwark" scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml | tail -n 1 || true

if $keep; then
  echo
  echo "Left running. Explore with: export KUBECONFIG=$cluster/kubeconfig; $kubectl get secpol -o yaml"
  echo "Stop with: kill $operator_pid; e2e/cluster/down.sh $cluster; rm -rf $cluster"
fi
