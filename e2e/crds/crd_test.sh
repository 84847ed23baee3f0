#!/usr/bin/env bash
# The SecurityPolicy CRD against a real API server (run it through e2e/with_cluster.sh):
# installs, serves the sample, prints its columns, applies defaults, documents fields for
# kubectl explain, and rejects a table of bad policies, each with a message naming the field.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$BULWARK_E2E_CLUSTER/env"
kubectl="$BIN/kubectl"
# shellcheck source=../lib.sh
. "$root/e2e/lib.sh"

$kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null && ok "the CRD installs" || fail "the CRD installs"
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null \
  && ok "the CRD becomes Established" || fail "the CRD becomes Established"

$kubectl apply -f "$root/deploy/samples/policies/prod-restricted.yaml" >/dev/null \
  && ok "the sample policy is accepted" || fail "the sample policy is accepted"
header=$($kubectl get secpol | head -1)
[[ "$header" =~ NAME\ +MODE\ +SCORE\ +WORKLOADS\ +VIOLATING\ +QUARANTINED\ +READY\ +NETWORK\ +AGE ]] \
  && ok "kubectl get secpol prints MODE SCORE WORKLOADS VIOLATING QUARANTINED READY NETWORK AGE" \
  || fail "printer columns: $header"

cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: minimal}
spec: {}
P
got=$($kubectl get secpol minimal -o jsonpath='{.spec.podSecurity.level} {.spec.podSecurity.version} {.spec.enforcement.mode} {.spec.enforcement.actions} {.spec.images.forbidLatestTag} {.spec.network.defaultDeny} {.spec.match.excludeNamespaces}')
[ "$got" = 'restricted latest Audit ["Annotate"] true true ["kube-system","kube-public","kube-node-lease"]' ] \
  && ok "an empty spec gets docs/api.md defaults" || fail "defaults: $got"

explain=$($kubectl explain secpol.spec.podSecurity 2>&1)
[[ "$explain" == *"level"* && "$explain" == *"version"* && "$explain" == *"Pod Security Standards"* ]] \
  && ok "kubectl explain secpol.spec.podSecurity documents the fields" || fail "explain: $explain"

# Each bad policy: the spec (flow YAML) and the field the API server must name.
while IFS='|' read -r spec field; do
  [ -z "$spec" ] && continue
  out=$(printf 'apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: bad}\nspec: %s\n' "$spec" \
        | $kubectl apply --validate=strict -f - 2>&1)
  if [ $? -ne 0 ] && [[ "$out" == *"$field"* ]]; then
    ok "rejected, naming $field: $spec"
  else
    fail "not rejected as expected ($field): $spec -> $out"
  fi
done <<'TABLE'
{podSecurity: {level: strict}}|spec.podSecurity.level
{podSecurity: {version: "1.29"}}|spec.podSecurity.version
{match: {kinds: [Secret]}}|spec.match.kinds[0]
{match: {excludeNamespaces: [Not_A_Namespace]}}|spec.match.excludeNamespaces[0]
{match: {workloadSelector: {matchExpressions: [{key: app, operator: In}]}}}|spec.match.workloadSelector.matchExpressions[0]
{match: {namespaceSelector: {matchExpressions: [{key: env, operator: Near, values: [x]}]}}}|spec.match.namespaceSelector.matchExpressions[0].operator
{images: {maxSeverity: Severe}}|spec.images.maxSeverity
{images: {forbidLatestTag: maybe}}|spec.images.forbidLatestTag
{enforcement: {mode: Punish}}|spec.enforcement.mode
{enforcement: {actions: [Delete]}}|spec.enforcement.actions[0]
{exemptions: [{controls: [runAsNonRoot]}]}|spec.exemptions[0].name
{exemptions: [{name: a, controls: [runAsRoot]}]}|spec.exemptions[0].controls[0]
{exemptions: [{name: a, expires: tomorrow}]}|spec.exemptions[0].expires
{exemptions: [{name: a}, {name: a}]}|spec.exemptions[1]
{unknownField: 1}|unknownField
TABLE

finish
