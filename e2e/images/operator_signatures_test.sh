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
. "$here/lib.sh"
# Not the address the signatures name (127.0.0.71:5000): that one's tests run in the timing stage,
# this one beside them. The policy takes the signatures as a mirror's (signedIdentities).
addr=127.0.0.74:5000
start_registry "$addr" || { fail "the registry did not start"; finish; exit 1; }
trap 'stop_registry; cleanup' EXIT
push() { push_image "$addr" "$@"; }
signed=$(push team/app signed signed) && push_signature "$addr" team/app signed
unsigned=$(push team/app unsigned unsigned)
push team/app moved signed >/dev/null
later=$(python3 "$here/oci_image.py" digest later)

# A second registry as a team would run one: HTTPS with the team's own CA, htpasswd, and the
# pull credentials and the key in Secrets of the operator's namespace.
tls_addr=127.0.0.75:5000
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bulwark-test-ca -keyout "$work/ca.key" \
  -out "$work/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=registry -keyout "$work/registry.key" \
  -out "$work/registry.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.75\n' >"$work/san.ext"
openssl x509 -req -in "$work/registry.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/san.ext" -out "$work/registry.crt" 2>/dev/null
python3 -c 'import crypt, sys; print("ci:" + crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
  s3cret 2>/dev/null >"$work/htpasswd"
main_pid=$registry_pid
start_registry "$tls_addr" --tls "$work/registry.crt" "$work/registry.key" \
  --htpasswd "$work/htpasswd" || { fail "the TLS registry did not start"; finish; exit 1; }
tls_pid=$registry_pid registry_pid=$main_pid
trap 'stop_registry; kill "$tls_pid" 2>/dev/null && wait "$tls_pid" 2>/dev/null; cleanup' EXIT
BULWARK_REGISTRY_AUTH=ci:s3cret BULWARK_REGISTRY_CA=$work/ca.crt \
  python3 "$here/oci_image.py" push "https://$tls_addr" team/app signed signed >/dev/null &&
  BULWARK_REGISTRY_AUTH=ci:s3cret BULWARK_REGISTRY_CA=$work/ca.crt \
  python3 "$here/oci_image.py" push-dir "https://$tls_addr" team/app "$here/testdata/sig-signed" >/dev/null ||
  fail "pushing to the TLS registry"

install_prerequisites
# As the chart renders imageVerification.secretNames: get on those Secrets, and no other.
$kubectl apply -f - >/dev/null <<RBAC
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: bulwark-image-secrets, namespace: bulwark-system}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [team-cosign-keys, registry-pull], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bulwark-image-secrets, namespace: bulwark-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bulwark-image-secrets}
subjects: [{kind: ServiceAccount, name: bulwark, namespace: bulwark-system}]
RBAC
$kubectl -n bulwark-system create secret generic team-cosign-keys \
  --from-file=cosign.pub="$here/testdata/ec.pub" >/dev/null
$kubectl -n bulwark-system create secret docker-registry registry-pull --docker-server="$tls_addr" \
  --docker-username=ci --docker-password=s3cret >/dev/null
$kubectl -n bulwark-system create secret generic not-listed \
  --from-file=cosign.pub="$here/testdata/ec.pub" >/dev/null
cat >"$work/config.yaml" <<CFG
log: {level: debug}
registries: {insecureHosts: ["$addr"], requestTimeout: 3s, caFile: "$work/ca.crt"}
CFG
$kubectl create namespace shop >/dev/null
start_own_operator shop
operator_pid=$started_pid
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
  verify_entry "$addr/team/*" 127.0.0.71:5000/team/app
  cat <<P
    - imageReferences: ["$tls_addr/team/*"]
      signedIdentities: ["127.0.0.71:5000/team/app"]
      publicKeys: [{secret: {name: team-cosign-keys, key: cosign.pub}}]
      credentialsSecret: registry-pull
    - imageReferences: ["$tls_addr/other/*"]
      publicKeys: [{secret: {name: not-listed, key: cosign.pub}}]
