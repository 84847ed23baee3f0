#!/usr/bin/env bash
# Benchmark, not a test (run it through e2e/with_cluster.sh --real-node): the enforcement canary
# on the real node with kube-router, the operator as a pod from scripts/image.sh, installed with
# the chart and rounds of INTERVAL seconds (default 8; change timeout 6 s). TRIES times (default
# 10): kube-router killed with its rules left, the time until NetworkEnforced is False; started
# again, the time until it is True. Prints p50, p99 and the worst of each beside what the round
# itself takes (the rest of a round and the change timeout), the enforcement lag from the operator's histogram
# (p50 and p99 as bucket bounds), and the canary pod's resident memory and CPU.
#   usage: e2e/with_cluster.sh --real-node e2e/bench/enforcement_bench.sh BULWARK_BINARY [TRIES] [INTERVAL]
set -uo pipefail
bulwark=$1
tries=${2:-10}
interval=${3:-8}
change_timeout=6
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
. "$BULWARK_E2E_CLUSTER/node.env"
# shellcheck source=../real_node/chart_lib.sh
. "$(dirname "$0")/../real_node/chart_lib.sh"
ns=bulwark-system
node_sh() { "$root/e2e/cluster/node.sh" "$1" "$BULWARK_E2E_CLUSTER" "${@:2}"; }
in_node() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
enforced() {
  $kubectl get secpol canary-bench -o jsonpath='{.status.conditions[?(@.type=="NetworkEnforced")].status}' 2>/dev/null
}
until_status() {  # until_status WANT SECONDS: prints the seconds it took (0.1 s steps) or fails
  local start end
  start=$(date +%s.%N)
  end=$(awk "BEGIN{printf \"%.3f\", $start + $2}")
  while awk "BEGIN{exit !($(date +%s.%N) < $end)}"; do
    [ "$(enforced)" = "$1" ] && { awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}"; return 0; }
    sleep 0.1
  done
  return 1
}
quantiles() {  # p50 p99 worst of the numbers on stdin
  sort -n | awk '{v[NR]=$1} END{p50=v[int((NR+1)/2)]; i=int(NR*0.99+0.999); if(i>NR)i=NR; printf "p50 %s s, p99 %s s, worst %s s", p50, v[i], v[NR]}'
}

# Plain metrics on 8080, read from the node (which every plugin lets through).
install_from_chart "$ns" --set config.metricsSecure=false --set config.metricsBindAddress=:8080 \
  --set config.canary.interval=${interval}s --set config.canary.changeTimeout=${change_timeout}s || exit 1
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: canary-bench}
spec: {enforcement: {mode: Enforce, actions: [Quarantine]}, match: {namespaceSelector: {matchLabels: {bench: canary}}}}
P
until_status True 120 >/dev/null || { echo "never Enforced: $($kubectl get secpol canary-bench -o yaml | tail -20)"; exit 1; }
canary_pid=$(pgrep -f 'bulwark canary' | head -1)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks0=$(cpu_ticks "$canary_pid") t0=$(date +%s.%N)

: >"$work/down.txt"; : >"$work/up.txt"
for i in $(seq 1 "$tries"); do
  node_sh enforcer kill
  until_status False $(( 3 * interval + change_timeout + 30 )) >>"$work/down.txt" || { echo "try $i: never NotEnforced"; exit 1; }
  echo >>"$work/down.txt"
  node_sh enforcer start
  until_status True $(( 3 * interval + change_timeout + 30 )) >>"$work/up.txt" || { echo "try $i: never Enforced again"; exit 1; }
  echo >>"$work/up.txt"
done

ticks1=$(cpu_ticks "$canary_pid") t1=$(date +%s.%N)
ip=$($kubectl -n "$ns" get pods -l app.kubernetes.io/name=bulwark -o jsonpath='{.items[0].status.podIP}')
in_node curl -sf "http://$ip:8080/metrics" >"$work/metrics.txt"
lag=$(python3 - "$work/metrics.txt" <<'PY'
import re, sys
buckets = []
for line in open(sys.argv[1]):
    m = re.match(r'bulwark_network_enforcement_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
    if m: buckets.append((float(m.group(1)), float(m.group(2))))
total = buckets[-1][1] if buckets else 0
def bound(q):
    for le, n in buckets:
        if n >= q * total: return "<= %g s" % le
    return "?"
print("%d changes in effect: p50 %s, p99 %s (histogram buckets)" % (total, bound(0.5), bound(0.99)))
PY
)
rss=$(awk '/VmRSS/{printf "%.1f MiB", $2 / 1024}' "/proc/$canary_pid/status")
cpu=$(awk "BEGIN{printf \"%.2f\", ($ticks1 - $ticks0) / $(getconf CLK_TCK) / ($t1 - $t0) * 1000}")
echo "enforcement canary, $tries tries, rounds of $interval s, change timeout $change_timeout s (the floor of a detection: the rest of a round, at most $interval s, and the change timeout, plus the status write)"
echo "  kube-router killed, rules left, to NotEnforced: $(grep . "$work/down.txt" | quantiles)"
echo "  kube-router started, to Enforced: $(grep . "$work/up.txt" | quantiles)"
echo "  enforcement lag: $lag"
echo "  the canary pod: $rss resident, $cpu millicores on average over $(awk "BEGIN{printf \"%.0f\", $t1 - $t0}") s"
finish
