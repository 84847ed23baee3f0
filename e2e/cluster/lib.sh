# Shared by up.sh, down.sh and test.sh. Every process recorded here was started by up.sh;
# stop_recorded stops only those, and only while their command line still names the binary that
# was started (a guard against pid reuse).

# stop_recorded DIR: stops the recorded processes in reverse start order (the controller-manager,
# then kube-apiserver, then etcd), each with TERM, then KILL after a grace period. Stopping etcd
# last lets kube-apiserver finish its shutdown hooks instead of retrying a vanished etcd.
stop_recorded() {
  local dir=$1 pidfile
  [ -d "$dir/pids" ] || return 0
  for pidfile in $(ls -r "$dir"/pids/*.pid 2>/dev/null); do stop_one "$pidfile" 20; done
}

# stop_one PIDFILE [GRACE]: TERM, then KILL after GRACE seconds (default 10), if the process is
# still the recorded binary; the pid file goes either way.
stop_one() {
  local pid deadline
  pid=$(cat "$1")
  if ours "$pid" "$1"; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + ${2:-10} ))
    while ours "$pid" "$1" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if ours "$pid" "$1"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$1"
}

# wait_for NAME CMD...: poll CMD until it succeeds, or fail with the tail of DIR/logs/NAME.log
# when the recorded process exited or $timeout seconds passed. Needs `dir` and `timeout` set.
wait_for() {
  local name=$1; shift
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    # alive, not ours: right after the start, the recorded pid may still be between its execs
    # (sh, nsenter, the binary), when its command line can read empty.
    if [ "$(date +%s)" -ge "$deadline" ] || ! alive "$(cat "$dir/pids/$name.pid")"; then
      echo "$name did not become ready; last lines of $dir/logs/$name.log:" >&2
      tail -n 30 "$dir/logs/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# alive PID: the process exists and is not a zombie waiting to be reaped.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# ours PID PIDFILE: the pid is alive and still runs the binary recorded beside it.
ours() {
  local pid=$1 pidfile=$2 exe
  [ -n "$pid" ] && alive "$pid" || return 1
  exe=$(cat "${pidfile%.pid}.exe" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$exe"
}

# owns_port PID PORT [RUNNER...]: PID holds the TCP listener on PORT (RUNNER, such as nsenter, runs
# ss where the process is). Tests run side by side, each with its own cluster: a port free_port
# chose may be taken by another cluster's component before ours binds it, and a probe of the port
# alone would then take that other component for ours.
owns_port() {
  local pid=$1 port=$2
  shift 2
  "$@" ss -ltnpH "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"
}

# free_port (a TCP port on 127.0.0.1 that nothing listens on right now), and the verdicts of the
# test scripts that source this file.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
