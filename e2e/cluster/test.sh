#!/usr/bin/env bash
# End-to-end tests of the local control plane: up, readiness, the controller-manager at work,
# NetworkPolicies, service-account tokens with RBAC, idempotent up, recovery from a killed run,
# a taken port, a component that is not ready in time, and a down that leaves nothing behind.
# Every wait polls with a deadline. Prints "N passed, M failed" last.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bulwark-e2e-cluster.XXXXXX)
dir=$work/cluster
# shellcheck source=lib.sh
. "$here/lib.sh"
fail_logs="$dir/logs/*.log"

cleanup() {
  "$here/down.sh" "$dir" >/dev/null 2>&1 || true
  "$here/down.sh" "$work/slow" >/dev/null 2>&1 || true
  [ -n "${blocker_pid:-}" ] && kill "$blocker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

recorded_pids() { cat "$1"/pids/*.pid 2>/dev/null; }

# --- up, readiness, warm start time ---
start=$(date +%s%N)
if "$here/up.sh" "$dir" >"$work/up.log" 2>&1; then
  ok "up.sh brings the cluster up in $(( ($(date +%s%N) - start) / 1000000 )) ms"
else
  cat "$work/up.log"; fail "up.sh brings the cluster up"; finish; exit 1
fi
. "$dir/env"
export KUBECONFIG=$dir/kubeconfig
kubectl="$BIN/kubectl"

[ "$($kubectl get --raw /readyz)" = ok ] && ok "/readyz answers ok" || fail "/readyz answers ok"
wide=""
for pid in $(recorded_pids "$dir"); do
  wide+=$(ss -ltnpH 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | grep -v '^127\.0\.0\.1:' | tr '\n' ' ')
done
[ -z "$wide" ] && ok "components listen on loopback only" || fail "components listen beyond loopback: $wide"

out=$("$here/up.sh" "$dir" 2>&1)
[[ "$out" == *"already running"* ]] && ok "a second up.sh returns at once" || fail "a second up.sh returns at once: $out"

# --- the controller-manager turns a Deployment into a ReplicaSet and a Pod ---
$kubectl create namespace e2e-shop >/dev/null
$kubectl -n e2e-shop create deployment web --image=registry.example.com/web:1.0 >/dev/null
eventually 60 bash -c "$kubectl -n e2e-shop get replicasets -o name | grep -q replicaset" \
  && ok "a Deployment gets its ReplicaSet" || fail "a Deployment gets its ReplicaSet"
eventually 60 bash -c "$kubectl -n e2e-shop get pods -o name | grep -q pod/web-" \
  && ok "the ReplicaSet gets its Pod" || fail "the ReplicaSet gets its Pod"
eventually 60 $kubectl -n e2e-shop get serviceaccount default \
  && ok "the default ServiceAccount appears" || fail "the default ServiceAccount appears"

# --- NetworkPolicies ---
cat <<'NP' | $kubectl apply -f - >/dev/null && $kubectl -n e2e-shop get networkpolicy default-deny >/dev/null \
  && ok "a NetworkPolicy can be created" || fail "a NetworkPolicy can be created"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: e2e-shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
NP

# --- a ServiceAccount's token, bound by RBAC, used from its own kubeconfig ---
$kubectl -n e2e-shop create serviceaccount reader >/dev/null
$kubectl -n e2e-shop create role pod-reader --verb=get,list,watch --resource=pods >/dev/null
$kubectl -n e2e-shop create rolebinding reader --role=pod-reader --serviceaccount=e2e-shop:reader >/dev/null
token=$($kubectl -n e2e-shop create token reader --duration=10m)
cat >"$work/reader.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$dir/pki/ca.crt"}}]
users: [{name: reader, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: reader, namespace: e2e-shop}}]
current-context: c
KC
as_reader() { KUBECONFIG=$work/reader.kubeconfig $kubectl "$@"; }
[ "$(as_reader auth can-i list pods -n e2e-shop)" = yes ] && ok "the token may list pods" || fail "the token may list pods"
[ "$(as_reader auth can-i delete pods -n e2e-shop 2>/dev/null)" = no ] && ok "the token may not delete pods" || fail "the token may not delete pods"
[ "$(as_reader auth can-i list pods -n default 2>/dev/null)" = no ] && ok "the token is confined to its namespace" || fail "the token is confined to its namespace"
as_reader get pods -n e2e-shop -o name | grep -q pod/web- && ok "the token reads pods for real" || fail "the token reads pods for real"
as_reader auth whoami -o jsonpath='{.status.userInfo.username}' | grep -q 'system:serviceaccount:e2e-shop:reader' \
  && ok "the API server authenticates the token as the ServiceAccount" || fail "the token authenticates as the ServiceAccount"

# --- a killed run leaves state behind; up.sh cleans it up and starts again ---
old_pids=$(recorded_pids "$dir")
for pid in $old_pids; do kill -9 "$pid" 2>/dev/null; done
if "$here/up.sh" "$dir" >"$work/up2.log" 2>&1 && . "$dir/env" && [ "$($kubectl get --raw /readyz)" = ok ] \
   && ! $kubectl get namespace e2e-shop >/dev/null 2>&1; then
  ok "up.sh recovers from a killed run with fresh state"
else
  cat "$work/up2.log"; fail "up.sh recovers from a killed run with fresh state"
fi

# --- down stops exactly what up started and leaves no port open ---
pids=$(recorded_pids "$dir")
ports="$APISERVER_PORT $ETCD_PORT $KCM_PORT"
"$here/down.sh" "$dir" >/dev/null
still=""
for pid in $pids; do alive "$pid" && still+=" $pid"; done
listening=""
# A listener on one of the ports counts only if it is this cluster's (its command line names the
# cluster's folder): other tests' clusters run beside this one and may reuse a freed port.
for port in $ports; do
  for pid in $(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir" && listening+=" $port"
  done
done
[ -z "$still$listening" ] && [ ! -d "$dir" ] && ok "down.sh leaves no process, port or state" \
  || fail "down.sh leaves no process, port or state (pids:$still ports:$listening)"

# --- a taken port: the apiserver moves to another one ---
blocker_port=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', $blocker_port)); s.listen(); time.sleep(600)" &
blocker_pid=$!
eventually 10 bash -c "ss -ltn 'sport = :$blocker_port' | grep -q LISTEN"
if BULWARK_APISERVER_PORT=$blocker_port "$here/up.sh" "$dir" >"$work/up3.log" 2>&1 && . "$dir/env" \
   && [ "$APISERVER_PORT" != "$blocker_port" ] && [ "$($kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz)" = ok ]; then
  ok "a taken port is replaced by a free one"
else
  cat "$work/up3.log"; fail "a taken port is replaced by a free one"
fi
kill "$blocker_pid" 2>/dev/null; blocker_pid=""
"$here/down.sh" "$dir" >/dev/null

# --- a component not ready in time: non-zero exit, the log's tail, nothing left running ---
if BULWARK_CLUSTER_TIMEOUT=1 "$here/up.sh" "$work/slow" >"$work/slow.log" 2>&1; then
  fail "a component not ready in time makes up.sh fail"
else
  leftover=""
  for pid in $(recorded_pids "$work/slow"); do alive "$pid" && leftover+=" $pid"; done
  grep -q "not ready within 1s; last lines of" "$work/slow.log" && [ -z "$leftover" ] \
    && ok "a component not ready in time fails with its log's tail and stops the rest" \
    || { cat "$work/slow.log"; fail "a component not ready in time fails cleanly (left:$leftover)"; }
fi

finish
