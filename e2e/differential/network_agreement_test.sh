#!/usr/bin/env bash
# The network controls (issue 38) in the running operator and in `bulwark scan`, on the same
# seeded NetworkPolicies, Services and workloads (e2e/differential/network_agreement.py): the same
# network* findings for every workload. Set BULWARK_DIFF_SEED to replay a seed; it is printed.
#   usage: e2e/with_cluster.sh e2e/differential/network_agreement_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
seed=${BULWARK_DIFF_SEED:-$(date +%s)}
agree() { python3 "$here/network_agreement.py" "$@" --kubectl "$kubectl" --workdir "$work"; }

install_prerequisites
agree generate --seed "$seed" || { fail "generate (seed $seed)"; finish; exit 1; }
agree scan --bulwark "$bulwark" || { fail "scan (seed $seed)"; finish; exit 1; }
start_own_operator operator
if agree operator --seconds 60; then
  ok "the operator's network findings are scan's (seed $seed)"
else
  fail "the operator and scan disagree (seed $seed; replay with BULWARK_DIFF_SEED=$seed)"
fi
# The objects change under the running operator: each change re-judges only the workloads whose
# pods it selects or selected (the network index), and the findings must be scan's of the new set.
if agree change --seed "$seed" && agree scan --bulwark "$bulwark" && agree operator --seconds 60; then
  ok "after the NetworkPolicies and Services changed: the operator's findings are scan's again"
else
  fail "after the change: the operator and scan disagree (seed $seed)"
fi
# Services taken away from the operator's ClusterRole: what it may no longer read, it does not
# judge (docs/api.md, Not evaluated); given back, the findings are scan's again.
$kubectl get clusterrole bulwark -o json | python3 -c '
import json, sys
role = json.load(sys.stdin)
role["rules"] = [r for r in role["rules"] if "services" not in r.get("resources", [])]
for k in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
    role["metadata"].pop(k, None)
print(json.dumps(role))' | $kubectl replace -f - >/dev/null
if agree unread --seconds 60; then
  ok "without services: every network control not evaluated"
else
  fail "without services: the network controls were still judged"
fi
$kubectl apply -f "$root/deploy/operator/rbac.yaml" >/dev/null
if agree operator --seconds 60; then
  ok "with services readable again: the operator's findings are scan's"
else
  fail "with services readable again: the operator and scan disagree (seed $seed)"
fi
finish
