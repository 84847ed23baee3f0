#!/usr/bin/env bash
# The fault suite's combined table: prints the rows the fault tests appended to TABLE (through
# BULWARK_FAULT_TABLE; ctest runs this last, as the suite's fixture cleanup) under one header, and
# fails unless there is at least one row and every count in every row is zero ("-" where a fault
# cannot cost that).
#   usage: e2e/faults/print_table.sh TABLE
set -uo pipefail
table=$1
# shellcheck source=table.sh
. "$(dirname "$0")/table.sh"
fault_table_header
cat "$table" 2>/dev/null
[ -s "$table" ] || { echo "no fault was recorded in $table" >&2; exit 1; }
# The counts are the last five columns of each row.
awk '{ for (i = NF - 4; i <= NF; i++) if ($i != "0" && $i != "-") bad = 1 } END { exit bad }' "$table" \
  || { echo "a fault lost something or did something twice (above)" >&2; exit 1; }
