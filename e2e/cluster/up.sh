#!/usr/bin/env bash
# Starts a real control plane on loopback: etcd, kube-apiserver (TLS, RBAC, service-account tokens)
# and kube-controller-manager. State, logs, pids and an admin kubeconfig go to DIR (default
# .cluster/ at the repo root). Idempotent: on a running cluster it returns at once.
# With --real-node (root only), the control plane runs in a network namespace of its own beside a
# real node (kube-scheduler, containerd, kubelet, kube-router: e2e/cluster/node.sh); its loopback
# is that namespace's, so clients run there too (nsenter --net=/run/netns/$NETNS, from
# DIR/node.env; e2e/with_cluster.sh --real-node does it).
# With --kwok N, N simulated nodes (KWOK and kube-scheduler, e2e/cluster/kwok.sh) for scale:
# pods are scheduled and Running, at addresses nothing dials.
#   usage: e2e/cluster/up.sh [--real-node | --kwok N] [DIR]
#   BULWARK_CLUSTER_TIMEOUT  seconds each component may take to become ready (default 60)
#   BULWARK_APISERVER_PORT   preferred kube-apiserver port; if it is taken, a free one is used
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
real_node=0 kwok_nodes=0
if [ "${1:-}" = --real-node ]; then real_node=1; shift; fi
if [ "${1:-}" = --kwok ]; then kwok_nodes=${2:?usage: up.sh --kwok N [DIR]}; shift 2; fi
dir=${1:-$root/.cluster}
timeout=${BULWARK_CLUSTER_TIMEOUT:-60}
# shellcheck source=lib.sh
. "$here/lib.sh"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# In real-node mode every component, and every probe of it, runs in the node's network namespace.
run_in=()
if [ -f "$dir/node.env" ]; then
  # shellcheck disable=SC1091
  . "$dir/node.env"
  run_in=(nsenter --net="/run/netns/$NETNS" --)
fi
if [ -f "$dir/kubeconfig" ] && [ -f "$dir/env" ] && [ -e "/run/netns/${NETNS:-}" -o -z "${NETNS:-}" ]; then
  # shellcheck disable=SC1091
  . "$dir/env"
  if "${run_in[@]}" curl -sf --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
       --key "$dir/pki/admin.key" "https://${APISERVER_HOST:-127.0.0.1}:$APISERVER_PORT/readyz" >/dev/null; then
    echo "cluster already running: KUBECONFIG=$dir/kubeconfig"
    exit 0
  fi
