#!/usr/bin/env bash
# Real packets (issue 19), on the real node of `with_cluster.sh --real-node`, enforced by
# kube-router: the truth table of who can reach whom, as the operator changes it.
#   pods: good and bad (privileged: it violates baseline) in rp-a, peer in rp-b, each serving HTTP
#   on 8080; dns in rp-dns, answering DNS on udp/53 (e2e/cluster/node/dns_responder.c).
#   1. no policy: every pair connects;
#   2. an Enforce policy on rp-a and rp-b with defaultDeny and Quarantine: nothing connects but
#      DNS, and the quarantined bad reaches nothing, DNS included, and nothing reaches it;
#   3. bad fixed: its new pod is released and has DNS again (still under default-deny);
#   4. the policy back in Audit, then deleted: every pair connects again.
# Beside them, node-agent in rp-a: a host-network Deployment (as the demo's node-agent DaemonSet)
# serving HTTP on the node's address. It violates baseline, but NetworkPolicy does not isolate
# host-network pods: it is reached from pods and from the node before and after Enforce, and
# Bulwark must say so (no quarantine label, not counted, Event QuarantineNotEnforced), never call
# it quarantined.
# Each cell is a real exchange (HTTP over TCP with nc, DNS over UDP with nslookup) with a 2-second timeout, run in
# the source pod with kubectl exec; a phase polls the whole matrix until it is as expected, and
# prints it when it never is.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/packets_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"

image=bulwark.test/image:busybox
sources=(good bad peer)
targets=(good bad peer dns)
declare -A ns_of=([good]=rp-a [bad]=rp-a [peer]=rp-b [dns]=rp-dns)

# workload NAME PRIVILEGED COMMAND...: a one-pod Deployment of the test image.
workload() {
  local name=$1 privileged=$2; shift 2
  local command
  command=$(printf '"%s",' "$@")
  cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: ${ns_of[$name]}}
spec:
  replicas: 1
  selector: {matchLabels: {app: $name}}
  template:
    metadata: {labels: {app: $name}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: $image
        imagePullPolicy: Never
        command: [${command%,}]
        securityContext: {privileged: $privileged}
D
}

# node_agent PORT: the host-network Deployment, serving on the node's address only.
node_agent() {
  cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: node-agent, namespace: rp-a}
spec:
  replicas: 1
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 0
      containers:
      - {name: agent, image: $image, imagePullPolicy: Never, command: [httpd, -f, -p, "198.18.0.1:$1", -h, /www]}
