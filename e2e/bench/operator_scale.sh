#!/usr/bin/env bash
# Benchmark, not a test (issue 21): the operator at scale with the shipped defaults, on simulated
# nodes (run it through e2e/with_cluster.sh --kwok 10), against the floors measured in the same
# run. N pods (default 10,000; 50,000 needs --kwok 50 and, here, 45 minutes) in 20 namespaces,
# a quarter privileged, as bare pods or as Deployments of 5 (MODE pods|deployments), all Running
# on KWOK nodes. Prints:
# - the LIST floor: one LIST of every pod (curl, no client decoding);
# - the write floor: one annotation merge patch per annotated object (the bare pods, or the
#   Deployments) from 8 parallel clients (HTTP keep-alive),
#   as the operator's ServiceAccount (what the operator's own writes go through) and as the admin;
# - the operator's time to ready (/readyz), then, for one baseline Audit policy created after, the
#   time to its first full posture (its pass's own summary line) and the writes it took (the API
#   server's audit log), as a ratio of the write floor;
# - the CPU time the clients (the floor's writers, then the operator) and each control-plane
#   component used during the write floor and during the pass, and what the API server did in
#   each (its requests by verb and resource, watchers it closed as too slow, writes by user
#   agent; apiserver_activity.py), with the operator's watch restarts;
# - resident memory after the pass, with what each cache holds (bulwark_cache_objects and
#   bulwark_cache_bytes: the projected JSON as kept, compressed), and the writes of two
#   converged resyncs (should be 0);
# - detection latency p50/p99 of new violating workloads and drift-repair latency p50/p99 of a
#   deleted default-deny, from the operator's own histograms.
#   usage: e2e/with_cluster.sh --kwok 10 e2e/bench/operator_scale.sh BULWARK_BINARY [N] [MODE]
#   (BULWARK_SCALE_CONFIG: lines added to the operator's config; BULWARK_SCALE_POLICY: the policy's
#   spec as JSON instead of baseline Audit without default-deny; BULWARK_SCALE_PERF=FILE: a perf
#   profile of the operator during the pass; BULWARK_SCALE_HEAP=FILE: heaptrack's record of the
#   operator from its start, ended (SIGKILL) right after the memory line, so that what was live
#   then shows as "leaked" in heaptrack_print FILE; BULWARK_SCALE_PRELOAD=LIB: the operator started
#   with LD_PRELOAD=LIB (another allocator); BULWARK_SCALE_ADMIN_FLOOR=0: no admin floor;
#   BULWARK_SCALE_REPORTS=1: policy reports on, and after the memory line, instead of the rest,
#   the floor of each workload's second write, the reports' sizes in etcd and the upgrade from
#   listed passes: e2e/bench/scale_reports.sh)
set -uo pipefail
bulwark=$1
n=${2:-10000}
mode=${3:-pods}
# shellcheck source=../operator/lib.sh
. "$(dirname "$0")/../operator/lib.sh"
cluster=$BULWARK_E2E_CLUSTER
api="https://${APISERVER_HOST:-127.0.0.1}:$APISERVER_PORT"
certs=(--cacert "$cluster/pki/ca.crt" --cert "$cluster/pki/admin.crt" --key "$cluster/pki/admin.key")
install_prerequisites
if [ -n "${BULWARK_SCALE_REPORTS:-}" ]; then
  # shellcheck source=scale_reports.sh
  . "$(dirname "$0")/scale_reports.sh"
  install_report_crds
fi

# --- the workload ---
python3 - "$n" "$mode" >"$work/workloads.json" <<'PY'
import json, sys
n, mode = int(sys.argv[1]), sys.argv[2]
items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sc-%d" % i}} for i in range(20)]
def spec(priv):
    return {"containers": [{"name": "app", "image": "registry.example.com/app:1.0",
                            "securityContext": {"privileged": priv}}]}
if mode == "pods":
    for p in range(n):
        items.append({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": "pod-%d" % p, "namespace": "sc-%d" % (p % 20)},
                      "spec": spec(p % 4 == 0)})
