#!/usr/bin/env bash
# Faults during remediation (run through e2e/with_cluster.sh), each followed by a count of what was
# lost (annotations, quarantine labels) or done twice (Events, by object and reason), which must
# all be zero:
# - kill -9 of the operator in the middle of its first pass over BULWARK_FAULT_WORKLOADS (2,000)
#   Deployments, then a restart;
# - kube-apiserver, then etcd, stopped (and five seconds away) while the operator remediates a new
#   batch, then started again on the same port.
# Prints one row per fault: fault, times injected, lost, done twice.
#   usage: e2e/faults/restarts_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
n=${BULWARK_FAULT_WORKLOADS:-2000}

setup_faults

# Fault 1: kill -9 in the middle of the first pass, then a restart.
start_own_operator op1
some() { [ "$(annotated)" -ge $((n / 10)) ]; }
eventually 60 some && ok "the first pass is under way" || fail "the first pass started"
stop_operator "$started_pid" KILL
killed_at=$(annotated)
start_own_operator op2
eventually 120 all_annotated "$n" && ok "after kill -9 at $killed_at/$n and a restart, all are judged" \
  || fail "all judged after the restart: $(annotated)/$n"
damage "kill -9 mid first pass ($n workloads), restart" 1

# take_away COMPONENT FROM TO: a new batch FROM..TO; the component stopped (SIGTERM, and its
# graceful exit: kube-apiserver's took 19 s here, see kubernetes#131052), five seconds without it,
# then started again on the same port; everything judged after. The row gives the whole outage.
# The controller-manager is restarted after it, as it is in a cluster: there it holds a lease
# (renewed every 2 s, lost after 10 s without the API server) and exits when it loses it. Left
# running (this cluster's has no lease) it stalled for three minutes after a 27 s outage, idle,
# its queues and watches backing off (the deployment queue counted 9,957 retries), which is
# neither what a cluster does nor what is tested here.
take_away() {
  local component=$1 from=$2 to=$3 began
  deployments "$from" "$to"
  eventually 60 all_annotated $((from + 1)) || fail "the operator began on the new batch"
  began=$(date +%s)
  component "$component" stop
  sleep 5  # the fault's duration, not a wait for state
  component "$component" start
  local away=$(($(date +%s) - began))
  component kube-controller-manager stop && component kube-controller-manager start
  eventually 90 pods_of_all "$to" || fail "the controllers made the new pods"
  eventually 180 all_annotated "$to" && ok "after $component came back, all are judged" \
    || fail "all judged after $component came back: $(annotated)/$to"
  damage "$component away ${away} s during remediation" 1
}
component() { "$root/e2e/cluster/component.sh" "$BULWARK_E2E_CLUSTER" "$@"; }

# Faults 2 and 3: the API server, then etcd, taken away during remediation.
take_away kube-apiserver "$n" $((n + 100))
take_away etcd $((n + 100)) $((n + 200))

stop_operator "$started_pid"
print_rows
finish
