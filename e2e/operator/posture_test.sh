#!/usr/bin/env bash
# The posture reconcilers end to end (run through e2e/with_cluster.sh), the operator on its own
# RBAC, each scenario in its own namespace (issue 5's numbering):
#   1 Audit: violating workloads annotated and counted in status; nothing quarantined.
#   2 Enforce + Quarantine: violating pods labelled, the quarantine NetworkPolicy in place.
#   4 Fixing a Deployment: annotation compliant, no pod left quarantined.
#   5 ScaleToZero, then restore on a fix; never in the operator's own namespace; never restoring
#     replicas Bulwark did not take (a standby copied from an exported manifest).
#   6 An exemption that expires during the test.
#   3b Pods judged as they are: a privileged ephemeral container, a pod left from an older
#     template; each carries the annotations and the quarantine itself.
#   7 A policy that cannot be read keeps its quarantine, scale-to-zero and default-deny, acts on
#     nothing new, and releases all of it once readable and deleted.
#   8 Deleting a policy: labels removed, replicas restored, managed NetworkPolicy gone.
#   9 Operator restart and resyncs: no duplicate action, no write in steady state.
#   10 A namespace relabelled out of scope and back; a policy edited.
#   and imageVulnerabilities: a condition when VulnerabilityReports are not served, a verdict
#   from a report when they are.
# Every wait polls with a deadline; a failure prints the operator log, events and objects.
#   usage: e2e/operator/posture_test.sh BULWARK_BINARY
#   BULWARK_E2E_SCENARIOS="7 3b" runs only those scenarios (after the same setup).
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
annotation() { $kubectl -n "$1" get "$2" -o jsonpath="{.metadata.annotations.bulwark\.dev/$3}" 2>/dev/null; }
quarantined_pods() { $kubectl -n "$1" get pods -l bulwark.dev/quarantine=true -o name 2>/dev/null | grep -c . ; }
pods_of() { $kubectl -n "$1" get pods -l "app=$2" -o name 2>/dev/null | grep -c . ; }
replicas() { $kubectl -n "$1" get "$2" -o jsonpath='{.spec.replicas}' 2>/dev/null; }
status_of() { $kubectl get secpol "$1" -o jsonpath="$2" 2>/dev/null; }
condition() { status_of "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
# is NS RESOURCE KEY VALUE: the annotation has the value.
is() { [ "$(annotation "$1" "$2" "$3")" = "$4" ]; }
dump() {
  echo "--- events"; $kubectl get events -A --sort-by=.lastTimestamp 2>/dev/null | tail -n 15
  echo "--- objects"; $kubectl get deploy,pods,networkpolicies -A -o wide 2>/dev/null | grep -E '^(NAMESPACE|p-)' | head -n 40
  $kubectl get secpol -o yaml 2>/dev/null | grep -A12 'status:' | head -n 60
}
check() {  # check NAME CMD...: ok or fail with the dump
  local name=$1; shift
  if "$@"; then ok "$name"; else fail "$name"; dump; fi
}


install_prerequisites
for ns in p-audit p-quar p-scale p-exempt p-holdq p-holds p-pods; do
  $kubectl create namespace "$ns" >/dev/null
  $kubectl label namespace "$ns" "posture=${ns#p-}" >/dev/null
done
deployment p-audit bad 1 true
deployment p-audit good 1 false
deployment p-quar bad 2 true
deployment p-scale bad 3 true
deployment p-exempt legacy 1 true
deployment p-holdq bad 1 true
deployment p-holds bad 2 true
deployment p-pods web 1 false
deployment p-pods rolling 1 true
cat <<'RC' | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy-rc, namespace: p-pods}
spec:
  replicas: 1
  selector: {app: legacy-rc}
  template:
    metadata: {labels: {app: legacy-rc}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: true}}]}
RC
# The operator's own namespace, selected by the ScaleToZero policy below (issue 11 item 4), and a
# standby copied from an exported manifest that no policy selects (item 5).
$kubectl label namespace bulwark-system posture=scale --overwrite >/dev/null
deployment bulwark-system lookalike 2 true
$kubectl create namespace p-standby >/dev/null
cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata:
  name: standby
  namespace: p-standby
  annotations: {bulwark.dev/recorded-replicas: "3", bulwark.dev/scaled-by: "0c5e2d8a-0000-4000-8000-000000000000:0c5e2d8a-0000-4000-8000-000000000001"}
