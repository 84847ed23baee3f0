#!/usr/bin/env bash
# Bulwark's RBAC controls, in `bulwark scan` and in the running operator, against the API server's
# own RBAC authorizer asked with SubjectAccessReviews (run it through e2e/with_cluster.sh). Set
# BULWARK_DIFF_SEED to replay another seed; the seed is printed either way.
#   usage: rbac_vs_authorizer_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../operator/lib.sh
. "$here/../operator/lib.sh"
seed=${BULWARK_DIFF_SEED:-$(date +%s)}
diff_py() { python3 "$here/rbac_vs_authorizer.py" "$@" --workdir "$work"; }

install_prerequisites
diff_py generate --seed "$seed" --kubectl "$kubectl" || { fail "generate (seed $seed)"; finish; exit 1; }
if diff_py scan --bulwark "$bulwark"; then
  ok "scan agrees with the authorizer (seed $seed)"
else
  fail "scan disagrees with the authorizer (seed $seed; replay with BULWARK_DIFF_SEED=$seed)"
fi
$kubectl apply -f "$work/policy.json" >/dev/null
start_own_operator operator
pid=$started_pid
if diff_py operator --kubectl "$kubectl"; then
  ok "the operator agrees with the authorizer (seed $seed)"
else
  fail "the operator disagrees with the authorizer (seed $seed; replay with BULWARK_DIFF_SEED=$seed)"
fi
stop_operator "$pid" >/dev/null
# The test cluster takes requests without credentials (kube-apiserver's default): the operator's
# probe must have found so, or the comparison above could not have held for anonymous bindings.
if grep -q 'anonymous requests: allowed (a GET of namespaces/kube-system without credentials was answered 403' \
    "$work/operator.log"; then
  ok "the operator probed anonymous requests: allowed (403 without credentials)"
else
  fail "the operator's log does not say anonymous requests were probed allowed"
fi
finish
