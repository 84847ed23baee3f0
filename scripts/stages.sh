# Stages and background jobs for scripts/test.sh (sourced): `stage NAME COMMAND...` runs COMMAND
# and records its wall time and exit status under NAME; `stages_summary` prints them as a table
# with the slowest tests and the counts (scripts/test_summary.py). test.sh calls it on exit, so a
# failed run prints the table up to the stage that failed.
#   needs: $record, a folder for this run's records (stages.tsv, the ctest JUnit files)

stage() {
  local name=$1 start status=0
  shift
  start=$(date +%s)
  echo "=== $name" >&2
  "$@" || status=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$(($(date +%s) - start))" "$status" "${stage_kind:-}" \
    >>"$record/stages.tsv"
  return "$status"
}

# stage_beside NAME COMMAND...: a stage that runs beside the others (in a background job); the
# table shows it apart, since its time overlaps theirs.
stage_beside() { stage_kind=beside stage "$@"; }

# background LOG COMMAND...: COMMAND at idle priority (SCHED_IDLE: only CPU time nothing else
# wants) in a job of its own, its output to LOG; one job at a time ($job), waited for by
# wait_background.
background() {
  local log=$1
  shift
  ( chrt --idle -p 0 "$BASHPID" >/dev/null || echo "chrt: the job runs at normal priority" >&2
    "$@" ) >"$log" 2>&1 &
  job=$!
}

# wait_background LOG [print]: waits for the job; prints LOG when asked, or its end if it failed.
wait_background() {
  local status=0
  wait "$job" || status=$?
  job=""
  if [ "${2:-}" = print ]; then cat "$1" >&2; elif [ "$status" != 0 ]; then tail -n 80 "$1" >&2; fi
  return "$status"
}

# kill_tree PID: stops PID and every process below it (a background job left by a failed run).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}

stages_summary() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/test_summary.py" "$record" >&2 || true
}
