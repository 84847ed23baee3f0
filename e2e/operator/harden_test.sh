#!/usr/bin/env bash
# Harden through the real API server and the running operator (run through e2e/with_cluster.sh):
# the chart's MutatingAdmissionPolicy bulwark-harden, applied as deploy/operator ships it, with the
# operator writing each policy's status.harden and condition Harden.
# - an Enforce + Harden policy: a Deployment's new pods (made by the controller-manager) come out
#   with exactly the securityContexts `bulwark scan -o patch` gives the template, and a namespace
#   enforcing restricted admits them; the template itself still violates and says so;
# - a compliant pod's spec is stored byte for byte as created;
# - untouched: a namespace the policy excludes, one an exemption covers, a never-touch one, and
#   one only an Audit policy with Harden selects;
# - the condition Harden: Hardening; NotInstalled once the binding goes; NotServed once the API
#   server stops serving MutatingAdmissionPolicy (--runtime-config), when the policy's other
#   actions go on as before.
#   usage: e2e/operator/harden_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

install_prerequisites
$kubectl apply -f "$root/deploy/operator/harden.yaml" >/dev/null
crds=$("$root/e2e/cluster/report_crds.sh") || { fail "fetch the OpenReports CRDs"; finish; exit 1; }
$kubectl apply -f "$crds" >/dev/null
$kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null
for ns in h-shop h-strict h-excluded h-exempt h-never h-audit; do
  $kubectl create namespace "$ns" >/dev/null
done
$kubectl label namespace h-shop h-strict h-excluded h-exempt h-never harden=yes >/dev/null
$kubectl label namespace h-audit audit=yes >/dev/null
$kubectl label namespace h-strict pod-security.kubernetes.io/enforce=restricted >/dev/null
cat <<P | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: harden}
spec:
  match: {namespaceSelector: {matchLabels: {harden: "yes"}}, excludeNamespaces: [h-excluded]}
  podSecurity: {level: restricted}
  enforcement: {mode: Enforce, actions: [Annotate, Harden]}
  exemptions:
  - {name: legacy, namespaces: [h-exempt], reason: e2e}
---
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: audit}
spec:
  match: {namespaceSelector: {matchLabels: {audit: "yes"}}}
  podSecurity: {level: restricted}
  enforcement: {mode: Audit, actions: [Harden]}
P
cat >"$work/config.yaml" <<CFG
log: {level: debug}
neverTouchNamespaces: [kube-system, kube-public, kube-node-lease, h-never]
CFG
start_own_operator operator

condition() {  # condition POLICY: the Harden condition's reason
  $kubectl get secpol "$1" -o jsonpath='{.status.conditions[?(@.type=="Harden")].reason}'
}
harden_reason_is() { [ "$(condition harden)" = "$1" ]; }
check "the condition Harden says Hardening" eventually 60 harden_reason_is Hardening
scope=$($kubectl get secpol harden -o jsonpath='{.status.harden.namespaces}')
check "status.harden names h-shop and h-strict only: $scope" python3 -c '
import json, sys
scope = json.loads(sys.argv[1])
assert sorted(scope) == ["h-shop", "h-strict"], scope
assert scope["h-shop"] == ["capabilities_restricted", "allowPrivilegeEscalation", "runAsNonRoot",
                           "seccompProfile_restricted"], scope' "$scope"
check "an Audit policy gets no status.harden" \
  bash -c "[ -z \"\$($kubectl get secpol audit -o jsonpath='{.status.harden}')\" ]"

# A pod template with something to fix in every container, and its patch as scan gives it.
pod_spec='{"securityContext": {"runAsUser": 1000}, "initContainers": [{"name": "init", "image": "registry.example/app:1"}], "containers": [{"name": "a", "image": "registry.example/app:1"}, {"name": "b", "image": "registry.example/app:1", "securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}]}'
pod_manifest() {  # pod_manifest NAME SPEC
  echo '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "'"$1"'"}, "spec": '"$2"'}'
}
pod_manifest p "$pod_spec" >"$work/pod.json"
"$bulwark" scan --level restricted -o patch "$work/pod.json" >"$work/patch.json"
$kubectl create --dry-run=client -o json -f "$work/pod.json" >"$work/decoded.json"
# hardened_as_scan_says NS NAME: the stored pod's securityContexts are the patched template's.
hardened_as_scan_says() {
  $kubectl -n "$1" get pod "$2" -o json >"$work/stored.json" 2>/dev/null || return 1
  python3 - "$work/decoded.json" "$work/patch.json" "$work/stored.json" <<'PY'
import json, sys
pod = json.load(open(sys.argv[1]))
for op in json.load(open(sys.argv[2]))["patch"]:
    tokens = op["path"].split("/")[1:]
    cur = pod
    for t in tokens[:-1]:
        cur = cur[int(t)] if isinstance(cur, list) else cur[t]
    if tokens[-1] == "-":
        cur.append(op["value"])
    else:
        cur[tokens[-1]] = op["value"]
stored = json.load(open(sys.argv[3]))
def contexts(p):
    s = p["spec"]
    return {"pod": s.get("securityContext"),
            **{l + "/" + c["name"]: c.get("securityContext")
               for l in ("initContainers", "containers") for c in s.get(l, [])}}
if contexts(pod) != contexts(stored):
    print("want", json.dumps(contexts(pod)), "\nhave", json.dumps(contexts(stored)), file=sys.stderr)
    sys.exit(1)
PY
}
untouched() {  # untouched NS NAME: created as it was (no securityContext on container a)
  [ -z "$($kubectl -n "$1" get pod "$2" -o jsonpath='{.spec.containers[0].securityContext}')" ]
}

