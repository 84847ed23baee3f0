#!/usr/bin/env bash
# The Helm chart (deploy/helm/bulwark, issue 22) with a real helm against the real API server:
# - helm lint --strict, with Helm 4 and Helm 3;
# - deploy/operator is the chart's default render (scripts/render-deploy.sh --check);
# - the default render and each values file under ci/: applied with --dry-run=server (the
#   ServiceMonitor and PrometheusRule CRDs from the prometheus-operator module) and held to
#   `bulwark scan --level restricted`;
# - helm install, upgrade with changed values, and uninstall (Helm 4), then install and uninstall
#   with Helm 3: the objects appear, change and go; the CRD stays;
# - values the schema refuses, each named in the error.
# Helm's state (cache, config, data) stays in the test's own folder.
#   usage: e2e/with_cluster.sh e2e/helm/chart_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
chart=$root/deploy/helm/bulwark
helm_bin=$("$root/e2e/cluster/build.sh" helm) || { fail "build helm"; finish; exit 1; }
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
helm4=$helm_bin/helm helm3=$helm_bin/helm3
ns=bulwark-system
check() {
  local name=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name"; fi
}

# --- lint and the one source of truth ---
for h in helm4 helm3; do
  if out=$("${!h}" lint --strict "$chart" 2>&1); then ok "$h lint --strict"; else fail "$h lint --strict"; echo "$out"; fi
done
if out=$("$root/scripts/render-deploy.sh" --check 2>&1); then ok "deploy/operator is the chart's default render"
else fail "deploy/operator drifted from the chart"; echo "$out" | head -40; fi

# --- every render, dry-run on the server and held to restricted ---
crds=$("$root/e2e/cluster/report_crds.sh" prometheus-operator) || { fail "fetch the Prometheus Operator CRDs"; finish; exit 1; }
$kubectl apply --server-side -f "$crds/monitoring.coreos.com_servicemonitors.yaml" \
  -f "$crds/monitoring.coreos.com_prometheusrules.yaml" >/dev/null
$kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/servicemonitors.monitoring.coreos.com \
  crd/prometheusrules.monitoring.coreos.com crd/securitypolicies.bulwark.dev >/dev/null
