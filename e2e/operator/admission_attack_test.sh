#!/usr/bin/env bash
# Admission under attack, against a real control plane (run it through e2e/with_cluster.sh): the API
# server calls the operator from 127.0.0.1 while hostile clients, each from 127.x source addresses
# of its own as pods on other addresses would, hold connections (e2e/operator/flood.py). Under an
# Enforce + Deny policy with the shipped failurePolicy Ignore, a privileged pod must be refused by
# Bulwark (not admitted because the call failed) while:
# - 8 sources each try 16 connections that send nothing, and 8 more 16 TLS connections each kept
#   alive (twice the whole slot table of the binary before this test: 64);
# - 4 sources post 4 MB AdmissionReviews of 1,990,000 zeros over and over, with the operator in a
#   256 MiB memory cgroup, the shipped limit (the binary before was OOM-killed by one);
# and /healthz answers within 1 s while 150 sources hold over 1,000 idle connections to the probe
# port.
# A made-up review learns no policy name.
#   usage: e2e/operator/admission_attack_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
flood="$(dirname "$0")/flood.py"

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port)
probe_port=$(free_port)
url="https://127.0.0.1:$port/validate"
cat >"$work/config.yaml" <<CFG
log: {level: info}
admission: {url: "$url"}
CFG
fence_webhook "$url"
$kubectl create namespace adm >/dev/null
$kubectl label namespace adm team=a >/dev/null
testdata enforce-baseline-policy.yaml NAME=deny-team-a 'LABEL=team: a' 'ACTIONS=[Annotate, Deny]' | $kubectl apply -f - >/dev/null

# The operator in a memory cgroup (v1 or v2) limited to the chart's limit, when this host has one.
limit=$(grep -A3 'limits:' "$root/deploy/operator/deployment.yaml" | sed -n 's/.*memory: *\([0-9]*\)Mi.*/\1/p' | head -1)
cgroup=""
if [ -d /sys/fs/cgroup/memory ]; then
  cgroup=/sys/fs/cgroup/memory/bulwark-e2e-$$
  mkdir "$cgroup" && echo "$((limit << 20))" >"$cgroup/memory.limit_in_bytes" || cgroup=""
elif [ -f /sys/fs/cgroup/cgroup.subtree_control ]; then
  cgroup=/sys/fs/cgroup/bulwark-e2e-$$
  mkdir "$cgroup" && echo "$((limit << 20))" >"$cgroup/memory.max" || cgroup=""
fi
flood_pids=()
cleanup_attack() {
  local p
  for p in "${flood_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  flood_pids=()
}
# lib.sh's cleanup kills the operators; the cgroup can go once the operator has.
trap 'cleanup_attack; cleanup; [ -n "$cgroup" ] && rmdir "$cgroup" 2>/dev/null' EXIT
# flood_start NAME MODE PORT SOURCES PER_SOURCE: flood.py in the background, its lines in
# $work/flood-NAME.log.
flood_start() { python3 "$flood" "${@:2}" >"$work/flood-$1.log" 2>&1 & flood_pids+=("$!"); }
holds() { grep -q "holding [1-9][0-9]" "$work/flood-$1.log"; }

pod() {  # pod NAME PRIVILEGED: kubectl apply, its output in $work/apply.out
  cat <<D | $kubectl apply "${@:3}" -f - >"$work/apply.out" 2>&1
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: adm}
spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: $2}}]}
D
}
refused() { ! pod "$1" true "${@:2}" && grep -q 'Bulwark refuses Pod' "$work/apply.out"; }

# The kept-alive flood starts first, so it is waiting when the webhook starts listening: the API
# server has no connection of its own yet and must get a new one among those it holds (against
# the binary before this test it held all 64 slots for good, and the policy never took effect).
flood_start kept tls "$port" 127.0.0.10-127.0.0.17 16
start_own_operator adm --webhook-bind-address "127.0.0.1:$port" --health-probe-bind-address "127.0.0.1:$probe_port"
operator_pid=$started_pid
if [ -n "$cgroup" ]; then
  echo "$operator_pid" >"$cgroup/cgroup.procs" && ok "the operator runs in a ${limit} MiB memory cgroup"
