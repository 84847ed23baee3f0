#!/usr/bin/env bash
# Metrics end to end (run through e2e/with_cluster.sh), against a real Prometheus (Debian's
# package) on loopback: promtool checks the shipped rules and a live scrape; in a scenario with
# violations and a quarantine, Prometheus scrapes the operator, every PromQL expression of the
# Grafana dashboard (the admission panels too: the webhook is on) returns data through
# Prometheus' HTTP API, the shipped quarantine alert
# reaches pending or firing, and the detection-latency histogram has observations.
#   usage: e2e/metrics/metrics_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
trap 'stop_prometheus; cleanup' EXIT

rules=$root/deploy/prometheus/bulwark-rules.yaml
promtool check rules "$rules" >"$work/promtool-rules.log" 2>&1 \
  && ok "promtool check rules accepts the shipped rules" || fail "promtool check rules: $(cat "$work/promtool-rules.log")"
# The PrometheusRule carries the same groups, indented under spec.
if diff <(sed -n '/^spec:/,$p' "$root/deploy/prometheus/prometheusrule.yaml" | tail -n +2 | sed 's/^  //') \
        <(sed -n '/^groups:/,$p' "$rules") >"$work/rules-diff.log"; then
  ok "the PrometheusRule and the plain rules file hold the same rules"
else
  fail "PrometheusRule differs from bulwark-rules.yaml: $(head -5 "$work/rules-diff.log")"
fi

# The enforcement canary's alerts, in Prometheus' own rule engine with the shipped expressions.
python3 - "$rules" "$(dirname "$0")/canary_alerts_test.yaml" >"$work/canary_alerts_test.yaml" <<'PY'
import json, re, sys
rules = open(sys.argv[1]).read()
def rule(name):  # the shipped rule's expr and annotations, as written
    block = rules[rules.index("- alert: " + name):]
    block = block[:block.find("\n  - alert:", 1) if "\n  - alert:" in block[1:] else len(block)]
    field = lambda k: re.search(r"\n\s+" + k + r": (.*)", block).group(1).strip()
    unquote = lambda v: json.loads(v) if v.startswith('"') else v
    return field("expr"), unquote(field("summary")), unquote(field("description"))
test = open(sys.argv[2]).read().replace("RULES", sys.argv[1])
expr, summary, description = rule("BulwarkNetworkPolicyNotEnforced")
test = test.replace("ALERT_NOT_ENFORCED", json.dumps(expr))
test = test.replace("ANNOTATION_SUMMARY_NOT_ENFORCED",
                    json.dumps(summary.replace("{{ $labels.node }}", "n1").replace("{{ $labels.direction }}", "in")))
test = test.replace("ANNOTATION_DESCRIPTION_NOT_ENFORCED",
                    json.dumps(description.replace("{{ $labels.node }}", "n1")))
test = test.replace("ALERT_UNKNOWN", json.dumps(rule("BulwarkNetworkEnforcementUnknown")[0]))
print(test)
PY
promtool test rules "$work/canary_alerts_test.yaml" >"$work/canary-alerts.log" 2>&1 \
  && ok "promtool: BulwarkNetworkPolicyNotEnforced fires for a node not enforcing after 2m; BulwarkNetworkEnforcementUnknown waits 15m" \
  || fail "promtool test rules: $(head -c 1500 "$work/canary-alerts.log")"

install_prerequisites
$kubectl create namespace m-shop >/dev/null && $kubectl label namespace m-shop tier=metrics >/dev/null
cat <<'W' | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: root-app, namespace: m-shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: root-app}}
  template:
    metadata: {labels: {app: root-app}}
    spec:
      containers:
      - {name: app, image: registry.example.com/app:1.0, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: fine-app, namespace: m-shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: fine-app}}
  template:
    metadata: {labels: {app: fine-app}}
    spec:
      containers:
      - {name: app, image: registry.example.com/app:1.0}
W

metrics_port=$(free_port) probe_port=$(free_port) webhook_port=$(free_port)
# Admission on, so its series and the dashboard's admission panels have data.
$kubectl apply -f "$root/deploy/operator/webhook.yaml" >/dev/null
cat >"$work/config.yaml" <<CFG
log: {level: debug}
admission: {url: "https://127.0.0.1:$webhook_port/validate"}
CFG
fence_webhook "https://127.0.0.1:$webhook_port/validate"
start_own_operator operator --webhook-bind-address "127.0.0.1:$webhook_port" \
  --metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$probe_port"
pid=$started_pid
eventually 30 curl -sf "http://127.0.0.1:$probe_port/readyz" || fail "the operator became ready"
# A workload outside the scenario's namespace: reviewed at admission (its Deployment and pod).
$kubectl create namespace m-other >/dev/null
reviewed() {
  $kubectl -n m-other create deployment late-app --image=registry.example.com/app:1.0 >/dev/null 2>&1
  curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/admission.prom" &&
    grep -q '^bulwark_admission_requests_total{decision="allowed",kind="Deployment",operation="CREATE"}' "$work/admission.prom"
}
eventually 30 reviewed && ok "admission reviews are counted" \
  || fail "no admission review counted: $(grep admission "$work/admission.prom" | head -3)"
curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/first.prom" \
  && grep -q '^bulwark_build_info{version=' "$work/first.prom" && ok "/metrics is served on the metrics address" || fail "/metrics on the metrics address"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$probe_port/metrics")" = 404 ] \
  && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/healthz")" = 404 ] \
  && ok "probes and metrics stay on their own addresses" || fail "probes and metrics are mixed"

