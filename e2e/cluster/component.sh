#!/usr/bin/env bash
# Stops or starts etcd, the kube-apiserver or the kube-controller-manager of a cluster that up.sh
# started in DIR, with the arguments (and so the ports) it was started with, so tests can take a
# component away while clients run. Only the recorded process is stopped, and only while it still
# runs that binary.
#   usage: e2e/cluster/component.sh DIR etcd|kube-apiserver|kube-controller-manager stop|start
#          [EXTRA_ARGS...]
# EXTRA_ARGS are added to the recorded ones for this start only (say, a lower in-flight limit).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$1" && pwd)
name=${2:-}
# shellcheck source=lib.sh
. "$here/lib.sh"
. "$dir/env"
run_in=()
if [ -f "$dir/node.env" ]; then
  . "$dir/node.env"
  run_in=(nsenter --net="/run/netns/$NETNS" --)
fi
case "$name" in
  etcd) pidfile=$dir/pids/1-etcd.pid log=$dir/logs/1-etcd.log
        ready=(curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health") ;;
  kube-apiserver) pidfile=$dir/pids/2-kube-apiserver.pid log=$dir/logs/2-kube-apiserver.log
        ready=(curl -sf --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt"
               --key "$dir/pki/admin.key" "https://${APISERVER_HOST:-127.0.0.1}:$APISERVER_PORT/readyz") ;;
  kube-controller-manager) pidfile=$dir/pids/3-kube-controller-manager.pid
        log=$dir/logs/3-kube-controller-manager.log
        ready=(curl -sfk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz") ;;
  *) echo "usage: e2e/cluster/component.sh DIR etcd|kube-apiserver|kube-controller-manager stop|start" >&2; exit 2 ;;
esac
case "${3:-}" in
  stop)
    pid=$(cat "$pidfile")
    if ours "$pid" "$pidfile"; then
      kill -TERM "$pid"
      deadline=$(( $(date +%s) + 20 ))
      while ours "$pid" "$pidfile" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
      if ours "$pid" "$pidfile"; then kill -KILL "$pid"; fi
    fi
    ;;
  start)
    mapfile -d '' args <"$dir/$name.args"
    nohup "${run_in[@]}" "${args[@]}" "${@:4}" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    deadline=$(( $(date +%s) + 60 ))
    until "${run_in[@]}" "${ready[@]}" >/dev/null; do
      # alive, not ours: between its execs (nohup, nsenter) a new process's command line can
      # read empty (e2e/cluster/lib.sh, wait_for).
      if [ "$(date +%s)" -ge "$deadline" ] || ! alive "$(cat "$pidfile")"; then
        echo "$name did not come back; last lines of its log:" >&2
        tail -n 20 "$log" >&2
        exit 1
      fi
      sleep 0.2
    done
    ;;
  *) echo "usage: e2e/cluster/component.sh DIR etcd|kube-apiserver|kube-controller-manager stop|start" >&2; exit 2 ;;
esac
