#!/usr/bin/env bash
# Simulated nodes for scale (up.sh --kwok N): kube-scheduler and KWOK (sigs.k8s.io/kwok v0.8.0,
# built and cached by build.sh kwok) beside the control plane of DIR, and N Node objects KWOK
# keeps Ready, so pods are scheduled and Running and DaemonSets have pods, with no container
# anywhere. Pods take addresses from 198.19.0.0/16 (node i's: 198.19.4i.0/22, with room for 1,020
# pods, so a node's pods never outnumber its addresses: KWOK hands out a node's podCIDR and, past
# its end, gave two pods one address, which the API server refuses); the nodes keep no address
# (their status as KWOK writes it). Nothing ever dials them: no logs, exec or scrapes of KWOK
# pods. KWOK's stages are
# the module's own (node initialize and heartbeat, pod ready, complete and delete).
#   usage: e2e/cluster/kwok.sh start DIR N
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "${2:?usage: e2e/cluster/kwok.sh start DIR N}" && pwd)
nodes=${3:-10}
timeout=${BULWARK_CLUSTER_TIMEOUT:-60}
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck disable=SC1091
. "$dir/env"
# 63 nodes of 1,020 pods: up to 64,260 pods, each node's /22 inside 198.19.0.0/16.
[ "$nodes" -ge 1 ] && [ "$nodes" -le 63 ] || { echo "kwok.sh: between 1 and 63 nodes" >&2; exit 2; }

start_bg() {  # start_bg N-NAME BINARY ARGS...: as up.sh's start
  local name=$1; shift
  nohup "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
  echo "$1" >"$dir/pids/$name.exe"
}
kubectl() { "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

node_bin=$("$here/build.sh" node)
kwok_bin=$("$here/build.sh" kwok)
stages=$(cd "$here/tools/k8s" && GOMODCACHE=${BULWARK_CACHE:-$HOME/.cache/bulwark}/go/mod GOTOOLCHAIN=local \
  GOFLAGS=-mod=mod go mod download -json sigs.k8s.io/kwok |
  python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))')/kustomize/stage
mkdir -p "$dir/kwok"
for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml \
         pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  cat "$stages/$f"; echo "---"
done >"$dir/kwok/stages.yaml"

sched_port=$(free_port)
start_bg 4-kube-scheduler "$node_bin/kube-scheduler" --kubeconfig "$dir/kubeconfig" \
  --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port "$sched_port" \
  --kube-api-qps 1000 --kube-api-burst 2000
scheduler_ready() {  # answered by this cluster's scheduler, not another's on a reused port
  curl -skf "https://127.0.0.1:$sched_port/healthz" \
    && owns_port "$(cat "$dir/pids/4-kube-scheduler.pid")" "$sched_port"
}
wait_for 4-kube-scheduler scheduler_ready
start_bg 5-kwok "$kwok_bin/kwok" --kubeconfig "$dir/kubeconfig" --config "$dir/kwok/stages.yaml" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr 198.19.0.0/16 --node-ip 198.19.0.1 --server-address 127.0.0.1:0
python3 - "$nodes" <<'PY' | kubectl apply -f - >/dev/null
import json, sys
n = int(sys.argv[1])
items = [{"apiVersion": "v1", "kind": "Node",
          "metadata": {"name": "kwok-node-%d" % i, "labels": {"type": "kwok", "kubernetes.io/os": "linux"},
                       "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
          "spec": {"podCIDR": "198.19.%d.0/22" % (4 * i)},
          "status": {"allocatable": {"cpu": "64", "memory": "256Gi", "pods": "1020"},
                     "capacity": {"cpu": "64", "memory": "256Gi", "pods": "1020"}}}
         for i in range(1, n + 1)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)
PY
ready() { [ "$(kubectl get nodes -l type=kwok --no-headers 2>/dev/null | grep -cw Ready)" -eq "$nodes" ]; }
wait_for 5-kwok ready
# The not-ready taint admission puts on every new node goes only with the node-lifecycle
# controller, which this control plane does not run.
kubectl taint nodes -l type=kwok node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
echo "KWOK_NODES=$nodes" >>"$dir/env"
echo "$nodes simulated nodes Ready (KWOK, 198.19.0.0/16)"
