#!/usr/bin/env bash
# The enforcement canary (issue 37) on the real node: the operator as a pod from scripts/image.sh,
# installed with the chart and test intervals (8 s rounds, 6 s change timeout), its canary
# DaemonSet beside it, kube-router enforcing. Checks, on a policy with Quarantine:
# - kube-router running: NetworkEnforced True (Enforced), both ways;
# - kube-router killed, its chains and ipsets left as a crash leaves them: False (NotEnforced)
#   naming the node, within 3 x interval + changeTimeout; the quarantined Deployment gets a
#   Warning Event QuarantineNotEnforced (NodeNotEnforcing) and with unenforcedQuarantine:
#   ScaleToZero is scaled to zero (then counted as held by the scale); never True again while it is dead,
#   though its rules match every other phase;
# - kube-router started again: True again, the replicas restored;
# - kube-router gone and its rules with it, as on a node that never ran it: False from the first
#   round that ends after that;
# - the canary pod gone (the DaemonSet kept off the node): Unknown (CanaryUnavailable), never
#   True meanwhile.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/enforcement_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
. "$BULWARK_E2E_CLUSTER/node.env"
ns=bulwark-system
interval=8 change_timeout=6
node_sh() { "$root/e2e/cluster/node.sh" "$1" "$BULWARK_E2E_CLUSTER" "${@:2}"; }
diagnose() {
  $kubectl -n "$ns" get pods -o wide 2>&1 | sed 's/^/  /'
  for p in $($kubectl -n "$ns" get pods -o name 2>/dev/null); do
    echo "  --- $p"; $kubectl -n "$ns" logs "$p" --tail 15 2>&1 | sed 's/^/  /'
  done
  $kubectl get secpol quarantine -o jsonpath='{.status.conditions}' 2>&1 | sed 's/^/  /'; echo
}
enforced() {  # STATUS/REASON of NetworkEnforced
  $kubectl get secpol quarantine \
    -o jsonpath='{.status.conditions[?(@.type=="NetworkEnforced")].status}/{.status.conditions[?(@.type=="NetworkEnforced")].reason}' 2>/dev/null
}
message() {
  $kubectl get secpol quarantine -o jsonpath='{.status.conditions[?(@.type=="NetworkEnforced")].message}' 2>/dev/null
}
# until_condition SECONDS WANT: polls until NetworkEnforced is WANT; the seconds it took, or fails.
until_condition() {
  local deadline=$(( $(date +%s) + $1 )) start=$(date +%s)
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(enforced)" = "$2" ] && { echo $(( $(date +%s) - start )); return 0; }
    sleep 0.5
  done
  return 1
}

"$root/scripts/image.sh" "$work/image.tar" >/dev/null 2>"$work/image.log" || { fail "scripts/image.sh"; cat "$work/image.log"; finish; exit 1; }
ctr --address "$BULWARK_E2E_CLUSTER/node/containerd.sock" -n k8s.io images import "$work/image.tar" >/dev/null
$kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
helm=$("$root/e2e/cluster/build.sh" helm)/helm
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
$kubectl create namespace "$ns" >/dev/null
$kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null
"$helm" install bulwark "$root/deploy/helm/bulwark" -n "$ns" --set replicas=1 \
  --set image.repository=ghcr.io/bulwark-dev/bulwark --set image.tag=0.1.0 \
  --set config.canary.interval=${interval}s --set config.canary.changeTimeout=${change_timeout}s \
  >"$work/helm.log" 2>&1 || { fail "helm install"; cat "$work/helm.log"; finish; exit 1; }
if eventually 120 bash -c "[ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.status.readyReplicas}')\" = 1 ] && [ \"\$($kubectl -n $ns get ds bulwark-canary -o jsonpath='{.status.numberReady}')\" = 1 ]"; then
  ok "the operator and its canary (one per node) Running and Ready, restricted Pod Security"
else
  fail "operator and canary Ready"; diagnose; finish; exit 1
fi

$kubectl create namespace shop >/dev/null
$kubectl label namespace shop env=prod >/dev/null
# Quarantine, falling back to a scale to zero where a node does not enforce.
testdata enforce-baseline-policy.yaml NAME=quarantine "LABEL=env: prod" \
  "ACTIONS=[Annotate, Quarantine], unenforcedQuarantine: ScaleToZero" | $kubectl apply -f - >/dev/null
deployment shop worse 1 true
quarantined() { $kubectl get secpol quarantine -o jsonpath='{.status.summary.quarantined}' 2>/dev/null; }
replicas() { $kubectl -n shop get deploy worse -o jsonpath='{.spec.replicas}' 2>/dev/null; }
export -f quarantined replicas
export kubectl

