# Shared by up.sh and down.sh. Every process recorded here was started by up.sh; stop_recorded
# stops only those, and only while their command line still names the binary we started.

# stop_recorded DIR: TERM each recorded pid, wait, then KILL what is left.
stop_recorded() {
  local dir=$1 pidfile pid
  [ -d "$dir/pids" ] || return 0
  for pidfile in "$dir"/pids/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if ours "$pid" "$pidfile"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  local deadline=$(( $(date +%s) + 15 ))
  for pidfile in "$dir"/pids/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    while ours "$pid" "$pidfile" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if ours "$pid" "$pidfile"; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$pidfile"
  done
}

# ours PID PIDFILE: the pid is alive and still runs the binary recorded beside it (pid reuse guard).
ours() {
  local pid=$1 pidfile=$2 exe
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  exe=$(cat "${pidfile%.pid}.exe" 2>/dev/null) || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$exe"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
