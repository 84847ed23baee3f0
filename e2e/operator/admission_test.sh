#!/usr/bin/env bash
# The validating webhook against a real control plane (run it through e2e/with_cluster.sh): the
# API server calls the operator at https://127.0.0.1:PORT/validate through the shipped
# ValidatingWebhookConfiguration, which the operator points at itself (admission.url). What a user
# sees: a violating Deployment refused under Enforce + Deny with the controls and fields (never the
# policy), warnings in Audit, exempted and fixed workloads admitted, a violating Deployment still
# scalable, a privileged ephemeral container refused; with the operator stopped, Ignore admits and
# Fail refuses, and an admin's Fail outlives the operator's restart;
# malformed AdmissionReviews get a clear 400; and a certificate folder is served, trusted, and
# reloaded when it rotates.
#   usage: e2e/operator/admission_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port)
url="https://127.0.0.1:$port/validate"
cat >"$work/config.yaml" <<CFG
log: {level: debug}
admission: {url: "$url"}
CFG
fence_webhook "$url"
for ns in adm audit; do $kubectl create namespace $ns >/dev/null; done
$kubectl label namespace adm team=a >/dev/null
$kubectl label namespace audit team=b >/dev/null
# A violating Deployment from before any policy: it must stay scalable.
deployment adm legacy 1 true
start_own_operator adm --webhook-bind-address "127.0.0.1:$port"
pointed() {
  [ "$($kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].clientConfig.url}')" = "$url" ] &&
    [ -n "$($kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" ]
}
eventually 30 pointed && ok "the operator points the ValidatingWebhookConfiguration at itself, with its CA" \
  || fail "the configuration was not patched: $($kubectl get validatingwebhookconfiguration bulwark -o yaml | grep -A3 clientConfig)"
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: deny-team-a}
spec:
  match: {namespaceSelector: {matchLabels: {team: a}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
  enforcement: {mode: Enforce, actions: [Annotate, Deny]}
  exemptions:
  - {name: vendor-agent, workloadSelector: {matchLabels: {app: vendor-agent}}, reason: "vendor support until the upgrade"}
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: audit-team-b}
spec:
  match: {namespaceSelector: {matchLabels: {team: b}}}
  podSecurity: {level: baseline}
  images: {forbidLatestTag: false}
P

# apply_deployment NS NAME PRIVILEGED [KUBECTL_FLAGS...]: kubectl apply, its output (both
# streams) in $work/apply.out.
apply_deployment() {
  cat <<D | $kubectl apply "${@:4}" -f - >"$work/apply.out" 2>&1
apiVersion: apps/v1
kind: Deployment
metadata: {name: $2, namespace: $1, labels: {app: $2}}
spec:
  replicas: 1
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: $3}}]}
D
}
# The policy is in force once the operator's cache has it: probe with server-side dry runs (the
# API server calls webhooks for them too), which create nothing.
in_force() { ! apply_deployment adm web true --dry-run=server && grep -q 'denied the request' "$work/apply.out"; }
eventually 30 in_force || fail "the policy never took effect at admission: $(cat "$work/apply.out")"
! apply_deployment adm web true && grep -q 'denied the request' "$work/apply.out" \
  && ok "a violating Deployment is refused under Enforce + Deny" || fail "not refused: $(cat "$work/apply.out")"
grep -q -- '- privileged (spec.template.spec.containers\[0\].securityContext.privileged)' "$work/apply.out" &&
  ! grep -q 'deny-team-a' "$work/apply.out" \
  && ok "the message names the control and the field, not the policy" || fail "message: $(cat "$work/apply.out")"
! $kubectl -n adm get deployment web >/dev/null 2>&1 && ok "and the Deployment does not exist" || fail "it exists"

warned() { apply_deployment audit web true --dry-run=server && grep -q 'Warning: Bulwark: privileged' "$work/apply.out"; }
eventually 30 warned || fail "the Audit policy never took effect at admission: $(cat "$work/apply.out")"
apply_deployment audit web true && grep -q 'Warning: Bulwark: privileged (spec.template' "$work/apply.out" \
  && ok "in Audit it is admitted, and kubectl prints the warnings" || fail "audit: $(cat "$work/apply.out")"
apply_deployment adm web false && ok "the fixed Deployment is admitted" || fail "fixed: $(cat "$work/apply.out")"
apply_deployment adm vendor-agent true && ok "an exempted Deployment is admitted" \
  || fail "exempted: $(cat "$work/apply.out")"
$kubectl -n adm scale deployment legacy --replicas=3 >/dev/null 2>&1 \
  && $kubectl -n adm annotate deployment legacy example.com/owner=ops >/dev/null 2>&1 \
  && ok "a violating Deployment can still be scaled and annotated" || fail "scaling legacy was refused"
# Its new pods violate like it: refused as Pod Security Admission's enforce mode would, and its
# ReplicaSet says so.
replica_failure() {
  local said
  said=$($kubectl -n adm get replicasets -l app=legacy \
    -o jsonpath='{.items[*].status.conditions[?(@.type=="ReplicaFailure")].message}')
  grep -q 'Bulwark refuses Pod' <<<"$said"
}
eventually 30 replica_failure && ok "the violating pods of an older violating Deployment are refused; its ReplicaSet shows the failed creates" \
  || fail "ReplicaFailure: $($kubectl -n adm get replicasets -l app=legacy -o jsonpath='{.items[*].status.conditions}')"

