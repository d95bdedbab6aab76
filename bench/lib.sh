# Shared by the bench scripts (source it): run_market for each market, at most $1 at a time, in the
# background; fails, naming them, with a pointer to the logs in $2 when any market fails. (Each run
# notes its own failure: bash forgets the status of early background jobs in long runs, so waiting
# on their pids at the end reported failures that were none.)
run_markets() {
  local jobs="$1" work="$2" m
  shift 2
  rm -f "$work/.failed"
  for m in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    ( trap 'rc=$?; [ "$rc" = 0 ] || echo "$m" >> "$work/.failed"' EXIT; run_market "$m" ) &
  done
  wait
  if [ -s "$work/.failed" ]; then
    echo "failed: $(tr '\n' ' ' < "$work/.failed")(see $work/*.log)" >&2; exit 1
  fi
}

# Parses the options the bench scripts share (--data, --markets, --epochs, --jobs, --summarise-only)
# into $data, $markets, $epochs, $jobs and $summarise_only (defaults: XMREC_DATA_DIR, all seven
# markets, 50 (the maximum with early stopping), 2, 0, unless the script set them first), sets data_flag for ./xmrec, and leaves every
# other word in the array rest for the script's own options.
parse_common() {
  : "${data=${XMREC_DATA_DIR:-}}" "${markets=ca de fr in jp mx uk}" "${epochs=50}" "${jobs=2}" "${summarise_only=0}"
  rest=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --data) data="$2"; shift 2 ;;
      --markets) markets="$2"; shift 2 ;;
      --epochs) epochs="$2"; shift 2 ;;
      --jobs) jobs="$2"; shift 2 ;;
      --summarise-only) summarise_only=1; shift ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  data_flag=()
  # a path relative to the checkout (the scripts run from its root): the command line a result file records
  # then names no directory of the machine it ran on
  if [ -n "$data" ] && [ -d "$data" ]; then data=$(realpath --relative-to=. "$data"); fi
  if [ -n "$data" ]; then data_flag=(--data "$data"); fi
}

# For scripts without options of their own: fails on the first word parse_common did not know.
no_more_arguments() { # the script's name
  if [ ${#rest[@]} -gt 0 ]; then
    echo "$1: unknown argument '${rest[0]}' (see the header of this script)" >&2; exit 2
  fi
}

# For resumable benches: call once a run has finished (from run_market); counts it in $work/.done-now
# (clear that file before starting) and prints "LABEL done: n of $todo runs, minutes so far, ETA".
progress_done() {
  echo "$1" >> "$work/.done-now"
  local n el
  n=$(wc -l < "$work/.done-now")
  el=$(( $(date +%s) - start ))
  echo "$1 done: $n of $todo runs, $(( el / 60 )) min so far, ETA $(( el * (todo - n) / n / 60 )) min"
}

# Sets $commit (HEAD, with -dirty when code differs from it) and $machine (CPU model, cores, memory), what a result
# file records of its run.
provenance() {
  commit="$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)"
  machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
}

# Starts result file $1 with title $2, unless it exists: each section below is one run of script $3.
results_file() {
  if [ ! -s "$1" ]; then
    printf '# %s\n\nEach section is one run of `%s` (command, commit, date and machine in its first lines); nothing else ran on the machine unless it says so.\n' "$2" "$3" > "$1"
  fi
}

# Appends to result file $1 a section's head for a run of command $2: the time, the command, $commit and $machine
# (from provenance).
section_head() {
  printf '\n## %s\n\n- command: `%s`\n- commit: `%s`\n- machine: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$2" "$commit" \
      "$machine" >> "$1"
}

# Prints 1 when the updater has settled, else 0: its input read to the end, no trunk training, the newest trunk
# trained on every interaction read, and each of $3 markets decided on that trunk (served by a model of it, or
# kept on the model it has because the install guard kept that trunk's fork out: the updater's decided_trunk
# gauge; at least the number of trunks, and at least 1). $1: a file of the updater's /metrics text; $2: the
# /models JSON.
# Gauges print as floats there (1.0), so values are compared as numbers. Whether it stays so (no model changes
# for a while) is the caller's to watch.
settled_now() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
values = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 2 and not line.startswith("#"):
        values[parts[0]] = float(parts[1])
def metric(name):
    return values.get("xmrec_updater_" + name)
models = json.loads(sys.argv[2] or "{}")
trunks = max(1, int(metric("trunks_total") or 0))
settled = (metric("caught_up") == 1 and metric("trunk_training") == 0
           and metric("trunk_interactions") is not None and metric("trunk_interactions") == metric("interactions_total")
           and len(models) >= int(sys.argv[3])
           and all(max(v.get("trunk_version", 0), values.get('xmrec_updater_decided_trunk{market="%s"}' % m, 0)) >= trunks
                   for m, v in models.items()))
print(int(settled))
PY
}