else:
    for d in range(n // 5):
        items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "app-%d" % d, "namespace": "sc-%d" % (d % 20)},
                      "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "app-%d" % d}},
                               "template": {"metadata": {"labels": {"app": "app-%d" % d}},
                                            "spec": spec(d % 4 == 0)}}})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PY
start=$(date +%s)
$kubectl apply --server-side -f "$work/workloads.json" >/dev/null 2>"$work/apply.err" || { cat "$work/apply.err"; exit 1; }
# A list with a field selector has no remainingItemCount: count the items, every 3 s, in pages
# (one LIST of 50,000 pods outlasts the API server's request timeout on two busy cores).
running() {
  python3 - "$api" "$cluster/pki" "$n" <<'PY'
import json, ssl, sys, urllib.parse, urllib.request
api, pki, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
count, token = 0, ""
while True:
    query = {"fieldSelector": "status.phase=Running", "limit": "5000"}
    if token: query["continue"] = token
    with urllib.request.urlopen(api + "/api/v1/pods?" + urllib.parse.urlencode(query), context=ctx, timeout=60) as r:
        page = json.load(r)
    count += len(page["items"])
    token = page["metadata"].get("continue", "")
    if not token: break
sys.exit(0 if count >= n else 1)
PY
}
deadline=$(( $(date +%s) + 900 ))
until running; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not every pod was Running within 15 minutes" >&2; exit 1; }
  sleep 3
done
echo "workload: $n pods ($mode) Running on ${KWOK_NODES:-?} KWOK nodes after $(( $(date +%s) - start )) s"

