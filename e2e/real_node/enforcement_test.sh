#!/usr/bin/env bash
# The enforcement canary (issue 37) on the real node: the operator as a pod from scripts/image.sh,
# installed with the chart and test intervals (8 s rounds, 6 s change timeout), its canary
# DaemonSet beside it. Checks, on a policy with Quarantine and unenforcedQuarantine: ScaleToZero:
# - a node without kube-router or any of its rules from the start: NetworkEnforced False
#   (NotEnforced) from the first round, never True before; the violating Deployment gets a
#   Warning Event QuarantineNotEnforced (NodeNotEnforcing) and is scaled to zero, 1 recorded;
# - kube-router started: True (Enforced), the replicas restored, quarantined and counted;
# - kube-router killed, its chains and ipsets left as a crash leaves them: False naming the node
#   within 3 x interval + changeTimeout, scaled to zero again, the shipped alert
#   BulwarkNetworkPolicyNotEnforced active in a real Prometheus scraping the operator, and never
#   True while it is dead, though its rules match every other phase;
# - the canary pod gone (the DaemonSet kept off the node): Unknown (CanaryUnavailable), never
#   True.
#   usage: e2e/with_cluster.sh --real-node e2e/real_node/enforcement_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
. "$BULWARK_E2E_CLUSTER/node.env"
# shellcheck source=chart_lib.sh
. "$(dirname "$0")/chart_lib.sh"
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

# No enforcer and none of its rules, as on a node that never ran one.
node_sh enforcer clean
# Plain metrics on 8080, scraped from the node (which every plugin lets through).
install_from_chart "$ns" --set config.canary.interval=${interval}s \
  --set config.canary.changeTimeout=${change_timeout}s \
  --set config.metricsSecure=false --set config.metricsBindAddress=:8080 \
  || { fail "the operator from the chart"; finish; exit 1; }
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

never_true() {  # never_true SECONDS: NetworkEnforced is not True at any poll for that long
  local end=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    [ "$(enforced)" = True/Enforced ] && return 1
    sleep 0.5
  done
}
bound=$(( 3 * interval + change_timeout ))
fallback_scaled() {
  eventually 30 bash -c '[ "$(replicas)" = 0 ]' &&
    [ "$($kubectl -n shop get deploy worse -o jsonpath='{.metadata.annotations.bulwark\.dev/recorded-replicas}')" = 1 ]
}

# Without an enforcer from the start: False from the first round, never True before it.
start=$(date +%s) state=""
while [ $(( $(date +%s) - start )) -lt 90 ]; do
  state=$(enforced)
  [ "$state" = True/Enforced ] || [ "$state" = False/NotEnforced ] && break
  sleep 0.5
done
if [ "$state" = False/NotEnforced ]; then
  ok "no enforcer from the start: False/NotEnforced from the first round, after $(( $(date +%s) - start )) s ($(message))"
else
  fail "NotEnforced without an enforcer (now $state: $(message))"; diagnose; finish; exit 1
fi
eventually 30 bash -c "$kubectl -n shop get events --field-selector involvedObject.name=worse,reason=QuarantineNotEnforced -o jsonpath='{.items[*].message}' | grep -q 'NodeNotEnforcing: '" \
  && ok "... a Warning Event QuarantineNotEnforced (NodeNotEnforcing) on the violating Deployment" \
  || fail "no QuarantineNotEnforced NodeNotEnforcing Event: $($kubectl -n shop get events -o custom-columns=R:.reason,M:.message --no-headers | tail -5)"
fallback_scaled \
  && ok "... unenforcedQuarantine ScaleToZero: scaled to 0, 1 recorded (held by the scale: counted as quarantined, $(quarantined))" \
  || fail "the fallback: replicas $(replicas), quarantined $(quarantined)"

