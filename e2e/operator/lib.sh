# Shared by the operator e2e scripts, which run through e2e/with_cluster.sh. Sourcing scripts set
# `bulwark` (the binary) first. This file makes the temporary folder `work` (fail() prints the
# tails of its *.log files) and stops, on exit, the operators it started and did not stop.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/bulwark-operator-e2e.XXXXXX)
pids=()
# BULWARK_E2E_KEEP=DIR keeps the operators' logs there, for a failure to be read whole.
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if [ -n "${BULWARK_E2E_KEEP:-}" ]; then mkdir -p "$BULWARK_E2E_KEEP" && cp "$work"/*.log "$BULWARK_E2E_KEEP"/ 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_operator NAME ARGS...: `bulwark run ARGS` in the background, standard error to
# $work/NAME.log; its pid is left in started_pid.
start_operator() {
  local name=$1; shift
  # Admission off unless the test turns it on (a later --webhook-bind-address wins): several
  # operators run side by side, and none may take :9443.
  "$bulwark" run --webhook-bind-address 0 "$@" 2>"$work/$name.log" &
  started_pid=$!
  pids+=("$started_pid")
}

# stop_operator PID [SIGNAL]: signal it (TERM by default), wait for it, and return its status.
# Once reaped, the pid is dropped from the cleanup list so no reused pid is ever signalled.
stop_operator() {
  local pid=$1 status keep=() p
  kill "-${2:-TERM}" "$pid"
  wait "$pid"; status=$?
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
  return "$status"
}
. "$BULWARK_E2E_CLUSTER/env"
kubectl="$BIN/kubectl"
# shellcheck source=../lib.sh
. "$root/e2e/lib.sh"
fail_logs="$work/*.log"

# The CRD, the operator's namespace, its RBAC and its admission policies, as a user installs them.
install_prerequisites() {
  $kubectl apply -f "$root/crds/securitypolicy.yaml" -f "$root/deploy/operator/namespace.yaml" \
    -f "$root/deploy/operator/rbac.yaml" -f "$root/deploy/operator/admission-policy.yaml" >/dev/null
  $kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
  eventually 30 admission_policies_in_force || { echo "the admission policies never took effect" >&2; return 1; }
}
# Whether the API server enforces deploy/operator/admission-policy.yaml yet (it loads new policies
# within a second or so): a server-side dry run, as the operator, of a NetworkPolicy it may not
# make.
admission_policies_in_force() {
  local said  # kubectl fails here by design; under pipefail its output is kept, not piped
  said=$($kubectl create --dry-run=server --as=system:serviceaccount:bulwark-system:bulwark -f - 2>&1 <<'NP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bulwark-admission-probe, namespace: default}
spec: {podSelector: {}}
NP
  )
  grep -q "ValidatingAdmissionPolicy 'bulwark-operator-networkpolicies'" <<<"$said"
}

# fence_webhook URL [FAILURE_POLICY]: lets the operator point its ValidatingWebhookConfiguration
# (applied already) at URL, and set FAILURE_POLICY, as the chart renders the admission fence for
# admission.url (the variables of ValidatingAdmissionPolicy bulwark-operator-webhook). Returns once
# the API server enforces it (a server-side dry run, as the operator, of that very patch).
fence_webhook() {
  $kubectl get validatingadmissionpolicy bulwark-operator-webhook -o json | python3 -c '
import json, sys
vap = json.load(sys.stdin)
want = {"url": sys.argv[1], "failurePolicy": sys.argv[2]}
for v in vap["spec"]["variables"]:
    if v["name"] in want: v["expression"] = "\x27" + want[v["name"]] + "\x27"
json.dump(vap, sys.stdout)' "$1" "${2:-}" | $kubectl replace -f - >/dev/null
  local patch='[{"op":"add","path":"/webhooks/0/clientConfig/url","value":"'$1'"},{"op":"remove","path":"/webhooks/0/clientConfig/service"}'
  [ -n "${2:-}" ] && patch+=',{"op":"replace","path":"/webhooks/0/failurePolicy","value":"'$2'"}'
  eventually 30 $kubectl patch validatingwebhookconfiguration bulwark --dry-run=server --type json \
    --as=system:serviceaccount:bulwark-system:bulwark -p "$patch]" \
    || { echo "the fence never let the operator point the webhook at $1" >&2; return 1; }
}

# sa_kubeconfig FILE: a kubeconfig that authenticates as the operator's ServiceAccount.
sa_kubeconfig() { "$root/e2e/cluster/sa-kubeconfig.sh" "$BULWARK_E2E_CLUSTER" "$1"; }

# start_own_operator NAME [ARGS...]: start_operator as the operator's own ServiceAccount, with
# $work/config.yaml (debug logging unless the script wrote that file first) and probes and
# metrics off; later ARGS override, e.g. --metrics-bind-address 127.0.0.1:PORT.
start_own_operator() {
  local name=$1; shift
  [ -f "$work/sa.kubeconfig" ] || sa_kubeconfig "$work/sa.kubeconfig"
  [ -f "$work/config.yaml" ] || echo "log: {level: debug}" >"$work/config.yaml"
  start_operator "$name" --config "$work/config.yaml" --kubeconfig "$work/sa.kubeconfig" \
    --health-probe-bind-address 0 --metrics-bind-address 0 "$@"
}

# start_two_replicas: operators "a" and "b" as the operator's own ServiceAccount, with leader
# election on short timings (lease 4 s, renew deadline 3 s, retries 1 s), probes and metrics off
# and debug logs; their pids are left in pid_a and pid_b.
start_two_replicas() {
  sa_kubeconfig "$work/sa.kubeconfig"
  cat >"$work/config.yaml" <<CFG
healthProbeBindAddress: "0"
metricsBindAddress: "0"
log: {level: debug}
leaderElection: {enabled: true, namespace: bulwark-system, leaseDuration: 4s, renewDeadline: 3s, retryPeriod: 1s}
CFG
  local name
  for name in a b; do
    start_operator "$name" --config "$work/config.yaml" --kubeconfig "$work/sa.kubeconfig"
    eval "pid_$name=$started_pid"
  done
}

# deployment NS NAME REPLICAS PRIVILEGED: applies a one-container Deployment.
deployment() {  # deployment NS NAME REPLICAS PRIVILEGED
  cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: $2, namespace: $1}
spec:
  replicas: $3
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
        securityContext: {privileged: $4}
D
}
