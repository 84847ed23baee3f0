#!/usr/bin/env bash
# `bulwark scan --verify` against a real registry (Debian's docker-registry) holding the
# reproducible test images and signatures made by real cosign (testdata/, make_signatures.sh):
# signed by tag and by digest (ECDSA P-256 and RSA) pass; unsigned, signed by another key, a
# signature copied to another repository and a tag moved to an unsigned image fail, each for its
# own reason; without --verify the control is not evaluated; a frozen registry (SIGSTOP on its own
# pid) is not evaluated within the request timeout, and verdicts come back once it resumes.
#   usage: e2e/images/scan_signatures_test.sh BULWARK
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bulwark=$1
. "$here/../lib.sh"
. "$here/registry.sh"
. "$here/lib.sh"
work=$(mktemp -d)
trap 'stop_registry; rm -rf "$work"' EXIT
# The address the committed signatures name (critical.identity.docker-reference).
addr=127.0.0.71:5000
start_registry "$addr" || { fail "the registry did not start"; finish; exit 1; }

push() { push_image "$addr" "$@"; }
signed=$(push team/app signed signed) && push_signature "$addr" team/app signed
push team/app rsa rsa >/dev/null && push_signature "$addr" team/app rsa
push team/app otherkey otherkey >/dev/null && push_signature "$addr" team/app otherkey
unsigned=$(push team/app unsigned unsigned)
push team/app moved signed >/dev/null
# The signed image and its signature copied, as they are, into another repository.
push team/copy v1 signed >/dev/null && push_signature "$addr" team/copy signed
# A multi-arch index, signed by its own digest as cosign signs it; its platform manifests are not.
push_index "$addr" team/app multiarch arch-amd64 arch-arm64 >/dev/null &&
  push_signature "$addr" team/app multiarch
amd64=$(python3 "$here/oci_image.py" digest arch-amd64)

indent() { sed 's/^/          /' "$1"; }
cat >"$work/policy.yaml" <<POLICY
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: signed-images}
spec:
  podSecurity: {level: privileged}
  images:
    forbidLatestTag: false
    verify:
    - imageReferences: ["$addr/team/*"]
      publicKeys:
      - pem: |
$(indent "$here/testdata/ec.pub")
      - pem: |
$(indent "$here/testdata/rsa.pub")
POLICY
pod() {  # pod NAME IMAGE
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - {name: app, image: "%s"}\n' "$1" "$2"
}
{
  pod by-tag "$addr/team/app:signed"
  pod by-digest "$addr/team/app@$signed"
  pod rsa "$addr/team/app:rsa"
  pod unsigned "$addr/team/app:unsigned"
  pod other-key "$addr/team/app:otherkey"
  pod copied "$addr/team/copy:v1"
  pod moved "$addr/team/app:moved"
  pod uncovered "nginx:1.27"
  pod multiarch "$addr/team/app:multiarch"
  pod platform "$addr/team/app@$amd64"
} >"$work/pods.yaml"

# scan [FLAGS]: the policy judged on pods.yaml, or on the files given with -f.
scan() {
  local files=("$work/pods.yaml")
  [[ " $* " == *" -f "* ]] && files=()
  "$bulwark" scan --policy "$work/policy.yaml" -o json "$@" "${files[@]}"
}
# verdicts [SCAN FLAGS]: one line per pod, "NAME POSTURE imageSignature-text".
verdicts() {
  scan "$@" 2>"$work/scan.err" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    texts = [v["message"] for v in r["violations"] if v["control"] == "imageSignature"]
    texts += ["not evaluated: " + n["reason"] for n in r["notEvaluated"] if n["control"] == "imageSignature"]
    print(r["name"], r["posture"], " | ".join(texts))'
}
expect() {  # expect NAME POSTURE TEXT: the line of pod NAME has that posture and contains TEXT
  local line
  line=$(grep "^$1 " <<<"$out")
  [[ "$line" == "$1 $2"* && "$line" == *"$3"* ]] && ok "$1: $2${3:+ ($3)}" ||
    fail "$1: wanted $2 with \"$3\", got: ${line:-nothing} $(cat "$work/scan.err")"
}

out=$(verdicts --verify --insecure-registry "$addr")
expect by-tag compliant ""
expect by-digest compliant ""
expect rsa compliant ""
expect unsigned violating "with no signature by a key of spec.images.verify"
expect other-key violating "no signature verifies under the policy's keys"
expect copied violating "copied from another repository"
expect moved compliant ""
expect uncovered compliant ""
expect multiarch compliant ""
expect platform violating "with no signature"

# The tag moved to the unsigned image: what it names now is judged.
push team/app moved unsigned >/dev/null
out=$(verdicts --verify --insecure-registry "$addr")
expect moved violating "$unsigned"

out=$(verdicts)
expect by-tag not-evaluated "reads no registry without --verify"
expect uncovered compliant ""

# HTTPS is the default: the plain-HTTP registry is not asked in the clear.
out=$(verdicts --verify)
expect by-tag not-evaluated "not evaluated"

kill -STOP "$registry_pid"
pod by-tag "$addr/team/app:signed" >"$work/one.yaml"
start=$(date +%s)
out=$(verdicts --verify --insecure-registry "$addr" -f "$work/one.yaml")
took=$(( $(date +%s) - start ))
expect by-tag not-evaluated "$addr"
[ "$took" -le 12 ] && ok "a frozen registry: answered in ${took} s (a request's bound is 5 s)" ||
  fail "a frozen registry held the scan ${took} s"
kill -CONT "$registry_pid"
out=$(verdicts --verify --insecure-registry "$addr")
expect by-tag compliant ""
expect unsigned violating "with no signature"
finish
