#!/usr/bin/env bash
# Only the leader reconciles (run through e2e/with_cluster.sh): two operators with leader
# election on their own RBAC; exactly one starts its controllers and writes; after kill -9 of the
# leader the other takes the lease, starts its controllers and repairs what changed meanwhile.
#   usage: e2e/operator/leader_test.sh BULWARK_BINARY
set -uo pipefail
bulwark=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
has_np() { $kubectl -n le-prod get networkpolicy bulwark-default-deny >/dev/null 2>&1; }

install_prerequisites
$kubectl create namespace le-prod >/dev/null && $kubectl label namespace le-prod env=prod >/dev/null
cat <<'P' | $kubectl apply -f - >/dev/null
apiVersion: bulwark.dev/v1alpha1
kind: SecurityPolicy
metadata: {name: le-prod}
spec: {match: {namespaceSelector: {matchLabels: {env: prod}}}, enforcement: {mode: Enforce}}
P
start_two_replicas

eventually 30 has_np && ok "the policy is enforced by one of the two" || fail "the policy is enforced"
started() { grep -l 'controllers started' "$work/a.log" "$work/b.log" 2>/dev/null | wc -l; }
[ "$(started)" = 1 ] && ok "exactly one replica started its controllers" || fail "replicas with controllers: $(started)"
if grep -q 'controllers started' "$work/a.log"; then leader=a follower=b; else leader=b follower=a; fi
leader_pid=$(eval echo "\$pid_$leader"); follower_pid=$(eval echo "\$pid_$follower")
holder=$($kubectl -n bulwark-system get lease bulwark-leader -o jsonpath='{.spec.holderIdentity}')
[ "$holder" = "$(hostname)_$leader_pid" ] && ok "the one with controllers holds the lease" || fail "lease holder $holder, leader pid $leader_pid"
! grep -qE 'created |repaired |removed ' "$work/$follower.log" && ok "the follower wrote nothing" || fail "the follower wrote"

stop_operator "$leader_pid" KILL
eventually 15 grep -q 'controllers started' "$work/$follower.log" \
  && ok "after kill -9 of the leader the other starts its controllers" || fail "takeover"
$kubectl -n le-prod delete networkpolicy bulwark-default-deny >/dev/null
eventually 15 has_np && grep -qE '(created|repaired) le-prod/bulwark-default-deny' "$work/$follower.log" \
  && ok "and the new leader repairs what changed" || fail "the new leader repairs"

stop_operator "$follower_pid"
finish
