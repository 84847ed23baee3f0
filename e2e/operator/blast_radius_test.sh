#!/usr/bin/env bash
# The operator's blast radius against a real control plane (run it through e2e/with_cluster.sh):
# with the operator's own credentials, every change its RBAC allows but
# deploy/operator/admission-policy.yaml forbids is refused by the API server (pod templates, other
# spec fields, other labels and annotations, owner references, finalizers, other
# NetworkPolicies, what its webhook configuration matches), and the changes Bulwark makes still
# go through. (Every operator e2e test also
# runs with the policies installed: lib.sh's install_prerequisites.)
#   usage: e2e/operator/blast_radius_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
$kubectl create namespace br >/dev/null
deployment br web 1 false
eventually 60 bash -c "[ -n \"\$($kubectl -n br get pods -o name)\" ]" || fail "the Deployment has a pod"
pod=$($kubectl -n br get pods -o jsonpath='{.items[0].metadata.name}')
$kubectl -n br create -f - >/dev/null <<'NP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulwark-quarantine, namespace: br}
spec: {podSelector: {}, ingress: [{}]}
NP
sa_kubeconfig "$work/sa.kubeconfig"
token=$(sed -n 's/.*token: "\(.*\)".*/\1/p' "$work/sa.kubeconfig")
api="https://127.0.0.1:$APISERVER_PORT"
# as_operator METHOD PATH [BODY]: the request with the operator's token; prints the status code
# and leaves the answer in $work/answer.
as_operator() {
  local type=application/merge-patch+json
  [ "$1" = POST ] && type=application/json
  local body=${3:-}
  [ "${body:0:1}" = "[" ] && type=application/json-patch+json
  curl -s -o "$work/answer" -w '%{http_code}' --cacert "$BULWARK_E2E_CLUSTER/pki/ca.crt" \
    -H "Authorization: Bearer $token" -H "Content-Type: $type" -X "$1" "$api$2" ${3:+-d "$3"}
}
# refused WHAT METHOD PATH BODY: 403 from the admission policy (not from RBAC).
refused() {
  local code; code=$(as_operator "$2" "$3" "${4:-}")
  [ "$code" = 403 ] && grep -q "ValidatingAdmissionPolicy 'bulwark-operator" "$work/answer" \
    && ok "refused by the admission policy: $1" || fail "$1: $code $(head -c 300 "$work/answer")"
}
allowed() {
  local code; code=$(as_operator "$2" "$3" "${4:-}")
  [ "${code:0:1}" = 2 ] && ok "allowed: $1" || fail "$1: $code $(head -c 300 "$work/answer")"
}
d=/apis/apps/v1/namespaces/br/deployments/web
p=/api/v1/namespaces/br/pods/$pod
np=/apis/networking.k8s.io/v1/namespaces/br/networkpolicies
refused "a Deployment's pod template" PATCH $d '{"spec":{"template":{"spec":{"hostNetwork":true}}}}'
refused "another field of a Deployment's spec" PATCH $d '{"spec":{"minReadySeconds":5}}'
refused "a label not under bulwark.dev/" PATCH $d '{"metadata":{"labels":{"app":"evil"}}}'
refused "an annotation not under bulwark.dev/" PATCH $d '{"metadata":{"annotations":{"example.com/x":"y"}}}'
refused "a pod's spec" PATCH $p '{"spec":{"activeDeadlineSeconds":5}}'
refused "a pod's selector-bearing label" PATCH $p '{"metadata":{"labels":{"app":"evil"}}}'
refused "a pod's owner references" PATCH $p '{"metadata":{"ownerReferences":null}}'
refused "a finalizer" PATCH $p '{"metadata":{"finalizers":["example.com/hold"]}}'
refused "a NetworkPolicy of another name" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-all","labels":{"app.kubernetes.io/managed-by":"bulwark"}},"spec":{"podSelector":{},"ingress":[{}]}}'
refused "deleting a user's NetworkPolicy that has Bulwark's name" DELETE $np/bulwark-quarantine
allowed "spec.replicas" PATCH $d '{"spec":{"replicas":2}}'
allowed "an annotation under bulwark.dev/" PATCH $d '{"metadata":{"annotations":{"bulwark.dev/posture":"violating"}}}'
allowed "the quarantine label on a pod" PATCH $p '{"metadata":{"labels":{"bulwark.dev/quarantine":"true"}}}'
allowed "its removal" PATCH $p '{"metadata":{"labels":{"bulwark.dev/quarantine":null}}}'
allowed "creating its own NetworkPolicy" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny","labels":{"app.kubernetes.io/managed-by":"bulwark"}},"spec":{"podSelector":{},"policyTypes":["Ingress"]}}'
allowed "changing it" PATCH $np/bulwark-default-deny '{"spec":{"policyTypes":["Ingress","Egress"]}}'
allowed "deleting it" DELETE $np/bulwark-default-deny
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
vwc=/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bulwark
refused "widening what the webhook configuration matches" PATCH $vwc \
  '[{"op":"replace","path":"/webhooks/0/namespaceSelector","value":{}}]'
refused "changing the operations it is called for" PATCH $vwc \
  '[{"op":"replace","path":"/webhooks/0/rules/0/operations","value":["DELETE"]}]'
allowed "the configuration's timeout, failure policy and CA bundle" PATCH $vwc \
  '[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":5},{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"},{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"Q0E="}]'
# RBAC: patch and delete of NetworkPolicies only by Bulwark's names.
code=$(as_operator DELETE $np/some-users-policy)
[ "$code" = 403 ] && grep -q 'cannot delete resource' "$work/answer" \
  && ok "RBAC: no delete of NetworkPolicies by other names" || fail "RBAC delete: $code"
finish
