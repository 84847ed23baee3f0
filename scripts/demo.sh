#!/usr/bin/env bash
# Quick start, first command: set up and build; bring up the local control plane (e2e/cluster);
# install the CRD, the operator's RBAC, the sample policies and the insecure sample workloads;
# run the operator as its own ServiceAccount; and show the posture: `kubectl get secpol`, the
# annotated workloads, the quarantined pods and the metrics. Then the same engine offline:
# `bulwark scan` on the sample manifests.
# Where the machine allows it (root, cgroup v1), the cluster has a real node (up.sh --real-node):
# the workloads' pods run (the test image under their image names, serving HTTP on 8080), and a
# probe with packets shows the quarantined pod cut off. Elsewhere it says why and shows the
# objects only.
#   usage: scripts/demo.sh [--keep] [--no-real-node]
#   --keep  leave the control plane and the operator running to explore (the script prints how
#           to stop them); by default it stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=false real_node=true
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    --no-real-node) real_node=false ;;
    *) echo "usage: scripts/demo.sh [--keep] [--no-real-node]" >&2; exit 2 ;;
  esac
done
why=""
if ! $real_node; then why="--no-real-node"
elif [ "$(id -u)" -ne 0 ]; then why="not root (a node needs network namespaces, cgroups, containerd)"
elif [ ! -d /sys/fs/cgroup/pids ]; then why="no cgroup v1 hierarchies (the node's kubelet is set up for cgroup v1)"
fi
[ -z "$why" ] || real_node=false
scripts/setup.sh
command -v go >/dev/null || { echo "Go 1.26 or newer is needed to build the local control plane" >&2; exit 2; }
build=$(scripts/build.sh release)
bulwark=$build/operator/bulwark
e2e/cluster/build.sh >/dev/null  # cached after the first build (about 13 minutes on 2 cores)
if $real_node; then e2e/cluster/build.sh node >/dev/null; fi  # about 3 minutes the first time