spec:
  replicas: 0
  selector: {matchLabels: {app: standby}}
  template:
    metadata: {labels: {app: standby}}
    spec: {containers: [{name: app, image: registry.example.com/app:1.0}]}
D
expires=$(date -u -d '+50 seconds' +%Y-%m-%dT%H:%M:%SZ)  # room for scenarios 1 to 5 on a loaded machine

# A short resync, so the restart check below also covers "a resync sends zero writes".
printf 'log: {level: debug}\nresyncPeriod: 2s\n' >"$work/config.yaml"
start_own_operator operator
pid=$started_pid

policy() {  # policy NAME NAMESPACE-LABEL ENFORCEMENT [EXTRA-SPEC-YAML]
  cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: $1}
spec:
  match: {namespaceSelector: {matchLabels: {posture: $2}}}
  podSecurity: {level: baseline}
  network: {defaultDeny: false}
  enforcement: $3
${4:-}
P
}
policy audit-pol audit '{mode: Audit}' '  images: {maxSeverity: High}'
policy quarantine-pol quar '{mode: Enforce, actions: [Annotate, Quarantine]}'
policy scale-pol scale '{mode: Enforce, actions: [ScaleToZero]}'
policy holdq-pol holdq '{mode: Enforce, actions: [Annotate, Quarantine]}' '  network: {defaultDeny: true}'
policy holds-pol holds '{mode: Enforce, actions: [ScaleToZero]}'
policy pods-pol pods '{mode: Enforce, actions: [Annotate, Quarantine]}'
policy exempt-pol exempt '{mode: Audit}' "  exemptions: [{name: temporary, controls: [privileged], expires: \"$expires\", reason: e2e}]"

# 1. Audit.
scenario_1() {
  check "1 audit: the violating Deployment is annotated violating, privileged, audit-pol" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-audit deploy/bad posture violating && is p-audit deploy/bad violations privileged && is p-audit deploy/bad policies audit-pol"
  # No VulnerabilityReport is served, so the policy's maxSeverity cannot be judged: the otherwise
  # compliant Deployment is not-evaluated, never compliant (docs/api.md, Not evaluated).
  check "1 audit: the compliant one is not-evaluated: no vulnerability report can be read" eventually 10 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-audit deploy/good posture not-evaluated && is p-audit deploy/good not-evaluated imageVulnerabilities"
  check "1 audit: nothing is quarantined and the pods carry no annotation" \
    bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-audit) -eq 0 ] && [ -z \"\$($kubectl -n p-audit get pods -o jsonpath='{.items[*].metadata.annotations.bulwark\.dev/posture}')\" ]"
  check "1 audit: status counts 2 workloads, 1 violating, 1 not evaluated, score 0, Compliant=False" \
    eventually 20 bash -c "[ \"\$($kubectl get secpol audit-pol -o jsonpath='{.status.summary.workloads}/{.status.summary.violating}/{.status.summary.notEvaluated}/{.status.summary.score}/{.status.conditions[?(@.type==\"Compliant\")].status}')\" = 2/1/1/0/False ]"
  check "1 audit: the violation is listed in status" \
    bash -c "[ \"\$($kubectl get secpol audit-pol -o jsonpath='{.status.violations[0].namespace}/{.status.violations[0].kind}/{.status.violations[0].name}/{.status.violations[0].controls[0]}')\" = p-audit/Deployment/bad/privileged ]"
  check "1 audit: a PolicyViolation event names the control" \
    eventually 10 bash -c "$kubectl -n p-audit get events --field-selector reason=PolicyViolation,involvedObject.name=bad -o jsonpath='{.items[*].message}' | grep -q privileged"
  check "no VulnerabilityReports served: the policy's condition says so" \
    eventually 10 bash -c "[ \"\$($kubectl get secpol audit-pol -o jsonpath='{.status.conditions[?(@.type==\"VulnerabilityReports\")].reason}')\" = ReportsNotServed ]"
  check "policies carry the cleanup finalizer" \
    eventually 10 bash -c "[ \"\$($kubectl get secpol quarantine-pol -o jsonpath='{.metadata.finalizers[*]}')\" = bulwark.dev/cleanup ]"
}

