# The fault suite's table, one row a fault: sourced by lib.sh (the tests) and print_table.sh (the
# combined table). A row is the fault, how often it was injected, and what it cost.
rows=()
fault_table_header() {
  printf '%-50s %8s %9s %10s %10s %9s %12s\n' fault injected "lost ann." "lost quar." "lost repl." "events x2" "stale writes"
}
# fault_row FAULT INJECTED LOST_ANNOTATIONS LOST_QUARANTINES LOST_REPLICAS EVENTS_TWICE
# WRITES_AFTER_LOSING_THE_LEASE: a row of this test's table, and of the suite's combined table
# ($BULWARK_FAULT_TABLE) when set. "-": not what this fault can cost.
fault_row() {
  local row
  row=$(printf '%-50s %8s %9s %10s %10s %9s %12s' "$@")
  rows+=("$row")
  if [ -n "${BULWARK_FAULT_TABLE:-}" ]; then echo "$row" >>"$BULWARK_FAULT_TABLE"; fi
}
