#!/usr/bin/env bash
# The default-deny reconciler end to end (run through e2e/with_cluster.sh), with the operator on
# its own RBAC: created in selected namespaces only, and only in Enforce; restored when deleted or
# edited; removed when the namespace leaves the policy's scope, the policy returns to Audit or goes;
# a user's own NetworkPolicy of the same name left alone; no write in steady state. In Audit a
# selected namespace without a default-deny is a namespace finding (status and metric) and nothing
# is written. Every wait polls with a deadline.
#   usage: e2e/operator/default_deny_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
np() { $kubectl -n "$1" get networkpolicy bulwark-default-deny -o json 2>/dev/null; }
has_np() { np "$1" >/dev/null; }
no_np() { ! has_np "$1"; }
rv() { $kubectl -n "$1" get networkpolicy bulwark-default-deny -o jsonpath='{.metadata.resourceVersion}' 2>/dev/null; }

install_prerequisites
for ns in dd-prod dd-dev dd-mine dd-audit; do $kubectl create namespace "$ns" >/dev/null; done
$kubectl label namespace dd-audit env=audit >/dev/null
$kubectl label namespace dd-prod env=prod >/dev/null
$kubectl label namespace dd-mine env=prod >/dev/null
$kubectl label namespace dd-dev env=dev >/dev/null
# A user's own NetworkPolicy that happens to carry the name: Bulwark must not touch it.
cat <<'NP' | $kubectl apply -f - >/dev/null
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulwark-default-deny, namespace: dd-mine}
spec: {podSelector: {matchLabels: {app: mine}}, policyTypes: [Ingress]}
NP

metrics_port=$(free_port)
start_own_operator operator --metrics-bind-address "127.0.0.1:$metrics_port"
pid=$started_pid
metric() { curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -F "$1"; }
finding() {  # finding POLICY: the namespace findings in its status, "ns:kind:name:controls ..."
  $kubectl get secpol "$1" -o jsonpath='{range .status.violations[?(@.kind=="Namespace")]}{.namespace}:{.kind}:{.name}:{.controls[*]} {end}' 2>/dev/null
}

cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: prod-deny}
spec:
  match: {namespaceSelector: {matchLabels: {env: prod}}}
  network: {defaultDeny: true, allowDNSEgress: true}
  enforcement: {mode: Enforce}
P
# Issue 11 item 1: a policy in Audit (the default mode) with defaultDeny (the default) observes only.
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: audit-watch}
spec:
  match: {namespaceSelector: {matchLabels: {env: audit}}}
P

eventually 30 has_np dd-prod && ok "created in the selected namespace" || fail "created in the selected namespace"
spec=$(np dd-prod | python3 -c 'import json,sys; o=json.load(sys.stdin); s=o["spec"]; print(s.get("podSelector"), sorted(s["policyTypes"]), s.get("ingress", []), sorted((p["protocol"], p["port"]) for p in s["egress"][0]["ports"]), o["metadata"]["labels"]["app.kubernetes.io/managed-by"], [r["name"] for r in o["metadata"]["ownerReferences"]])')
[ "$spec" = "{'matchExpressions': [{'key': 'bulwark.dev/quarantine', 'operator': 'NotIn', 'values': ['true']}]} ['Egress', 'Ingress'] [] [('TCP', 53), ('UDP', 53)] bulwark ['prod-deny']" ] \
  && ok "it selects every pod but the quarantined, denies ingress and egress but DNS, and is owned by the policy" || fail "its content: $spec"
eventually 30 bash -c "[ \"\$($kubectl -n dd-prod get networkpolicy bulwark-quarantine -o jsonpath='{.spec.podSelector.matchLabels.bulwark\.dev/quarantine}')\" = true ]" \
  && ok "bulwark-quarantine is kept beside it, so a pod labelled quarantined by hand escapes neither" || fail "no bulwark-quarantine beside default-deny"
no_np dd-dev && ok "not created where the policy does not select" || fail "not created in dd-dev"
[ "$($kubectl -n dd-mine get networkpolicy bulwark-default-deny -o jsonpath='{.spec.podSelector.matchLabels.app}')" = mine ] \
  && ok "a user's NetworkPolicy of the same name is left alone" || fail "the user's NetworkPolicy was changed"

# Steady state: touching the policy re-enqueues every namespace; once the operator has judged
# dd-prod again (its debug line says so), nothing may have been written.
before=$(rv dd-prod)
mark=$(wc -l <"$work/operator.log")
$kubectl annotate securitypolicy prod-deny touched=yes >/dev/null
eventually 20 bash -c "tail -n +$((mark + 1)) '$work/operator.log' | grep -q 'dd-prod/bulwark-default-deny is up to date'" \
  && [ "$(rv dd-prod)" = "$before" ] && ! tail -n +$((mark + 1)) "$work/operator.log" | grep -q 'repaired dd-prod' \
  && ok "steady state sends no write" || fail "steady state wrote or was not judged again ($before -> $(rv dd-prod))"