cluster=$(mktemp -d /tmp/bulwark-demo.XXXXXX)
operator_pid=""
stop() {
  [ -n "$operator_pid" ] && kill "$operator_pid" 2>/dev/null && wait "$operator_pid" 2>/dev/null || true
  e2e/cluster/down.sh "$cluster" >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
$keep || trap stop EXIT
in_ns=()
if $real_node; then
  echo "== starting a local control plane and a real node (198.18.0.1) in $cluster"
  e2e/cluster/up.sh --real-node "$cluster" >/dev/null
  . "$cluster/node.env"
  # The cluster's loopback is its network namespace's: every client runs there.
  in_ns=(nsenter --net="/run/netns/$NETNS" --)
else
  echo "== starting a local control plane in $cluster (no real node: $why)"
  e2e/cluster/up.sh "$cluster" >/dev/null
fi
. "$cluster/env"
export KUBECONFIG=$cluster/kubeconfig
kubectl="${in_ns[*]} $BIN/kubectl"

echo "== installing the CRD, the operator's namespace and RBAC, sample policies and workloads"
$kubectl apply -f crds/securitypolicy.yaml -f deploy/operator/namespace.yaml -f deploy/operator/rbac.yaml >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
for ns in shop batch monitoring; do
  $kubectl create namespace "$ns" >/dev/null
  $kubectl label namespace "$ns" env=prod >/dev/null
done
$kubectl label namespace monitoring bulwark.dev/enforce=quarantine >/dev/null
$kubectl apply -f deploy/samples/policies/ >/dev/null
if $real_node; then
  # The pods run the test image under their own image names (never pulled), serving HTTP; shop is
  # also under the quarantine policy, for the probe below.
  $kubectl label namespace shop bulwark.dev/enforce=quarantine >/dev/null
  $kubectl create --dry-run=client -o json -f deploy/samples/workloads/ >"$cluster/samples.json"
  mapfile -t images < <(python3 scripts/demo_on_node.py images <"$cluster/samples.json")
  e2e/cluster/node.sh alias "$cluster" "${images[@]}"
  python3 scripts/demo_on_node.py manifests <"$cluster/samples.json" | $kubectl apply -f - >/dev/null
else
  $kubectl apply -f deploy/samples/workloads/ >/dev/null
fi

"${in_ns[@]}" e2e/cluster/sa-kubeconfig.sh "$cluster" "$cluster/bulwark.kubeconfig" 24h
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
metrics=127.0.0.1:$(port) probes=127.0.0.1:$(port) webhook=127.0.0.1:$(port)
"${in_ns[@]}" "$bulwark" run --kubeconfig "$cluster/bulwark.kubeconfig" --metrics-bind-address "$metrics" \
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
# The demo runs the operator as a host process, where every probe is the node's own traffic:
# the enforcement canary says it proves nothing from there (e2e.real_node_enforcement runs it as
# a pod, where each node gets Enforced or NotEnforced).
echo "== does the network plugin enforce NetworkPolicy? (the enforcement canary, NetworkEnforced)"
$kubectl get secpol quarantine-baseline \
  -o jsonpath='{range .status.conditions[?(@.type=="NetworkEnforced")]}{.status}/{.reason}: {.message}{"\n"}{end}'
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
if $real_node; then
  echo "== quarantined pods (Running on the real node)"
  deadline=$(( $(date +%s) + 60 ))
  until [ "$($kubectl -n shop get pod debug -o jsonpath='{.status.phase}/{.metadata.labels.bulwark\.dev/quarantine}' 2>/dev/null)" = Running/true ]; do
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.5
  done
  $kubectl get pods -A -l bulwark.dev/quarantine=true -o wide 2>&1
else
  echo "== quarantined pods (a DaemonSet has pods only on nodes, and this control plane has none)"
  $kubectl get pods -A -l bulwark.dev/quarantine=true 2>&1
fi
echo
echo "== the NetworkPolicies Bulwark keeps (Enforce policies only; Audit changes nothing)"
$kubectl get networkpolicies -A -l app.kubernetes.io/managed-by=bulwark
echo
echo "== namespaces an Audit policy reports for want of a default-deny NetworkPolicy"
$kubectl get secpol -o jsonpath='{range .items[*]}{range .status.violations[?(@.kind=="Namespace")]}{.namespace}{"\t"}{.controls[*]}{"\n"}{end}{end}' | sort -u
echo
echo "== metrics at http://$metrics/metrics (a sample)"
"${in_ns[@]}" curl -sf "http://$metrics/metrics" | grep -E '^bulwark_(cluster_posture_score|posture_score|workloads\{.*state="(violating|quarantined)")' | grep -v ' 0$' | head -n 12

if $real_node; then
  echo
  echo "== a probe with packets (HTTP to a web pod, 2 s timeout): the quarantined debug pod is cut off"
  web_ip=$($kubectl -n shop get pods -l app=web -o jsonpath='{.items[0].status.podIP}')
  for pod in cache-0 debug; do
    answer=$($kubectl -n shop exec "$pod" -- sh -c \
      "printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 $web_ip 8080" 2>/dev/null | tail -n 1 || true)
    quarantined=$($kubectl -n shop get pod "$pod" -o jsonpath='{.metadata.labels.bulwark\.dev/quarantine}')
    printf '  %-8s (quarantined: %-5s) -> web %s:8080: %s\n' "$pod" "${quarantined:-no}" "$web_ip" \
      "$([ "$answer" = ok ] && echo connected || echo 'no answer (cut off)')"
  done
fi

echo
echo "== the same engine offline: bulwark scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml"
"$bulwark" scan -f deploy/samples/workloads --policy deploy/samples/policies/prod-restricted.yaml | tail -n 1 || true

if $real_node; then
  # Last: the operator as users run it, the shipped Deployment in the cluster, from the image
  # scripts/image.sh builds (no Docker, no registry), taking over from the process above.
  echo
  echo "== the operator as a pod: scripts/image.sh, ctr images import, kubectl apply -k deploy/operator"
  kill "$operator_pid" 2>/dev/null && wait "$operator_pid" 2>/dev/null || true
  operator_pid=""
  image_tar=$(scripts/image.sh "$cluster/bulwark-image.tar" 2>/dev/null)
  ctr --address "$cluster/node/containerd.sock" -n k8s.io images import "$image_tar" >/dev/null
  $kubectl apply -k deploy/operator >/dev/null
  deadline=$(( $(date +%s) + 120 ))
  until [ "$($kubectl -n bulwark-system get deploy bulwark -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = 2 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "the Deployment was not Ready in 120 s" >&2; break; }
    sleep 1
  done
  $kubectl -n bulwark-system get pods -o wide
  echo "leader: $($kubectl -n bulwark-system get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}')"
fi

if $keep; then
  echo
  echo "Left running. Explore with: export KUBECONFIG=$cluster/kubeconfig; $kubectl get secpol -o yaml"
  $real_node && echo "(clients run in the cluster's network namespace: ${in_ns[*]})"
  echo "Stop with: ${operator_pid:+kill $operator_pid; }e2e/cluster/down.sh $cluster; rm -rf $cluster"
fi