cat <<D | $kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: h-shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: $pod_spec
D
web_pod() { $kubectl -n h-shop get pods -l app=web -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
check "the Deployment's pod exists" eventually 60 bash -c "[ -n \"\$($kubectl -n h-shop get pods -l app=web -o name)\" ]"
check "the controller's pod is hardened exactly as scan -o patch says of its template" \
  hardened_as_scan_says h-shop "$(web_pod)"
check "the template itself still violates, and is annotated so" \
  eventually 30 bash -c "[ \"\$($kubectl -n h-shop get deploy web -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"
check "the template's fixable findings are counted: 12 of 12" \
  bash -c "[ \"\$($kubectl -n h-shop get deploy web -o jsonpath='{.metadata.annotations.bulwark\.dev/fixable}')\" = '12 of 12' ]"

# The Deployment's report: the template fails, with its patch, and says its pod passes.
report_says_pods_pass() {
  $kubectl -n h-shop get reports.openreports.io deployment-web -o json 2>/dev/null | python3 -c '
import json, sys
report = json.load(sys.stdin)
r = [x for x in report["results"] if x["policy"] == "harden" and x["rule"] == "allowPrivilegeEscalation"][0]
assert r["result"] == "fail", r
assert r["properties"]["fix"] == "patch", r
assert "allowPrivilegeEscalation" in r["properties"]["patch"], r
assert r["properties"]["pods"].startswith("pass: its 1 pod does not violate it"), r'
}
check "its report: the template fails with its patch, and its pod passes" eventually 30 report_says_pods_pass

pod_manifest strict "$pod_spec" | $kubectl -n h-strict create -f - >/dev/null 2>"$work/strict.err"
check "restricted Pod Security admits the hardened pod" hardened_as_scan_says h-strict strict

good='{"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}, "containers": [{"name": "a", "image": "registry.example/app:1", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}'
pod_manifest good "$good" | $kubectl -n h-shop create -f - >/dev/null
check "a compliant pod's spec is stored as created" python3 -c '
import json, subprocess, sys
stored = json.loads(subprocess.check_output([sys.argv[1], "-n", "h-shop", "get", "pod", "good", "-o", "json"]))
want = json.loads(sys.argv[2])
assert stored["spec"]["securityContext"] == want["securityContext"], stored["spec"]["securityContext"]
assert stored["spec"]["containers"][0]["securityContext"] == want["containers"][0]["securityContext"]' \
  "$kubectl" "$good"

for ns in h-excluded h-exempt h-never h-audit; do
  pod_manifest bare '{"containers": [{"name": "a", "image": "registry.example/app:1"}]}' \
    | $kubectl -n "$ns" create -f - >/dev/null
  check "untouched in $ns" untouched "$ns" bare
done

$kubectl delete mutatingadmissionpolicybinding bulwark-harden >/dev/null
check "without its binding, the condition Harden says NotInstalled" eventually 60 harden_reason_is NotInstalled
$kubectl apply -f "$root/deploy/operator/harden.yaml" >/dev/null

# The API server without MutatingAdmissionPolicy: restarted with the resources switched off, and
# its admission plugin with them (left on, the plugin waits for resources never served and refuses
# every write: "not yet ready to handle request").
component() { "$root/e2e/cluster/component.sh" "$BULWARK_E2E_CLUSTER" "$@"; }
component kube-apiserver stop
component kube-apiserver start \
  --runtime-config=admissionregistration.k8s.io/v1/mutatingadmissionpolicies=false,admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings=false \
  --disable-admission-plugins=MutatingAdmissionPolicy
check "where MutatingAdmissionPolicy is not served, the condition Harden says NotServed" \
  eventually 90 harden_reason_is NotServed
pod_manifest later '{"containers": [{"name": "a", "image": "registry.example/app:1"}]}' \
  | $kubectl -n h-shop create -f - >/dev/null
check "... and the policy's other actions go on: the new pod is annotated violating" \
  eventually 60 bash -c "[ \"\$($kubectl -n h-shop get pod later -o jsonpath='{.metadata.annotations.bulwark\.dev/posture}')\" = violating ]"
finish
