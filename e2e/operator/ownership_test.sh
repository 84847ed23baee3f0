#!/usr/bin/env bash
# What Bulwark holds, it keeps (issue 34), against the real API server (run it through
# e2e/with_cluster.sh), with a namespace user "alice" bound to the built-in `edit` role:
# 1. alice strips app.kubernetes.io/managed-by in the same patch that opens bulwark-default-deny,
#    or that moves bulwark-quarantine's selector off the quarantined pods: Bulwark repairs both,
#    label included (ownership is the UID its policy's status records, not the label);
# 2. alice creates both names first in a namespace a policy then selects (one of them with a forged
#    managed-by label): Bulwark never edits or deletes them and says so (NetworkPoliciesHeld=False
#    naming the namespace, Warning Events NameConflict, a networkDefaultDeny finding), and calls
#    nothing there quarantined (no label, not counted, QuarantineNotEnforced NameConflict); once
#    alice deletes them, Bulwark makes its own and quarantines; an allow-all NetworkPolicy of
#    alice's reopening quarantined pods makes them not count (QuarantineNotEnforced);
# 3. with the operator stopped alice strips the label again: after a restart the object is still
#    Bulwark's (the record is in the policy's status) and is repaired.
#   usage: e2e/operator/ownership_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

install_prerequisites
alice="$kubectl --as=alice"
for ns in own-a own-b; do
  $kubectl create namespace $ns >/dev/null
  $kubectl -n $ns create rolebinding alice-edit --clusterrole=edit --user=alice >/dev/null
  deployment $ns bad 1 true
done
$kubectl label namespace own-a team=own >/dev/null
eventually 30 bash -c "[ \"\$($kubectl auth can-i patch networkpolicies -n own-a --as=alice)\" = yes ]" \
  && ok "alice may patch NetworkPolicies in her namespaces (built-in edit)" || fail "alice's edit binding"
testdata enforce-baseline-policy.yaml NAME=own 'LABEL=team: own' 'ACTIONS=[Annotate, Quarantine]' | $kubectl apply -f - >/dev/null
start_own_operator own
pid=$started_pid

np() { $kubectl -n "$1" get networkpolicy "$2" -o jsonpath="$3" 2>/dev/null; }
label_of() { np "$1" "$2" '{.metadata.labels.app\.kubernetes\.io/managed-by}'; }
# intact NS: both of Bulwark's NetworkPolicies there, labelled and in their shapes.
intact() {
  [ "$(label_of "$1" bulwark-default-deny)/$(label_of "$1" bulwark-quarantine)" = bulwark/bulwark ] &&
    [ "$(np "$1" bulwark-default-deny '{.spec.ingress}{.spec.podSelector.matchExpressions[0].operator}')" = NotIn ] &&
    [ "$(np "$1" bulwark-quarantine '{.spec.podSelector.matchLabels}')" = '{"bulwark.dev/quarantine":"true"}' ]
}
quarantined() { $kubectl -n "$1" get pods -l app=bad,bulwark.dev/quarantine=true -o name 2>/dev/null | grep -c .; }
cond() { $kubectl get secpol own -o jsonpath="{.status.conditions[?(@.type==\"NetworkPoliciesHeld\")].$1}"; }
export -f np label_of intact quarantined cond
export kubectl

eventually 30 intact own-a && eventually 30 bash -c '[ "$(quarantined own-a)" -ge 1 ]' \
  && ok "setup: own-a holds Bulwark's two NetworkPolicies and bad's pod is quarantined" \
  || fail "setup: $($kubectl -n own-a get networkpolicies -o yaml | head -40)"
uid_deny=$(np own-a bulwark-default-deny '{.metadata.uid}')
eventually 30 bash -c "$kubectl get secpol own -o jsonpath='{.status.networkPolicyUIDs}' | grep -q $uid_deny" \
  && ok "the policy's status records the UID of the default-deny it created" \
  || fail "status.networkPolicyUIDs: $($kubectl get secpol own -o jsonpath='{.status.networkPolicyUIDs}')"

