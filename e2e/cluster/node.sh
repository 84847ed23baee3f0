#!/usr/bin/env bash
# The real node of `up.sh --real-node`: kube-scheduler, containerd (with runc and the CNI bridge
# plugins from Debian), a kubelet named by its IP, kube-router as the NetworkPolicy enforcer
# (firewall only) and kube-proxy for ClusterIPs. Root only. Measured facts and pitfalls: ../shared/design/REAL_NODES.md.
#
# Everything runs in a network namespace of its own, which up.sh makes first (`netns`) and runs
# the control plane in too: the bridge bk0 (the node, 198.18.0.1/25; pods get 198.18.0.2-126),
# kube-router's iptables chains and ipsets all live there, and nothing in it has a route off the
# host. The node's processes (containerd, its shims and every container) run in a cgroup of their
# own (/bulwark-ID in every hierarchy), so `stop` finds and stops exactly them, then removes every
# mount under DIR (root filesystems, volumes, and the pods' network namespaces, which containerd
# mounts there), the cgroups, and the network namespace.
#   usage: e2e/cluster/node.sh netns|start|stop DIR
#          e2e/cluster/node.sh alias DIR IMAGE...  (the test image under these names too)
#          e2e/cluster/node.sh enforcer DIR kill|clean|start  (kube-router crashed, gone, back)
# BULWARK_NODE_ENFORCER=none starts the node without kube-router: NetworkPolicy not enforced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=${1:-}
dir=$(cd "${2:?usage: e2e/cluster/node.sh netns|start|stop|alias DIR}" && pwd)
timeout=${BULWARK_CLUSTER_TIMEOUT:-60}
# shellcheck source=lib.sh
. "$here/lib.sh"

node_ip=198.18.0.1
id=bulwark-$(echo -n "$dir" | sha256sum | cut -c1-10)  # the netns and cgroup name
netns=$id
in_ns() { nsenter --net="/run/netns/$netns" -- "$@"; }
node=$dir/node
sock=$node/containerd.sock
pids_cgroup=/sys/fs/cgroup/pids/$id/node

# start_node N-NAME BINARY ARGS...: run in the node's cgroup and network namespace, in the
# background; record pid and binary as up.sh does.
start_node() {
  local name=$1; shift
  mkdir -p "$pids_cgroup"
  # shellcheck disable=SC2016
  nohup sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$pids_cgroup" \
    nsenter --net="/run/netns/$netns" -- "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/pids/$name.pid"
  echo "$1" >"$dir/pids/$name.exe"
}

make_netns() {
  [ "$(id -u)" -eq 0 ] || { echo "up.sh --real-node needs root (network namespaces, cgroups, containerd)" >&2; exit 2; }
  for tool in containerd runc ctr iptables ipset nsenter; do
    command -v "$tool" >/dev/null || { echo "up.sh --real-node: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
  done
  [ -x /usr/lib/cni/bridge ] || { echo "up.sh --real-node: the CNI plugins are missing (containernetworking-plugins)" >&2; exit 2; }
  ip netns add "$netns"
  in_ns ip link set lo up
  in_ns ip link add bk0 type bridge
  in_ns ip addr add "$node_ip/25" dev bk0
  in_ns ip link set bk0 up
  # Bridged pod-to-pod traffic goes through iptables, where kube-router filters it.
  in_ns sh -c 'echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables'
  echo "NETNS=$netns" >>"$dir/node.env"
}

write_configs() {
  mkdir -p "$node"/{containerd/root,containerd/state,cni,cni-ipam,kubelet,kubelet-certs,pod-logs}
  cat >"$node/containerd.toml" <<TOML
version = 2
root = "$node/containerd/root"
[debug]
  level = "${BULWARK_NODE_LOG_LEVEL:-info}"
state = "$node/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "bulwark.test/image:pause"
  enable_selinux = false
  # This machine's root lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj below ours, and
  # the sandbox's -998 would fail every pod ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  # The pods' network namespaces are mounted under DIR, not /run/netns, so down.sh finds them
  # with every other mount of ours even after a killed run.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node/cni"
  # The test registry on the node's address (e2e/images), over plain HTTP: that host alone.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$node/certs.d"
TOML
  mkdir -p "$node/certs.d/$node_ip:5000"
  cat >"$node/certs.d/$node_ip:5000/hosts.toml" <<HOSTS
server = "http://$node_ip:5000"
[host."http://$node_ip:5000"]
  capabilities = ["pull", "resolve"]
HOSTS
  cat >"$node/cni/10-bulwark.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "bulwark", "plugins": [
  {"type": "bridge", "bridge": "bk0", "isGateway": true, "isDefaultGateway": true, "ipMasq": false,
   "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$node/cni-ipam",
            "ranges": [[{"subnet": "198.18.0.0/25", "rangeStart": "198.18.0.2",
                         "rangeEnd": "198.18.0.126", "gateway": "$node_ip"}]]}}]}