# --- the floors ---
# cpu_seconds PID: the user and system CPU time the process has used (/proc/PID/stat).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# context_switches PID: voluntary and involuntary, summed over the process's threads.
context_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
# cpu_of CLIENT_SECONDS: "name seconds" lines, the client (the operator, or the floor's writers)
# first, then each control-plane component.
cpu_of() {
  echo "client $1"
  local f; for f in "$cluster"/pids/*.pid; do
    echo "$(basename "$f" .pid | cut -d- -f2-) $(cpu_seconds "$(cat "$f")" 2>/dev/null || echo 0)"
  done
}
# apiserver_snapshot NAME: the API server's /metrics now, and the time, for apiserver_activity.py.
apiserver_snapshot() {
  curl -sf "${certs[@]}" "$api/metrics" >"$work/apiserver-$1.prom"
  date -u +%Y-%m-%dT%H:%M:%S.%6NZ >"$work/apiserver-$1.time"
}
# apiserver_activity FROM TO: its requests, slow watchers closed and writers between snapshots.
apiserver_activity() {
  python3 "$(dirname "$0")/apiserver_activity.py" "$work/apiserver-$1.prom" "$work/apiserver-$2.prom" \
    "$cluster/logs/audit.log" "$(cat "$work/apiserver-$1.time")" "$(cat "$work/apiserver-$2.time")"
}
t0=$(date +%s.%N)
bytes=$(curl -sf "${certs[@]}" "$api/api/v1/pods" | wc -c)
echo "LIST floor: every pod in $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $t0}") s ($(( bytes / 1048576 )) MiB of JSON)"
# write_floor KEY [TOKEN]: seconds for one merge patch of annotation KEY on every object the
# operator annotates (bare pods, or the Deployments) from 8 parallel keep-alive clients, as the
# cluster admin, or with TOKEN as whom it names.
floor_path=/api/v1/pods
[ "$mode" = pods ] || floor_path=/apis/apps/v1/deployments
write_floor() {
python3 - "$api" "$cluster/pki" "$1" "${2:-}" "$floor_path" <<'PY'
import http.client, json, os, ssl, sys, threading, time, urllib.parse
api, pki, key, token, base = sys.argv[1:6]
resource = base.rsplit("/", 1)[1]
host = urllib.parse.urlparse(api)
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
if not token: ctx.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
auth = {"Authorization": "Bearer " + token} if token else {}
def connect():
    return http.client.HTTPSConnection(host.hostname, host.port, context=ctx)
objects, token, c = [], "", connect()
while True:  # in pages: one LIST of 50,000 pods outlasts the request timeout on busy cores
    c.request("GET", base + "?limit=5000" + ("&continue=" + urllib.parse.quote(token) if token else ""), headers=auth)
    page = json.loads(c.getresponse().read())
    objects += page["items"]
    token = page["metadata"].get("continue", "")
    if not token: break
paths = [base.replace("/" + resource, "/namespaces/%s/%s/%s" % (o["metadata"]["namespace"], resource, o["metadata"]["name"])) for o in objects]
body = json.dumps({"metadata": {"annotations": {key: "1"}}})
def work(chunk):
    conn = connect()
    for path in chunk:
        conn.request("PATCH", path, body, dict({"Content-Type": "application/merge-patch+json", "User-Agent": "write-floor"}, **auth))
        r = conn.getresponse(); r.read()
        if r.status != 200: raise SystemExit("patch %s: %d %s" % (path, r.status, r.read()))
threads = [threading.Thread(target=work, args=(paths[i::8],)) for i in range(8)]
t, cpu = time.time(), sum(os.times()[:2])
for th in threads: th.start()
for th in threads: th.join()
print("%.2f %.1f" % (time.time() - t, sum(os.times()[:2]) - cpu))
PY
}
# The floor of the operator's own writes: as its ServiceAccount, so through the same
# authentication, authorization and admission (deploy/operator/admission-policy.yaml judges
# every write of that account), with a key under bulwark.dev/ that nothing reads. As the admin,
# the same patches skip that policy: the difference is what self-defence costs.
# BULWARK_SCALE_ADMIN_FLOOR=0 leaves the admin's floor out (at 50,000 pods each floor takes about
# five minutes here).
admin_floor=skipped
if [ "${BULWARK_SCALE_ADMIN_FLOOR:-1}" != 0 ]; then
  read -r admin_floor _ < <(write_floor bench.bulwark.dev/floor) && [ -n "$admin_floor" ] || exit 1
fi
token=$($kubectl -n bulwark-system create token bulwark --duration=30m)
cpu_of 0 >"$work/cpu-floor-before"
apiserver_snapshot floor-before
read -r floor_s floor_cpu < <(write_floor bulwark.dev/floor "$token") && [ -n "$floor_s" ] || exit 1
cpu_of "$floor_cpu" >"$work/cpu-floor-after"
apiserver_snapshot floor-after
as_admin="$admin_floor s as the cluster admin, past the operator's admission policy"
[ "$admin_floor" = skipped ] && as_admin="not measured as the cluster admin"
echo "write floor: one annotation patch of each of the $(basename "$floor_path") from 8 parallel clients in $floor_s s as the operator's ServiceAccount ($as_admin)"

# --- the operator, with the shipped defaults ---
probe=$(free_port) metrics=$(free_port)
# The enforcement canary as shipped (on): a host process is its node, so it probes nothing
# (ProbeFromNode) and lists the nodes once a round; KWOK's simulated nodes are skipped by default.
printf 'log: {level: info}\nresyncPeriod: 60s\n%s' "${BULWARK_SCALE_CONFIG:-}" >"$work/config.yaml"
echo "enforcement canary: on, as shipped; the operator runs as a host process (ProbeFromNode: nothing probed), KWOK nodes skipped"
t0=$(date +%s.%N)
if [ -n "${BULWARK_SCALE_HEAP:-}" ]; then
  # heaptrack's own way (its script): the preload writes a raw record into a pipe, the
  # interpreter reads it, gzip keeps it; the operator keeps its pid. Only the operator is started
  # with the preload (the interpreter takes one process): its kubeconfig is written first.
  [ -f "$work/sa.kubeconfig" ] || sa_kubeconfig "$work/sa.kubeconfig"
  mkfifo "$work/heaptrack.pipe"
  /usr/lib/heaptrack/libexec/heaptrack_interpret <"$work/heaptrack.pipe" | gzip >"$BULWARK_SCALE_HEAP" &
  heap_pid=$!
  export LD_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so DUMP_HEAPTRACK_OUTPUT="$work/heaptrack.pipe"
elif [ -n "${BULWARK_SCALE_PRELOAD:-}" ]; then
  export LD_PRELOAD=$BULWARK_SCALE_PRELOAD  # another allocator, for comparison
fi
start_own_operator operator --health-probe-bind-address "127.0.0.1:$probe" --metrics-bind-address "127.0.0.1:$metrics"
pid=$started_pid
unset LD_PRELOAD DUMP_HEAPTRACK_OUTPUT
eventually 300 curl -sf "http://127.0.0.1:$probe/readyz" || { echo "the operator never became ready" >&2; exit 1; }
echo "operator ready (every cache synced) $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s after start"
eventually 300 grep -q 'posture pass (start' "$work/operator.log"
metric() { curl -sf "http://127.0.0.1:$metrics/metrics" | grep "^$1"; }
# posture_reconciles: the posture controller's reconciles so far (bulwark_reconcile_total, every
# result), and each workload is judged once in a pass: the pass's count against the workloads.
posture_reconciles() { metric 'bulwark_reconcile_total{controller="posture"' | awk '{n += $2} END {printf "%d", n}'; }
# The start's passes over first (a resync may follow the start's own): the count holds for a
# second.
settled() { local a; a=$(posture_reconciles); sleep 1; [ "$a" = "$(posture_reconciles)" ]; }
eventually 120 settled || { echo "the operator's start passes did not settle" >&2; exit 1; }
reconciles_before=$(posture_reconciles)
cpu_of "$(cpu_seconds "$pid")" >"$work/cpu-before"
apiserver_snapshot pass-before
switches_before=$(context_switches "$pid")
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
t0=$(date +%s.%N)
# BULWARK_SCALE_PERF=FILE: the operator's profile during the pass (perf record, call graphs).
if [ -n "${BULWARK_SCALE_PERF:-}" ]; then
  perf record -g -o "$BULWARK_SCALE_PERF" -p "$pid" 2>/dev/null &
  perf_pid=$!
fi
baseline='{"podSecurity":{"level":"baseline"},"network":{"defaultDeny":false}}'
policy_spec=${BULWARK_SCALE_POLICY:-$baseline}
# Created with one request (curl, not kubectl, whose own start would count as the operator's).
curl -sf "${certs[@]}" -X POST -H 'Content-Type: application/json' \
  "$api/apis/bulwark.dev/v1alpha1/securitypolicies" -o /dev/null -d '{"apiVersion":
  "bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"sc-baseline"},"spec":
  '"$policy_spec"'}' || exit 1
# Its pass may have merged with one already under way ("posture pass (resync, policy ...").
eventually 1200 grep -q 'posture pass (.*policy sc-baseline' "$work/operator.log" ||
  { echo "the first posture did not finish within 20 minutes" >&2; stop_operator "$pid" >/dev/null; exit 1; }
first=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
grep 'posture pass (.*policy sc-baseline' "$work/operator.log" | head -1 | sed 's/^.* I /  operator: /'
python3 "$root/e2e/faults/audit_writes.py" "$cluster/logs/audit.log" bulwark/ "$since" >"$work/writes.txt"
echo "first full posture: $first s after the policy's creation, $(head -1 "$work/writes.txt") writes; $(awk "BEGIN{printf \"%.2f\", $first / $floor_s}") x the write floor"
tail -n +2 "$work/writes.txt" | awk '{print $2, $3}' | sort | uniq -c | sort -rn | head -4 | sed 's/^/  /'
reconciles=$(( $(posture_reconciles) - reconciles_before ))
workloads=$n
[ "$mode" = pods ] || workloads=$((n / 5))
echo "posture reconciles during the pass: $reconciles ($(awk "BEGIN{printf \"%.2f\", $reconciles / $workloads}") a workload; bulwark_reconcile_total); watch echoes of its own writes not judged: $(metric bulwark_watch_echoes_total | awk '{print $2}')"
cpu_of "$(cpu_seconds "$pid")" >"$work/cpu-after"
apiserver_snapshot pass-after
switches=$(($(context_switches "$pid") - switches_before))
if [ -n "${perf_pid:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid"; fi
# Where the two cores went: the write floor against the pass (the client being the floor's
# writers, then the operator).
echo "CPU seconds used ($(nproc) cores), the write floor (as the operator's account) against the first posture:"
join "$work/cpu-floor-before" "$work/cpu-floor-after" | join - "$work/cpu-before" | join - "$work/cpu-after" |
  awk '{printf "  %-24s %7.1f s %7.1f s\n", ($1 == "client" ? "client (writers; operator)" : $1), $3 - $2, $5 - $4}'
echo "the operator's context switches during the pass: $switches ($(awk "BEGIN{printf \"%.1f\", $switches / $n}") a pod)"
echo "  the API server during the write floor:"
apiserver_activity floor-before floor-after
echo "  the API server during the first posture:"
apiserver_activity pass-before pass-after
echo "  the operator's watches restarted (bulwark_watch_restarts_total; expired = relisted):" \
  "$(metric bulwark_watch_restarts_total | awk '$2 > 0 {sub(/^[^{]*/, ""); printf "%s %s ", $1, $2; n++} END {if (!n) print "none"}')"
