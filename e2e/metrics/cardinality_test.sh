#!/usr/bin/env bash
# Metric cardinality end to end (run through e2e/with_cluster.sh): 200 namespaces and 5,000
# workloads (bare pods, so the API server holds nothing else) under one policy; the operator's
# scrape holds namespace- or policy-labelled series within namespaces x controls x policies, a
# constant number of the others, and never a pod's name.
#   usage: e2e/metrics/cardinality_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
namespaces=200 workloads=5000 controls=27 policies=1

install_prerequisites
python3 - "$namespaces" "$workloads" >"$work/objects.json" <<'PY'
import json, sys
n, w = int(sys.argv[1]), int(sys.argv[2])
items = [{"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": f"card-{i}", "labels": {"cardinality": "yes"}}} for i in range(n)]
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PY
$kubectl create -f "$work/objects.json" >/dev/null || fail "create the namespaces"
# Pods need each namespace's default ServiceAccount, which the controller-manager creates.
eventually 60 bash -c "[ \$($kubectl get serviceaccounts -A --field-selector metadata.name=default -o name | grep -c .) -ge $namespaces ]" \
  || fail "default ServiceAccounts in every namespace"
python3 - "$namespaces" "$workloads" "$work" <<'PY'
import json, sys
n, w, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
items = []
for i in range(w):
    sc = {"privileged": True} if i % 3 == 0 else {}
    items.append({"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": f"pod-{i}", "namespace": f"card-{i % n}"},
                  "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0",
                                           "securityContext": sc}]}})
for part in range(4):  # four kubectl processes create them side by side
    with open(f"{out}/pods-{part}.json", "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items[part::4]}, f)
PY
start=$(date +%s)
creators=()
for part in 0 1 2 3; do $kubectl create -f "$work/pods-$part.json" >/dev/null & creators+=($!); done
created=true
for c in "${creators[@]}"; do wait "$c" || created=false; done
$created && ok "created $workloads pods in $namespaces namespaces ($(( $(date +%s) - start )) s)" \
  || fail "create the pods"

# The first pass writes an annotation on each of the 5,000 workloads; at the default client rate
# (20 requests a second) that alone takes four minutes. This test is about series, not rate.
printf 'client: {qps: 2000, burst: 4000}\n' >"$work/config.yaml"
metrics_port=$(free_port)
start_own_operator operator --metrics-bind-address "127.0.0.1:$metrics_port"
pid=$started_pid
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: cardinality}
spec:
  match: {namespaceSelector: {matchLabels: {cardinality: "yes"}}}
  images: {forbidLatestTag: false}
  network: {defaultDeny: false}
P
scrape() { curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/scrape.prom"; }
judged() { scrape && [ "$(awk '/^bulwark_workloads\{/ && !/quarantined/ { s += $2 } END { print s + 0 }' "$work/scrape.prom")" = "$workloads" ]; }
eventually 180 judged && ok "every workload is judged and counted" \
  || fail "workloads counted: $(awk '/^bulwark_workloads\{/ && !/quarantined/ { s += $2 } END { print s + 0 }' "$work/scrape.prom")"
posture=$(grep -v '^#' "$work/scrape.prom" | grep -cE '(namespace|policy)="')
other=$(grep -v '^#' "$work/scrape.prom" | grep -vcE '(namespace|policy)="')
bound=$((namespaces * controls * policies))
echo "series: $posture labelled by namespace or policy (bound $bound), $other others"
[ "$posture" -le "$bound" ] && ok "namespace/policy series ($posture) within namespaces x controls x policies ($bound)" \
  || fail "$posture namespace/policy series exceed $bound"
[ "$other" -le 600 ] && ok "the other series are a constant few ($other)" || fail "$other other series"
grep -q 'pod-[0-9]' "$work/scrape.prom" && fail "a pod name appears in the metrics" || ok "no pod name in any label"
stop_operator "$pid" >/dev/null
finish
