#!/usr/bin/env bash
# The operator's blast radius against a real control plane (run it through e2e/with_cluster.sh):
# with the operator's own credentials, every change its RBAC allows but
# deploy/operator/admission-policy.yaml forbids is refused by the API server (pod templates, other
# spec fields, other labels and annotations, owner references, finalizers, other
# NetworkPolicies, its own NetworkPolicies in any shape but the ones it writes (the canary's only
# in its own namespace), anything in a
# never-touch namespace, reports it did not write, what its webhook configuration matches, where
# it points and how it fails, a SecurityPolicy's spec), and the changes Bulwark makes still go
# through; its RBAC has no write on the fence itself. (Every operator e2e test also
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
allowed "an annotation under bulwark.dev/" PATCH $d '{"metadata":{"annotations":{"bulwark.dev/posture":"violating"}}}'
allowed "the quarantine label on a pod" PATCH $p '{"metadata":{"labels":{"bulwark.dev/quarantine":"true"}}}'
allowed "its removal" PATCH $p '{"metadata":{"labels":{"bulwark.dev/quarantine":null}}}'
refused "scaling a workload up (issue 34)" PATCH $d '{"spec":{"replicas":50}}'
refused "recording a replica count it did not take away" PATCH $d \
  '{"metadata":{"annotations":{"bulwark.dev/recorded-replicas":"50"}}}'
allowed "scaling to 0, recording the count taken away" PATCH $d \
  '{"spec":{"replicas":0},"metadata":{"annotations":{"bulwark.dev/recorded-replicas":"1"}}}'
allowed "scaling back to the recorded count" PATCH $d \
  '{"spec":{"replicas":1},"metadata":{"annotations":{"bulwark.dev/recorded-replicas":null}}}'
# Bulwark's names, labelled, in any shape but the two it writes (issue 34: an allow-all
# bulwark-quarantine or an open default-deny passed the name-and-label fence).
label='"labels":{"app.kubernetes.io/managed-by":"bulwark"}'
quarantine_spec='{"podSelector":{"matchLabels":{"bulwark.dev/quarantine":"true"}},"policyTypes":["Ingress","Egress"]}'
deny_spec='{"podSelector":{"matchExpressions":[{"key":"bulwark.dev/quarantine","operator":"NotIn","values":["true"]}]},"policyTypes":["Ingress","Egress"]}'
refused "an allow-all bulwark-quarantine" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-quarantine",'"$label"'},"spec":{"podSelector":{},"ingress":[{}],"egress":[{}],"policyTypes":["Ingress","Egress"]}}'
refused "a bulwark-default-deny that lets traffic in" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":{"podSelector":{"matchExpressions":[{"key":"bulwark.dev/quarantine","operator":"NotIn","values":["true"]}]},"policyTypes":["Ingress","Egress"],"ingress":[{}]}}'
refused "a bulwark-default-deny that lets everything out" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":{"podSelector":{"matchExpressions":[{"key":"bulwark.dev/quarantine","operator":"NotIn","values":["true"]}]},"policyTypes":["Ingress","Egress"],"egress":[{}]}}'
refused "a bulwark-default-deny that selects only some pods" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":{"podSelector":{"matchLabels":{"app":"nobody"}},"policyTypes":["Ingress","Egress"]}}'
refused "a bulwark-default-deny that lets SCTP out on port 53" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":{"podSelector":{"matchExpressions":[{"key":"bulwark.dev/quarantine","operator":"NotIn","values":["true"]}]},"policyTypes":["Ingress","Egress"],"egress":[{"ports":[{"protocol":"SCTP","port":53}]}]}}'
for ns in kube-system bulwark-system; do
  refused "a deny-all bulwark-default-deny in $ns" POST /apis/networking.k8s.io/v1/namespaces/$ns/networkpolicies \
    '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":'"$deny_spec"'}'
done
# The enforcement canary's NetworkPolicy: in the operator's namespace only, in its one shape.
own_np=/apis/networking.k8s.io/v1/namespaces/bulwark-system/networkpolicies
# Its owner must exist, or the garbage collector takes the policy at once.
$kubectl -n bulwark-system create -f - >/dev/null <<'DS'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: bulwark-canary, namespace: bulwark-system}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: bulwark-canary}}
  template:
    metadata: {labels: {app.kubernetes.io/name: bulwark-canary}}
    spec: {containers: [{name: canary, image: registry.example.com/canary:1}]}