P
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
running tls-signed "$tls_addr/team/app:signed" "$tls_addr/team/app@$signed"
eventually 30 test_posture tls-signed "compliant//" && ok "HTTPS with the team's CA, htpasswd credentials and the key from Secrets: compliant" \
  || fail "tls-signed: $(posture tls-signed)"
running tls-unlisted "$tls_addr/other/app:signed" "$tls_addr/other/app@$signed"
eventually 30 test_posture tls-unlisted "not-evaluated/imageSignature/" && ok "a key in a Secret the operator may not read: not evaluated" \
  || fail "tls-unlisted: $(posture tls-unlisted)"
grep -q 'not verified: Secret bulwark-system/not-listed cannot be read.*forbidden' "$work/shop.log" \
  && ok "... and logs once that the Secret is forbidden to it" \
  || fail "no word of the forbidden Secret: $(grep -m2 not-listed "$work/shop.log")"

kill -STOP "$registry_pid"
running later "$addr/team/app:later" "$addr/team/app@$later"
eventually 30 test_posture later "not-evaluated/imageSignature/" && ok "the registry frozen: a digest not verified before is not evaluated" \
  || fail "later, frozen: $(posture later)"
test_posture signed "compliant//" && ok "... the verdicts cached before stand" || fail "signed, frozen: $(posture signed)"
kill -CONT "$registry_pid"
eventually 40 test_posture later "violating//imageSignature" && ok "the registry resumed: judged without a restart (unsigned: it is not in the registry)" \
  || fail "later, resumed: $(posture later)"
# What Bulwark holds, it keeps while it cannot verify: an Enforce + ScaleToZero policy scales a
# Deployment pinned to the unsigned digest to zero; the operator restarted (its verdict cache
# empty) with the registry frozen cannot verify it, and the Deployment stays at zero rather than
# being restored until it could be judged again.
$kubectl create namespace hold >/dev/null
{
  cat <<P
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: signed-or-zero}
spec:
  match: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: hold}}}
  podSecurity: {level: privileged}
  images:
    forbidLatestTag: false
    verify:
P
  verify_entry "$addr/team/*" 127.0.0.71:5000/team/app
  echo "  enforcement: {mode: Enforce, actions: [ScaleToZero]}"
} | $kubectl apply -f - >/dev/null
$kubectl -n hold create deployment pinned --image="$addr/team/app@$unsigned" --replicas=2 >/dev/null
replicas() { $kubectl -n hold get deployment pinned -o jsonpath='{.spec.replicas}'; }
export -f replicas
eventually 60 bash -c '[ "$(replicas)" = 0 ]' && ok "Enforce + ScaleToZero: the Deployment pinned to the unsigned digest is scaled to zero" \
  || fail "not scaled to zero: $(replicas)"
stop_operator "$operator_pid"
kill -STOP "$registry_pid"
start_own_operator shop-again
# Held over the whole time the verification fails (a request's 3 s, then its remembered failure
# and retries), never restored meanwhile.
restored="" until=$((SECONDS + 20))
while [ -z "$restored" ] && [ "$SECONDS" -lt "$until" ]; do
  [ "$(replicas)" = 0 ] || restored=$(replicas)
  sleep 0.5
done
[ -z "$restored" ] && ok "... restarted with the registry frozen: still at zero while the signature cannot be verified" \
  || fail "restored to $restored while the signature could not be verified"
grep -q 'not verified' "$work/shop-again.log" && ok "... the operator says it could not verify" \
  || fail "no word of the failed verification: $(tail -3 "$work/shop-again.log")"
kill -CONT "$registry_pid"
eventually 30 bash -c '[ "$(replicas)" = 0 ]' && ok "... and still at zero once it verifies again (unsigned)" \
  || fail "after the registry resumed: $(replicas)"
finish