fi
# Whatever a killed run left behind: stop its processes (only those it recorded) and start clean.
if [ -f "$dir/node.env" ]; then "$here/node.sh" stop "$dir" || true; fi
stop_recorded "$dir"
rm -rf "${dir:?}"/*
run_in=()
if [ "$real_node" = 1 ]; then
  mkdir -p "$dir/logs" "$dir/pids"
  "$here/node.sh" netns "$dir"
  # shellcheck disable=SC1091
  . "$dir/node.env"
  run_in=(nsenter --net="/run/netns/$NETNS" --)
fi

bin=$("$here/build.sh")
mkdir -p "$dir/pki" "$dir/logs" "$dir/pids" "$dir/etcd"
started_ok=0
cleanup_on_failure() {
  if [ "$started_ok" = 1 ]; then return; fi
  if [ -f "$dir/node.env" ]; then "$here/node.sh" stop "$dir" || true; fi
  stop_recorded "$dir"
}
trap cleanup_on_failure EXIT

# --- certificates: a serving CA, a client CA and a service-account key pair, as envtest makes ---
pki=$dir/pki
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bulwark-test-serving-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bulwark-test-client-ca" \
  -keyout "$pki/client-ca.key" -out "$pki/client-ca.crt"
ossl genrsa -out "$pki/sa.key" 2048
ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
cat >"$pki/serving.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:198.18.0.1,IP:198.18.0.129,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
extendedKeyUsage=serverAuth
EXT
ossl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/apiserver.key" \
  -out "$pki/apiserver.csr"
ossl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 3650 -extfile "$pki/serving.ext" -out "$pki/apiserver.crt"
echo "extendedKeyUsage=clientAuth" >"$pki/client.ext"
ossl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout "$pki/admin.key" \
  -out "$pki/admin.csr"
ossl x509 -req -in "$pki/admin.csr" -CA "$pki/client-ca.crt" -CAkey "$pki/client-ca.key" \
  -CAcreateserial -days 3650 -extfile "$pki/client.ext" -out "$pki/admin.crt"

# start N-NAME BINARY ARGS...: run in the background, record pid and binary; N is the start order.
start() {
  local name=$1 bin_path=$2; shift 1
  nohup "${run_in[@]}" "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
  echo "$bin_path" >"$dir/pids/$name.exe"
}

# wait_ready NAME URL [curl args]: poll until URL answers 200 from the process NAME started (not
# another cluster's that took the port: owns_port), or fail with the log's tail.
wait_ready() {
  local name=$1 url=$2; shift 2
  local deadline=$(( $(date +%s) + timeout )) port=${url##*:}
  port=${port%%/*}
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if "${run_in[@]}" curl -sf --max-time 2 "$@" "$url" >/dev/null 2>&1 \
       && owns_port "$(cat "$dir/pids/$name.pid")" "$port" "${run_in[@]}"; then return 0; fi
    # alive, not ours: see wait_for in lib.sh.
    if ! alive "$(cat "$dir/pids/$name.pid")"; then
      echo "$name exited before becoming ready; last lines of $dir/logs/$name.log:" >&2
      tail -n 30 "$dir/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "$name not ready within ${timeout}s; last lines of $dir/logs/$name.log:" >&2
  tail -n 30 "$dir/logs/$name.log" >&2
  return 1
}

# port_clash NAME: the component died because its port was taken (another process got there
# between free_port and the bind).
port_clash() { grep -qiE 'address already in use|bind: ' "$dir/logs/$1.log" 2>/dev/null; }

# --- etcd ---
for attempt in 1 2 3; do
  etcd_port=$(free_port); peer_port=$(free_port)
  etcd_args=("$bin/etcd" --name default --data-dir "$dir/etcd"
    --listen-client-urls "http://127.0.0.1:$etcd_port"
    --advertise-client-urls "http://127.0.0.1:$etcd_port"
    --listen-peer-urls "http://127.0.0.1:$peer_port"
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port"
    --initial-cluster "default=http://127.0.0.1:$peer_port"
    --unsafe-no-fsync=true --log-level warn)
  # Recorded so e2e/cluster/component.sh can restart it as it was.
  printf '%s\0' "${etcd_args[@]}" >"$dir/etcd.args"
  start 1-etcd "${etcd_args[@]}"
  if wait_ready 1-etcd "http://127.0.0.1:$etcd_port/health"; then break; fi
  port_clash 1-etcd && [ "$attempt" -lt 3 ] || exit 1
  stop_recorded "$dir"; rm -rf "$dir/etcd"; mkdir -p "$dir/etcd"
done

# --- kube-apiserver ---
# ConfigMaps bypass the watch cache, so a test can compact etcd and see a watch answer 410 Gone
# as it would on a cluster whose cache has moved on; every other resource keeps the cache.
admin_curl=(--cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key")
# Every write, with the user agent that sent it, in logs/audit.log (one JSON object a line): how
# the fault tests tell which replica wrote what, and when.
cat >"$dir/audit-policy.yaml" <<'AUDIT'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
AUDIT
# With a real node, pods reach it as they do in real clusters, through the `kubernetes` Service
# (198.18.0.129, proxied by kube-proxy), so it listens on the node's address, 198.18.0.1:6443, in
# the cluster's own network namespace (never on every interface), and keeps that Service's
# endpoints (the lease reconciler); tests and kubectl use that address too.
api_host=127.0.0.1
reconciler=(--endpoint-reconciler-type none)
if [ "$real_node" = 1 ]; then api_host=198.18.0.1 reconciler=(); fi
for attempt in 1 2 3; do
  api_port=$(free_port)
  if [ "$attempt" = 1 ] && [ -n "${BULWARK_APISERVER_PORT:-}" ]; then api_port=$BULWARK_APISERVER_PORT; fi
  if [ "$real_node" = 1 ]; then api_port=6443; fi
  apiserver_args=("$bin/kube-apiserver"
    --etcd-servers "http://127.0.0.1:$etcd_port"
    --bind-address "$api_host" --advertise-address "$api_host" --secure-port "$api_port"
    --cert-dir "$pki" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key"
    --client-ca-file "$pki/client-ca.crt"
    --service-cluster-ip-range 198.18.0.128/25 --allow-privileged=true
    --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$dir/logs/audit.log"
    --audit-log-format json
    --authorization-mode RBAC
    --service-account-issuer https://kubernetes.default.svc.cluster.local
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key"
    "${reconciler[@]}"
    --watch-cache-sizes 'configmaps#0')
  # Recorded so e2e/cluster/component.sh can restart it as it was.
  printf '%s\0' "${apiserver_args[@]}" >"$dir/kube-apiserver.args"
  start 2-kube-apiserver "${apiserver_args[@]}"
  if wait_ready 2-kube-apiserver "https://$api_host:$api_port/readyz" "${admin_curl[@]}"; then break; fi
  port_clash 2-kube-apiserver && [ "$attempt" -lt 3 ] || exit 1
  echo "kube-apiserver: port $api_port is taken; trying another" >&2
  kill -TERM "$(cat "$dir/pids/2-kube-apiserver.pid")" 2>/dev/null || true
done

# --- kubeconfigs ---
write_kubeconfig() {  # FILE CERT KEY
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: bulwark-test
  cluster:
    server: https://$api_host:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $2
    client-key: $3
contexts:
- name: bulwark-test
  context: {cluster: bulwark-test, user: admin}
current-context: bulwark-test
KC
}
write_kubeconfig "$dir/kubeconfig" "$pki/admin.crt" "$pki/admin.key"

# --- kube-controller-manager: Deployments get ReplicaSets and Pods, namespaces finalize, GC runs ---
# With simulated nodes it creates thousands of pods: a higher client rate of its own.
kcm_qps=200
[ "$kwok_nodes" -gt 0 ] && kcm_qps=1000
for attempt in 1 2 3; do
  kcm_port=$(free_port)
  kcm_args=("$bin/kube-controller-manager" \
    --kubeconfig "$dir/kubeconfig" \
    --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=false --leader-elect=false \
    --kube-api-qps "$kcm_qps" --kube-api-burst "$(( kcm_qps * 2 ))" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$dir/kcm-certs" \
    --controllers namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,deployment-controller,replicaset-controller,replicationcontroller-controller,statefulset-controller,daemonset-controller,job-controller,cronjob-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller)
  start 3-kube-controller-manager "${kcm_args[@]}"
  printf '%s\0' "${kcm_args[@]}" >"$dir/kube-controller-manager.args"
  if wait_ready 3-kube-controller-manager "https://127.0.0.1:$kcm_port/healthz" -k; then break; fi
  port_clash 3-kube-controller-manager && [ "$attempt" -lt 3 ] || exit 1
  kill -TERM "$(cat "$dir/pids/3-kube-controller-manager.pid")" 2>/dev/null || true
done

cat >"$dir/env" <<ENV
APISERVER_HOST=$api_host
APISERVER_PORT=$api_port
ETCD_PORT=$etcd_port
KCM_PORT=$kcm_port
BIN=$bin
ENV
if [ "$kwok_nodes" -gt 0 ]; then "$here/kwok.sh" start "$dir" "$kwok_nodes"; fi
if [ "$real_node" = 1 ]; then
  "$here/node.sh" start "$dir"
  echo "real node 198.18.0.1 ready; clients run in its network namespace: nsenter --net=/run/netns/$NETNS --"
fi
started_ok=1
echo "cluster ready: KUBECONFIG=$dir/kubeconfig (kube-apiserver https://$api_host:$api_port)"