# 2. Enforce + Quarantine.
scenario_2() {
  check "2 quarantine: both pods of the violating Deployment are labelled" \
    eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-quar) -eq 2 ]"
  check "2 quarantine: bulwark-quarantine selects them and denies all traffic" \
    eventually 10 bash -c "[ \"\$($kubectl -n p-quar get networkpolicy bulwark-quarantine -o jsonpath='{.spec.podSelector.matchLabels.bulwark\.dev/quarantine}/{.spec.policyTypes[*]}/{.spec.ingress}{.spec.egress}/{.metadata.ownerReferences[0].name}')\" = 'true/Ingress Egress//quarantine-pol' ]"
  check "2 quarantine: a Quarantined event" \
    eventually 10 bash -c "$kubectl -n p-quar get events --field-selector reason=Quarantined -o name | grep -q ."
  check "2 quarantine: status counts it quarantined" \
    eventually 10 bash -c "[ \"\$($kubectl get secpol quarantine-pol -o jsonpath='{.status.summary.quarantined}')\" = 1 ]"
}

# 4. Fixing the Deployment.
scenario_4() {
  # It fixes what 2 quarantined; run without 2, wait for that first.
  eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-quar) -eq 2 ]" \
    || fail "4 setup: the violating pods are quarantined"
  deployment p-quar bad 2 false
  check "4 fix: the Deployment becomes compliant" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-quar deploy/bad posture compliant"
  # With no node the rollout cannot finish, so the two old pods, privileged still, remain: they are
  # judged as they are (3b) and stay quarantined, now saying why; the Deployment is released.
  check "4 fix: the old privileged pods stay quarantined and say why; the new pod is not quarantined" \
    eventually 30 bash -c "[ \$($kubectl -n p-quar get pods -l app=bad,bulwark.dev/quarantine=true -o jsonpath='{range .items[*]}{.metadata.annotations.bulwark\.dev/posture}{\"\\n\"}{end}' | grep -c violating) -eq 2 ] && [ \$($kubectl -n p-quar get pods -l 'app=bad,!bulwark.dev/quarantine' -o name | grep -c .) -ge 1 ]"
}

