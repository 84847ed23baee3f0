#!/usr/bin/env bash
# Benchmark, not a test (run it through e2e/with_cluster.sh --real-node): how long until packets
# actually stop, measured with packets on the real node through kube-router.
#   1. a running violating pod turns enforced (its policy goes from Audit to Enforce with
#      Quarantine): from the policy's update to its first refused connection;
#   2. bulwark-default-deny deleted by hand: from the deletion to the first refused connection
#      again (0 when traffic never got through).
# Each is tried TRIES times (default 20); prints p50, p99 and the worst. The pods probe from the
# inside: `src` in bp-a connects to `web` in bp-b every 50 ms with a 1 s timeout and logs when
# each attempt began (the kernel's uptime, the clock the host reads too) and whether it
# connected.
#   usage: e2e/with_cluster.sh --real-node e2e/bench/packets_bench.sh BULWARK_BINARY [TRIES]
set -uo pipefail
bulwark=$1
tries=${2:-20}
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"

uptime_cs() { awk '{printf "%d\n", $1 * 100}' /proc/uptime; }  # centiseconds
install_prerequisites
$kubectl create namespace bp-a >/dev/null
$kubectl create namespace bp-b >/dev/null
$kubectl label namespace bp-a bench=on >/dev/null
cat <<'PODS' | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: bp-b, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: web, image: bulwark.test/image:busybox, imagePullPolicy: Never, command: [httpd, -f, -p, "8080", -h, /www]}
PODS
eventually 60 bash -c "[ -n \"\$($kubectl -n bp-b get pod web -o jsonpath='{.status.podIP}')\" ]" || { echo "web never ran"; exit 1; }
web_ip=$($kubectl -n bp-b get pod web -o jsonpath='{.status.podIP}')
cat <<PODS | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: src, namespace: bp-a, labels: {app: src}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: src
    image: bulwark.test/image:busybox
    imagePullPolicy: Never
    securityContext: {privileged: true}
    command: [sh, -c, 'while :; do t=\$(cut -d" " -f1 /proc/uptime); if printf "GET /index.html HTTP/1.0\r\n\r\n" | nc -w 1 $web_ip 8080 2>/dev/null | grep -q "^ok"; then echo "\$t 1"; else echo "\$t 0"; fi; sleep 0.05; done']
PODS
eventually 60 bash -c "[ \"\$($kubectl -n bp-a get pod src -o jsonpath='{.status.phase}')\" = Running ]" || { echo "src never ran"; exit 1; }

printf 'log: {level: info}\nresyncPeriod: 10m\n' >"$work/config.yaml"
start_own_operator operator
policy() {  # policy MODE DEFAULT_DENY
  cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: bench}
spec:
  match: {namespaceSelector: {matchLabels: {bench: "on"}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
  network: {defaultDeny: $2}
  enforcement: {mode: $1, actions: [Annotate, Quarantine]}
P
}
# connected_since FROM: an attempt that began at or after centisecond FROM connected.
connected_since() {
  $kubectl -n bp-a logs src --since=2m 2>/dev/null |
    awk -v from="$1" '{t = int($1 * 100)} t >= from && $2 == 1 {found = 1} END {exit !found}'
}
# first_refused FROM: centiseconds from FROM to the first refused attempt, waiting up to 30 s.
first_refused() {
  local from=$1 deadline=$(( $(date +%s) + 30 )) line
  while [ "$(date +%s)" -lt "$deadline" ]; do
    line=$($kubectl -n bp-a logs src --since=2m 2>/dev/null |
      awk -v from="$from" '{t = int($1 * 100)} t >= from && $2 == 0 {print t; exit}')
    if [ -n "$line" ]; then echo $(( line - from )); return 0; fi
    sleep 0.2
  done
  return 1
}
connects_now() {
  local now; now=$(uptime_cs)
  eventually 30 connected_since "$now"
}
percentiles() {  # NAME VALUES(cs)...: p50, p99 and worst in seconds
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '{v[NR] = $1} END {
    p50 = v[int((NR + 1) / 2)]; p99 = v[int(NR * 0.99 + 0.99)]; if (p99 == "") p99 = v[NR]
    printf "%s: p50 %.2f s, p99 %.2f s, worst %.2f s over %d tries\n", name, p50 / 100, p99 / 100, v[NR] / 100, NR}'
}

policy Audit false
connects_now || { echo "src cannot reach web at the start"; exit 1; }
enforced=()
for i in $(seq "$tries"); do
  from=$(uptime_cs)
  policy Enforce false
  t=$(first_refused "$from") || { echo "try $i: never blocked"; exit 1; }
  enforced+=("$t")
  policy Audit false
  connects_now || { echo "try $i: never released"; exit 1; }
done
percentiles "Audit -> Enforce: a running violating pod's traffic blocked" "${enforced[@]}"

# Default-deny alone: the violating pod must not be quarantined for this one, so the workload
# complies (privileged is allowed at the privileged level).
$kubectl patch secpol bench --type merge -p '{"spec":{"podSecurity":{"level":"privileged"},"network":{"defaultDeny":true},"enforcement":{"mode":"Enforce"}}}' >/dev/null
eventually 30 bash -c "! $kubectl -n bp-a get pod src -o jsonpath='{.metadata.labels}' | grep -q quarantine"
eventually 30 $kubectl -n bp-a get networkpolicy bulwark-default-deny
first_refused "$(uptime_cs)" >/dev/null || { echo "default-deny never blocked"; exit 1; }
repaired=()
for i in $(seq "$tries"); do
  from=$(uptime_cs)
  $kubectl -n bp-a delete networkpolicy bulwark-default-deny --wait=false >/dev/null
  eventually 30 $kubectl -n bp-a get networkpolicy bulwark-default-deny || { echo "try $i: never restored"; exit 1; }
  # Blocked again: every attempt from 2 s after the deletion on is refused; the gap is the last
  # attempt that connected, or 0.
  sleep 2.5
  gap=$($kubectl -n bp-a logs src --since=1m 2>/dev/null |
    awk -v from="$from" '{t = int($1 * 100)} t >= from && $2 == 1 {last = t} END {print (last ? last - from : 0)}')
  repaired+=("$gap")
done
percentiles "bulwark-default-deny deleted: traffic blocked again (last connection after the deletion)" "${repaired[@]}"
stop_operator "$started_pid" >/dev/null
