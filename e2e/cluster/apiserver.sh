#!/usr/bin/env bash
# Stops or starts the kube-apiserver of a cluster that up.sh started in DIR (component.sh).
#   usage: e2e/cluster/apiserver.sh DIR stop|start
exec "$(dirname "$0")/component.sh" "$1" kube-apiserver "${2:-}"