# 5. ScaleToZero.
scenario_5() {
  check "5 scale: the violating Deployment is scaled to zero, its 3 replicas recorded" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; [ \"\$($kubectl -n p-scale get deploy bad -o jsonpath='{.spec.replicas}')\" = 0 ] && is p-scale deploy/bad recorded-replicas 3"
  deployment p-scale bad 0 false   # the fix keeps replicas at 0 as found; Bulwark gives back 3
  check "5 scale: fixed, it is restored to 3 replicas and the record goes" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; [ \"\$($kubectl -n p-scale get deploy bad -o jsonpath='{.spec.replicas}')\" = 3 ] && is p-scale deploy/bad recorded-replicas '' && is p-scale deploy/bad posture compliant"
  # Two resyncs after the scale above, everything has been judged at least twice.
  resyncs_now=$(grep -c 'resync: judging everything again' "$work/operator.log")
  eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((resyncs_now + 2)) ]"
  check "5 scale: the operator's own namespace is never acted on: its Deployment keeps 2 replicas, unannotated" \
    bash -c "$(declare -f annotation is); kubectl=$kubectl; [ \"\$($kubectl -n bulwark-system get deploy lookalike -o jsonpath='{.spec.replicas}')\" = 2 ] && is bulwark-system deploy/lookalike posture '' && is bulwark-system deploy/lookalike recorded-replicas ''"
  check "5 scale: a standby with replicas 0 and another object's recorded-replicas stays at 0, annotations untouched" \
    bash -c "$(declare -f annotation is); kubectl=$kubectl; [ \"\$($kubectl -n p-standby get deploy standby -o jsonpath='{.spec.replicas}')\" = 0 ] && is p-standby deploy/standby recorded-replicas 3"
  check "5 scale: Quarantined and Released events" \
    eventually 10 bash -c "$kubectl -n p-scale get events --field-selector reason=Released -o name | grep -q . && $kubectl -n p-scale get events --field-selector reason=Quarantined -o name | grep -q ."
}

# 6. The exemption expires at $expires.
scenario_6() {
  check "6 exemption: exempt while it holds" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-exempt deploy/legacy posture exempt && [ \$(date -u +%s) -lt $(date -u -d "$expires" +%s) ]"
  check "6 exemption: violating once it expires (judged again at the instant, not by polling)" \
    eventually 75 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-exempt deploy/legacy posture violating"
  grep -q "requeue" "$work/operator.log" || true
}

# 7. A policy that cannot be read keeps what it holds and acts on nothing new (issue 11 item 2).
scenario_7() {
  check "7 unreadable, setup: quarantined, default-deny kept, scaled to zero" \
    eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-holdq) -eq 1 ] && $kubectl -n p-holdq get networkpolicy bulwark-default-deny && [ \"\$($kubectl -n p-holds get deploy bad -o jsonpath='{.spec.replicas}')\" = 0 ]"
  for p in holdq-pol holds-pol; do
    # A label key the API server's schema lets through and Bulwark's parser refuses.
    $kubectl patch secpol "$p" --type merge -p '{"spec":{"match":{"namespaceSelector":{"matchLabels":{"bad key!":"x"}}}}}' >/dev/null
  done
  check "7 unreadable: both policies are Ready=False" \
    eventually 30 bash -c "[ \"\$($kubectl get secpol holdq-pol holds-pol -o jsonpath='{.items[*].status.conditions[?(@.type==\"Ready\")].status}')\" = 'False False' ]"
  deployment p-holdq late 1 true
  resyncs_now=$(grep -c 'resync: judging everything again' "$work/operator.log")
  eventually 20 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((resyncs_now + 2)) ] && [ \$($kubectl -n p-holdq get pods -l app=late -o name | grep -c .) -ge 1 ]"
  check "7 unreadable: the quarantine it holds stays" \
    bash -c "[ \"\$($kubectl -n p-holdq get pods -l app=bad -o jsonpath='{.items[*].metadata.labels.bulwark\.dev/quarantine}')\" = true ]"
  check "7 unreadable: its default-deny stays" $kubectl -n p-holdq get networkpolicy bulwark-default-deny
  check "7 unreadable: the Deployment it scaled stays at zero, its record kept" \
    bash -c "$(declare -f annotation is); kubectl=$kubectl; [ \"\$($kubectl -n p-holds get deploy bad -o jsonpath='{.spec.replicas}')\" = 0 ] && is p-holds deploy/bad recorded-replicas 2"
  check "7 unreadable: nothing new is acted on (a new violating Deployment is neither quarantined nor annotated)" \
    bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-holdq deploy/late posture '' && [ -z \"\$($kubectl -n p-holdq get pods -l app=late -o jsonpath='{.items[*].metadata.labels.bulwark\.dev/quarantine}')\" ]"
  for p in holdq-pol holds-pol; do
    $kubectl patch secpol "$p" --type merge -p '{"spec":{"match":{"namespaceSelector":{"matchLabels":{"bad key!":null}}}}}' >/dev/null
  done
  check "7 readable again: it acts on the new workload too" \
    eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-holdq) -eq 2 ]"
  $kubectl delete secpol holdq-pol holds-pol --wait=false >/dev/null
  check "7 deleted: everything it held is released" \
    eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-holdq) -eq 0 ] && [ \"\$($kubectl -n p-holds get deploy bad -o jsonpath='{.spec.replicas}')\" = 2 ] && ! $kubectl -n p-holdq get networkpolicy bulwark-default-deny"
}

# 3b. Pods are judged as they are (issue 11 item 3).
scenario_3b() {
  pod_of() { $kubectl -n p-pods get pods -l "app=$1" -o name 2>/dev/null | head -1; }
  pod_annotation() { $kubectl -n p-pods get "$1" -o jsonpath="{.metadata.annotations.bulwark\.dev/$2}" 2>/dev/null; }
  pod_label() { $kubectl -n p-pods get "$1" -o jsonpath='{.metadata.labels.bulwark\.dev/quarantine}' 2>/dev/null; }
  check "3b setup: web compliant, rolling's pod quarantined" \
    eventually 30 bash -c "$(declare -f annotation is pod_of pod_label); kubectl=$kubectl; is p-pods deploy/web posture compliant && [ -n \"\$(pod_of web)\" ] && [ \"\$(pod_label \$(pod_of rolling))\" = true ]"
  check "3b a ReplicationController is judged as a workload: annotated violating, its pod quarantined" \
    eventually 30 bash -c "$(declare -f annotation is pod_of pod_label); kubectl=$kubectl; is p-pods rc/legacy-rc posture violating && [ \"\$(pod_label \$(pod_of legacy-rc))\" = true ]"
  web_pod=$(pod_of web)
  $kubectl -n p-pods debug "$web_pod" --image=busybox:1.36 --profile=sysadmin -c debugger >/dev/null 2>&1
  check "3b a privileged ephemeral container (kubectl debug --profile=sysadmin): the pod is annotated violating and quarantined itself" \
    eventually 30 bash -c "$(declare -f pod_annotation pod_label); kubectl=$kubectl; [ \"\$(pod_annotation $web_pod posture)/\$(pod_annotation $web_pod violations)/\$(pod_annotation $web_pod policies)/\$(pod_label $web_pod)\" = violating/privileged/pods-pol/true ]"
  check "3b ... and its Deployment's verdict is unchanged" \
    bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-pods deploy/web posture compliant"
  old_pod=$(pod_of rolling)
  deployment p-pods rolling 1 false  # the fix rolls out; with no node, the old pod stays
  check "3b a pod whose spec differs from its (fixed) template: the Deployment is compliant, the old pod stays quarantined and says why" \
    eventually 30 bash -c "$(declare -f annotation is pod_annotation pod_label); kubectl=$kubectl; is p-pods deploy/rolling posture compliant && [ \"\$(pod_annotation $old_pod posture)/\$(pod_label $old_pod)\" = violating/true ]"
}

