#!/usr/bin/env bash
# Item 3 of the evasion issue against the real control plane (run through e2e/with_cluster.sh):
# an exemption that expires after 2262, where a 64-bit nanosecond clock ends, must keep holding.
# Before the fix the time wrapped into the past, the policy went Ready=False (ExpiredExemption),
# acted on nothing and lifted its quarantine and default-deny: fail-open. Also: the CRD bounds
# what `expires` accepts, naming the field.
#   usage: e2e/operator/far_expiry_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

policy() {  # policy EXPIRES: prints the manifest
  cat <<P
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: far}
spec:
  match: {namespaceSelector: {matchLabels: {posture: far}}}
  podSecurity: {level: baseline}
  network: {defaultDeny: true}
  enforcement: {mode: Enforce, actions: [Annotate, Quarantine]}
  exemptions:
  - {name: legacy-until-2300, namespaces: [far-legacy], controls: [privileged], expires: "$1", reason: e2e}
P
}
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

install_prerequisites
for ns in far-shop far-legacy; do
  $kubectl create namespace "$ns" >/dev/null
  $kubectl label namespace "$ns" posture=far >/dev/null
done
deployment far-shop bad 1 true
deployment far-legacy legacy 1 true

for bad in "10000-01-01T00:00:00Z" "2300-01-01" "2300-01-01 00:00:00Z"; do
  out=$(policy "$bad" | $kubectl apply -f - 2>&1)
  if [ $? -ne 0 ] && grep -q "spec.exemptions\[0\].expires" <<<"$out"; then
    ok "the CRD refuses expires \"$bad\", naming the field"
  else
    fail "the CRD refuses expires \"$bad\": $out"
  fi
done
policy "2300-01-01T00:00:00Z" | $kubectl apply -f - >/dev/null
start_own_operator operator

check "a policy whose exemption ends in 2300 is Ready=True" \
  eventually 30 bash -c "[ \"\$($kubectl get secpol far -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]"
check "the exempt Deployment is annotated exempt" \
  eventually 30 bash -c "[ \"\$($kubectl -n far-legacy get deploy legacy -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = exempt ]"
check "the other violating Deployment's pod is quarantined" \
  eventually 30 bash -c "$kubectl -n far-shop get pods -l bulwark.dev/quarantine=true -o name | grep -q ."
check "default-deny is kept in both namespaces" \
  eventually 30 bash -c "$kubectl -n far-shop get networkpolicy bulwark-default-deny && $kubectl -n far-legacy get networkpolicy bulwark-default-deny"
check "nothing in the exempt namespace is quarantined" \
  bash -c "! $kubectl -n far-legacy get pods -l bulwark.dev/quarantine=true -o name | grep -q ."
check "the operator logged no exemption as expired" \
  bash -c "! grep -qi 'expired' '$work/operator.log'"
finish
