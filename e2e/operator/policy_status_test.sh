#!/usr/bin/env bash
# SecurityPolicy status end to end (run through e2e/with_cluster.sh), operator on its own RBAC:
# an invalid policy gets Ready=False naming the field while a valid one is Ready=True and keeps
# being enforced; fixing the policy turns it Ready; observedGeneration follows the spec; a
# re-judged policy whose status is right gets no write.
#   usage: e2e/operator/policy_status_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ready() { $kubectl get secpol "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
cond() { $kubectl get secpol "$1" -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].$2}" 2>/dev/null; }

install_prerequisites
$kubectl create namespace ps-a >/dev/null && $kubectl label namespace ps-a env=a >/dev/null
start_own_operator operator
pid=$started_pid

cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: good}
spec: {match: {namespaceSelector: {matchLabels: {env: a}}}, enforcement: {mode: Enforce}}
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: bad}
spec: {match: {namespaceSelector: {matchLabels: {"bad key!": a}}}}
P
eventually 30 bash -c "[ \"\$($kubectl get secpol bad -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = False ]" \
  && [ "$(cond bad reason)" = InvalidSpec ] && [[ "$(cond bad message)" == *"spec.match.namespaceSelector.matchLabels.bad key!"* ]] \
  && ok "an invalid policy is Ready=False, InvalidSpec, naming the field" \
  || fail "invalid policy status: $(ready bad) $(cond bad reason) $(cond bad message)"
eventually 30 bash -c "[ \"\$($kubectl get secpol good -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" \
  && [ "$(cond good reason)" = Reconciled ] && ok "a valid policy beside it is Ready=True" || fail "valid policy: $(ready good)"
gen=$($kubectl get secpol good -o jsonpath='{.metadata.generation}')
[ "$(cond good observedGeneration)" = "$gen" ] && [ "$($kubectl get secpol good -o jsonpath='{.status.observedGeneration}')" = "$gen" ] \
  && ok "observedGeneration is the policy's generation" || fail "observedGeneration"
eventually 30 $kubectl -n ps-a get networkpolicy bulwark-default-deny \
  && ok "the valid policy is still enforced" || fail "the valid policy is enforced"
[ "$($kubectl get secpol -o custom-columns=N:.metadata.name,R:.status.conditions[0].status --no-headers | tr -s ' ' | sort | tr '\n' ' ')" = "bad False good True " ] \
  && ok "kubectl get secpol shows both" || fail "get secpol: $($kubectl get secpol)"

transition=$(cond good lastTransitionTime)
mark=$(wc -l <"$work/operator.log")
$kubectl annotate secpol good touched=yes >/dev/null
eventually 20 bash -c "tail -n +$((mark + 1)) '$work/operator.log' | grep -q 'policy good: status is up to date'" \
  && ! tail -n +$((mark + 1)) "$work/operator.log" | grep -q 'wrote status of policy good' \
  && [ "$(cond good lastTransitionTime)" = "$transition" ] \
  && ok "a policy whose status is right gets no write" || fail "steady state wrote the status"

cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: bad}
spec: {match: {namespaceSelector: {matchLabels: {team: a}}}}
P
newgen=$($kubectl get secpol bad -o jsonpath='{.metadata.generation}')
eventually 30 bash -c "[ \"\$($kubectl get secpol bad -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}/{.status.observedGeneration}')\" = True/$newgen ]" \
  && [ "$(cond bad reason)" = Reconciled ] && ok "fixing the policy turns it Ready at the new generation" \
  || fail "fixed policy: $(ready bad) gen $(cond bad observedGeneration) want $newgen"
# An exemption already expired when written is accepted but inactive: the policy is Ready
# (ExpiredExemption names the entry), enforces everything else, and tells of the lapse in an Event.
$kubectl create namespace ps-late >/dev/null && $kubectl label namespace ps-late env=late >/dev/null
late_policy() {
  cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: late}
spec:
  match: {namespaceSelector: {matchLabels: {env: late}}}
  enforcement: {mode: Enforce}
  exemptions: [{name: too-late, controls: [privileged], expires: "$1"}]
P
}
late_policy 2020-01-01T00:00:00Z
eventually 30 bash -c "[ \"\$($kubectl get secpol late -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}')\" = ExpiredExemption ]" \
  && [ "$(cond late status)" = True ] && [[ "$(cond late message)" == *"too-late (spec.exemptions[0], expired 2020-01-01T00:00:00Z)"* ]] \
  && ok "an exemption expired when written: Ready=True, ExpiredExemption, naming the entry" \
  || fail "expired exemption: $(cond late status) $(cond late reason) $(cond late message)"
eventually 30 $kubectl -n ps-late get networkpolicy bulwark-default-deny >/dev/null \
  && ok "and the policy enforces the rest (its default-deny is kept)" || fail "the policy with a lapsed exemption did not act"
eventually 30 bash -c "$kubectl get events -n default --field-selector involvedObject.name=late,reason=ExemptionLapsed -o jsonpath='{.items[*].type}' | grep -qx Warning" \
  && ok "a Warning Event ExemptionLapsed tells of it, once" \
  || fail "no single ExemptionLapsed Event: $($kubectl get events -n default --field-selector involvedObject.name=late -o name)"
late_policy 2099-01-01T00:00:00Z
eventually 30 bash -c "[ \"\$($kubectl get secpol late -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}')\" = Reconciled ]" \
  && [ "$(cond late status)" = True ] \
  && ok "with a future expiry it is Ready, Reconciled" || fail "late policy fixed: $(cond late status) $(cond late message)"

grep -qi 'forbidden' "$work/operator.log" && fail "refused: $(grep -i forbidden "$work/operator.log" | head -2)" \
  || ok "its own RBAC was enough"

stop_operator "$pid"
finish
