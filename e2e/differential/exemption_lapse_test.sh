#!/usr/bin/env bash
# One Enforce + Deny policy whose exemption lapses during the test, judged by the three judges that
# must agree (run it through e2e/with_cluster.sh): the operator (a Deployment's posture
# annotation), the webhook (the API server's server-side dry run of the same Deployment) and
# `bulwark scan --now` given the instant the webhook judged at. Before the lapse all three say
# exempt and admit; after it, and after an edit of the policy's spec (which used to make the whole
# policy Ready=False and admit everything), all three say violating and the webhook refuses.
# BULWARK_DIFF_SEED picks the lapse's distance, the violation and the edit; it is printed.
#   usage: e2e/differential/exemption_lapse_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
seed=${BULWARK_DIFF_SEED:-$RANDOM}
echo "seed $seed (BULWARK_DIFF_SEED=$seed replays it)"
RANDOM=$seed
lead=$((12 + RANDOM % 6))  # seconds from the policy's creation to the lapse (timing stage: alone)
violations=("securityContext: {privileged: true}" "hostNetwork: true" "hostPID: true")
controls=(privileged hostNamespaces hostNamespaces)
pick=$((RANDOM % 3))
# The spec edits made after the lapse, as the lines of the policy they change.
edits=("images: {forbidLatestTag: true}" "podSecurity: {level: baseline, version: v1.30}"
       "match: {namespaceSelector: {matchLabels: {team: lapse}}, excludeNamespaces: [kube-system, elsewhere]}")
edit=${edits[$((RANDOM % 3))]}
echo "lapse in ${lead}s; violation: ${violations[$pick]}; edit: $edit"

install_prerequisites
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
port=$(free_port)
cat >"$work/config.yaml" <<CFG
log: {level: debug}
admission: {url: "https://127.0.0.1:$port/validate"}
CFG
fence_webhook "https://127.0.0.1:$port/validate"
$kubectl create namespace lapse >/dev/null && $kubectl label namespace lapse team=lapse >/dev/null
# manifest NAME: the violating Deployment, as the webhook, the operator and scan all read it.
manifest() {
  local pod_field="${violations[$pick]}" container_field=""
  if [ "$pick" -eq 0 ]; then container_field=", $pod_field"; pod_field=""; fi
  cat <<D
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: lapse, labels: {app: $1}}
spec:
  replicas: 1
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      ${pod_field:-dnsPolicy: ClusterFirst}
      containers: [{name: app, image: registry.example.com/app:1.0${container_field}}]
D
}
manifest legacy | $kubectl apply -f - >/dev/null
manifest probe >"$work/probe.yaml"
expires=$(date -u -d "@$(($(date +%s) + lead))" +%FT%TZ)
# write_policy [LINE]: the policy, as kubectl applies it and scan reads it; LINE replaces the
# spec line with the same key.
write_policy() {
  local line
  {
    printf 'apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: lapsing}\nspec:\n'
    for line in "match: {namespaceSelector: {matchLabels: {team: lapse}}}" "podSecurity: {level: baseline}" \
      "images: {forbidLatestTag: false}" "enforcement: {mode: Enforce, actions: [Annotate, Deny]}"; do
      [ -n "${1:-}" ] && [ "${line%%:*}" = "${1%%:*}" ] && line=$1
      echo "  $line"
    done
    echo "  exemptions: [{name: migration, controls: [${controls[$pick]}], reason: until the move, expires: \"$expires\"}]"
  } >"$work/policy.yaml"
}
write_policy
start_own_operator lapse --webhook-bind-address "127.0.0.1:$port"
$kubectl apply -f "$work/policy.yaml" >/dev/null

# webhook_says: the webhook's answer to a dry-run create (admit or deny), and in $work/at the
# instant it was asked (for scan).
webhook_says() {
  date -u +%FT%TZ >"$work/at"
  if $kubectl create --dry-run=server -f "$work/probe.yaml" >"$work/dry.out" 2>&1; then echo admit
  elif grep -q 'denied the request' "$work/dry.out"; then echo deny
  else echo "error: $(cat "$work/dry.out")"; fi
}
# scan_says INSTANT: scan's posture of the probe at that instant.
scan_says() {
  "$bulwark" scan -o json --policy "$work/policy.yaml" -f "$work/probe.yaml" --now "$1" 2>"$work/scan.err" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["posture"])' 2>/dev/null
}
operator_says() { $kubectl -n lapse get deploy legacy -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}'; }
three() { echo "operator=$(operator_says) webhook=$(webhook_says) scan=$(scan_says "$(cat "$work/at")")"; }

# Before the lapse: exempt everywhere. The operator and the webhook read one policy snapshot, so
# once the operator has judged the Deployment the webhook has the policy too; all three are then
# asked while the lapse is still ahead.
eventually $((lead - 5)) bash -c "[ \"\$($kubectl -n lapse get deploy legacy -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = exempt ]"
before=$(three)
[ "$(($(date -d "$expires" +%s) - $(date +%s)))" -gt 1 ] || fail "the checks before the lapse came too late to count: $before"
[ "$before" = "operator=exempt webhook=admit scan=exempt" ] \
  && ok "before the lapse all three judges exempt it: $before" || fail "before the lapse: $before"

# After the lapse, and after an edit of the spec: violating everywhere, and the policy Ready.
eventually $((lead + 5)) bash -c "[ \$(date +%s) -gt $(date -d "$expires" +%s) ]"
write_policy "$edit"
$kubectl apply -f "$work/policy.yaml" >/dev/null
eventually 30 bash -c "[ \"\$($kubectl -n lapse get deploy legacy -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"
after=$(three)
[ "$after" = "operator=violating webhook=deny scan=violating" ] \
  && ok "after the lapse and an edit all three judges find the violation: $after" || fail "after the lapse: $after"
ready=$($kubectl get secpol lapsing -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}/{.status.observedGeneration}/{.metadata.generation}')
IFS=/ read -r status reason observed generation <<<"$ready"
[ "$status/$reason" = True/ExpiredExemption ] && [ "$observed" = "$generation" ] \
  && ok "the edited policy stays Ready, naming the lapse ($ready)" || fail "Ready after the edit: $ready"
finish
