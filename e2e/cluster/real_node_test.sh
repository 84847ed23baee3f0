#!/usr/bin/env bash
# The real node of up.sh --real-node (root only): it comes up Ready and untainted, its networking
# stays in its own network namespace (the host gains no link, iptables chain or ipset), pods run
# with addresses of 198.18.0.2-126, a run killed with SIGKILL is cleaned up by the next up.sh, and
# down.sh leaves no process, network namespace, cgroup, mount or state behind.
# Prints "N passed, M failed" last.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/bulwark-e2e-node.XXXXXX)
dir=$work/cluster
# shellcheck source=lib.sh
. "$here/lib.sh"
fail_logs="$dir/logs/*.log"
cleanup() { "$here/down.sh" "$dir" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# What the node could leave on the host, each listed by name.
host_state() {
  ip -o link show | awk -F': ' '{print $2}' | sort
  iptables-save 2>/dev/null | grep -E '^[:-]' | sort
  ipset list -n 2>/dev/null | sort
  ls /run/netns 2>/dev/null | sort
  ls -d /sys/fs/cgroup/*/bulwark-* 2>/dev/null
}

before=$(host_state)
if "$here/up.sh" --real-node "$dir" >"$work/up.log" 2>&1; then ok "up.sh --real-node brings the cluster and the node up"
else cat "$work/up.log"; fail "up.sh --real-node"; finish; exit 1; fi
. "$dir/env"; . "$dir/node.env"
in_ns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
kubectl() { in_ns "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

[ "$(kubectl get node 198.18.0.1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}|{.spec.taints}')" = "True|" ] \
  && ok "node 198.18.0.1 is Ready, untainted" || fail "node Ready and untainted"
in_ns iptables -S KUBE-ROUTER-FORWARD >/dev/null 2>&1 && ok "kube-router's chains are in the node's namespace" \
  || fail "kube-router's chains are in the node's namespace"
[ "$(host_state | grep -vxF -f <(echo "$before") | grep -v "^$NETNS$" | grep -v "/bulwark-")" = "" ] \
  && ok "the host gains nothing but the network namespace and the node's cgroups" \
  || fail "the host gained: $(host_state | grep -vxF -f <(echo "$before") | tr '\n' ' ')"
kubectl run probe --image bulwark.test/image:busybox --image-pull-policy Never --command -- sleep 100000 >/dev/null
if eventually 60 bash -c "[ \"\$(nsenter --net=/run/netns/$NETNS -- $BIN/kubectl --kubeconfig $dir/kubeconfig get pod probe -o jsonpath='{.status.phase}')\" = Running ]"; then
  ip=$(kubectl get pod probe -o jsonpath='{.status.podIP}')
  [[ "$ip" =~ ^198\.18\.0\.([2-9]|[1-9][0-9]|1[01][0-9]|12[0-6])$ ]] && ok "a pod runs, at $ip" || fail "pod address $ip outside 198.18.0.2-126"
  [ "$(kubectl exec probe -- cat /www/index.html)" = ok ] && ok "kubectl exec reaches the kubelet" || fail "kubectl exec"
else
  fail "a pod runs"
fi

# A killed run: every process of the node and the control plane gone at once; up.sh starts clean.
for pid in $(cat "$dir"/pids/*.pid) $(find /sys/fs/cgroup/pids/"$NETNS" -name cgroup.procs -exec cat {} + 2>/dev/null); do
  kill -KILL "$pid" 2>/dev/null
done
if "$here/up.sh" --real-node "$dir" >"$work/up2.log" 2>&1 && . "$dir/node.env" \
   && eventually 30 bash -c "[ \"\$(nsenter --net=/run/netns/$NETNS -- $BIN/kubectl --kubeconfig $dir/kubeconfig get node 198.18.0.1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" \
   && ! kubectl get pod probe >/dev/null 2>&1; then
  ok "up.sh recovers from a killed run with a fresh node"
else
  cat "$work/up2.log"; fail "up.sh recovers from a killed run"
fi
kubectl run probe2 --image bulwark.test/image:busybox --image-pull-policy Never --command -- sleep 100000 >/dev/null
eventually 60 bash -c "[ \"\$(nsenter --net=/run/netns/$NETNS -- $BIN/kubectl --kubeconfig $dir/kubeconfig get pod probe2 -o jsonpath='{.status.phase}')\" = Running ]"

pids=$(cat "$dir"/pids/*.pid; find /sys/fs/cgroup/pids/"$NETNS" -name cgroup.procs -exec cat {} + 2>/dev/null)
"$here/down.sh" "$dir" >/dev/null 2>&1
still=""
for pid in $pids; do alive "$pid" && still+=" $pid"; done
mounts=$(findmnt -rn -o TARGET | grep -cF "$dir/")
after=$(host_state)
if [ -z "$still" ] && [ "$mounts" = 0 ] && [ "$after" = "$before" ] && [ ! -d "$dir" ]; then
  ok "down.sh leaves no process, network namespace, link, chain, ipset, cgroup, mount or state"
else
  fail "down.sh left: pids:$still mounts:$mounts host: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
fi
finish