# Prometheus scrapes every second and evaluates the shipped rules.
start_prometheus "127.0.0.1:$metrics_port"
api() { curl -sf "http://127.0.0.1:$prom_port/api/v1/$1" "${@:2}"; }
eventually 30 bash -c "curl -sf 'http://127.0.0.1:$prom_port/api/v1/query?query=up' | grep -q '\"value\":\\[[0-9.]*,\"1\"\\]'" \
  && ok "Prometheus scrapes the operator (up == 1)" || fail "Prometheus scrapes the operator: $(api targets | head -c 600)"

testdata enforce-baseline-policy.yaml NAME=metrics-enforce 'LABEL=tier: metrics' 'ACTIONS=[Annotate, Quarantine]' | $kubectl apply -f - >/dev/null
eventually 30 bash -c "[ \"\$($kubectl -n m-shop get pods -l bulwark.dev/quarantine=true -o name | grep -c .)\" = 2 ]" \
  && ok "the scenario's violating pods are quarantined" || fail "quarantine in the scenario"

# A detection: a violating Deployment created after the policy in another namespace it selects;
# from its watch event to its verdict written is what the histogram times (the echoes of
# Bulwark's own writes are not judged again, so they time nothing).
$kubectl create namespace m-late >/dev/null && $kubectl label namespace m-late tier=metrics >/dev/null
$kubectl -n m-late create deployment late-root --image=registry.example.com/app:1.0 --dry-run=client -o json |
  python3 -c 'import json, sys; d = json.load(sys.stdin); d["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}; print(json.dumps(d))' |
  $kubectl apply -f - >/dev/null
eventually 30 bash -c "[ \"\$($kubectl -n m-late get deployment late-root -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]" \
  || fail "the late Deployment was judged violating"
curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/live.prom"
promtool check metrics <"$work/live.prom" >"$work/promtool-metrics.log" 2>&1 \
  && ok "promtool check metrics accepts a live scrape" || fail "promtool check metrics: $(head -5 "$work/promtool-metrics.log")"
grep -qE '^bulwark_detection_latency_seconds_count [1-9]' "$work/live.prom" \
  && ok "detection latency is observed (watch event to verdict written)" || fail "no detection latency observed: $(grep detection_latency_seconds_count "$work/live.prom")"
grep -q 'bulwark_violations{control="privileged",namespace="m-shop",policy="metrics-enforce",severity="critical"} 1' "$work/live.prom" \
  && grep -q 'bulwark_workloads{namespace="m-shop",policy="metrics-enforce",state="quarantined"} 1' "$work/live.prom" \
  && grep -q 'bulwark_posture_score{namespace="m-shop"} 50' "$work/live.prom" \
  && ok "posture gauges: 1 privileged violation, 1 quarantined, namespace score 50" || fail "posture gauges: $(grep -E 'm-shop' "$work/live.prom" | grep -vE ' 0$' | head -8)"

# Every expression of the dashboard returns data through the query API, once two scrapes of the
# scenario are in (rates need two samples).
python3 - "$root/deploy/grafana/bulwark-dashboard.json" >"$work/exprs.txt" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p["targets"]:
        print(t["expr"].replace("$namespace", ".*"))
PY
wait_for_three_scrapes() { eventually 20 bash -c "curl -sf 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode 'query=count_over_time(bulwark_workloads{state=\"quarantined\",namespace=\"m-shop\"}[1m]) >= 3' | grep -q m-shop"; }
wait_for_three_scrapes || fail "Prometheus holds three scrapes of the scenario"
missing=0
while IFS= read -r expr; do
  if ! eventually 15 bash -c "curl -sf 'http://127.0.0.1:$prom_port/api/v1/query' --data-urlencode \"query=\$1\" | python3 -c 'import json,sys; r=json.load(sys.stdin)[\"data\"][\"result\"]; sys.exit(0 if r else 1)'" _ "$expr"; then
    echo "no data: $expr"; missing=$((missing + 1))
  fi
done <"$work/exprs.txt"
[ "$missing" -eq 0 ] && ok "all $(wc -l <"$work/exprs.txt") dashboard expressions return data" || fail "$missing dashboard expressions return no data"

eventually 20 bash -c "curl -sf 'http://127.0.0.1:$prom_port/api/v1/alerts' | python3 -c 'import json,sys; a=json.load(sys.stdin)[\"data\"][\"alerts\"]; sys.exit(0 if any(x[\"labels\"][\"alertname\"]==\"BulwarkQuarantineActive\" and x[\"labels\"][\"namespace\"]==\"m-shop\" and x[\"state\"] in (\"pending\",\"firing\") for x in a) else 1)'" \
  && ok "the shipped BulwarkQuarantineActive alert is pending or firing" || fail "alert state: $(api alerts | head -c 600)"
eventually 20 bash -c "curl -sf 'http://127.0.0.1:$prom_port/api/v1/alerts' | grep -q BulwarkPostureScoreLow" \
  && ok "the posture-score alert is pending or firing with the cluster at 50" || fail "posture alert: $(api alerts | head -c 600)"
api alerts | grep -qE 'BulwarkDown|BulwarkNoLeader' && fail "operator-down alerts fire while it runs" || ok "no operator-down alert while it runs"

stop_prometheus
stop_operator "$pid" >/dev/null
finish