echo "Events: $(metric bulwark_events_dropped_total | awk '{print $2}') dropped (bulwark_events_dropped_total); written after the verdicts, 25 a second, past 100 a minute folded by namespace"
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "resident memory after the pass: $(awk "BEGIN{printf \"%.1f\", $rss_kib / 1024}") MiB; what the caches hold:"
{ metric bulwark_cache_objects; metric bulwark_cache_bytes; } | python3 -c '
import re, sys
rss = float(sys.argv[1]) * 1024
rows = {}
for line in sys.stdin:
    m = re.match(r"bulwark_cache_(objects|bytes)\{resource=\"([^\"]+)\"\} (\S+)", line)
    if m: rows.setdefault(m.group(2), {})[m.group(1)] = float(m.group(3))
total = 0
for name, r in sorted(rows.items(), key=lambda kv: -kv[1].get("bytes", 0)):
    total += r.get("bytes", 0)
    print("  %-22s %7d objects %7.2f MiB" % (name, r.get("objects", 0), r.get("bytes", 0) / 1048576))
print("  %-22s %7s         %7.2f MiB (indexes, heap, libraries, threads, buffers)" % ("the rest", "", (rss - total) / 1048576))
' "$rss_kib"
# Where the resident pages lie: the heap (glibc's one arena, live objects and the free memory it
# keeps), other anonymous mappings (threads' stacks, large allocations), the program and its
# libraries.
python3 - "/proc/$pid/smaps" <<'PY'
import collections, sys
kinds, kind = collections.Counter(), None
for line in open(sys.argv[1]):
    fields = line.split()
    if "-" in fields[0] and not fields[0].endswith(":"):
        path = fields[5] if len(fields) > 5 else ""
        kind = ("heap" if path == "[heap]" else "anonymous (stacks, large blocks)" if path in ("", "[stack]") or path.startswith("[anon")
                else "program and libraries" if path.startswith("/") else path)
    elif fields[0] == "Rss:":
        kinds[kind] += int(fields[1])