# A real Prometheus in the node's network namespace scrapes the operator every second and
# evaluates the shipped rules.
in_node() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
operator_ip=$($kubectl -n "$ns" get pods -l app.kubernetes.io/name=bulwark -o jsonpath='{.items[0].status.podIP}')
trap 'stop_prometheus; cleanup' EXIT
start_prometheus "$operator_ip:8080" nsenter --net="/run/netns/$NETNS" --
alert_active() {  # alert_active NAME: pending or firing for node 198.18.0.1
  in_node curl -sf "http://127.0.0.1:$prom_port/api/v1/alerts" | python3 -c '
import json, sys
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(x["labels"]["alertname"] == sys.argv[1] and x["labels"].get("node") == "198.18.0.1"
                  and x["state"] in ("pending", "firing") for x in a) else 1)' "$1"
}
export -f alert_active in_node
export prom_port NETNS

node_sh enforcer start
if took=$(until_condition $(( bound + 20 )) True/Enforced); then
  ok "kube-router started: True/Enforced after ${took} s ($(message))"
else
  fail "Enforced once kube-router runs (now $(enforced): $(message))"; diagnose; finish; exit 1
fi
eventually 60 bash -c '[ "$(replicas)" = 1 ] && [ "$(quarantined)" = 1 ]' \
  && ok "... replicas restored to 1, quarantined and counted" \
  || fail "after enforcement came: replicas $(replicas), quarantined $(quarantined)"
# grep reads the whole page (no -q): under pipefail, a grep that quits at its match makes curl's
# next write fail, and the pipeline with it (the fresh-clone CI failure of this check).
in_node curl -sf "http://$operator_ip:8080/metrics" \
  | grep '^bulwark_network_enforcement{direction="in",node="198.18.0.1"} 1' >/dev/null \
  && eventually 10 bash -c '! alert_active BulwarkNetworkPolicyNotEnforced' \
  && ok "... bulwark_network_enforcement 1 for the node, and the alert not active within 10 s" \
  || fail "metrics with enforcement (alert $(alert_active BulwarkNetworkPolicyNotEnforced && echo still active || echo not active)): $(in_node curl -sf "http://$operator_ip:8080/metrics" | grep network_enforcement | head -5)"


node_sh enforcer kill
if took=$(until_condition $(( bound + 20 )) False/NotEnforced) && [ "$took" -le "$bound" ]; then
  ok "kube-router killed, its rules left: False/NotEnforced after ${took} s (at most ${bound} s)"
else
  fail "NotEnforced within ${bound} s of kube-router dying (now $(enforced), ${took:-no} s)"; diagnose
fi
[[ "$(message)" == *"198.18.0.1"* ]] && ok "... naming the node: $(message)" || fail "the message names the node: $(message)"
fallback_scaled && ok "... scaled to 0 again" || fail "the fallback after the kill: replicas $(replicas)"
eventually 30 alert_active BulwarkNetworkPolicyNotEnforced \
  && ok "... the shipped alert BulwarkNetworkPolicyNotEnforced is pending or firing for the node in a real Prometheus scraping the operator" \
  || fail "BulwarkNetworkPolicyNotEnforced not active: $(in_node curl -sf "http://127.0.0.1:$prom_port/api/v1/alerts" | head -c 400)"

# Its rules match one of the two phases: every other change lands on them, and must not read as
# enforcement.
never_true $(( 2 * interval )) \
  && ok "... and never True over the next two rounds, whichever phase its rules match" \
  || fail "True again while kube-router is dead (its stale rules matched a phase)"

# The canary kept off every node: not proven, and never Enforced.
$kubectl -n "$ns" patch ds bulwark-canary --type merge \
  -p '{"spec":{"template":{"spec":{"nodeSelector":{"bulwark.test/no-node":"none"}}}}}' >/dev/null
eventually 60 bash -c "[ -z \"\$($kubectl -n $ns get pods -l app.kubernetes.io/name=bulwark-canary -o name)\" ]"
if until_condition $(( interval + change_timeout + 20 )) Unknown/CanaryUnavailable >/dev/null \
   && [[ "$(message)" == *"no canary pod"* ]]; then
  ok "the canary pod gone: Unknown/CanaryUnavailable ($(message))"
else
  fail "Unknown/CanaryUnavailable without a canary pod (now $(enforced): $(message))"; diagnose
fi
never_true "$interval" && ok "... and never True over the next round" || fail "True without a canary pod"
finish
