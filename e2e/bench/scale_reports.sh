# Sourced by operator_scale.sh with BULWARK_SCALE_REPORTS=1 (benchmark, not a test): the pass with
# policy reports on, each workload's two writes against a floor of the same two writes, what the
# reports cost etcd, and the upgrade from reports that list every passing control. Uses the
# caller's $api, $certs, $cluster, $kubectl, $work, $n, $mode, $floor_s, $token, $pid and
# start_own_operator/stop_operator.

# install_report_crds: the OpenReports CRDs, served before the operator starts (reports on, as a
# user who installed them has it).
install_report_crds() {
  local crds
  crds=$("$root/e2e/cluster/report_crds.sh") || exit 1
  $kubectl apply -f "$crds" >/dev/null
  $kubectl wait --for condition=established --timeout=30s crd/reports.openreports.io >/dev/null || exit 1
}

# reports_python ARGS...: the script on stdin (ARGS in `args`), with the API server's reports at
# hand: reports() (a paged LIST as the admin), connect(token) (as the admin, or as whom TOKEN names:
# a client certificate would win over the token) and parallel(items, fn) (8 keep-alive clients).
reports_python() {
  local script; script=$(cat)
  python3 - "$api" "$cluster/pki" "$@" <<PY
import http.client, json, os, ssl, sys, threading, time, urllib.parse
api, pki = sys.argv[1:3]
args = sys.argv[3:]
host = urllib.parse.urlparse(api)
plain = ssl.create_default_context(cafile=pki + "/ca.crt")
admin = ssl.create_default_context(cafile=pki + "/ca.crt")
admin.load_cert_chain(pki + "/admin.crt", pki + "/admin.key")
def connect(token=""):
    return http.client.HTTPSConnection(host.hostname, host.port, context=plain if token else admin)
BASE = "/apis/openreports.io/v1alpha1"
def reports():
    c, out, token = connect(), [], ""
    while True:
        c.request("GET", BASE + "/reports?limit=5000" + ("&continue=" + urllib.parse.quote(token) if token else ""))
        page = json.loads(c.getresponse().read())
        out += page["items"]
        token = page["metadata"].get("continue", "")
        if not token: return out
def parallel(items, fn, token=""):
    def work(chunk):
        conn = connect(token)
        for item in chunk: fn(conn, item)
    threads = [threading.Thread(target=work, args=(items[i::8],)) for i in range(8)]
    for th in threads: th.start()
    for th in threads: th.join()
$script
PY
}