# First round: the policy written, probes until three agree, the status written.
if took=$(until_condition 90 True/Enforced); then
  ok "kube-router running: NetworkEnforced True/Enforced after ${took} s ($(message))"
else
  fail "NetworkEnforced True with kube-router running (now $(enforced): $(message))"; diagnose
  finish; exit 1
fi
eventually 60 bash -c '[ "$(quarantined)" = 1 ]' \
  && ok "the violating Deployment quarantined and counted, its node enforcing" \
  || fail "quarantined count with enforcement: $(quarantined)"

bound=$(( 3 * interval + change_timeout ))
node_sh enforcer kill
if took=$(until_condition $(( bound + 20 )) False/NotEnforced) && [ "$took" -le "$bound" ]; then
  ok "kube-router killed, its rules left: False/NotEnforced after ${took} s (at most ${bound} s)"
else
  fail "NotEnforced within ${bound} s of kube-router dying (now $(enforced), ${took:-no} s)"; diagnose
fi
[[ "$(message)" == *"198.18.0.1"* ]] && ok "... naming the node: $(message)" || fail "the message names the node: $(message)"
eventually 30 bash -c "$kubectl -n shop get events --field-selector involvedObject.name=worse,reason=QuarantineNotEnforced -o jsonpath='{.items[*].message}' | grep -q 'NodeNotEnforcing: '" \
  && ok "... a Warning Event QuarantineNotEnforced (NodeNotEnforcing) on the quarantined Deployment" \
  || fail "no QuarantineNotEnforced NodeNotEnforcing Event: $($kubectl -n shop get events -o custom-columns=R:.reason,M:.message --no-headers | tail -5)"
eventually 30 bash -c '[ "$(replicas)" = 0 ]' \
  && [ "$($kubectl -n shop get deploy worse -o jsonpath='{.metadata.annotations.bulwark\.dev/recorded-replicas}')" = 1 ] \
  && ok "... unenforcedQuarantine ScaleToZero: scaled to 0, 1 recorded (held by the scale: counted as quarantined, $(quarantined))" \
  || fail "the fallback: replicas $(replicas), quarantined $(quarantined)"

# Its rules match one of the two phases: every other change lands on them, and must not read as
# enforcement.
seen_true=0
for _ in $(seq 1 $(( 3 * interval ))); do
  [ "$(enforced)" = True/Enforced ] && seen_true=1
  sleep 1
done
[ "$seen_true" = 0 ] && ok "... and never True over the next three rounds, whichever phase its rules match" \
  || fail "True again while kube-router is dead (its stale rules matched a phase)"

node_sh enforcer start
if took=$(until_condition $(( bound + 20 )) True/Enforced); then
  ok "kube-router started again: True/Enforced after ${took} s"
else
  fail "Enforced again after kube-router came back (now $(enforced))"; diagnose
fi
eventually 60 bash -c '[ "$(replicas)" = 1 ] && [ "$(quarantined)" = 1 ]' \
  && ok "... replicas restored to 1, quarantined and counted again" \
  || fail "after enforcement came back: replicas $(replicas), quarantined $(quarantined)"

node_sh enforcer clean
if took=$(until_condition $(( interval + change_timeout + 20 )) False/NotEnforced); then
  ok "no enforcer and none of its rules, as on a node that never ran one: False/NotEnforced after ${took} s"
else
  fail "NotEnforced within a round of the enforcer and its rules going (now $(enforced))"; diagnose
fi

# The canary kept off every node: not proven, and never Enforced meanwhile.
node_sh enforcer start
until_condition $(( bound + 20 )) True/Enforced >/dev/null
$kubectl -n "$ns" patch ds bulwark-canary --type merge \
  -p '{"spec":{"template":{"spec":{"nodeSelector":{"bulwark.test/no-node":"none"}}}}}' >/dev/null
eventually 60 bash -c "[ -z \"\$($kubectl -n $ns get pods -l app.kubernetes.io/name=bulwark-canary -o name)\" ]"
seen_true=0 deadline=$(( $(date +%s) + interval + 20 )) state=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  state=$(enforced)
  [ "$state" = Unknown/CanaryUnavailable ] && break
  sleep 0.5
done
if [ "$state" = Unknown/CanaryUnavailable ] && [[ "$(message)" == *"no canary pod"* ]]; then
  ok "the canary pod gone: Unknown/CanaryUnavailable ($(message))"
else
  fail "Unknown/CanaryUnavailable without a canary pod (now $state: $(message))"; diagnose
fi
for _ in $(seq 1 $(( 2 * interval ))); do
  [ "$(enforced)" = True/Enforced ] && seen_true=1
  sleep 1
done
[ "$seen_true" = 0 ] && ok "... and never True over the next two rounds" || fail "True without a canary pod"
finish
