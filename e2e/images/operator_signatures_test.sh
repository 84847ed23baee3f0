#!/usr/bin/env bash
# imageSignature in the running operator, against a real control plane and a real registry (run it
# through e2e/with_cluster.sh): containers are judged by the digest they run, which the test
# reports as a kubelet would (the pod's status subresource: containerStatuses[].imageID; the
# control plane has no node to pull). A pod running the signed digest is compliant, the unsigned
# one violating, one whose tag moved after admission is judged by what it runs, an image known
# only by its local ID is not evaluated; with the registry frozen a new digest is not evaluated
# (saying why) while verdicts cached before stand, and it is judged once the registry resumes.
# The registry is a mirror: the signatures name the repository they were made in.
#   usage: e2e/with_cluster.sh e2e/images/operator_signatures_test.sh BULWARK
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
. "$here/registry.sh"
# Not the address the signatures name (127.0.0.71:5000): that one's tests run in the timing stage,
# this one beside them. The policy takes the signatures as a mirror's (signedIdentities).
addr=127.0.0.74:5000
start_registry "$addr" || { fail "the registry did not start"; finish; exit 1; }
trap 'stop_registry; cleanup' EXIT
push() { python3 "$here/oci_image.py" push "http://$addr" "$1" "$2" "$3"; }
signed=$(push team/app signed signed) &&
  python3 "$here/oci_image.py" push-dir "http://$addr" team/app "$here/testdata/sig-signed" >/dev/null
unsigned=$(push team/app unsigned unsigned)
push team/app moved signed >/dev/null
later=$(python3 "$here/oci_image.py" digest later)

install_prerequisites
cat >"$work/config.yaml" <<CFG
log: {level: debug}
registries: {insecureHosts: ["$addr"], requestTimeout: 3s}
CFG
$kubectl create namespace shop >/dev/null
start_own_operator shop
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
    - imageReferences: ["$addr/team/*"]
      signedIdentities: ["127.0.0.71:5000/team/app"]
      publicKeys:
      - pem: |
P
  sed 's/^/          /' "$here/testdata/ec.pub"
} | $kubectl apply -f - >/dev/null

# running NAME IMAGE IMAGE_ID: a pod of IMAGE whose container reports running IMAGE_ID.
running() {
  $kubectl -n shop run "$1" --image="$2" --restart=Never >/dev/null
  $kubectl -n shop patch pod "$1" --subresource=status --type=merge -p '{"status":{"phase":"Running",
    "containerStatuses":[{"name":"'"$1"'","image":"'"$2"'","imageID":"'"$3"'","ready":true,
    "restartCount":0,"state":{"running":{"startedAt":"2026-12-07T00:00:00Z"}}}]}}' >/dev/null
}
posture() { $kubectl -n shop get pod "$1" -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}/{.metadata.annotations.bulwark\.dev/not-evaluated}/{.metadata.annotations.bulwark\.dev/violations}'; }
test_posture() { [ "$(posture "$1")" = "$2" ]; }
export -f posture test_posture; export kubectl

running signed "$addr/team/app:signed" "$addr/team/app@$signed"
running unsigned "$addr/team/app:unsigned" "$addr/team/app@$unsigned"
# Admitted while the tag named the signed image; the kubelet pulled after it moved.
running moved "$addr/team/app:moved" "$addr/team/app@$unsigned"
running local "$addr/team/app:signed" "$signed"
eventually 30 test_posture signed "compliant//" && ok "the pod running the signed digest: compliant" \
  || fail "signed: $(posture signed)"
eventually 30 test_posture unsigned "violating//imageSignature" && ok "the pod running the unsigned digest: violating imageSignature" \
  || fail "unsigned: $(posture unsigned)"
eventually 30 test_posture moved "violating//imageSignature" && ok "the pod whose tag moved after admission: judged by what it runs, violating" \
  || fail "moved: $(posture moved)"
eventually 30 test_posture local "not-evaluated/imageSignature/" && ok "an image known only by its local ID: not evaluated" \
  || fail "local: $(posture local)"
kill -STOP "$registry_pid"
running later "$addr/team/app:later" "$addr/team/app@$later"
eventually 30 test_posture later "not-evaluated/imageSignature/" && ok "the registry frozen: a digest not verified before is not evaluated" \
  || fail "later, frozen: $(posture later)"
test_posture signed "compliant//" && ok "... the verdicts cached before stand" || fail "signed, frozen: $(posture signed)"
kill -CONT "$registry_pid"
eventually 40 test_posture later "violating//imageSignature" && ok "the registry resumed: judged without a restart (unsigned: it is not in the registry)" \
  || fail "later, resumed: $(posture later)"
finish