# 8. Deleting policies cleans up what they caused.
scenario_8() {
  deployment p-quar worse 2 true
  deployment p-scale worse 2 true
  check "8 setup: new offenders quarantined and scaled" \
    eventually 30 bash -c "[ \$($kubectl -n p-quar get pods -l app=worse,bulwark.dev/quarantine=true -o name | grep -c .) -eq 2 ] && [ \"\$($kubectl -n p-scale get deploy worse -o jsonpath='{.spec.replicas}')\" = 0 ]"
  $kubectl delete secpol quarantine-pol scale-pol --wait=false >/dev/null
  check "8 delete: quarantine labels removed" \
    eventually 30 bash -c "[ \$($(declare -f quarantined_pods); kubectl=$kubectl; quarantined_pods p-quar) -eq 0 ]"
  check "8 delete: replicas restored" \
    eventually 30 bash -c "[ \"\$($kubectl -n p-scale get deploy worse -o jsonpath='{.spec.replicas}')\" = 2 ]"
  check "8 delete: annotations removed" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-quar deploy/worse posture '' && is p-scale deploy/worse posture '' && is p-scale deploy/worse recorded-replicas ''"
  check "8 delete: the quarantine NetworkPolicy is gone" \
    eventually 30 bash -c "! $kubectl -n p-quar get networkpolicy bulwark-quarantine >/dev/null 2>&1"
  check "8 delete: the policies are gone (finalizer released)" \
    eventually 30 bash -c "[ -z \"\$($kubectl get secpol quarantine-pol scale-pol -o name --ignore-not-found)\" ]"
}

# 10. A namespace moved out of scope and back; a policy edited.
scenario_10() {
  $kubectl label namespace p-audit posture=elsewhere --overwrite >/dev/null
  check "10 scope: out of scope, the annotations go" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-audit deploy/bad posture '' && is p-audit deploy/good policies '' && is p-audit deploy/good not-evaluated ''"
  $kubectl label namespace p-audit posture=audit --overwrite >/dev/null
  check "10 scope: back in scope, they come back" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-audit deploy/bad posture violating && is p-audit deploy/good posture not-evaluated"
  # Editing a policy that still lists the lapsed exemption: the policy stays Ready and enforcing
  # (docs/api.md, Exemptions); the lapsed entry is named.
  # Run without 6, wait for the exemption to lapse first (it expires at $expires).
  eventually 75 bash -c "[ \"\$($kubectl get secpol exempt-pol -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}')\" = ExpiredExemption ]" \
    || fail "10 setup: exempt-pol's exemption lapses"
  $kubectl patch secpol exempt-pol --type merge -p '{"spec":{"podSecurity":{"level":"privileged"}}}' >/dev/null
  check "policy edited with a lapsed exemption still listed: Ready=True, ExpiredExemption" \
    eventually 30 bash -c "[ \"\$($kubectl get secpol exempt-pol -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}/{.status.conditions[?(@.type==\"Ready\")].reason}/{.status.observedGeneration}')\" = \"True/ExpiredExemption/\$($kubectl get secpol exempt-pol -o jsonpath='{.metadata.generation}')\" ]"
  $kubectl patch secpol exempt-pol --type json -p '[{"op":"remove","path":"/spec/exemptions"}]' >/dev/null
  check "policy edited: at level privileged the legacy Deployment complies" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-exempt deploy/legacy posture compliant"
  check "policy edited: observedGeneration follows" \
    eventually 30 bash -c "[ \"\$($kubectl get secpol exempt-pol -o jsonpath='{.status.observedGeneration}')\" = \"\$($kubectl get secpol exempt-pol -o jsonpath='{.metadata.generation}')\" ]"
}

