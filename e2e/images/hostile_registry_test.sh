#!/usr/bin/env bash
# bulwark scan --verify against a registry that misbehaves on purpose (hostile_registry.py): a
# 10 GB body announced, an endless body, a body of one byte a second, a redirect loop, HTML for a
# manifest, a redirect down to plain HTTP elsewhere, a signature layer declaring 100 MB and one
# whose blob is 100 MB. Each is refused within its bound, never read as signed, and the image is
# not evaluated (or, for what the registry itself declares unreadable, a bad signature).
#   usage: e2e/images/hostile_registry_test.sh BULWARK
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bulwark=$1
. "$here/../lib.sh"
work=$(mktemp -d)
port=$(free_port)
addr=127.0.0.72:$port
python3 "$here/hostile_registry.py" 127.0.0.72 "$port" "127.0.0.73:$port" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
eventually 10 curl -s -o /dev/null "http://$addr/v2/" || { fail "the hostile registry did not start"; finish; exit 1; }

cat >"$work/policy.yaml" <<POLICY
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: signed-images}
spec:
  podSecurity: {level: privileged}
  images:
    forbidLatestTag: false
    verify:
    - imageReferences: ["$addr"]
      publicKeys:
      - pem: |
$(sed 's/^/          /' "$here/testdata/ec.pub")
POLICY
for repo in huge endless slow loop html downgrade biglayer bigblob; do
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - {name: app, image: "%s/%s:v1"}\n' \
    "$repo" "$addr" "$repo"
done >"$work/pods.yaml"

start=$(date +%s)
out=$("$bulwark" scan --verify --insecure-registry "$addr" --policy "$work/policy.yaml" -o json \
  "$work/pods.yaml" 2>"$work/err" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    texts = [v["message"] for v in r["violations"] if v["control"] == "imageSignature"]
    texts += [n["reason"] for n in r["notEvaluated"] if n["control"] == "imageSignature"]
    print(r["name"], r["posture"], " | ".join(texts))')
took=$(( $(date +%s) - start ))
rss=$(grep -s VmHWM "$work/err")
expect() {  # expect NAME POSTURE TEXT
  local line
  line=$(grep "^$1 " <<<"$out")
  [[ "$line" == "$1 $2"* && "$line" == *"$3"* ]] && ok "$1: $2 ($3)" ||
    fail "$1: wanted $2 with \"$3\", got: ${line:-nothing} $(cat "$work/err")"
}
expect huge not-evaluated "announced a body over 4194304 bytes"
expect endless not-evaluated "sent a body over 4194304 bytes"
expect slow not-evaluated "did not finish its answer within 5000 ms"
expect loop not-evaluated "redirected more than 3 times"
expect html not-evaluated "Content-Type \"text/html\" for a manifest"
expect downgrade not-evaluated "redirected to plain HTTP at 127.0.0.73"
expect biglayer violating "size is missing or not between 0 and 65536"
expect bigblob violating "payload is refused: 127.0.0.72:$port sent a body over 200 bytes"
# Eight images, one request's bound (5 s) at most each, and only the slow one near it.
[ "$took" -le 20 ] && ok "the whole scan took ${took} s" || fail "the scan took ${took} s"
finish