DS
ds_uid=$($kubectl -n bulwark-system get ds bulwark-canary -o jsonpath='{.metadata.uid}')
canary_np() {  # canary_np IN_RULE OUT_RULE [METADATA_EXTRA]
  echo '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-canary",'"$label"',"ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"bulwark-canary","uid":"'"$ds_uid"'"}]'"${3:-}"'},"spec":{"podSelector":{"matchLabels":{"app.kubernetes.io/name":"bulwark-canary"}},"policyTypes":["Ingress","Egress"],"ingress":['"$1"'],"egress":['"$2"']}}'
}
operator_pods='{"podSelector":{"matchLabels":{"app.kubernetes.io/name":"bulwark"}}}'
canary_in='{"from":['"$operator_pods"'],"ports":[{"port":9771,"protocol":"TCP"},{"port":9771,"protocol":"UDP"}]}'
canary_out='{"to":['"$operator_pods"'],"ports":[{"port":9773,"protocol":"TCP"},{"port":9773,"protocol":"UDP"}]}'
refused "bulwark-canary in a namespace not its own" POST $np "$(canary_np "$canary_in" "$canary_out")"
refused "a bulwark-canary that lets anyone in" POST $own_np \
  "$(canary_np '{"ports":[{"port":9771,"protocol":"TCP"}]}' "$canary_out")"
refused "a bulwark-canary that lets in on port 22" POST $own_np \
  "$(canary_np '{"from":['"$operator_pods"'],"ports":[{"port":22,"protocol":"TCP"}]}' "$canary_out")"
refused "a bulwark-canary that lets out to an address block" POST $own_np \
  "$(canary_np "$canary_in" '{"to":[{"ipBlock":{"cidr":"198.18.0.0/24"}}],"ports":[{"port":9773}]}')"
refused "a bulwark-canary owned by nothing" POST $own_np \
  "$(canary_np "$canary_in" "$canary_out" | sed 's/,"ownerReferences":\[[^]]*\]//')"
allowed "creating bulwark-canary in its shape, in its own namespace" POST $own_np \
  "$(canary_np "$canary_in" "$canary_out")"
allowed "flipping it to the other ports" PATCH $own_np/bulwark-canary \
  '{"spec":{"ingress":[{"from":['"$operator_pods"'],"ports":[{"port":9772,"protocol":"TCP"}]}],"egress":[{"to":['"$operator_pods"'],"ports":[{"port":9774,"protocol":"UDP"}]}]}}'
refused "making it select the operator's own pods" PATCH $own_np/bulwark-canary \
  '{"spec":{"podSelector":{"matchLabels":{"app.kubernetes.io/name":"bulwark"}}}}'
# Someone else's bulwark-canary is never taken over.
$kubectl -n bulwark-system label networkpolicy bulwark-canary app.kubernetes.io/managed-by- >/dev/null
refused "taking over a bulwark-canary it did not label" PATCH $own_np/bulwark-canary '{"metadata":{'"$label"'}}'
$kubectl -n bulwark-system delete networkpolicy bulwark-canary >/dev/null
$kubectl -n bulwark-system delete ds bulwark-canary >/dev/null
allowed "creating its own NetworkPolicy, in its shape" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-default-deny",'"$label"'},"spec":'"$deny_spec"'}'
allowed "changing it to allow DNS out" PATCH $np/bulwark-default-deny \
  '{"spec":{"egress":[{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}]}}'
refused "changing it to allow more than DNS out" PATCH $np/bulwark-default-deny \
  '{"spec":{"egress":[{"ports":[{"protocol":"TCP","port":443}]}]}}'
# A namespace user strips the label: Bulwark restores its own object (the label comes back).
$kubectl -n br label networkpolicy bulwark-default-deny app.kubernetes.io/managed-by- >/dev/null
allowed "restoring its de-labelled NetworkPolicy" PATCH $np/bulwark-default-deny '{"metadata":{'"$label"'}}'
allowed "deleting it" DELETE $np/bulwark-default-deny
$kubectl -n br delete networkpolicy bulwark-quarantine >/dev/null
allowed "creating bulwark-quarantine in its shape" POST $np \
  '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"bulwark-quarantine",'"$label"'},"spec":'"$quarantine_spec"'}'

# Never-touch namespaces: nothing but reading.
$kubectl -n kube-system create deployment dns-like --image=registry.example.com/dns:1 --replicas=1 >/dev/null
$kubectl -n kube-system run system-pod --image=registry.example.com/agent:1 >/dev/null
refused "scaling a kube-system Deployment to 0" PATCH /apis/apps/v1/namespaces/kube-system/deployments/dns-like '{"spec":{"replicas":0}}'
refused "labelling a kube-system pod quarantined" PATCH /api/v1/namespaces/kube-system/pods/system-pod \
  '{"metadata":{"labels":{"bulwark.dev/quarantine":"true"}}}'
refused "annotating a kube-system pod" PATCH /api/v1/namespaces/kube-system/pods/system-pod \
  '{"metadata":{"annotations":{"bulwark.dev/posture":"violating"}}}'

