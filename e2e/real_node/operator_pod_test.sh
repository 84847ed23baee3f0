#!/usr/bin/env bash
# The operator as a pod (issue 23), on the real node: the image of scripts/image.sh imported into
# containerd under the name the shipped Deployment uses, and deploy/operator applied as users
# apply it (kubectl apply -k; nothing patched). Checks:
# - both replicas Running and Ready through the kubelet's own probes, in-cluster configuration
#   (the mounted token and CA, the `kubernetes` Service through kube-proxy) under the operator's
#   own NetworkPolicy, enforced by kube-router;
# - one leads (the Lease names it); it annotates a violating workload of a sample policy;
# - the leader pod deleted: the other takes the Lease within the lease duration and goes on;
# - /metrics (8443) reachable from a pod in another namespace, as Prometheus scrapes it;
# - the same with the Helm chart: helm install, both replicas Ready.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/operator_pod_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
. "$BULWARK_E2E_CLUSTER/node.env"
ns=bulwark-system
diagnose() {
  $kubectl -n "$ns" get pods -o wide 2>&1 | sed 's/^/  /'
  for p in $($kubectl -n "$ns" get pods -o name 2>/dev/null); do
    echo "  --- $p"; $kubectl -n "$ns" logs "$p" --tail 15 2>&1 | sed 's/^/  /'
  done
  $kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -10 | sed 's/^/  /'
}
check() {
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; diagnose; fi
}
ready_replicas() { $kubectl -n "$ns" get deploy bulwark -o jsonpath='{.status.readyReplicas}' 2>/dev/null; }
holder() { $kubectl -n "$ns" get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }

"$root/scripts/image.sh" "$work/image.tar" >/dev/null 2>"$work/image.log" || { fail "scripts/image.sh"; cat "$work/image.log"; finish; exit 1; }
ctr --address "$BULWARK_E2E_CLUSTER/node/containerd.sock" -n k8s.io images import "$work/image.tar" >/dev/null
$kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
$kubectl apply -k "$root/deploy/operator" >/dev/null 2>"$work/apply.log" || { fail "kubectl apply -k deploy/operator"; cat "$work/apply.log"; }
check "deploy/operator as shipped: both replicas Running and Ready through the kubelet's probes" \
  eventually 120 bash -c "[ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.status.readyReplicas}')\" = 2 ]"
check "one of the pods leads (the Lease names it)" eventually 60 bash -c \
  "h=\$($kubectl -n $ns get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && $kubectl -n $ns get pod \"\${h%%_*}\""

$kubectl create namespace op-shop >/dev/null
$kubectl label namespace op-shop env=prod >/dev/null
deployment op-shop worse 1 true
$kubectl apply -f "$root/deploy/samples/policies/prod-restricted.yaml" >/dev/null
annotation() { $kubectl -n op-shop get deploy "$1" -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}' 2>/dev/null; }
check "the leader judges a workload of a sample policy (in-cluster config, through its NetworkPolicy)" \
  eventually 60 bash -c "[ \"\$($kubectl -n op-shop get deploy worse -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"

leader=$(holder); leader_pod=${leader%%_*}
start=$(date +%s)
$kubectl -n "$ns" delete pod "$leader_pod" --wait=false >/dev/null
if eventually 60 bash -c "h=\$($kubectl -n $ns get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}'); [ -n \"\$h\" ] && [ \"\${h%%_*}\" != '$leader_pod' ]"; then
  ok "the leader pod deleted: the other replica leads after $(( $(date +%s) - start )) s (lease 15 s)"
else
  fail "no hand-over after the leader pod was deleted"; diagnose
fi
deployment op-shop worse2 1 true
check "... and goes on judging" eventually 60 bash -c \
  "[ \"\$($kubectl -n op-shop get deploy worse2 -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"

# A Prometheus-style scrape from another namespace reaches /metrics through the NetworkPolicy.
cat <<'POD' | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: scraper, namespace: op-shop}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: bulwark.test/image:busybox, imagePullPolicy: Never, command: [sleep, "100000"]}
POD
eventually 60 bash -c "[ \"\$($kubectl -n op-shop get pod scraper -o jsonpath='{.status.phase}')\" = Running ]"
ip=$($kubectl -n "$ns" get pods -l app.kubernetes.io/name=bulwark -o jsonpath='{.items[0].status.podIP}')
check "a pod in another namespace connects to /metrics (8443) as Prometheus scrapes it" \
  $kubectl -n op-shop exec scraper -- sh -c "printf '' | nc -w 3 $ip 8443"

# The chart, with the image reference.
$kubectl delete -k "$root/deploy/operator" --ignore-not-found --wait=true >/dev/null 2>&1
eventually 60 bash -c "[ -z \"\$($kubectl -n $ns get pods -o name 2>/dev/null)\" ]"
helm=$("$root/e2e/cluster/build.sh" helm)/helm
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
$kubectl create namespace "$ns" >/dev/null 2>&1
$kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted --overwrite >/dev/null
if "$helm" install bulwark "$root/deploy/helm/bulwark" -n "$ns" \
     --set image.repository=ghcr.io/bulwark-dev/bulwark --set image.tag=0.1.0 >"$work/helm.log" 2>&1; then
  check "helm install with the image reference: both replicas Running and Ready" \
    eventually 120 bash -c "[ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.status.readyReplicas}')\" = 2 ]"
else
  fail "helm install"; cat "$work/helm.log"
fi
finish
