#!/usr/bin/env bash
# Benchmark, not a test (run it through e2e/with_cluster.sh): what Harden's MutatingAdmissionPolicy
# adds to a pod create, against the floor measured in the same run. N creates (server dry run, so
# nothing is stored) of a pod with something to fix in each of two containers, one client on one
# kept-alive connection, taking turns so load drifts alike: a namespace bulwark-harden does not
# act in (the floor: the policy is installed, its binding matches, but no parameter names the
# namespace), and one where an Enforce + Harden policy's status.harden names it (every fix
# applied). Then 20 more policies that harden elsewhere (each is a parameter the API server
# evaluates). Prints p50 and p99 of each and what each adds to the floor.
#   usage: e2e/with_cluster.sh e2e/bench/harden_bench.sh BULWARK_BINARY [CREATES]
set -uo pipefail
bulwark=$1
creates=${2:-2000}
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"

$kubectl apply -f "$root/crds/securitypolicy.yaml" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/securitypolicies.bulwark.dev >/dev/null
$kubectl apply -f "$root/deploy/operator/harden.yaml" >/dev/null
for ns in bench-floor bench-harden; do $kubectl create namespace $ns >/dev/null; done
# harden_policy NAME NS: an Enforce + Harden policy whose status.harden names NS, written as the
# operator would (e2e.harden runs the operator itself).
harden_policy() {
  printf '{"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"%s"},"spec":{"enforcement":{"mode":"Enforce","actions":["Harden"]}}}' "$1" \
    | $kubectl apply -f - >/dev/null
  local gen; gen=$($kubectl get secpol "$1" -o jsonpath='{.metadata.generation}')
  $kubectl patch secpol "$1" --subresource=status --type merge -p \
    '{"status":{"harden":{"observedGeneration":'"$gen"',"namespaces":{"'"$2"'":["capabilities_restricted","allowPrivilegeEscalation","runAsNonRoot","seccompProfile_restricted"]}}}}' >/dev/null
}
harden_policy bench bench-harden

# measure: creates pods in turn in both namespaces; prints "ns p50_ms p99_ms" for each.
measure() {
  python3 - "$creates" "$APISERVER_PORT" "$BULWARK_E2E_CLUSTER/pki" <<'PY'
import http.client, json, ssl, sys, time
n, port, pki = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
       "spec": {"securityContext": {"runAsUser": 1000},
                "containers": [{"name": "app", "image": "registry.example.com/app:1.0"},
                               {"name": "side", "image": "registry.example.com/side:1.0"}]}}
body = json.dumps(pod)
took = {"bench-floor": [], "bench-harden": []}
hardened = 0
for i in range(n):
    for ns in took:
        start = time.perf_counter()
        conn.request("POST", "/api/v1/namespaces/%s/pods?dryRun=All" % ns, body,
                     {"Content-Type": "application/json"})
        r = conn.getresponse(); answer = r.read()
        took[ns].append((time.perf_counter() - start) * 1000)
        if ns == "bench-harden" and b"RuntimeDefault" in answer:
            hardened += 1
for ns, t in took.items():
    t.sort()
    print(ns, "%.2f %.2f" % (t[len(t) // 2], t[int(len(t) * 0.99)]))
print("hardened", hardened)
PY
}
report() {  # report LABEL: measures and prints the table rows
  local out floor50 floor99
  out=$(measure)
  read -r _ floor50 floor99 <<<"$(grep '^bench-floor' <<<"$out")"
  read -r _ h50 h99 <<<"$(grep '^bench-harden' <<<"$out")"
  printf '%-40s floor p50 %6s p99 %6s | hardened p50 %6s p99 %6s | added p50 %6.2f p99 %6.2f ms (%s of %s creates hardened)\n' \
    "$1" "$floor50" "$floor99" "$h50" "$h99" "$(echo "$h50 - $floor50" | bc)" \
    "$(echo "$h99 - $floor99" | bc)" "$(grep '^hardened' <<<"$out" | cut -d' ' -f2)" "$creates"
}
# bulwark-harden loads its parameter within a second or so: wait until a create comes back hardened.
eventually 30 bash -c "$kubectl create --dry-run=server -n bench-harden -o json -f - <<<'{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"w\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\"}]}}' | grep -q RuntimeDefault" \
  || { echo "bulwark-harden never acted" >&2; exit 1; }
report "one Harden policy"
for i in $(seq 1 20); do harden_policy "other-$i" "elsewhere-$i"; done
report "21 Harden policies (20 elsewhere)"
