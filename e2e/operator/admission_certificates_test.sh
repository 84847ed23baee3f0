#!/usr/bin/env bash
# The webhook's own certificates against a real control plane (run it through
# e2e/with_cluster.sh), with failurePolicy Fail so that any failed call shows:
# - two replicas started at once agree on one CA and certificate (the Secret bulwark-webhook-tls),
#   and the configuration trusts it;
# - with lives of 60 s (CA) and 30 s (certificate), rotations happen during a stream of creates
#   and no create fails;
# - behind one address (a round-robin proxy standing in for the Service), the leader is killed
#   and admission carries on.
#   usage: e2e/operator/admission_certificates_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
$kubectl create namespace stream >/dev/null
proxy_port=$(free_port) port_a=$(free_port) port_b=$(free_port)
url="https://127.0.0.1:$proxy_port/validate"
# The Service: connections to proxy_port go to a or b in turn, skipping one that refuses (as
# endpoints drop a dead pod).
python3 - "$proxy_port" "$port_a" "$port_b" >"$work/proxy.log" 2>&1 <<'PY' &
import itertools, socket, sys, threading
listen, backends = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
turn = itertools.cycle(range(len(backends)))
def pipe(a, b):
    try:
        while (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def serve(client):
    first = next(turn)
    for i in range(len(backends)):
        try:
            upstream = socket.create_connection(("127.0.0.1", backends[(first + i) % len(backends)]), timeout=1)
            break
        except OSError:
            continue
    else:
        client.close(); return
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    pipe(upstream, client)
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen)); server.listen(64)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
proxy=$!
sa_kubeconfig "$work/sa.kubeconfig"
cat >"$work/config.yaml" <<CFG
log: {level: debug}
leaderElection: {enabled: true, namespace: bulwark-system, leaseDuration: 4s, renewDeadline: 3s, retryPeriod: 1s}
admission: {url: "$url", failurePolicy: Fail, caValidity: 60s, certificateValidity: 30s}
CFG
fence_webhook "$url" Fail
for r in a b; do
  start_operator "$r" --config "$work/config.yaml" --kubeconfig "$work/sa.kubeconfig" \
    --health-probe-bind-address 0 --metrics-bind-address 0 \
    --webhook-bind-address "127.0.0.1:$(eval echo "\$port_$r")"
  eval "pid_$r=$started_pid"
done

fingerprint() {  # PORT: the SHA-256 of the certificate served there
  openssl s_client -connect "127.0.0.1:$1" -servername 127.0.0.1 </dev/null 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
secret_ca() { $kubectl -n bulwark-system get secret bulwark-webhook-tls -o jsonpath='{.data.ca\.crt}' 2>/dev/null; }
bundle() { $kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].clientConfig.caBundle}'; }
agree() {
  local fa fb; fa=$(fingerprint "$port_a"); fb=$(fingerprint "$port_b")
  [ -n "$fa" ] && [ "$fa" = "$fb" ] && [ -n "$(secret_ca)" ] && [ "$(bundle)" = "$(secret_ca)" ]
}
eventually 30 agree && ok "two replicas started at once serve one certificate, and the configuration trusts its CA" \
  || fail "a: $(fingerprint "$port_a") b: $(fingerprint "$port_b"); secret CA ${#secret_ca} bytes"

# A stream of creates for 75 s (two CA lives' worth of certificate renewals and a CA rotation);
# with failurePolicy Fail, a call the API server could not make would fail the create.
stream() {  # SECONDS PREFIX: prints "creates failures"
  local i=0 failures=0 end=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    if ! $kubectl -n stream run "$2-$i" --image=registry.example.com/app:1.0 --restart=Never \
         >"$work/create.out" 2>&1; then
      failures=$((failures + 1)); cat "$work/create.out" >>"$work/failures.log"
    fi
    sleep 0.2
  done
  echo "$i $failures"
}
# (The lib's own counters are passed and failed: these are creates and refused.)
read -r creates refused <<<"$(stream 75 rotating)"
renewals=$(cat "$work/a.log" "$work/b.log" | grep -c 'a new serving certificate from the current CA')
ca_rotations=$(cat "$work/a.log" "$work/b.log" | grep -c 'a new CA joins the bundle')
[ "$renewals" -ge 2 ] && [ "$ca_rotations" -ge 1 ] \
  && ok "rotations happened during the stream ($renewals certificate renewals, $ca_rotations CA rotations)" \
  || fail "rotations: $renewals renewals, $ca_rotations CA rotations"
[ "$refused" = 0 ] && ok "none of $creates pod creates failed while certificates rotated" \
  || fail "$refused of $creates creates failed: $(head -3 "$work/failures.log")"

# The leader killed: the other replica answers alone.
if grep -q 'controllers started' "$work/a.log"; then leader=a; else leader=b; fi
stop_operator "$(eval echo "\$pid_$leader")" KILL
read -r creates refused <<<"$(stream 10 leaderless)"
[ "$refused" = 0 ] && ok "with the leader killed, admission carries on ($creates creates, none failed)" \
  || fail "$refused of $creates creates failed without the leader: $(head -3 "$work/failures.log")"
kill "$proxy"; wait "$proxy" 2>/dev/null
finish