else
  fail "no memory cgroup to hold the operator to ${limit} MiB"
fi
eventually 30 holds kept || fail "the kept-alive flood holds nothing: $(tail -3 "$work/flood-kept.log")"
eventually 60 refused probe --dry-run=server \
  && ok "under the flood the policy takes effect at admission (the API server's calls get through)" \
  || fail "the policy never took effect under the flood: $(cat "$work/apply.out")"
flood_start silent idle "$port" 127.0.0.2-127.0.0.9 16
eventually 30 holds silent || fail "the silent flood holds nothing: $(tail -3 "$work/flood-silent.log")"
refused under-connection-flood && ok "a privileged pod is refused while 16 sources flood the webhook's connections" \
  || fail "under the connection flood: $(cat "$work/apply.out")"
pod fine-under-flood false && ok "and a compliant pod is admitted" || fail "compliant: $(cat "$work/apply.out")"
cleanup_attack

flood_start dense dense "$port" 127.0.0.20-127.0.0.23 1
sleep_until=$((SECONDS + 10))
while [ $SECONDS -lt $sleep_until ] && kill -0 "$operator_pid" 2>/dev/null; do
  refused under-dense-flood || fail "a privileged pod was not refused under the dense flood: $(cat "$work/apply.out")"
done
kill -0 "$operator_pid" 2>/dev/null && ok "10 s of 4 MB dense reviews from 4 sources: the operator lives" \
  || fail "the operator died under dense reviews: $(tail -5 "$work/adm.log")"
if [ -n "$cgroup" ]; then
  peak=$(cat "$cgroup/memory.max_usage_in_bytes" 2>/dev/null || cat "$cgroup/memory.peak" 2>/dev/null || echo 0)
  echo "  peak memory $((peak >> 20)) MiB of ${limit} MiB"
fi
cleanup_attack
python3 -c "import sys; sys.path.insert(0, '$(dirname "$flood")'); import flood; sys.stdout.buffer.write(flood.REVIEW_HEAD + b','.join([b'0'] * 1990000) + flood.REVIEW_TAIL)" >"$work/dense.json"
code=$(curl -sk -o "$work/dense.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$work/dense.json" "$url")
[ "$code" = 400 ] && grep -q 'parsed' "$work/dense.out" \
  && ok "a dense review is answered 400, saying why: $(head -c 120 "$work/dense.out")" || fail "dense review: $code $(head -c 300 "$work/dense.out")"

# 150 sources of 8 (the cap a source): each connection is closed after 5 s silent and opened again
# half a second later, so more than 1,000 are open at any time.
flood_start probes idle "$probe_port" 127.0.1.1-127.0.1.150 8
eventually 60 grep -qE 'holding 1[0-9]{3}' "$work/flood-probes.log" \
  || fail "the probe flood holds $(tail -1 "$work/flood-probes.log")"
took=$(curl -s -o "$work/healthz.out" -w '%{time_total}' --max-time 5 "http://127.0.0.1:$probe_port/healthz")
[ "$(cat "$work/healthz.out")" = ok ] && awk "BEGIN{exit !($took < 1)}" \
  && ok "/healthz answers in ${took} s beside $(tail -1 "$work/flood-probes.log" | cut -d' ' -f2) idle connections" \
  || fail "/healthz answered \"$(cat "$work/healthz.out")\" in ${took} s"
cleanup_attack

review='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"adm","name":"x","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"r.example.com/a:1","securityContext":{"privileged":true}}]}}}}'
curl -sk -X POST -H 'Content-Type: application/json' -d "$review" "$url" >"$work/review.out"
grep -q '"allowed":false' "$work/review.out" && ! grep -q 'deny-team-a' "$work/review.out" \
  && ok "a made-up review is answered without the policy's name" || fail "made-up review: $(cat "$work/review.out")"
stop_operator "$operator_pid"
finish