CNI
  cat >"$node/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$id/pods
address: $node_ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
failSwapOn: false
enforceNodeAllocatable: []
evictionHard: {memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
containerRuntimeEndpoint: unix://$sock
podLogsDir: $node/pod-logs
resolvConf: ""
registerNode: true
KUBELET
}

# The node's cgroups: /ID/node for its processes (pids hierarchy) and /ID/pods, the kubelet's
# cgroupRoot, which must exist in every hierarchy. cpuset children start with no CPUs or memory
# nodes: they get their parent's.
make_cgroups() {
  local h sub
  for h in /sys/fs/cgroup/*/; do
    [ "$(basename "$h")" = unified ] && continue
    for sub in "$id" "$id/pods"; do
      mkdir -p "$h$sub"
      if [ -f "$h$sub/cpuset.cpus" ]; then
        cat "$(dirname "$h$sub")/cpuset.cpus" >"$h$sub/cpuset.cpus"
        cat "$(dirname "$h$sub")/cpuset.mems" >"$h$sub/cpuset.mems"
      fi
    done
  done
  mkdir -p "$pids_cgroup"
}

start_node_processes() {
  local bin images
  bin=$("$here/build.sh" node)
  images=$("$here/node_image.sh")
  # shellcheck disable=SC1091
  . "$dir/env"
  write_configs
  make_cgroups
  start_node 4-kube-scheduler "$bin/kube-scheduler" --kubeconfig "$dir/kubeconfig" \
    --authentication-kubeconfig "$dir/kubeconfig" --authorization-kubeconfig "$dir/kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port 10259
  start_node 5-containerd "$(command -v containerd)" --config "$node/containerd.toml"
  wait_for 5-containerd ctr --address "$sock" version
  ctr --address "$sock" -n k8s.io images import --base-name bulwark.test/image "$images" >/dev/null
  start_node 6-kubelet "$bin/kubelet" --config "$node/kubelet.yaml" --kubeconfig "$dir/kubeconfig" \
    --hostname-override "$node_ip" --node-ip "$node_ip" --root-dir "$node/kubelet" \
    --cert-dir "$node/kubelet-certs" --v 1
  wait_for 6-kubelet node_ready
  # New nodes carry the not-ready taint, which only the node-lifecycle controller (not run here)
  # removes once the node is Ready.
  in_ns "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" taint nodes "$node_ip" \
    node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
  # The node's podCIDR, as a controller that allocates them would set it: the range the CNI
  # configuration hands out (the enforcement canary probes only inside it).
  in_ns "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" patch node "$node_ip" --type merge \
    -p '{"spec":{"podCIDR":"198.18.0.0/25","podCIDRs":["198.18.0.0/25"]}}' >/dev/null
  if [ "${BULWARK_NODE_ENFORCER:-kube-router}" = kube-router ]; then start_enforcer "$bin"; fi
  # ClusterIPs, the `kubernetes` Service's among them: kube-proxy in iptables mode (no IPVS in
  # this kernel), node ports only on the bridge, no conntrack sysctl.
  start_node 8-kube-proxy "$bin/kube-proxy" --kubeconfig "$dir/kubeconfig" \
    --hostname-override "$node_ip" --proxy-mode iptables --cluster-cidr 198.18.0.0/25 \
    --nodeport-addresses 198.18.0.0/24 --conntrack-max-per-core 0 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  wait_for 8-kube-proxy in_ns curl -sf http://127.0.0.1:10256/healthz
  wait_for 4-kube-scheduler in_ns curl -skf https://127.0.0.1:10259/healthz
  echo "NODE_IP=$node_ip" >>"$dir/node.env"
}

# kube-router as the NetworkPolicy enforcer (firewall only).
start_enforcer() {
  start_node 7-kube-router "$1/kube-router" --kubeconfig "$dir/kubeconfig" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
    --health-port=0 --metrics-port=0 --hostname-override="$node_ip" \
    --service-cluster-ip-range=198.18.0.128/25
  wait_for 7-kube-router in_ns iptables -S KUBE-ROUTER-FORWARD
}

# enforcer kill: kube-router as a crash leaves it (SIGKILL: its chains and ipsets stay and go on
# holding what they held). clean: its chains and ipsets removed too, as if it had never run.
# start: again.
enforcer() {
  case "$1" in
    kill|clean)
      if [ -f "$dir/pids/7-kube-router.pid" ]; then
        local pid
        pid=$(cat "$dir/pids/7-kube-router.pid")
        if alive "$pid"; then kill -KILL "$pid"; fi
        while alive "$pid"; do sleep 0.1; done
        rm -f "$dir/pids/7-kube-router.pid"
      fi
      if [ "$1" = clean ]; then
        in_ns iptables-save -t filter | grep -Ev 'KUBE-(ROUTER|NWPLCY|POD-FW)' | in_ns iptables-restore -T filter
        local set
        for set in $(in_ns ipset list -n); do in_ns ipset destroy "$set"; done
      fi ;;
    start)
      # shellcheck disable=SC1091
      . "$dir/env"
      start_enforcer "$("$here/build.sh" node)" ;;
    *) echo "usage: e2e/cluster/node.sh enforcer DIR kill|clean|start" >&2; exit 2 ;;
  esac
}

node_ready() {
  [ "$(in_ns "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" get node "$node_ip" \
      -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# Every live process in the node's cgroups (a zombie waits for its parent, not for us).
node_processes() {
  [ -d "/sys/fs/cgroup/pids/$id" ] || return 0
  local pid
  for pid in $(find "/sys/fs/cgroup/pids/$id" -name cgroup.procs -exec cat {} + 2>/dev/null || true); do
    if alive "$pid"; then echo "$pid"; fi
  done
}

stop_node() {
  # The kubelet first: it would start the pods again.
  if [ -f "$dir/pids/6-kubelet.pid" ]; then stop_one "$dir/pids/6-kubelet.pid"; fi
  local pid deadline
  deadline=$(( $(date +%s) + 20 ))
  while [ -n "$(node_processes)" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    for pid in $(node_processes); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.1
  done
  # Mounts under DIR (container root filesystems, pod volumes, the pods' network namespaces),
  # deepest first.
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r || true); do
    umount -l "$m" 2>/dev/null || true
  done
  local h
  for h in /sys/fs/cgroup/*/"$id"; do
    if [ -d "$h" ]; then find "$h" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  ip netns delete "$netns" 2>/dev/null || true
  rm -f "$dir"/pids/[4-8]-*.pid
}

# alias IMAGE...: the non-root test image under each name as the kubelet asks for it (a name
# without a registry is Docker Hub's), so manifests written for other images run here as they
# are; with imagePullPolicy Never nothing is ever pulled.
alias_images() {
  local name full
  for name in "$@"; do
    full=$name
    [[ "${full%%/*}" == *.* || "${full%%/*}" == *:* || "${full%%/*}" == localhost ]] && [[ "$full" == */* ]] ||
      { [[ "$full" == */* ]] && full=docker.io/$full || full=docker.io/library/$full; }
    [[ "${full##*/}" == *:* || "$full" == *@* ]] || full=$full:latest
    ctr --address "$sock" -n k8s.io images tag --force bulwark.test/image:nonroot "$full" >/dev/null
  done
}

case "$action" in
  netns) make_netns ;;
  start) start_node_processes ;;
  stop) stop_node ;;
  alias) shift 2; alias_images "$@" ;;
  enforcer) enforcer "${3:-}" ;;
  *) echo "usage: e2e/cluster/node.sh netns|start|stop|alias|enforcer DIR" >&2; exit 2 ;;
esac