print("  resident by mapping: " + ", ".join("%s %.1f MiB" % (k, v / 1024) for k, v in kinds.most_common() if v >= 512))
PY
if [ -n "${heap_pid:-}" ]; then
  stop_operator "$pid" KILL >/dev/null
  wait "$heap_pid"
  echo "heaptrack's record of the operator, ended here: heaptrack_print $BULWARK_SCALE_HEAP"
  exit 0
fi
if [ -n "${BULWARK_SCALE_REPORTS:-}" ]; then
  token=$($kubectl -n bulwark-system create token bulwark --duration=60m)
  reports_part "$first"
  exit 0
fi

# --- converged: two resyncs write nothing; detection latency of new violations ---
# Once the Events have been written, and after one resync (the policy's status settles first),
# two more.
eventually 300 bash -c "curl -sf http://127.0.0.1:$metrics/metrics | grep -q '^bulwark_workqueue_depth{queue=\"events\"} 0'" ||
  { echo "Events still waiting after 5 minutes" >&2; exit 1; }
python3 "$root/e2e/faults/audit_writes.py" "$cluster/logs/audit.log" bulwark/ "$since" >"$work/writes.txt"
echo "with its Events: $(head -1 "$work/writes.txt") writes in all"
count=$(grep -c 'posture pass (resync' "$work/operator.log")
eventually 300 bash -c "[ \$(grep -c 'posture pass (resync' '$work/operator.log') -ge $((count + 1)) ]"
since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
count=$(grep -c 'posture pass (resync' "$work/operator.log")
eventually 300 bash -c "[ \$(grep -c 'posture pass (resync' '$work/operator.log') -ge $((count + 2)) ]"
python3 "$root/e2e/faults/audit_writes.py" "$cluster/logs/audit.log" bulwark/ "$since" >"$work/resync-writes.txt"
echo "two converged resyncs: $(head -1 "$work/resync-writes.txt") writes ($(grep 'posture pass (resync' "$work/operator.log" | tail -1 | sed 's/^.*: //'))"
histogram() {  # histogram NAME: its buckets as "le count" lines
  metric "${1}_bucket" | sed -E 's/.*le="([^"]+)"\} (.*)/\1 \2/'
}
# quantiles NAME BEFORE AFTER TITLE WHAT: p50 and p99 of what was observed between the two snapshots.
quantiles() {
  python3 - "$@" <<'PY'
import collections, sys
name, before_path, after_path, title, what = sys.argv[1:6]
def read(path):
    counts = collections.defaultdict(float)
    for line in open(path):
        le, count = line.split()
        counts[float("inf") if le == "+Inf" else float(le)] += float(count)
    return counts
before, after = read(before_path), read(after_path)
buckets = sorted((le, after[le] - before.get(le, 0)) for le in after)
total = buckets[-1][1] if buckets else 0
def q(p):
    for le, c in buckets:
        if c >= p * total: return le
print("%s of %d %s (%s): p50 <= %s s, p99 <= %s s" % (title, total, what, name, q(0.5), q(0.99)))
PY
}
histogram bulwark_detection_latency_seconds >"$work/before.txt"
for i in $(seq 20); do
  cat <<POD | $kubectl apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: late-$i, namespace: sc-$((i % 20))}