# A privileged ephemeral container (kubectl debug --profile=sysadmin) is refused.
$kubectl -n adm run debug-me --image=registry.example.com/app:1.0 --restart=Never >/dev/null
out=$($kubectl -n adm debug debug-me --image=registry.example.com/tools:1 --profile=sysadmin -c dbg 2>&1)
grep -q 'denied the request' <<<"$out" && grep -q 'ephemeralContainers' <<<"$out" \
  && ok "kubectl debug --profile=sysadmin is refused" || fail "debug: $out"

# Malformed reviews, straight to the webhook.
post() { curl -sk -o "$work/post.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$url" "$@"; }
[ "$(post -d 'not json')" = 400 ] && grep -q 'not JSON' "$work/post.out" && ok "not JSON: 400" || fail "not JSON: $(cat "$work/post.out")"
[ "$(post -d '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}')" = 400 ] \
  && grep -q 'admission.k8s.io/v1beta1' "$work/post.out" && ok "the wrong apiVersion: 400, naming it" || fail "v1beta1"
[ "$(post -d '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}')" = 400 ] \
  && ok "a request missing its kind and operation: 400" || fail "missing fields"
head -c 7000000 /dev/zero | tr '\0' ' ' >"$work/big"
[ "$(post --data-binary @"$work/big")" = 413 ] && ok "a body over 6.5 MiB: 413" || fail "big body"
[ "$(curl -sk -o /dev/null -w '%{http_code}' "$url")" = 405 ] && ok "GET: 405" || fail "GET"
apply_deployment adm web2 false && ok "and the webhook still answers" || fail "after the bad requests"

# Failure modes: the operator gone.
stop_operator "$started_pid"
apply_deployment adm gone-ignore true && ok "with the operator stopped, Ignore admits" \
  || fail "Ignore: $(cat "$work/apply.out")"
$kubectl patch validatingwebhookconfiguration bulwark --type=json \
  -p '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Fail"}]' >/dev/null
failed_closed() { ! apply_deployment adm gone-fail false && grep -q 'failed calling webhook' "$work/apply.out"; }
eventually 15 failed_closed && ok "with Fail, the API server refuses: $(grep -o 'failed calling webhook[^:]*' "$work/apply.out" | head -1)" \
  || fail "Fail: $(cat "$work/apply.out")"
# An admin's failurePolicy is the cluster's to keep: the operator's config sets none, so its start
# (which patches the CA bundle) leaves Fail in place, and it answers a compliant Deployment.
start_own_operator adm2 --webhook-bind-address "127.0.0.1:$port"
eventually 30 grep -q 'trusts this certificate (failurePolicy Fail)' "$work/adm2.log" \
  && [ "$($kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].failurePolicy}')" = Fail ] \
  && ok "a restarted operator keeps the admin's failurePolicy Fail" \
  || fail "failurePolicy: $($kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].failurePolicy}'); $(grep admission "$work/adm2.log" | tail -3)"
eventually 30 apply_deployment adm back-fail false && ok "and, back, admits a compliant Deployment under Fail" \
  || fail "under Fail: $(cat "$work/apply.out")"
stop_operator "$started_pid"
$kubectl delete validatingwebhookconfiguration bulwark >/dev/null
apply_deployment adm gone-fail false && ok "deleting the configuration restores admission" \
  || fail "after deleting: $(cat "$work/apply.out")"

# admission.certDir: cert-manager's files, served and trusted, and a rotation picked up.
# make_certs DIR: a CA and a certificate it signed for 127.0.0.1.
make_certs() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=test-ca \
    -keyout "$1/ca.key" -out "$1/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bulwark-webhook \
    -keyout "$1/tls.key" -out "$1/tls.csr" 2>/dev/null
  openssl x509 -req -in "$1/tls.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -days 1 \
    -extfile <(echo subjectAltName=IP:127.0.0.1) -out "$1/tls.crt" 2>/dev/null
}
make_certs "$work/ca-a"
make_certs "$work/ca-b"
mkdir -p "$work/certs"
cp "$work/ca-a/ca.crt" "$work/ca-a/tls.crt" "$work/ca-a/tls.key" "$work/certs/"
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
start_own_operator certs --webhook-bind-address "127.0.0.1:$port" --webhook-cert-dir "$work/certs"
trusts() {  # CA_DIR: the configuration holds that CA, and the webhook serves its certificate
  [ "$($kubectl get validatingwebhookconfiguration bulwark -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" = "$(base64 -w0 <"$1/ca.crt")" ] &&
    [ "$(curl -s --cacert "$1/ca.crt" -o /dev/null -w '%{http_code}' -X POST -d '{}' "$url")" = 400 ]
}
eventually 30 trusts "$work/ca-a" && ok "with admission.certDir it serves that certificate and patches in its CA" \
  || fail "certDir: not serving or trusting ca-a"
for f in ca.crt tls.key tls.crt; do cp "$work/ca-b/$f" "$work/certs/$f.new" && mv "$work/certs/$f.new" "$work/certs/$f"; done
eventually 45 trusts "$work/ca-b" && ok "a rotated certificate is served and trusted without a restart" \
  || fail "rotation: $(grep -i certificate "$work/certs.log" | tail -3)"
stop_operator "$started_pid"
finish