# A host process is its node: nothing it probes proves enforcement (issue 37).
enforced() { $kubectl get secpol own -o jsonpath='{.status.conditions[?(@.type=="NetworkEnforced")].status}/{.status.conditions[?(@.type=="NetworkEnforced")].reason}'; }
export -f enforced
eventually 30 bash -c '[ "$(enforced)" = Unknown/ProbeFromNode ]' \
  && ok "the operator as a host process: NetworkEnforced Unknown/ProbeFromNode" \
  || fail "NetworkEnforced as a host process: $(enforced)"

# 1. Label stripped in the same patch that opens the object.
$alice -n own-a patch networkpolicy bulwark-default-deny --type merge \
  -p '{"metadata":{"labels":{"app.kubernetes.io/managed-by":null}},"spec":{"ingress":[{}],"egress":[{}]}}' >/dev/null \
  || fail "alice's patch was refused"
$alice -n own-a patch networkpolicy bulwark-quarantine --type json -p \
  '[{"op":"remove","path":"/metadata/labels"},{"op":"replace","path":"/spec/podSelector","value":{"matchLabels":{"app":"nobody"}}}]' >/dev/null \
  || fail "alice's second patch was refused"
eventually 30 intact own-a && [ "$(np own-a bulwark-default-deny '{.metadata.uid}')" = "$uid_deny" ] \
  && ok "1 both, opened with their label stripped, are repaired, label included" \
  || fail "1 not repaired: $($kubectl -n own-a get networkpolicies -o yaml | grep -E 'managed-by|ingress|egress|podSelector' -A2 | head -30)"
eventually 30 bash -c "$kubectl -n own-a get events --field-selector reason=DriftRepaired -o name | grep -q ." \
  && ok "1 ... and DriftRepaired says so" || fail "1 no DriftRepaired Event"

# 2. Both names taken before the policy selects the namespace.
cat <<NP | $alice -n own-b create -f - >/dev/null || fail "alice could not create her NetworkPolicies"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulwark-default-deny}
spec: {podSelector: {}, ingress: [{}], egress: [{}], policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulwark-quarantine, labels: {app.kubernetes.io/managed-by: bulwark}}
spec: {podSelector: {matchLabels: {app: nobody}}, policyTypes: [Ingress]}
NP
squat_uids=$(np own-b bulwark-default-deny '{.metadata.uid}')/$(np own-b bulwark-quarantine '{.metadata.uid}')
$kubectl label namespace own-b team=own >/dev/null
eventually 30 bash -c '[ "$(cond status)/$(cond reason)" = False/NameTaken ] && [[ "$(cond message)" == *"(own-b)"* ]]' \
  && ok "2 NetworkPoliciesHeld=False, NameTaken, naming own-b" || fail "2 condition: $(cond status) $(cond reason) $(cond message)"
eventually 30 bash -c "[ \$($kubectl -n own-b get events --field-selector reason=NameConflict -o name | grep -c .) -eq 2 ]" \
  && ok "2 a Warning Event NameConflict on each of alice's objects" \
  || fail "2 NameConflict Events: $($kubectl -n own-b get events -o custom-columns=R:.reason,O:.involvedObject.name --no-headers)"
eventually 30 bash -c "$kubectl -n own-b get events --field-selector involvedObject.name=bad,reason=QuarantineNotEnforced -o jsonpath='{.items[*].message}' | grep -q '^NameConflict: '" \
  && [ "$(quarantined own-b)" -eq 0 ] \
  && ok "2 nothing in own-b is labelled quarantined, and QuarantineNotEnforced says NameConflict" \
  || fail "2 own-b: $(quarantined own-b) quarantined; events $($kubectl -n own-b get events -o custom-columns=R:.reason --no-headers | sort | uniq -c)"
[ "$($kubectl get secpol own -o jsonpath='{.status.summary.quarantined}')" = 1 ] \
  && $kubectl get secpol own -o jsonpath='{.status.violations[?(@.kind=="Namespace")].name}' | grep -qx own-b \
  && ok "2 the status counts one quarantined workload (own-a's) and lists own-b without default-deny" \
  || fail "2 status: $($kubectl get secpol own -o jsonpath='{.status.summary} {.status.violations}')"