D
}
agent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("198.18.0.1", 0)); print(s.getsockname()[1])')
# agent_reach: "good=1 dns=1 node=1": whether node-agent answers HTTP from a pod under the policy
# (good), one outside it (dns) and the node.
agent_reach() {
  local src line="" pod
  for src in good dns; do
    pod=$(pod_of "$src" | cut -d' ' -f1)
    [ "$($kubectl -n "${ns_of[$src]}" exec "$pod" -- sh -c \
        "printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 198.18.0.1 $agent_port" 2>/dev/null | tail -n 1)" = ok ] &&
      line+="$src=1 " || line+="$src=0 "
  done
  python3 - "$agent_port" <<'PY' && line+="node=1" || line+="node=0"
import socket, sys
s = socket.create_connection(("198.18.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
sys.exit(0 if data.rstrip().endswith(b"ok") else 1)
PY
  echo "$line"
}
agent_running() { [ -n "$($kubectl -n rp-a get pods -l app=node-agent --field-selector status.phase=Running -o name 2>/dev/null)" ]; }

# The running pod of a workload, and its IP.
pod_of() {
  $kubectl -n "${ns_of[$1]}" get pods -l "app=$1" \
    -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name}{" "}{.status.podIP}{"\n"}{end}' 2>/dev/null |
    grep -v '^ *$' | head -n 1
}
all_running() {
  local w
  for w in "${targets[@]}"; do
    [ "$($kubectl -n "${ns_of[$w]}" get pods -l "app=$w" --no-headers 2>/dev/null | wc -l)" -eq 1 ] || return 1
    [ -n "$(pod_of "$w")" ] || return 1
  done
}

# probe SOURCE TARGET: prints 1 when SOURCE's pod reaches TARGET's (HTTP on 8080, or DNS on 53).
probe() {
  local src=$1 dst=$2 src_pod dst_ip
  src_pod=$(pod_of "$src" | cut -d' ' -f1)
  dst_ip=$(pod_of "$dst" | cut -d' ' -f2)
  if [ -z "$src_pod" ] || [ -z "$dst_ip" ]; then echo "?"; return; fi
  if [ "$dst" = dns ]; then
    $kubectl -n "${ns_of[$src]}" exec "$src_pod" -- timeout 3 nslookup probe.bulwark.test "$dst_ip" 2>/dev/null |
      grep -q 198.19.0.53 && echo 1 || echo 0
  else
    # nc, not wget: Debian's static busybox wget crashes.
    [ "$($kubectl -n "${ns_of[$src]}" exec "$src_pod" -- sh -c \
        "printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 2 $dst_ip 8080" 2>/dev/null | tail -n 1)" = ok ] &&
      echo 1 || echo 0
  fi
}

# matrix: one line per source, "src: good=1 bad=0 peer=1 dns=1" (self cells left out), probed
# in parallel.
matrix() {
  local src dst out=$work/matrix
  mkdir -p "$out"; rm -f "$out"/*
  for src in "${sources[@]}"; do
    for dst in "${targets[@]}"; do
      [ "$src" = "$dst" ] && continue
      probe "$src" "$dst" >"$out/$src-$dst" &
    done
  done
  wait
  for src in "${sources[@]}"; do
    local line="$src:"
    for dst in "${targets[@]}"; do
      [ "$src" = "$dst" ] && continue
      line+=" $dst=$(cat "$out/$src-$dst")"
    done
    echo "$line"
  done
}

# expect PHASE WANT: polls the matrix for 40 s until it is WANT; prints both if it never is.
expect() {
  local phase=$1 want=$2 got deadline=$(( $(date +%s) + 40 ))
  while :; do
    got=$(matrix)
    [ "$got" = "$want" ] && { ok "$phase"; return 0; }
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 1
  done
  fail "$phase"
  echo "want:"; echo "$want" | sed 's/^/  /'
  echo "got:"; echo "$got" | sed 's/^/  /'
  $kubectl get networkpolicies -A 2>&1 | sed 's/^/  /'
  $kubectl get pods -A -L bulwark.dev/quarantine -o wide 2>&1 | sed 's/^/  /'
}

everything='good: bad=1 peer=1 dns=1
bad: good=1 peer=1 dns=1
peer: good=1 bad=1 dns=1'

install_prerequisites
for n in rp-a rp-b rp-dns; do $kubectl create namespace "$n" >/dev/null; done
$kubectl label namespace rp-a packets=on >/dev/null
$kubectl label namespace rp-b packets=on >/dev/null
workload good false httpd -f -p 8080 -h /www
workload bad true httpd -f -p 8080 -h /www
workload peer false httpd -f -p 8080 -h /www
workload dns false dns-responder
node_agent "$agent_port"
if eventually 90 all_running && eventually 30 agent_running; then ok "every pod Running on the real node"; else
  fail "the pods never ran"; $kubectl get pods -A -o wide; $kubectl get events -A | tail -20
  finish; exit 1
fi
expect "1 no policy: every pair connects" "$everything"
[ "$(agent_reach)" = "good=1 dns=1 node=1" ] && ok "1 the host-network node-agent answers pods and the node" \
  || fail "1 node-agent before the policy: $(agent_reach)"

printf 'log: {level: debug}\nresyncPeriod: 30s\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid
policy() {  # policy MODE
  cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: packets}
spec:
  match: {namespaceSelector: {matchLabels: {packets: "on"}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
  network: {defaultDeny: true}
  enforcement: {mode: $1, actions: [Annotate, Quarantine]}
P
}
policy Enforce
expect "2 Enforce: nothing connects but DNS; the quarantined pod reaches nothing and nothing reaches it" \
'good: bad=0 peer=0 dns=1
bad: good=0 peer=0 dns=0
peer: good=0 bad=0 dns=1'
# The same policy finds node-agent violating (hostNetwork), but cannot isolate it.
agent_said() {
  [ "$($kubectl -n rp-a get deploy node-agent -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')" = violating ] &&
    $kubectl get events -n rp-a --field-selector involvedObject.name=node-agent,reason=QuarantineNotEnforced \
      -o jsonpath='{.items[*].message}' | grep -q '^HostNetwork: '
}
eventually 30 agent_said && [ -z "$($kubectl -n rp-a get pods -l app=node-agent,bulwark.dev/quarantine -o name)" ] \
  && ok "2 node-agent is violating, never labelled quarantined, and an Event says QuarantineNotEnforced (HostNetwork)" \
  || fail "2 node-agent under Enforce: $($kubectl -n rp-a get pods -l app=node-agent -L bulwark.dev/quarantine --no-headers)"
[ "$($kubectl get secpol packets -o jsonpath='{.status.summary.violating}/{.status.summary.quarantined}')" = 2/1 ] \
  && ok "2 the policy counts two violating workloads and one quarantined (bad, not node-agent)" \
  || fail "2 summary: $($kubectl get secpol packets -o jsonpath='{.status.summary}')"
# good's own egress is under default-deny now; a pod outside the policy and the node still reach
# node-agent, which Bulwark does not call quarantined.
[ "$(agent_reach)" = "good=0 dns=1 node=1" ] && ok "2 and node-agent is still reached from a pod and the node, as Bulwark says" \
  || fail "2 node-agent under Enforce: $(agent_reach)"

workload bad false httpd -f -p 8080 -h /www
eventually 60 bash -c "[ -z \"\$($kubectl -n rp-a get pods -l app=bad,bulwark.dev/quarantine=true -o name)\" ]"
expect "3 bad fixed: its new pod is released and has DNS again, still under default-deny" \
'good: bad=0 peer=0 dns=1
bad: good=0 peer=0 dns=1
peer: good=0 bad=0 dns=1'

workload bad true httpd -f -p 8080 -h /www  # violating again, so Audit has something to release
eventually 60 bash -c "[ -n \"\$($kubectl -n rp-a get pods -l app=bad,bulwark.dev/quarantine=true -o name)\" ]"
policy Audit
expect "4 Audit: every pair connects again" "$everything"
policy Enforce
expect "4 Enforce again: isolated again" \
'good: bad=0 peer=0 dns=1
bad: good=0 peer=0 dns=0
peer: good=0 bad=0 dns=1'
$kubectl delete secpol packets >/dev/null
expect "4 the policy deleted: every pair connects again" "$everything"

if grep -qiE 'forbidden|: 403 ' "$work/operator.log"; then
  fail "the operator was refused: $(grep -iE 'forbidden|: 403 ' "$work/operator.log" | head -2)"
else
  ok "its own RBAC was enough"
fi
stop_operator "$pid" >/dev/null
finish
