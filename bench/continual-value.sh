#!/usr/bin/env bash
# Continual value while the stream runs (issue 26): what the served models earn at every moment of a
# replay, against a model frozen after the first trunk, a batch oracle and popularity. Replays the
# markets through the embedded system at --speed (10 days/s) with every path on ("served"), each new
# interaction ranked by the model served the moment it was read, against 99 evaluation negatives
# (PrequentialTap: gzipped JSON lines with the negatives); then again with every path off and a full
# first trunk ("frozen": --paths "" --bootstrap-epochs 0), and, with --runs, without one path
# ("no-fast", "no-medium", "no-slow"; no-slow with the frozen run's full first trunk, so that it differs
# from frozen by the fast and medium paths alone). ContinualValue then cuts each market's interactions by event
# time into --slices slices of equal counts and ranks each against its recorded negatives by the
# other runs' models (their own record of the same interaction), the batch oracle (the market's own
# NMF trained from scratch, offline defaults, on every review before the slice) and popularity
# before the slice. Writes bench/results/continual-value.md with a plot per market.
#
#   bench/continual-value.sh [--data DIR] [--markets "ca de ..."] [--speed 10] [--slices 20]
#                            [--runs "served frozen"] [--summarise-only]
#
# --runs replays only those (the others' records stay in bench/runs/continual-value and are used);
# --summarise-only re-scores and re-writes the results from the records there are.
# Runs alone: the replay is paced in wall time and the models served depend on what keeps up.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
speed=10
slices=20
runs="served frozen"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --speed) speed="$2"; shift 2 ;;
    --slices) slices="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "continual-value.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work="$root/bench/runs/continual-value"
mkdir -p "$work" "$root/bench/results"
mlist=$(echo "$markets" | tr ' ' ',')
./xmrec --version >/dev/null
cp="$root/app/target/xmrec.jar:$root/app/target/test-classes"
flags_of() { # a run's updater flags
  case "$1" in
    served) echo "" ;;
    frozen) echo "--paths= --bootstrap-epochs 0" ;;
    no-fast) echo "--paths medium,slow" ;;
    no-medium) echo "--paths fast,slow" ;;
    no-slow) echo "--paths fast,medium --bootstrap-epochs 0" ;; # the frozen run's first trunk: no-slow - frozen = fast + medium
    *) echo "continual-value.sh: unknown run '$1' (served, frozen, no-fast, no-medium, no-slow)" >&2; exit 2 ;;
  esac
}
if [ "$summarise_only" = 0 ]; then
  for r in $runs; do
    flags=$(flags_of "$r")
    echo "continual-value: run $r (speed $speed)" >&2
    printf '%s\n' "$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      "--speed $speed $flags" > "$work/$r.meta"
    # shellcheck disable=SC2086
    java ${XMREC_JAVA_OPTS:-} -Dxmrec.home="$root" -cp "$cp" io.xmrec.app.ContinualCommand "${data_flag[@]}" \
      --markets "$mlist" --speed "$speed" --ranks-dir "$work/$r-ranks" --prequential-out "$work/$r.jsonl.gz" $flags \
      > "$work/$r.json" 2> "$work/$r.log" \
      || { echo "continual-value.sh: run $r failed: the end of $work/$r.log says why" >&2; tail -n 3 "$work/$r.log" >&2; exit 1; }
  done
fi
[ -s "$work/served.jsonl.gz" ] || { echo "continual-value.sh: no served run in $work (run --runs served)" >&2; exit 1; }
lines=()
for r in frozen no-fast no-medium no-slow; do
  [ -s "$work/$r.jsonl.gz" ] && lines+=(--line "$r=$work/$r.jsonl.gz")
done
echo "continual-value: scoring (oracle per slice)" >&2
java ${XMREC_JAVA_OPTS:-} -cp "$cp" io.xmrec.app.ContinualValue "${data_flag[@]}" --markets "$mlist" \
  --served "$work/served.jsonl.gz" "${lines[@]+"${lines[@]}"}" --slices "$slices" --out "$work/value.json" 2> "$work/value.log"
python3 "$root/bench/summarise_continual_value.py" "$work" \
  "bench/continual-value.sh --markets \"$markets\" --speed $speed --slices $slices" > "$root/bench/results/continual-value.md"
echo "wrote bench/results/continual-value.md" >&2
