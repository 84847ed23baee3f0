#!/usr/bin/env bash
# Stops exactly the processes e2e/cluster/up.sh started in DIR (their pids are recorded there)
# and removes DIR's state; with a real node, first what e2e/cluster/node.sh made.
#   usage: e2e/cluster/down.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${1:-$root/.cluster}
# shellcheck source=lib.sh
. "$here/lib.sh"
[ -d "$dir" ] || exit 0
if [ -f "$dir/node.env" ]; then "$here/node.sh" stop "$dir" || true; fi
stop_recorded "$dir"
rm -rf "$dir"
echo "cluster stopped"
