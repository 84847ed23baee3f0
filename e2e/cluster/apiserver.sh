#!/usr/bin/env bash
# Stops or starts the kube-apiserver of a cluster that up.sh started in DIR, with the arguments
# it was started with, so tests can take the API server away while clients run.
#   usage: e2e/cluster/apiserver.sh DIR stop|start
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$1" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
. "$dir/env"
pidfile=$dir/pids/2-kube-apiserver.pid
case "${2:-}" in
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
    mapfile -d '' args <"$dir/apiserver.args"
    nohup "${args[@]}" >>"$dir/logs/2-kube-apiserver.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    deadline=$(( $(date +%s) + 60 ))
    until curl -sf --max-time 2 --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" \
        --key "$dir/pki/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ] || ! ours "$(cat "$pidfile")" "$pidfile"; then
        echo "kube-apiserver did not come back; last lines of its log:" >&2
        tail -n 20 "$dir/logs/2-kube-apiserver.log" >&2
        exit 1
      fi
      sleep 0.2
    done
    ;;
  *) echo "usage: e2e/cluster/apiserver.sh DIR stop|start" >&2; exit 2 ;;
esac
