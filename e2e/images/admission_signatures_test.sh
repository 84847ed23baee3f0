#!/usr/bin/env bash
# imageSignature at admission, against a real control plane and a real registry (run it through
# e2e/with_cluster.sh): the API server calls the operator's webhook, which verifies against
# Debian's docker-registry holding the reproducible test images and the signatures real cosign
# made (testdata/). Under Enforce + Deny, pods of signed images are admitted by tag and by digest;
# unsigned, wrongly signed, copied-signature and moved-tag ones are refused naming the control
# and field; with the registry frozen (SIGSTOP), the webhook still answers within its timeout,
# refusing (it fails closed for this control), and admits again once the registry resumes.
#   usage: e2e/with_cluster.sh e2e/images/admission_signatures_test.sh BULWARK
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
. "$here/registry.sh"
. "$here/lib.sh"
addr=127.0.0.71:5000
start_registry "$addr" || { fail "the registry did not start"; finish; exit 1; }
trap 'stop_registry; cleanup' EXIT
push() { push_image "$addr" "$@"; }
signed=$(push team/app signed signed) && push_signature "$addr" team/app signed
push team/app otherkey otherkey >/dev/null && push_signature "$addr" team/app otherkey
push team/app unsigned unsigned >/dev/null
push team/app moved signed >/dev/null
push team/app fresh signed >/dev/null  # the signed image under a tag no review has named
push team/copy v1 signed >/dev/null && push_signature "$addr" team/copy signed

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port)
url="https://127.0.0.1:$port/validate"
cat >"$work/config.yaml" <<CFG
log: {level: debug}
admission: {url: "$url"}
registries: {insecureHosts: ["$addr"], requestTimeout: 5s, admissionBudget: 2s}
CFG
fence_webhook "$url"
$kubectl create namespace shop >/dev/null
start_own_operator shop --webhook-bind-address "127.0.0.1:$port"
{
  cat <<P
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: signed-only}
spec:
  podSecurity: {level: privileged}
  images:
    forbidLatestTag: false
    verify:
P
  verify_entry "$addr/team/*"
  echo "  enforcement: {mode: Enforce, actions: [Deny]}"
} | $kubectl apply -f - >/dev/null

# The API server itself refuses what would verify nothing: keyless, and patterns that cover
# nothing (the CRD's rule and pattern, before the operator sees them).
refused_policy() {  # refused_policy ENTRY_YAML EXPECTED
  if ! printf 'apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: bad}\nspec:\n  images:\n    verify:\n%s\n' "$1" |
       $kubectl apply --dry-run=server -f - >"$work/out" 2>&1 && grep -q "$2" "$work/out"; then
    ok "the API server refuses $3"
  else
    fail "$3 was not refused as expected: $(cat "$work/out")"
  fi
}
refused_policy '    - {imageReferences: [a.test/x], publicKeys: [{pem: x}], keyless: {issuer: x}}' \
  'keyless verification (Fulcio certificates, Rekor inclusion) is not supported' "keyless, by name"
refused_policy '    - {imageReferences: ["*"], publicKeys: [{pem: x}]}' 'should match' "an imageReferences of \"*\""

# create NAME IMAGE [FLAGS...]: a pod, its output in $work/out.
create() {
  $kubectl -n shop run "$1" --image="$2" --restart=Never "${@:3}" >"$work/out" 2>&1
}
in_force() { ! create probe "$addr/team/app:unsigned" --dry-run=server && grep -q 'denied the request' "$work/out"; }
eventually 60 in_force && ok "the policy is in force at admission" \
  || fail "the policy never took effect: $(cat "$work/out")"
create by-tag "$addr/team/app:signed" && ok "a signed image by tag is admitted" \
  || fail "a signed image by tag: $(cat "$work/out")"
create by-digest "$addr/team/app@$signed" && ok "a signed image by digest is admitted" \
  || fail "a signed image by digest: $(cat "$work/out")"
refused() {  # refused NAME IMAGE WHAT
  if ! create "$1" "$2" && grep -q -- '- imageSignature (spec.containers\[0\].image)' "$work/out"; then
    ok "$3 is refused, naming imageSignature and the field"
  else
    fail "$3: $(cat "$work/out")"
  fi
}
refused unsigned "$addr/team/app:unsigned" "an unsigned image"
refused other-key "$addr/team/app:otherkey" "an image signed by another key"
refused copied "$addr/team/copy:v1" "a signature copied to another repository"
create moved-before "$addr/team/app:moved" && ok "a tag on the signed image is admitted" \
  || fail "the signed tag: $(cat "$work/out")"
push team/app moved unsigned >/dev/null
refused moved-after "$addr/team/app:moved" "the tag moved to an unsigned image"

kill -STOP "$registry_pid"
start=$(date +%s%N)
# A tag is resolved at every review: with the registry frozen, even the signed image under a tag
# not seen before cannot be verified in time, and is refused.
refused frozen "$addr/team/app:fresh" "with the registry frozen, the signed image by a tag"
took=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$took" -lt 3000 ] && ok "... answered in $took ms, within the webhook's 3 s" \
  || fail "the webhook took $took ms with the registry frozen"
# Verified before the freeze: its verdict is cached, so it is admitted without the registry.
create by-digest-again "$addr/team/app@$signed" && ok "... a digest verified before is admitted from the cache" \
  || fail "the cached verdict: $(cat "$work/out")"
kill -CONT "$registry_pid"
eventually 30 create resumed "$addr/team/app:signed" && ok "the registry resumed: admitted again without a restart" \
  || fail "after the registry resumed: $(cat "$work/out")"
finish