# 9. Restart: same verdicts, nothing written again.
scenario_9() {
  fingerprint() {
    { $kubectl get deploy,pods -n p-audit -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'
      $kubectl get deploy -n p-exempt -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'
      $kubectl get secpol -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}'
      $kubectl get events -A -o name | wc -l; }
  }
  # The scenarios above still settle (a status write follows a verdict by half a second): take the
  # fingerprint once it holds across two resyncs of the running operator.
  resyncs() { grep -c 'resync: judging everything again' "$work/operator.log"; }
  settled() {
    local first count
    first=$(fingerprint) count=$(resyncs)
    eventually 10 bash -c "[ \$(grep -c 'resync: judging everything again' '$work/operator.log') -ge $((count + 2)) ]" &&
      [ "$(fingerprint)" = "$first" ]
  }
  eventually 60 settled || fail "9 restart: the cluster settles before the restart"
  before=$(fingerprint)
  stop_operator "$pid" && ok "9 restart: the operator stops cleanly" || fail "9 restart: stop"
  start_own_operator restarted
  pid=$started_pid
  check "9 restart: every workload judged again, and again after two resyncs" \
    eventually 30 bash -c "grep -q 'Deployment/p-audit/bad is up to date' '$work/restarted.log' && grep -q 'Deployment/p-exempt/legacy is up to date' '$work/restarted.log' && grep -q 'policy audit-pol: status is up to date' '$work/restarted.log' && [ \$(grep -c 'resync: judging everything again' '$work/restarted.log') -ge 2 ] && [ \$(grep -c 'Deployment/p-audit/bad is up to date' '$work/restarted.log') -ge 3 ]"
  after=$(fingerprint)
  check "9 restart and resync: no write and no new event (resourceVersions and event count unchanged)" [ "$before" = "$after" ]
  [ "$before" = "$after" ] || echo "before: $before"$'\n'"after:  $after"
}

# imageVulnerabilities with VulnerabilityReports served (Trivy Operator's CRD, minimal schema).
scenario_vulnerabilities() {
  stop_operator "$pid" >/dev/null
  cat <<'CRD' | $kubectl apply -f - >/dev/null
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: vulnerabilityreports.aquasecurity.github.io}
spec:
  group: aquasecurity.github.io
  names: {kind: VulnerabilityReport, plural: vulnerabilityreports, singular: vulnerabilityreport}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
CRD
  $kubectl wait --for condition=established --timeout=30s crd/vulnerabilityreports.aquasecurity.github.io >/dev/null
  rs=$($kubectl -n p-audit get rs -l app=good -o jsonpath='{.items[0].metadata.name}')
  cat <<R | $kubectl apply -f - >/dev/null
apiVersion: aquasecurity.github.io/v1alpha1
kind: VulnerabilityReport
metadata:
  name: replicaset-$rs-app
  namespace: p-audit
  labels: {trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: $rs, trivy-operator.container.name: app}
report:
  summary: {criticalCount: 2, highCount: 5, mediumCount: 0, lowCount: 0}
  vulnerabilities: []
R
  start_own_operator with-reports
  pid=$started_pid
  check "vulnerabilities: a report above maxSeverity makes the workload violate imageVulnerabilities" \
    eventually 30 bash -c "$(declare -f annotation is); kubectl=$kubectl; is p-audit deploy/good violations imageVulnerabilities"
  check "vulnerabilities: the policy's condition says reports are read" \
    eventually 10 bash -c "[ \"\$($kubectl get secpol audit-pol -o jsonpath='{.status.conditions[?(@.type==\"VulnerabilityReports\")].status}')\" = True ]"
}

# BULWARK_E2E_SCENARIOS="7 3b" runs only those, after the same setup; by default every scenario,
# in this order (4 builds on 2: it fixes what 2 quarantined).
all_scenarios="1 2 4 5 6 7 3b 8 10 9 vulnerabilities"
for scenario in ${BULWARK_E2E_SCENARIOS:-$all_scenarios}; do
  if declare -F "scenario_$scenario" >/dev/null; then
    "scenario_$scenario"
  else
    fail "no scenario \"$scenario\" (there are: $all_scenarios)"
  fi
done

for log in "$work"/*.log; do
  grep -qiE 'forbidden|: 403 ' "$log" && fail "the operator was refused: $(grep -iE 'forbidden|: 403 ' "$log" | head -2)"
done
ok "its own RBAC was enough"
stop_operator "$pid" >/dev/null
finish
