# Shared by the bench scripts (source it): run_market for each market, at most $1 at a time, in the
# background; fails with a pointer to the logs in $2 when any market fails.
run_markets() {
  local jobs="$1" work="$2" m p fail=0
  shift 2
  local pids=()
  for m in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    run_market "$m" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail=1; done
  [ "$fail" = 0 ] || { echo "a market failed: see $work/*.log" >&2; exit 1; }
}
