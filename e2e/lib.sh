# Shared by every e2e test script: its verdicts, their count and the closing line, and polling
# with a deadline. A script that keeps logs sets `fail_logs` to a glob of them (expanded when a
# check fails), whose last lines fail() prints.
passed=0 failed=0
fail_logs=""
e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Each verdict carries the seconds since the test began, so a failure in CI shows how late it came.
ok() { echo "PASS: $1 (${SECONDS}s)"; passed=$((passed + 1)); }
fail() {
  echo "FAIL: $1 (${SECONDS}s)"; failed=$((failed + 1))
  local f
  # shellcheck disable=SC2086  # the glob is meant to expand
  for f in $fail_logs; do [ -e "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
}
# Prints the closing line, "N passed, M failed", and sets the exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
# eventually SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
eventually() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$deadline" ] || return 1; sleep 0.1; done
}
# A free port on 127.0.0.1 (for a server the test starts), below the kernel's ephemeral range: a
# port from that range (what binding port 0 gives) can become a client connection's source port
# once its server stops, and a restart on the same port then fails (the faults suite restarts the
# controller-manager: "bind: address already in use" on 127.0.0.1:55333, taken by a client while
# it was down). Falls back to port 0 where the range leaves too little room below it.
free_port() {
  python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
base = max(1024, low - 12000)
for _ in range(200 if low - base >= 1000 else 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(base, low)))
    except OSError:
        continue
    break
else:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
# testdata FILE [VAR=VALUE...]: e2e/testdata/FILE, a manifest several scripts share, with each
# ${VAR} replaced by VALUE as it is (in order: a VALUE naming a later ${VAR} is replaced too).
testdata() {
  local text kv
  text=$(<"$e2e_dir/testdata/$1"); shift
  for kv in "$@"; do text=${text//"\${${kv%%=*}}"/"${kv#*=}"}; done
  printf '%s\n' "$text"
}

# start_prometheus TARGET [PREFIX...]: a Prometheus scraping TARGET (HOST:PORT, plain HTTP) every
# second and evaluating the shipped rules, on 127.0.0.1:$prom_port, its files in $work; PREFIX
# runs it (nsenter into the node's network namespace, say; it must exec, so the pid is
# Prometheus'). Sets prom_port and prometheus_pid; stop_prometheus stops it (call it on exit).
prometheus_pid=""
start_prometheus() {
  local target=$1; shift
  prom_port=$(free_port)
  cat >"$work/prometheus.yml" <<CFG
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$(cd "$e2e_dir/.." && pwd)/deploy/prometheus/bulwark-rules.yaml"]
scrape_configs:
- job_name: bulwark
  static_configs: [{targets: ["$target"]}]
CFG
  "$@" prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
  prometheus_pid=$!
}
stop_prometheus() {
  if [ -n "$prometheus_pid" ]; then kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null; fi
  prometheus_pid=""
}
