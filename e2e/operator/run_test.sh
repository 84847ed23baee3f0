#!/usr/bin/env bash
# End-to-end tests of the bulwark run process against a real control plane (run it through
# e2e/with_cluster.sh): probes, leader election, JSON logs, configuration errors, SIGTERM.
#   usage: e2e/operator/run_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
port=$(free_port)
cat >"$work/config.yaml" <<CFG
healthProbeBindAddress: "127.0.0.1:$port"
metricsBindAddress: "0"
leaderElection: {enabled: true, namespace: bulwark-system, leaseDuration: 6s, renewDeadline: 4s, retryPeriod: 1s}
log: {level: info, format: json}
CFG
start_operator run --config "$work/config.yaml"
pid=$started_pid

eventually 30 curl -sf "http://127.0.0.1:$port/readyz" && ok "/readyz answers 200 once the caches have synced" || fail "/readyz answers 200"
[ "$(curl -s "http://127.0.0.1:$port/healthz")" = ok ] && ok "/healthz answers ok" || fail "/healthz answers ok"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other")" = 404 ] && ok "other paths are 404" || fail "other paths are 404"
holder() { $kubectl -n bulwark-system get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
eventually 20 bash -c "[ \"\$($kubectl -n bulwark-system get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)\" = \"$(hostname)_$pid\" ]" \
  && ok "the operator holds the Lease bulwark-system/bulwark-leader" || fail "the operator holds the Lease (holder: $(holder))"

start=$(date +%s%N)
stop_operator "$pid"; status=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" = 0 ] && [ "$ms" -lt 15000 ] && ok "SIGTERM drains and exits 0 in ${ms} ms" || fail "SIGTERM exits 0 within 15 s (status $status, ${ms} ms)"
[ -z "$(holder)" ] && ok "shutdown released the Lease" || fail "shutdown released the Lease (holder: $(holder))"
python3 - "$work/run.log" <<'PY' && ok "every log line is a JSON object with time, level and msg" || fail "JSON log lines"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no log lines"
for l in lines:
    o = json.loads(l)
    assert {"time", "level", "msg"} <= set(o), l
PY

# --- the operator on its own least-privilege RBAC (deploy/operator/rbac.yaml) ---
sa_kubeconfig "$work/sa.kubeconfig"
port2=$(free_port)
start_operator rbac-run --kubeconfig "$work/sa.kubeconfig" --leader-elect \
  --leader-election-namespace bulwark-system --health-probe-bind-address "127.0.0.1:$port2" \
  --metrics-bind-address 0
pid2=$started_pid
eventually 30 curl -sf "http://127.0.0.1:$port2/readyz" \
  && ok "with its own RBAC, every cache syncs (/readyz 200)" || fail "with its own RBAC, /readyz 200"
eventually 20 bash -c "[ \"\$($kubectl -n bulwark-system get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}')\" = \"$(hostname)_$pid2\" ]" \
  && ok "with its own RBAC, it takes the lease" || fail "with its own RBAC, it takes the lease (holder: $(holder))"
grep -qiE 'forbidden|: 403 ' "$work/rbac-run.log" && fail "the operator was refused something: $(grep -iE 'forbidden|: 403 ' "$work/rbac-run.log" | head -2)" \
  || ok "the operator was refused nothing"
as_sa() { $kubectl auth can-i --as=system:serviceaccount:bulwark-system:bulwark "$@" 2>/dev/null; }
[ "$(as_sa delete pods -A)" = no ] && [ "$(as_sa get secrets -A)" = no ] && [ "$(as_sa update deployments -A)" = no ] \
  && [ "$(as_sa delete deployments -A)" = no ] && [ "$(as_sa update leases -n default)" = no ] \
  && [ "$(as_sa update securitypolicies)" = no ] && [ "$(as_sa delete securitypolicies)" = no ] \
  && [ "$(as_sa patch namespaces)" = no ] && [ "$(as_sa patch pods -A)" = yes ] \
  && ok "its RBAC grants nothing it does not use (no delete pods, get secrets, update deployments, leases elsewhere)" \
  || fail "its RBAC grants more than it uses"
stop_operator "$pid2" && ok "and exits 0 on SIGTERM" || fail "exits 0 on SIGTERM"

echo "workers: 0" >"$work/bad.yaml"
out=$("$bulwark" run --config "$work/bad.yaml" 2>&1); status=$?
[ "$status" = 2 ] && [[ "$out" == *"workers: must be a whole number from 1 to 64"* ]] \
  && ok "a bad config value exits 2 naming the key" || fail "bad config exits 2 naming the key: $status $out"
out=$("$bulwark" run --kubeconfig "$work/absent" 2>&1); status=$?
[ "$status" = 2 ] && [[ "$out" == *"cannot read kubeconfig $work/absent"* ]] \
  && ok "a missing kubeconfig exits 2 saying so" || fail "missing kubeconfig: $status $out"
out=$("$bulwark" run --leader-elect --frobnicate 2>&1); status=$?
[ "$status" = 2 ] && [[ "$out" == *"unknown flag --frobnicate"* ]] && ok "an unknown flag exits 2" || fail "unknown flag: $status $out"

finish
