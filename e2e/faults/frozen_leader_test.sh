#!/usr/bin/env bash
# Fault: the leader frozen (SIGSTOP) past its lease while a second replica runs, then resumed
# (run through e2e/with_cluster.sh). The second replica takes over and remediates what changed
# meanwhile; the resumed one must write nothing at all (counted from the API server's audit log,
# by its user agent) and exit, as it can no longer prove it leads.
#   usage: e2e/faults/frozen_leader_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
audit="$BULWARK_E2E_CLUSTER/logs/audit.log"
writes_by() { "$root/e2e/faults/audit_writes.py" "$audit" "$@"; }  # AGENT [SINCE]

install_prerequisites
$kubectl create namespace fz >/dev/null && $kubectl label namespace fz env=frozen >/dev/null
testdata enforce-baseline-policy.yaml NAME=frozen 'LABEL=env: frozen' 'ACTIONS=[Annotate, Quarantine]' | $kubectl apply -f - >/dev/null
start_two_replicas
has_np() { $kubectl -n fz get networkpolicy bulwark-default-deny >/dev/null 2>&1; }
eventually 30 has_np && ok "one replica leads and enforces" || fail "the policy is enforced"
if grep -q 'controllers started' "$work/a.log"; then leader=a follower=b; else leader=b follower=a; fi
leader_pid=$(eval echo "\$pid_$leader")
leader_agent="($(hostname)_$leader_pid)"

kill -STOP "$leader_pid"
frozen_at=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
eventually 20 grep -q 'controllers started' "$work/$follower.log" \
  && ok "the other replica takes the lease while the leader is frozen" || fail "takeover"
# Work for both: new violating workloads, and a deleted default-deny.
for i in 1 2 3 4 5; do deployment fz "app-$i" 1 true; done
$kubectl -n fz delete networkpolicy bulwark-default-deny >/dev/null
annotated() {
  [ "$($kubectl -n fz get deployments -o jsonpath='{range .items[*]}{.metadata.annotations.bulwark\.dev/posture}{"\n"}{end}' | grep -c violating)" = 5 ]
}
eventually 30 annotated && eventually 30 has_np \
  && ok "the new leader remediates what changed" || fail "the new leader remediates"

kill -CONT "$leader_pid"
# It must notice it no longer leads and exit (status 1) without a single write. An exited child
# stays a zombie until reaped, so "gone" reads its state rather than kill -0.
gone() { [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ] || ! kill -0 "$1" 2>/dev/null; }
eventually 30 gone "$leader_pid" && ok "the resumed replica exits by itself" || fail "the resumed replica exits"
status=0; stop_operator "$leader_pid" KILL 2>/dev/null || status=$?
[ "$status" = 1 ] && grep -q 'lost the leader lease; exiting' "$work/$leader.log" \
  && ok "with status 1, saying it lost the lease" || fail "exit status $status"
result=$(writes_by "$leader_agent" "$frozen_at")
[ "$(head -n1 <<<"$result")" = 0 ] && ok "the resumed replica wrote nothing after it was frozen" \
  || fail "the resumed replica wrote after it was frozen: $result"
before=$(writes_by "$leader_agent" | head -n1)
[ "$before" -gt 0 ] && ok "(the audit log does attribute its earlier writes: $before)" \
  || fail "no write attributed to the leader at all: the count above proves nothing"

stop_operator "$(eval echo "\$pid_$follower")"
fault_row "leader frozen past its lease, then resumed" 1 - - - - "$(head -n1 <<<"$result")"
print_rows
finish
