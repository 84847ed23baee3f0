# Shared by up.sh, down.sh and test.sh. Every process recorded here was started by up.sh;
# stop_recorded stops only those, and only while their command line still names the binary that
# was started (a guard against pid reuse).

# stop_recorded DIR: stops the recorded processes in reverse start order (the controller-manager,
# then kube-apiserver, then etcd), each with TERM, then KILL after a grace period. Stopping etcd
# last lets kube-apiserver finish its shutdown hooks instead of retrying a vanished etcd.
stop_recorded() {
  local dir=$1 pidfile pid deadline
  [ -d "$dir/pids" ] || return 0
  for pidfile in $(ls -r "$dir"/pids/*.pid 2>/dev/null); do
    pid=$(cat "$pidfile")
    if ours "$pid" "$pidfile"; then
      kill -TERM "$pid" 2>/dev/null || true
      deadline=$(( $(date +%s) + 20 ))
      while ours "$pid" "$pidfile" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
      if ours "$pid" "$pidfile"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$pidfile"
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

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
