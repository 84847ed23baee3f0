#!/usr/bin/env bash
# Harden on the real node (run it through e2e/with_cluster.sh --real-node): the operator running,
# the chart's bulwark-harden installed, a Deployment of the node's non-root test image
# (bulwark.test/image:nonroot, user 65534) in a namespace that enforces restricted. Its pod is
# admitted only because Harden fixed it, runs and serves, and the kernel holds it to the fixes:
# its process has no effective capability, no_new_privs set and a seccomp filter (/proc/1/status),
# which is what the fields promise and what a runtime could ignore.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/harden_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

install_prerequisites
$kubectl apply -f "$root/deploy/operator/harden.yaml" >/dev/null
$kubectl create namespace hn-shop >/dev/null
$kubectl label namespace hn-shop harden=yes pod-security.kubernetes.io/enforce=restricted >/dev/null
cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: harden}
spec:
  match: {namespaceSelector: {matchLabels: {harden: "yes"}}}
  podSecurity: {level: restricted}
  enforcement: {mode: Enforce, actions: [Annotate, Harden]}
P
start_own_operator operator
hardening() {
  [ "$($kubectl get secpol harden -o jsonpath='{.status.conditions[?(@.type=="Harden")].reason}')" = Hardening ]
}
check "the condition Harden says Hardening" eventually 60 hardening

cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: hn-shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsUser: 65534}
      containers:
      - name: web
        image: bulwark.test/image:nonroot
        command: [httpd, -f, -p, "8080", -h, /www]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
D
ready() {
  [ "$($kubectl -n hn-shop get pods -l app=web -o jsonpath='{.items[0].status.containerStatuses[0].ready}' 2>/dev/null)" = true ]
}
check "restricted admits the hardened pod, and it runs and serves on the real node" eventually 120 ready
pod=$($kubectl -n hn-shop get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
check "its stored securityContext carries the four fixes" python3 -c '
import json, subprocess, sys
pod = json.loads(subprocess.check_output([sys.argv[1], "-n", "hn-shop", "get", "pod", sys.argv[2], "-o", "json"]))
sc = pod["spec"]["containers"][0]["securityContext"]
assert sc == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}, sc' "$kubectl" "$pod"
$kubectl -n hn-shop exec "$pod" -- cat /proc/1/status >"$work/status" 2>&1
check "the kernel holds it: no effective capability" grep -Eq '^CapEff:[[:space:]]+0+$' "$work/status"
check "... no_new_privs set" grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$work/status"
check "... a seccomp filter" grep -Eq '^Seccomp:[[:space:]]+2$' "$work/status"
check "... and user 65534" grep -Eq '^Uid:[[:space:]]+65534' "$work/status"
check "the template itself still violates, and is annotated so" eventually 30 bash -c \
  "[ \"\$($kubectl -n hn-shop get deploy web -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"
finish