spec: {containers: [{name: app, image: registry.example.com/app:1.0, securityContext: {privileged: true}}]}
POD
  sleep 0.5
done
eventually 60 bash -c "[ \$($kubectl get pods -A -l '!nothing' -o jsonpath='{range .items[?(@.metadata.annotations.bulwark\.dev/posture==\"violating\")]}{.metadata.name}{\"\\n\"}{end}' | grep -c '^late-') -ge 20 ]"
histogram bulwark_detection_latency_seconds >"$work/after.txt"
# The new pods' own verdicts: the histogram after, less before (the pass's verdicts).
quantiles bulwark_detection_latency_seconds "$work/before.txt" "$work/after.txt" "detection latency" "verdicts written while 20 violating pods were created"

# --- drift repair: an Enforce policy's default-deny deleted in 20 empty namespaces ---
for i in $(seq 20); do
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dr-%s, labels: {bench: drift}}\n---\n' "$i"
done | $kubectl apply -f - >/dev/null
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: sc-drift}
spec:
  match: {namespaceSelector: {matchLabels: {bench: drift}}}
  podSecurity: {level: privileged}
  network: {defaultDeny: true}
  enforcement: {mode: Enforce}
P
has_deny() { $kubectl get networkpolicy bulwark-default-deny -n "$1" -o name >/dev/null 2>&1; }
for i in $(seq 20); do eventually 60 has_deny "dr-$i" || { echo "no default-deny in dr-$i" >&2; exit 1; }; done
histogram bulwark_drift_repair_latency_seconds >"$work/before.txt"
for i in $(seq 20); do
  $kubectl delete networkpolicy bulwark-default-deny -n "dr-$i" --wait=false >/dev/null
  eventually 30 has_deny "dr-$i" || { echo "dr-$i: default-deny not repaired within 30 s" >&2; exit 1; }
done
histogram bulwark_drift_repair_latency_seconds >"$work/after.txt"
quantiles bulwark_drift_repair_latency_seconds "$work/before.txt" "$work/after.txt" "drift-repair latency" "deleted default-denies"
stop_operator "$pid" >/dev/null
