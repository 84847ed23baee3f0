# Sourced: a real registry (Debian's docker-registry, Distribution 2.8) for the image signature
# tests, started and stopped by pid.
#   start_registry ADDR [--tls CERT KEY] [--htpasswd FILE]: serves on ADDR (host:port), its storage
#     and config in $work/registry-ADDR; sets registry_pid and waits until /v2/ answers.
#   stop_registry: stops it (call it on exit).
registry_pid=""
start_registry() {
  local addr=$1 tls="" auth="" scheme=http; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls="  tls: {certificate: $2, key: $3}"; scheme=https; shift 3 ;;
      --htpasswd) auth="auth: {htpasswd: {realm: bulwark-test, path: $2}}"; shift 2 ;;
      *) echo "start_registry: unknown $1" >&2; return 2 ;;
    esac
  done
  local dir="$work/registry-${addr//[:.]/-}"
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<CFG
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $dir/storage}
  delete: {enabled: true}
http:
  addr: $addr
$tls
$auth
CFG
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  registry_pid=$!
  local deadline=$(( $(date +%s) + 20 ))
  # Any answer (401 included) shows it serves; --insecure only for the test CA's certificate.
  until curl -s --insecure -o /dev/null "$scheme://$addr/v2/"; do
    kill -0 "$registry_pid" 2>/dev/null || { cat "$dir/log" >&2; return 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "registry on $addr not serving" >&2; return 1; }
    sleep 0.1
  done
}
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill -CONT "$registry_pid" 2>/dev/null
    kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  fi
  registry_pid=""
}