[ "$(np own-b bulwark-default-deny '{.metadata.uid}')/$(np own-b bulwark-quarantine '{.metadata.uid}')" = "$squat_uids" ] &&
  [ -z "$(label_of own-b bulwark-default-deny)" ] && [ "$(np own-b bulwark-default-deny '{.spec.ingress}')" = '[{}]' ] \
  && ok "2 alice's objects are untouched" || fail "2 alice's objects were changed"
$alice -n own-b delete networkpolicy bulwark-default-deny bulwark-quarantine >/dev/null
eventually 30 intact own-b && eventually 30 bash -c '[ "$(quarantined own-b)" -ge 1 ] && [ "$(cond reason)" = Held ]' \
  && ok "2 once alice deletes them, Bulwark makes its own, quarantines, and the condition says Held" \
  || fail "2 after the delete: $(cond reason); $(quarantined own-b) quarantined"

# 2b and 2c. NetworkPolicies add up: a policy of alice's that admits traffic to own-a's
# quarantined pod reopens it. reopened STEP POLICY SPEC WHAT: she creates POLICY; the pod is then
# not counted as quarantined and QuarantineNotEnforced names its rule; once she deletes it, it
# counts again.
summary() { $kubectl get secpol own -o jsonpath='{.status.summary}'; }
counted() { eventually 30 bash -c "[ \"\$($kubectl get secpol own -o jsonpath='{.status.summary.quarantined}')\" = $1 ]"; }
reopened() {
  local step=$1 policy=$2 spec=$3 what=$4
  printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s}\nspec: %s\n' \
    "$policy" "$spec" | $alice -n own-a create -f - >/dev/null || fail "$step alice could not create $policy"
  counted 1 \
    && eventually 30 bash -c "$kubectl -n own-a get events --field-selector involvedObject.name=bad,reason=QuarantineNotEnforced -o jsonpath='{.items[*].message}' | grep -q 'ReopenedBy ingress rule 1 of NetworkPolicy own-a/$policy: '" \
    && ok "$step $what: not counted as quarantined, QuarantineNotEnforced names the rule that reopens it" \
    || fail "$step: $(summary) $($kubectl -n own-a get events -o custom-columns=R:.reason,M:.message --no-headers | tail -3)"
  $alice -n own-a delete networkpolicy "$policy" >/dev/null
  counted 2 && ok "$step ... and counted again once it goes" || fail "$step after the delete: $(summary)"
}
counted 2 || fail "2b setup: $(summary)"
reopened 2b allow-all '{podSelector: {}, ingress: [{}], egress: [{}], policyTypes: [Ingress, Egress]}' \
  "an allow-all NetworkPolicy selecting every pod of own-a"
# A pod's own labels count, not only its template's: alice labels the pod by hand first.
pod=$($kubectl -n own-a get pods -l app=bad -o jsonpath='{.items[0].metadata.name}')
$alice -n own-a label pod "$pod" open=1 >/dev/null || fail "2c alice could not label $pod"
reopened 2c by-hand '{podSelector: {matchLabels: {open: "1"}}, ingress: [{}], policyTypes: [Ingress]}' \
  "a pod labelled by hand, opened by a policy on that label"

# 3. The record survives a restart.
eventually 30 bash -c "[ \$($kubectl get secpol own -o jsonpath='{.status.networkPolicyUIDs}' | tr ',' '\n' | grep -c .) -eq 4 ]" \
  || fail "3 the status never recorded four UIDs: $($kubectl get secpol own -o jsonpath='{.status.networkPolicyUIDs}')"
stop_operator "$pid" >/dev/null
$alice -n own-a patch networkpolicy bulwark-default-deny --type merge \
  -p '{"metadata":{"labels":{"app.kubernetes.io/managed-by":null}},"spec":{"ingress":[{}]}}' >/dev/null
start_own_operator own2
eventually 30 intact own-a && ok "3 after a restart, a de-labelled object is still Bulwark's and repaired" \
  || fail "3 not repaired after the restart: $(label_of own-a bulwark-default-deny) $(np own-a bulwark-default-deny '{.spec.ingress}')"

grep -qiE 'forbidden|: 403 ' "$work"/own*.log \
  && fail "the operator was refused: $(grep -hiE 'forbidden|: 403 ' "$work"/own*.log | head -2)" || ok "its own RBAC and the fence were enough"
finish
