#!/usr/bin/env bash
# The simulated nodes of up.sh --kwok N (run through e2e/with_cluster.sh --kwok 2): the nodes are
# Ready and schedulable, a Deployment's pods and a DaemonSet's (one a node) are scheduled and
# Running, and every pod has an address of its own inside its node's podCIDR, inside
# 198.19.0.0/16, apart from any node's address (kwok.sh). Prints "N passed, M failed" last.
set -uo pipefail
kubectl() { "$BIN/kubectl" --kubeconfig "$BULWARK_E2E_CLUSTER/kubeconfig" "$@"; }
# shellcheck disable=SC1091
. "$BULWARK_E2E_CLUSTER/env"
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

nodes=$(kubectl get nodes -l type=kwok --no-headers | grep -cw Ready)
[ "$nodes" -eq "${KWOK_NODES:-0}" ] && [ "$nodes" -ge 2 ] && ok "$nodes simulated nodes are Ready" \
  || fail "simulated nodes Ready: $nodes of ${KWOK_NODES:-?}"

kubectl create namespace kwok-test >/dev/null
cat <<'W' | kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: kwok-test}
spec:
  replicas: 30
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kwok-test}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: registry.example.com/agent:1.0}]}
W
running() {
  [ "$(kubectl -n kwok-test get pods --field-selector status.phase=Running --no-headers | wc -l)" -ge $((30 + nodes)) ]
}
eventually 120 running && ok "a Deployment's 30 pods and a DaemonSet's $nodes are Running" \
  || fail "pods Running: $(kubectl -n kwok-test get pods --no-headers | awk '{print $3}' | sort | uniq -c | tr '\n' ' ')"

# Addresses: each pod's inside its node's podCIDR and its own; nodes' (if any) outside them all.
kubectl get nodes -l type=kwok -o json >/tmp/kwok-test-nodes.$$
kubectl -n kwok-test get pods -o json >/tmp/kwok-test-pods.$$
if problems=$(python3 - /tmp/kwok-test-nodes.$$ /tmp/kwok-test-pods.$$ <<'PY'
import ipaddress, json, sys
nodes = json.load(open(sys.argv[1]))["items"]
pods = json.load(open(sys.argv[2]))["items"]
ours = ipaddress.ip_network("198.19.0.0/16")
cidr = {n["metadata"]["name"]: ipaddress.ip_network(n["spec"]["podCIDR"]) for n in nodes}
node_ips = [ipaddress.ip_address(a["address"]) for n in nodes
            for a in n["status"].get("addresses") or [] if a["type"] == "InternalIP"]
problems, seen = [], {}
for ip in node_ips:
    if ip not in ours or any(ip in c for c in cidr.values()):
        problems.append("node address %s inside a podCIDR or outside 198.19.0.0/16" % ip)
for p in pods:
    name, ips = p["metadata"]["name"], p["status"].get("podIPs", [])
    node = p["spec"].get("nodeName", "")
    if len(ips) != 1:
        problems.append("%s has addresses %s" % (name, ips)); continue
    ip = ipaddress.ip_address(ips[0]["ip"])
    if node not in cidr or ip not in cidr[node] or ip not in ours:
        problems.append("%s on %s has %s, outside %s" % (name, node, ip, cidr.get(node)))
    if ip in seen:
        problems.append("%s and %s share %s" % (name, seen[ip], ip))
    seen[ip] = name
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
); then ok "every pod has its own address in its node's podCIDR, apart from the nodes'"
else fail "addresses: $problems"; fi
rm -f /tmp/kwok-test-nodes.$$ /tmp/kwok-test-pods.$$

finish