# report_floor TOKEN: seconds for one server-side apply of a copy of each of the operator's own
# reports (named f-NAME, the same labels, scope, owner and results) from 8 keep-alive clients as
# the operator's ServiceAccount (TOKEN), so through the same admission; the copies are then
# deleted (as the admin, not timed). The second write of each workload's floor, with the
# operator's own bodies.
report_floor() {
  reports_python "$1" <<'PY'
token = args[0]
items = [r for r in reports() if not r["metadata"]["name"].startswith("f-")]
def body(r):
    meta = r["metadata"]
    copy = {k: v for k, v in r.items() if k not in ("metadata", "status")}
    copy["metadata"] = {"name": "f-" + meta["name"], "namespace": meta["namespace"],
                        "labels": meta.get("labels", {}), "ownerReferences": meta.get("ownerReferences", [])}
    return copy
bodies = [body(r) for r in items]
auth = {"Authorization": "Bearer " + token, "Content-Type": "application/apply-patch+yaml", "User-Agent": "write-floor"}
def apply(conn, b):
    path = "%s/namespaces/%s/reports/%s?fieldManager=floor&force=true" % (BASE, b["metadata"]["namespace"], b["metadata"]["name"])
    conn.request("PATCH", path, json.dumps(b), auth)
    r = conn.getresponse(); text = r.read()
    if r.status not in (200, 201): raise SystemExit("apply %s: %d %s" % (path, r.status, text[:300]))
start = time.time()
parallel(bodies, apply, token)
seconds = time.time() - start
def delete(conn, b):
    conn.request("DELETE", "%s/namespaces/%s/reports/%s" % (BASE, b["metadata"]["namespace"], b["metadata"]["name"]))
    r = conn.getresponse(); r.read()
parallel(bodies, delete)
print("%.2f %d %d" % (seconds, len(bodies), sum(len(json.dumps(b)) for b in bodies) // max(len(bodies), 1)))
PY
}

# report_sizes: the reports as the API server keeps them (JSON with managedFields, compliant and
# failing apart), then what etcd holds of them after a compaction.
report_sizes() {
  reports_python <<'PY'
items = reports()
def line(what, group):
    sizes = sorted(len(json.dumps(i, separators=(",", ":"))) for i in group)
    if sizes: print("  reports %s: %d, %.2f MiB, %d bytes median, %d largest" % (what, len(sizes), sum(sizes) / 1048576, sizes[len(sizes) // 2], sizes[-1]))
line("in all", items)
line("compliant", [i for i in items if i.get("summary", {}).get("fail", 0) == 0])
line("failing", [i for i in items if i.get("summary", {}).get("fail", 0) > 0])
PY
  echo "  $(python3 "$root/e2e/bench/etcd_usage.py" "$ETCD_PORT" /registry/openreports.io/reports/ --compact)"
}

# listed_reports: how many reports list their passing controls (reports.passes: list) and how
# many summarise them, as "LISTED SUMMARISED".
listed_reports() {
  reports_python <<'PY'
items = reports()
listed = sum(1 for i in items if any(r.get("result") == "pass" and r.get("rule") != "passing" for r in i.get("results", [])))
print(listed, len(items) - listed)
PY
}

# report_pass PASSES: the operator restarted with reports.passes PASSES; the seconds from its start
# to its start's pass (which rewrites every report whose content differs) and its writes.
report_pass() {
  printf 'log: {level: info}\nresyncPeriod: 60s\nreports: {passes: %s}\n%s' "$1" "${BULWARK_SCALE_CONFIG:-}" >"$work/config.yaml"
  local since t0 seconds
  since=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  t0=$(date +%s.%N)
  start_own_operator "operator-$1"
  pid=$started_pid
  eventually 1800 grep -q 'posture pass (start' "$work/operator-$1.log" ||
    { echo "the operator's start pass did not finish within 30 minutes" >&2; exit 1; }
  seconds=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
  stop_operator "$pid" >/dev/null
  python3 "$root/e2e/faults/audit_writes.py" "$cluster/logs/audit.log" bulwark/ "$since" >"$work/writes.txt"
  echo "  start to its first pass's end: $seconds s, $(head -1 "$work/writes.txt") writes; $(tail -n +2 "$work/writes.txt" | awk '{print $2, $3}' | sort | uniq -c | sort -rn | head -3 | awk '{printf "%s%s %s %s", sep, $1, $2, $3; sep = ", "}')"
  grep 'posture pass (start' "$work/operator-$1.log" | head -1 | sed 's/^.* I /  operator: /'
}

# reports_part SECONDS: after the pass (SECONDS from the policy's creation): every workload
# reported, the floor's second write, the ratio, the sizes and the upgrade.
reports_part() {
  local first=$1 workloads=$n counts report_s copies body
  [ "$mode" = pods ] || workloads=$((n / 5))
  counts=$(listed_reports)
  [ "$(echo "$counts" | awk '{print $1 + $2}')" -ge "$workloads" ] ||
    { echo "reports after the pass: $counts (listed, summarised) of $workloads workloads" >&2; exit 1; }
  stop_operator "$pid" >/dev/null
  read -r report_s copies body < <(report_floor "$token") && [ -n "$report_s" ] || exit 1
  echo "report floor: one server-side apply of a copy of each of the $copies reports (about $body bytes each) from 8 parallel clients in $report_s s as the operator's ServiceAccount"
  echo "first full posture with reports: $first s against both floors, $floor_s + $report_s s: $(awk "BEGIN{printf \"%.2f\", $first / ($floor_s + $report_s)}") x"
  echo "the reports, summarising passes (the default):"
  report_sizes
  echo "the upgrade's start, as from a release that listed every passing control (reports.passes: list):"
  report_pass list
  echo "  reports (listed, summarised): $(listed_reports)"
  report_sizes
  echo "the upgrade, the operator with the shipped default (reports.passes: summary):"
  report_pass summary
  counts=$(listed_reports)
  echo "  reports (listed, summarised): $counts"
  [ "$(echo "$counts" | awk '{print $1}')" = 0 ] || { echo "reports still listing passes after the upgrade" >&2; exit 1; }
  report_sizes
}