$kubectl -n dd-prod delete networkpolicy bulwark-default-deny >/dev/null
eventually 10 has_np dd-prod && ok "restored after a user deletes it" || fail "restored after delete"
$kubectl -n dd-prod patch networkpolicy bulwark-default-deny --type merge \
  -p '{"spec":{"ingress":[{}],"podSelector":{"matchLabels":{"app":"x"}}}}' >/dev/null
eventually 10 bash -c "[ \"\$($kubectl -n dd-prod get networkpolicy bulwark-default-deny -o jsonpath='{.spec.ingress}{.spec.podSelector.matchLabels}')\" = '' ]" \
  && ok "restored after a user edits it (ingress rule and selector taken back)" || fail "restored after edit: $(np dd-prod | head -c 400)"

$kubectl label namespace dd-dev env=prod --overwrite >/dev/null
eventually 10 has_np dd-dev && ok "created when a namespace moves into scope" || fail "created when moved into scope"
$kubectl label namespace dd-dev env=dev --overwrite >/dev/null
eventually 10 no_np dd-dev && ok "removed when a namespace moves out of scope" || fail "removed when moved out of scope"

# Audit: a finding, and nothing written.
eventually 30 bash -c "[ \"\$($(declare -f finding); kubectl=$kubectl; finding audit-watch)\" = 'dd-audit:Namespace:dd-audit:networkDefaultDeny ' ]" \
  && ok "audit: the unisolated namespace is a finding in status (kind Namespace, networkDefaultDeny)" \
  || fail "audit: finding in status: '$(finding audit-watch)'"
no_np dd-audit && ok "audit: no NetworkPolicy is created" || fail "audit: a NetworkPolicy was created in dd-audit"
[ "$($kubectl get secpol audit-watch -o jsonpath='{.status.summary.workloads}/{.status.summary.score}')" = 0/100 ] \
  && ok "audit: the finding is not a workload and leaves the score alone" || fail "audit: summary $($kubectl get secpol audit-watch -o jsonpath='{.status.summary}')"
eventually 10 bash -c "curl -s http://127.0.0.1:$metrics_port/metrics | grep -qF 'bulwark_namespace_violations{control=\"networkDefaultDeny\",policy=\"audit-watch\"} 1'" \
  && ok "audit: bulwark_namespace_violations counts the namespace" || fail "audit: metric: $(metric bulwark_namespace_violations)"
cat <<'NP' | $kubectl apply -f - >/dev/null
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: team-deny-all, namespace: dd-audit}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
NP
eventually 30 bash -c "[ -z \"\$($(declare -f finding); kubectl=$kubectl; finding audit-watch)\" ]" \
  && ok "audit: a team's own deny-all NetworkPolicy clears the finding" || fail "audit: finding stays: '$(finding audit-watch)'"
eventually 10 bash -c "curl -s http://127.0.0.1:$metrics_port/metrics | grep -qF 'bulwark_namespace_violations{control=\"networkDefaultDeny\",policy=\"audit-watch\"} 0'" \
  && ok "audit: the metric goes to 0" || fail "audit: metric: $(metric bulwark_namespace_violations)"
$kubectl patch secpol prod-deny --type merge -p '{"spec":{"enforcement":{"mode":"Audit"}}}' >/dev/null
eventually 30 no_np dd-prod && ok "Enforce back to Audit: the default-deny it created is removed" || fail "Enforce back to Audit: still there"
eventually 30 bash -c "[ \"\$($(declare -f finding); kubectl=$kubectl; finding prod-deny)\" = 'dd-mine:Namespace:dd-mine:networkDefaultDeny dd-prod:Namespace:dd-prod:networkDefaultDeny ' ]" \
  && ok "Enforce back to Audit: its namespaces are now findings (dd-mine's own bulwark-default-deny isolates only app=mine)" || fail "Enforce back to Audit: finding '$(finding prod-deny)'"

$kubectl delete securitypolicy prod-deny >/dev/null
eventually 30 no_np dd-prod && ok "removed when the policy is deleted" || fail "removed when the policy is deleted"
[ "$($kubectl -n dd-mine get networkpolicy bulwark-default-deny -o jsonpath='{.spec.podSelector.matchLabels.app}')" = mine ] \
  && ok "the user's NetworkPolicy survives it all" || fail "the user's NetworkPolicy did not survive"
grep -qiE 'forbidden' "$work/operator.log" && fail "the operator was refused: $(grep -i forbidden "$work/operator.log" | head -2)" \
  || ok "its own RBAC was enough"

stop_operator "$pid"
finish