$kubectl create namespace "$ns" >/dev/null
for values in "" "$chart"/ci/*.yaml; do
  name=${values:+$(basename "$values" .yaml)}
  name=${name:-defaults}
  args=(template bulwark "$chart" --namespace "$ns")
  [ -n "$values" ] && args+=(-f "$values")
  if ! "$helm4" "${args[@]}" >"$work/render-$name.yaml" 2>"$work/render-$name.err"; then
    fail "render $name: $(cat "$work/render-$name.err")"; continue
  fi
  if out=$($kubectl apply --dry-run=server -f "$work/render-$name.yaml" 2>&1); then
    ok "render $name: the API server accepts every object ($(grep -c '^kind:' "$work/render-$name.yaml") objects)"
  else
    fail "render $name: refused by the API server"; echo "$out" | grep -v ' (server dry run)$' | head -10
  fi
  if out=$("$bulwark" scan -f "$work/render-$name.yaml" --level restricted 2>&1); then
    ok "render $name: passes bulwark scan --level restricted"
  else
    fail "render $name: bulwark scan --level restricted"; echo "$out" | tail -15
  fi
done
check "the monitoring values render a ServiceMonitor, a PrometheusRule with the alerts, and the dashboard ConfigMap" \
  bash -c "grep -q '^kind: ServiceMonitor' '$work/render-monitoring-values.yaml' && grep -q 'alert: BulwarkPostureScoreLow' '$work/render-monitoring-values.yaml' && grep -q 'grafana_dashboard: \"1\"' '$work/render-monitoring-values.yaml'"
check "the image by digest" grep -q 'image: registry.example.com/security/bulwark@sha256:0123' "$work/render-scheduling-values.yaml"

# --- install, upgrade, uninstall with Helm 4 ---
if out=$("$helm4" install bulwark "$chart" --namespace "$ns" 2>&1); then ok "helm install"
else fail "helm install"; echo "$out"; fi
check "... prints what to do next (NOTES.txt)" grep -q "Apply a SecurityPolicy" <<<"$out"
check "... the Deployment with 2 replicas, leader election on in its config" bash -c \
  "[ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.spec.replicas}')\" = 2 ] && $kubectl -n $ns get configmap bulwark-config -o jsonpath='{.data.bulwark\.yaml}' | grep -A1 '^leaderElection:' | grep -q 'enabled: true'"
check "... the PodDisruptionBudget, the webhook, the RBAC and the NetworkPolicy" \
  $kubectl -n "$ns" get pdb/bulwark service/bulwark-webhook serviceaccount/bulwark networkpolicy/bulwark
check "... cluster-wide: the ClusterRole, the admission policies and the ValidatingWebhookConfiguration" \
  $kubectl get clusterrole/bulwark validatingadmissionpolicy/bulwark-operator-workloads validatingwebhookconfiguration/bulwark
hash_before=$($kubectl -n "$ns" get deploy bulwark -o jsonpath='{.spec.template.metadata.annotations.bulwark\.dev/config-hash}')
if out=$("$helm4" upgrade bulwark "$chart" --namespace "$ns" -f "$chart/ci/minimal-values.yaml" 2>&1); then ok "helm upgrade with changed values"
else fail "helm upgrade"; echo "$out"; fi
check "... one replica, no PodDisruptionBudget, no webhook" bash -c \
  "[ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.spec.replicas}')\" = 1 ] && ! $kubectl -n $ns get pdb bulwark 2>/dev/null && ! $kubectl get validatingwebhookconfiguration bulwark 2>/dev/null"
check "... the config changed, and the pods roll with it (config hash)" bash -c \
  "$kubectl -n $ns get configmap bulwark-config -o jsonpath='{.data.bulwark\.yaml}' | grep -q 'level: debug' && [ \"\$($kubectl -n $ns get deploy bulwark -o jsonpath='{.spec.template.metadata.annotations.bulwark\.dev/config-hash}')\" != '$hash_before' ]"
if out=$("$helm4" uninstall bulwark --namespace "$ns" 2>&1); then ok "helm uninstall"; else fail "helm uninstall"; echo "$out"; fi
check "... its objects are gone" eventually 30 bash -c \
  "! $kubectl -n $ns get deploy bulwark 2>/dev/null && ! $kubectl get clusterrole bulwark 2>/dev/null && ! $kubectl get validatingadmissionpolicy bulwark-operator-workloads 2>/dev/null"
check "... the CRD stays (Helm never deletes crds/)" $kubectl get crd securitypolicies.bulwark.dev

# --- Helm 3 installs the same chart ---
if out=$("$helm3" install bulwark "$chart" --namespace "$ns" 2>&1) && $kubectl -n "$ns" get deploy bulwark >/dev/null 2>&1 \
   && "$helm3" uninstall bulwark --namespace "$ns" >/dev/null 2>&1; then
  ok "Helm 3 installs and uninstalls it"
else
  fail "Helm 3"; echo "$out"
fi

# --- values the schema refuses, each named ---
refused=(
  "replicas=abc|/replicas"
  "replicas=0|/replicas"
  "typo=1|typo"
  "image.tag=1|/image/tag"
  "image.digest=latest|/image/digest"
  "image.pullPolicy=Sometimes|/image/pullPolicy"
  "config.log.level=loud|/config/log/level"
  "config.admission.failurePolicy=Maybe|/config/admission/failurePolicy"
  "config.admission.timeoutSeconds=60|/config/admission/timeoutSeconds"
  "config.resyncPeriod=soon|/config/resyncPeriod"
  "config.workers=0|/config/workers"
  "config.client.qps=-1|/config/client/qps"
  "config.reports.format=xml|/config/reports/format"
  "config.metricsBindAddress=8443|/config/metricsBindAddress"
  "config.unknown=1|unknown"
  "networkPolicy.apiServerPorts={70000}|/networkPolicy/apiServerPorts"
  "serviceMonitor.enabled=maybe|/serviceMonitor/enabled"
)
for row in "${refused[@]}"; do
  setting=${row%%|*} named=${row##*|}
  flag=--set
  [[ "$setting" == image.tag=* ]] && flag=--set-json && setting='image.tag=1'
  if out=$("$helm4" template bulwark "$chart" --namespace "$ns" "$flag" "$setting" 2>&1); then
    fail "refused: $setting (it rendered)"
  elif grep -qF -- "$named" <<<"$out"; then
    ok "refused, naming it: $setting"
  else
    fail "refused without naming $named: $setting: $out"
  fi
done
finish
