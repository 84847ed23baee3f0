#!/usr/bin/env bash
# The operator's own servers against a real control plane (run it through e2e/with_cluster.sh):
# secure metrics (HTTPS; a scraper authenticated by TokenReview and authorized by
# SubjectAccessReview, on the operator's own RBAC) with a self-signed certificate and with one
# from --metrics-cert-dir; and the probes answering while 1,100 connections that never finish
# their headers flood /metrics, under a file-descriptor limit of 1,024.
#   usage: e2e/operator/serving_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
$kubectl create namespace monitoring >/dev/null
$kubectl -n monitoring create serviceaccount prometheus >/dev/null
$kubectl -n monitoring create serviceaccount nosy >/dev/null
$kubectl create clusterrolebinding prometheus-bulwark-metrics --clusterrole=bulwark-metrics-reader \
  --serviceaccount=monitoring:prometheus >/dev/null
scraper=$($kubectl -n monitoring create token prometheus)
nosy=$($kubectl -n monitoring create token nosy)

metrics_port=$(free_port) probe_port=$(free_port)
# The whole test runs with at most 1,024 open files, as a container often does; the flood below
# raises its own limit.
ulimit -Sn 1024
start_own_operator secure --metrics-secure --metrics-bind-address "127.0.0.1:$metrics_port" \
  --health-probe-bind-address "127.0.0.1:$probe_port"
pid=$started_pid
url="https://127.0.0.1:$metrics_port/metrics"
code() { curl -sk -o /dev/null -w '%{http_code}' "$@"; }
eventually 30 curl -sf "http://127.0.0.1:$probe_port/readyz" || fail "the operator became ready"

[ "$(code "$url")" = 401 ] && ok "no token: 401" || fail "no token: $(code "$url")"
[ "$(code -H "Authorization: Bearer not-a-token" "$url")" = 401 ] && ok "a token the API server rejects: 401" \
  || fail "a rejected token: $(code -H "Authorization: Bearer not-a-token" "$url")"
[ "$(code -H "Authorization: Bearer $nosy" "$url")" = 403 ] && ok "a ServiceAccount without get /metrics: 403" \
  || fail "without get /metrics: $(code -H "Authorization: Bearer $nosy" "$url")"
# Bodies are read whole before grep: grep -q stops reading at its match, and under pipefail the
# writer's SIGPIPE would fail the pipeline.
body=$(curl -sk -H "Authorization: Bearer $scraper" "$url")
grep -q '^bulwark_build_info' <<<"$body" \
  && ok "a scraper bound to bulwark-metrics-reader gets the metrics, over HTTPS" || fail "the scraper gets the metrics"
# No -q: under pipefail a grep that quits at a match fails curl's next write, and `!` would then
# pass a plain-HTTP answer.
! curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics" | grep bulwark >/dev/null \
  && ok "plain HTTP gets nothing" || fail "plain HTTP was answered"
grep -q 'self-signed' "$work/secure.log" && ok "without a certificate it says it serves a self-signed one" \
  || fail "no word of the self-signed certificate"

# The flood: 1,100 connections, half of them silent from the start, half sending half a request
# after the TLS handshake, all held open.
flood() {
  python3 - "$metrics_port" "$work/flooded" <<'PY' &
import resource, socket, ssl, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
tls = ssl.create_default_context()
tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
held = []
for i in range(1100):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
        if i % 2:
            s = tls.wrap_socket(s)
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        held.append(s)
    except OSError:
        held.append(None)  # refused or closed at once: the server shed it
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % len(held))
time.sleep(600)
PY
  flooder=$!
}
open_files() { ls "/proc/$pid/fd" | wc -l; }
# The metrics server's own connections: the operator's other files include its connections to the
# API server, whose pool grows and shrinks with its requests (a count of all files once failed
# by 3 for that, the flood long gone).
served() { ss -tanpH state established "( sport = :$metrics_port )" | grep -c "pid=$pid,"; }
before=$(open_files)
flood
eventually 30 test -s "$work/flooded" && [ "$(cat "$work/flooded")" = 1100 ] \
  && ok "1,100 connections tried, half silent, half sending half a request" || fail "the flood tried $(cat "$work/flooded" 2>/dev/null) connections"
healthy=0
for _ in 1 2 3 4 5; do
  [ "$(curl -s --max-time 2 "http://127.0.0.1:$probe_port/healthz")" = ok ] && healthy=$((healthy + 1))
done
[ "$healthy" = 5 ] && ok "/healthz answers while /metrics is flooded" || fail "/healthz answered $healthy of 5 times"
during=$(open_files)
# One source (127.0.0.1) may hold 4 of the metrics server's connections.
[ "$(served)" -le 4 ] && [ "$during" -lt $((before + 30)) ] \
  && ok "the flood, from one source, holds $(served) connections and a bounded number of files ($before before, $during during)" \
  || fail "the flood holds $(served) connections and $during files ($before before; 4 connections expected)"
back() { [ "$(served)" -eq 0 ]; }
eventually 30 back && ok "the half-sent requests are cut off at the request timeout" \
  || { fail "still $(served) connections to /metrics open"; ls -l "/proc/$pid/fd" >&2
       ss -tanp | grep "pid=$pid," >&2; }
kill "$flooder"; wait "$flooder" 2>/dev/null
stop_operator "$pid"

# A certificate of its own (--metrics-cert-dir), verified by the client.
certs="$work/certs"; mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bulwark-metrics \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$certs/tls.key" -out "$certs/tls.crt" 2>/dev/null
start_own_operator given --metrics-secure --metrics-cert-dir "$certs" \
  --metrics-bind-address "127.0.0.1:$metrics_port"
verified() {
  local body
  body=$(curl -sf --cacert "$certs/tls.crt" -H "Authorization: Bearer $scraper" "$url") &&
    grep -q '^bulwark_build_info' <<<"$body"
}
eventually 30 verified && ok "with --metrics-cert-dir the client verifies the given certificate" \
  || fail "the given certificate"
stop_operator "$started_pid"
start_own_operator missing --metrics-secure --metrics-cert-dir "$work/nowhere" \
  --metrics-bind-address "127.0.0.1:$metrics_port"
status=0; wait "$started_pid" || status=$?
[ "$status" = 2 ] && grep -q "cannot read $work/nowhere/tls.crt" "$work/missing.log" \
  && ok "a missing certificate stops the operator with status 2, naming the file" || fail "status $status"
finish
