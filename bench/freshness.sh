#!/usr/bin/env bash
# Freshness against the holdout job's checkpoint interval (issue 26): the job's exactly-once sinks commit
# their Kafka transactions at checkpoints, so a promoted training interaction is invisible to the updater
# until the next one. For each interval this replays the markets at 10 days/s through the embedded system
# with the slow path running (bench driver ContinualCommand, as bench/continual.sh, without waiting for
# the final trunk) and records, per market, the wall-clock seconds from an interaction's promotion to the
# first served model that trained on it, with the updater's own split (promotion -> read, read ->
# published); then what the interval costs the holdout job: its bounded exactly-once rate on the same
# files (`xmrec holdouts --embedded --checkpoint-interval S`). Adds a section for the run to
# bench/results/freshness.md (--no-holdouts skips the holdout job alone).
#
#   bench/freshness.sh [--data DIR] [--markets "ca de ..."] [--intervals "3 1 0.5"] [--speed 10] [--no-holdouts]
#                      [--notes FILE] [--summarise-only]
#
# --notes FILE: lines for the section (what else ran, what changed since the last run).
#
# Runs alone: the replay is paced in wall time and the latencies are wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
intervals="3 1 0.5"
speed=10
holdouts=1
notes=""
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --intervals) intervals="$2"; shift 2 ;;
    --speed) speed="$2"; shift 2 ;;
    --no-holdouts) holdouts=0; shift ;;
    --notes) notes="$2"; shift 2 ;;
    *) echo "freshness.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work="$root/bench/runs/freshness"
mkdir -p "$work" "$root/bench/results"
mlist=$(echo "$markets" | tr ' ' ',')
./xmrec --version >/dev/null
commit="$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)"
if [ "$summarise_only" = 0 ]; then
  rm -rf "$work"
  mkdir -p "$work"
  echo "$commit" > "$work/commit"
  if [ -n "$notes" ]; then cp "$notes" "$work/notes.md"; fi
  for c in $intervals; do
    [ "$holdouts" = 1 ] || break
    echo "freshness: holdout job alone, checkpoints every $c s" >&2
    XMREC_NO_BUILD=1 ./xmrec holdouts --embedded "${data_flag[@]}" --markets "$mlist" --parallelism 2 \
        --checkpoint-interval "$c" > "$work/holdouts-$c.out" 2> "$work/holdouts-$c.log"
  done
  for c in $intervals; do
    echo "freshness: replay at $speed days/s, checkpoints every $c s" >&2
    java ${XMREC_JAVA_OPTS:-} -Dxmrec.home="$root" -cp "$root/app/target/xmrec.jar:$root/app/target/test-classes" \
      io.xmrec.app.ContinualCommand "${data_flag[@]}" --markets "$mlist" --speed "$speed" --checkpoint-interval "$c" \
        --settle-max 30 --ranks-dir "$work/live-$c" > "$work/continual-$c.json" 2> "$work/continual-$c.log"
  done
fi
out="$root/bench/results/freshness.md"
if [ ! -s "$out" ]; then
  printf '# Freshness against the holdout job'"'"'s checkpoint interval\n\nEach section is one run of `bench/freshness.sh` (command, commit and machine in its first lines).\n\n' > "$out"
fi
flags=""
[ "$holdouts" = 1 ] || flags=" --no-holdouts"
python3 "$root/bench/summarise_freshness.py" "$work" "$intervals" "$(cat "$work/commit")" \
    "bench/freshness.sh --markets \"$markets\" --intervals \"$intervals\" --speed $speed$flags" >> "$out"
echo "added a section to bench/results/freshness.md" >&2