# Reports: only its own, and nowhere it never acts.
crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
reports=/apis/openreports.io/v1alpha1/namespaces/br/reports
report() {  # report NAME LABELS_JSON
  echo '{"apiVersion":"openreports.io/v1alpha1","kind":"Report","metadata":{"name":"'"$1"'"'"${2:+,$2}"'},"summary":{"pass":0,"fail":0,"warn":0,"error":0,"skip":0}}'
}
$kubectl -n br create -f - >/dev/null <<<"$(report users-report)"
refused "deleting a user's report" DELETE $reports/users-report
refused "rewriting a user's report" PATCH $reports/users-report '{"summary":{"fail":1}}'
refused "a report without Bulwark's label" POST $reports "$(report unlabelled)"
refused "a report in kube-system" POST /apis/openreports.io/v1alpha1/namespaces/kube-system/reports "$(report r "$label")"
allowed "its own report" POST $reports "$(report deployment-web "$label")"
allowed "rewriting it" PATCH $reports/deployment-web '{"summary":{"fail":1}}'
allowed "deleting it" DELETE $reports/deployment-web

# SecurityPolicies: only the cleanup finalizer (issue 34: a stolen token could switch every
# policy to Audit and Bulwark would take its own protections down).
$kubectl apply -f - >/dev/null <<'P'
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: br, finalizers: [example.com/keep]}
spec: {enforcement: {mode: Enforce, actions: [Quarantine]}}
P
sp=/apis/bulwark.dev/v1alpha1/securitypolicies/br
refused "switching a policy to Audit" PATCH $sp '{"spec":{"enforcement":{"mode":"Audit"}}}'
refused "adding an exemption to a policy" PATCH $sp '{"spec":{"exemptions":[{"name":"all","reason":"x"}]}}'
refused "a policy's labels" PATCH $sp '{"metadata":{"labels":{"x":"y"}}}'
refused "another finalizer of a policy" PATCH $sp '{"metadata":{"finalizers":["bulwark.dev/cleanup"]}}'
allowed "its cleanup finalizer" PATCH $sp '{"metadata":{"finalizers":["example.com/keep","bulwark.dev/cleanup"]}}'
allowed "and its removal" PATCH $sp '{"metadata":{"finalizers":["example.com/keep"]}}'
$kubectl patch secpol br --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null

$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
vwc=/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bulwark
refused "widening what the webhook configuration matches" PATCH $vwc \
  '[{"op":"replace","path":"/webhooks/0/namespaceSelector","value":{}}]'
refused "changing the operations it is called for" PATCH $vwc \
  '[{"op":"replace","path":"/webhooks/0/rules/0/operations","value":["DELETE"]}]'
refused "pointing the webhook off the cluster (admission.url unset)" PATCH $vwc \
  '[{"op":"add","path":"/webhooks/0/clientConfig/url","value":"https://198.51.100.7/steal"},{"op":"remove","path":"/webhooks/0/clientConfig/service"}]'
refused "flipping its failurePolicy (Ignore, as rendered, to Fail)" PATCH $vwc '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]'
refused "changing its timeout" PATCH $vwc '[{"op":"replace","path":"/webhooks/0/timeoutSeconds","value":30}]'
allowed "the configuration's CA bundle" PATCH $vwc \
  '[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"Q0E="}]'
# With admission.url set, the fence lets the operator point it there and nowhere else.
fence_webhook "https://127.0.0.1:9/validate" || fail "the fence's url"
refused "pointing the webhook at another url" PATCH $vwc \
  '[{"op":"add","path":"/webhooks/0/clientConfig/url","value":"https://127.0.0.2:9/validate"},{"op":"remove","path":"/webhooks/0/clientConfig/service"}]'
allowed "pointing it at admission.url" PATCH $vwc \
  '[{"op":"add","path":"/webhooks/0/clientConfig/url","value":"https://127.0.0.1:9/validate"},{"op":"remove","path":"/webhooks/0/clientConfig/service"}]'

# RBAC: patch and delete of NetworkPolicies only by Bulwark's names; no write on the fence itself.
code=$(as_operator DELETE $np/some-users-policy)
[ "$code" = 403 ] && grep -q 'cannot delete resource' "$work/answer" \
  && ok "RBAC: no delete of NetworkPolicies by other names" || fail "RBAC delete: $code"
vap=/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies
for target in "$vap/bulwark-operator-networkpolicies" \
  "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/bulwark-operator-networkpolicies"; do
  code=$(as_operator PATCH "$target" '{"metadata":{"labels":{"x":"y"}}}')
  [ "$code" = 403 ] && grep -q 'cannot patch resource' "$work/answer" \
    && ok "RBAC: no write on the fence: $(cut -d/ -f5 <<<"$target") ${target##*/}" || fail "RBAC fence $target: $code"
done
code=$(as_operator DELETE "$vap/bulwark-operator-workloads")
[ "$code" = 403 ] && grep -q 'cannot delete resource' "$work/answer" \
  && ok "RBAC: no delete of the fence's policies" || fail "RBAC fence delete: $code"
finish
