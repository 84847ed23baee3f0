#!/usr/bin/env bash
# `bulwark scan -o openreports` prints Reports the real API server accepts under the OpenReports
# CRDs (github.com/openreports/reports-api, e2e/cluster/report_crds.sh): the sample workloads
# scanned with a sample policy, applied, then read back with kubectl (run it through
# e2e/with_cluster.sh).
#   usage: e2e/reports/scan_reports_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
for ns in shop batch monitoring; do $kubectl create namespace "$ns" >/dev/null; done

"$bulwark" scan --policy "$root/deploy/samples/policies/prod-restricted.yaml" -o openreports \
  "$root/deploy/samples/workloads" >"$work/reports.yaml" 2>"$work/scan.log"
status=$?
check "scan -o openreports exits 1 on the samples' violations" [ "$status" -eq 1 ]
check "one Report per judged workload" \
  [ "$(grep -c '^kind: Report$' "$work/reports.yaml")" -ge 5 ]
# Every field as the CRD's schema has it: a server-side apply that prunes nothing and refuses
# nothing (kubectl warns on unknown fields; --validation=Strict makes that an error).
check "the API server accepts every Report under the OpenReports CRD, strictly" \
  $kubectl apply --server-side --field-manager=bulwark --validate=strict -f "$work/reports.yaml"
# What the scan wrote, read back from the API server: every report's name and summary.
summaries() {
  $kubectl get reports -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.summary.pass}/{.summary.fail}/{.summary.skip}{"\n"}{end}' | sort
}
expected=$(grep -c '^kind: Report$' "$work/reports.yaml")
check "kubectl lists every Report with its counts" \
  [ "$(summaries | grep -cE '^[a-z]+/[a-z0-9-]+ [0-9]+/[0-9]+/[0-9]+$')" -eq "$expected" ]
check "a failing result reads back as written" bash -c \
  "[ \"\$($kubectl -n shop get report pod-debug -o jsonpath='{.results[0].source}/{.results[0].policy}/{.results[0].result}')\" = bulwark/prod-restricted/fail ]"
summaries
finish
