#!/usr/bin/env bash
# Benchmark, not a test (run it through e2e/with_cluster.sh): what Bulwark's webhook adds to a pod
# create, against the physical floor measured in the same run. 2,000 creates of a baseline-clean
# pod through the API server, one client on one kept-alive connection, three ways: no admission
# webhook or Pod Security enforcement; the API server's built-in Pod Security Admission enforcing
# baseline on the namespace; Bulwark's webhook judging the namespace under a baseline policy in
# Enforce + Deny; and that webhook again while hostile clients on other 127.x addresses flood it
# (e2e/operator/flood.py: 8 sources trying 16 idle connections each, 8 trying 16 TLS
# connections each, 4 posting 4 MB dense reviews). Prints p50 and p99 of each, what each adds to
# the first, and the webhook's own handling time (p99 from its histogram's buckets).
#   usage: e2e/with_cluster.sh e2e/bench/admission_bench.sh BULWARK_BINARY [CREATES]
set -uo pipefail
bulwark=$1
creates=${2:-2000}
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"

install_prerequisites
for ns in bench-none bench-psa bench-bulwark bench-flood; do $kubectl create namespace $ns >/dev/null; done
$kubectl label namespace bench-psa pod-security.kubernetes.io/enforce=baseline >/dev/null
$kubectl label namespace bench-bulwark bench=bulwark >/dev/null
$kubectl label namespace bench-flood bench=bulwark >/dev/null

# measure NAMESPACE: creates pods there; prints "p50_ms p99_ms".
measure() {
  python3 - "$1" "$creates" "$APISERVER_PORT" "$BULWARK_E2E_CLUSTER/pki" <<'PY'
import http.client, json, ssl, sys, time
ns, n, port, pki = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
took = []
for i in range(n):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p-%d" % i},
           "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]}}
    body = json.dumps(pod)
    start = time.perf_counter()
    conn.request("POST", "/api/v1/namespaces/%s/pods" % ns, body, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    took.append((time.perf_counter() - start) * 1000)
    if r.status != 201:
        sys.exit("create %d in %s: %d" % (i, ns, r.status))
took.sort()
print("%.2f %.2f" % (took[len(took) // 2], took[int(len(took) * 0.99) - 1]))
PY
}

read -r none_p50 none_p99 <<<"$(measure bench-none)"
read -r psa_p50 psa_p99 <<<"$(measure bench-psa)"

$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port) metrics_port=$(free_port)
cat >"$work/config.yaml" <<CFG
log: {level: info}
admission: {url: "https://127.0.0.1:$port/validate"}
CFG
fence_webhook "https://127.0.0.1:$port/validate"
testdata enforce-baseline-policy.yaml NAME=bench 'LABEL=bench: bulwark' 'ACTIONS=[Annotate, Deny]' | $kubectl apply -f - >/dev/null
start_own_operator bench --webhook-bind-address "127.0.0.1:$port" \
  --metrics-bind-address "127.0.0.1:$metrics_port"
# In force once a privileged pod is refused (server-side dry run: nothing is made).
refused() {
  ! $kubectl -n bench-bulwark run probe --image=registry.example.com/app:1.0 --dry-run=server \
    --overrides='{"spec":{"containers":[{"name":"probe","image":"registry.example.com/app:1.0","securityContext":{"privileged":true}}]}}' \
    >/dev/null 2>&1
}
eventually 30 refused || { echo "the webhook never took effect" >&2; exit 1; }
read -r bulwark_p50 bulwark_p99 <<<"$(measure bench-bulwark)"
handling_p99=$(curl -s "http://127.0.0.1:$metrics_port/metrics" | python3 -c '
import re, sys
buckets, count = [], 0
for line in sys.stdin:
    m = re.match(r"bulwark_admission_duration_seconds_bucket\{le=\"([^\"]+)\"\} (\S+)", line)
    if m: buckets.append((float(m.group(1)), float(m.group(2))))
    m = re.match(r"bulwark_admission_duration_seconds_count (\S+)", line)
    if m: count = float(m.group(1))
bound = next((le for le, c in sorted(buckets) if c >= 0.99 * count), float("inf"))
print("<= %g ms over %d reviews" % (bound * 1000, count))')
flood="$root/e2e/operator/flood.py"
flood_pids=()
python3 "$flood" idle "$port" 127.0.0.2-127.0.0.9 16 >/dev/null 2>&1 & flood_pids+=("$!")
python3 "$flood" tls "$port" 127.0.0.10-127.0.0.17 16 >/dev/null 2>&1 & flood_pids+=("$!")
python3 "$flood" dense "$port" 127.0.0.20-127.0.0.23 1 >/dev/null 2>&1 & flood_pids+=("$!")
sleep_until=$((SECONDS + 10)); while [ $SECONDS -lt $sleep_until ]; do refused || true; done  # under way
read -r flood_p50 flood_p99 <<<"$(measure bench-flood)"
for p in "${flood_pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null; done
stop_operator "$started_pid"

minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
printf '%s pod creates each, one client on one connection (ms)\n' "$creates"
printf '%-44s %8s %8s %12s %12s\n' "" p50 p99 "p50 added" "p99 added"
printf '%-44s %8s %8s %12s %12s\n' "no webhook, no Pod Security (the floor)" "$none_p50" "$none_p99" - -
printf '%-44s %8s %8s %12.2f %12.2f\n' "Pod Security Admission enforcing baseline" "$psa_p50" "$psa_p99" \
  "$(minus "$psa_p50" "$none_p50")" "$(minus "$psa_p99" "$none_p99")"
printf '%-44s %8s %8s %12.2f %12.2f\n' "Bulwark's webhook (baseline, Enforce + Deny)" "$bulwark_p50" "$bulwark_p99" \
  "$(minus "$bulwark_p50" "$none_p50")" "$(minus "$bulwark_p99" "$none_p99")"
printf '%-44s %8s %8s %12.2f %12.2f\n' "the same under the flood" "$flood_p50" "$flood_p99" \
  "$(minus "$flood_p50" "$none_p50")" "$(minus "$flood_p99" "$none_p99")"
echo "Bulwark's own handling time, p99: $handling_p99"
