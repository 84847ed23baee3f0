#!/usr/bin/env bash
# Image signatures on the real node (run it through e2e/with_cluster.sh --real-node): the node's
# containerd pulls from a real registry on the node's address (Debian's docker-registry, plain
# HTTP for that host alone), so the pods run the very images judged, signed by real cosign
# (e2e/images/testdata; this registry is a mirror of the one they were made in: signedIdentities).
#   - deny (Enforce + Deny): the signed image by tag and by digest is admitted and runs; the
#     unsigned and the wrongly signed are refused naming imageSignature;
#   - audit: a pod admitted while its tag named the signed image, held unscheduled (a scheduling
#     gate) while the tag moves to the unsigned one, then released: the kubelet pulls what the tag
#     names then, and the operator, judging by the digest the pod runs (its status imageID),
#     flags it violating, while the pod running the signed image stays compliant.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/signatures_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
images=$here/../images
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
. "$images/registry.sh"
. "$images/lib.sh"
addr=198.18.0.1:5000  # the node's address: containerd is told it is plain HTTP (e2e/cluster/node.sh)
start_registry "$addr" || { fail "the registry did not start"; finish; exit 1; }
trap 'stop_registry; cleanup' EXIT
push() { push_image "$addr" "$@"; }
signed=$(push team/app signed signed) && push_signature "$addr" team/app signed
push team/app otherkey otherkey >/dev/null && push_signature "$addr" team/app otherkey
unsigned=$(push team/app unsigned unsigned)
push team/app moved signed >/dev/null
push_index "$addr" team/app multiarch arch-amd64 arch-arm64 >/dev/null &&
  push_signature "$addr" team/app multiarch

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port)
url="https://127.0.0.1:$port/validate"
cat >"$work/config.yaml" <<CFG
log: {level: debug}
admission: {url: "$url"}
registries: {insecureHosts: ["$addr"], requestTimeout: 3s}
CFG
fence_webhook "$url"
for ns in deny audit; do $kubectl create namespace $ns >/dev/null; done
start_own_operator sig --webhook-bind-address "127.0.0.1:$port"
policy() {  # policy NAME NAMESPACE MODE ACTIONS
  cat <<P
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: $1}
spec:
  match: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $2}}}
  podSecurity: {level: privileged}
  images:
    forbidLatestTag: false
    verify:
$(verify_entry "$addr/team/*" 127.0.0.71:5000/team/app)
  enforcement: {mode: $3, actions: $4}
P
}
{ policy signed-deny deny Enforce "[Deny]"; echo ---; policy signed-audit audit Audit "[Annotate]"; } |
  $kubectl apply -f - >/dev/null

# pod NS NAME IMAGE [GATED]: a pod of IMAGE (pulled if not present), its output in $work/out.
pod() {
  local gates=""
  [ -n "${4:-}" ] && gates="schedulingGates: [{name: bulwark.test/hold}]"
  $kubectl apply -f - >"$work/out" 2>&1 <<POD
apiVersion: v1
kind: Pod
metadata: {name: $2, namespace: $1}
spec:
  $gates
  terminationGracePeriodSeconds: 0
  containers: [{name: app, image: "$3", imagePullPolicy: IfNotPresent}]
POD
}
phase() { $kubectl -n "$1" get pod "$2" -o jsonpath='{.status.phase}'; }
posture() { $kubectl -n "$1" get pod "$2" -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}/{.metadata.annotations.bulwark\.dev/violations}'; }
image_id() { $kubectl -n "$1" get pod "$2" -o jsonpath='{.status.containerStatuses[0].imageID}'; }
export -f phase posture image_id; export kubectl

in_force() {
  ! $kubectl -n deny run probe --image="$addr/team/app:unsigned" --restart=Never --dry-run=server \
    >"$work/out" 2>&1 && grep -q 'denied the request' "$work/out"
}
eventually 120 in_force || fail "the policy never took effect: $(cat "$work/out")"
pod deny by-tag "$addr/team/app:signed" && eventually 120 bash -c '[ "$(phase deny by-tag)" = Running ]' \
  && ok "deny: the signed image by tag is admitted, pulled and runs ($(image_id deny by-tag))" \
  || fail "deny, by tag: $(cat "$work/out") $(phase deny by-tag)"
pod deny by-digest "$addr/team/app@$signed" && eventually 120 bash -c '[ "$(phase deny by-digest)" = Running ]' \
  && ok "deny: the signed image by digest is admitted and runs" || fail "deny, by digest: $(cat "$work/out")"
for case in unsigned:unsigned other-key:otherkey; do
  if ! pod deny "${case%%:*}" "$addr/team/app:${case#*:}" && grep -q -- '- imageSignature (spec.containers\[0\].image)' "$work/out"; then
    ok "deny: the ${case%%:*} image is refused, naming imageSignature"
  else
    fail "deny, ${case%%:*}: $(cat "$work/out")"
  fi
done

pod audit runs-signed "$addr/team/app:signed"
pod audit moved "$addr/team/app:moved" gated && ok "audit: a pod of the tag that names the signed image, admitted and held" \
  || fail "audit, moved: $(cat "$work/out")"
push team/app moved unsigned >/dev/null  # the tag moves after admission, before the pull
$kubectl -n audit patch pod moved --type=json -p '[{"op":"remove","path":"/spec/schedulingGates"}]' >/dev/null
eventually 120 bash -c '[ "$(phase audit moved)" = Running ] && [ "$(phase audit runs-signed)" = Running ]' \
  && ok "... released: the kubelet pulled what the tag names now ($(image_id audit moved))" \
  || fail "audit pods not running: $(phase audit moved) $(phase audit runs-signed)"
[[ "$(image_id audit moved)" == *"$unsigned" ]] && ok "... the pod runs the unsigned digest" \
  || fail "the moved pod runs $(image_id audit moved), not $unsigned"
eventually 120 bash -c '[ "$(posture audit moved)" = violating/imageSignature ]' \
  && ok "the operator flags the pod whose tag moved after admission: violating imageSignature" \
  || fail "moved: $(posture audit moved)"
eventually 120 bash -c '[ "$(posture audit runs-signed)" = compliant/ ]' \
  && ok "... and the pod running the signed image is compliant" || fail "runs-signed: $(posture audit runs-signed)"
# A multi-arch index: containerd runs the amd64 manifest and reports the index's digest, which
# is what cosign signed.
pod audit multiarch "$addr/team/app:multiarch"
index=$(python3 "$images/oci_image.py" index-digest arch-amd64 arch-arm64)
eventually 120 bash -c '[ "$(posture audit multiarch)" = compliant/ ]' && [[ "$(image_id audit multiarch)" == *"$index" ]] \
  && ok "a multi-arch image runs by its index digest ($(image_id audit multiarch)): compliant" \
  || fail "multiarch: $(posture audit multiarch) $(image_id audit multiarch)"
finish
