#!/usr/bin/env bash
# The continual system against the batch model (issue 16): replays the markets through the embedded
# system (broker, holdout job, updater, evaluator) at 10 days/s and at --speed max, each until the
# input is caught up and a trunk trained after the replay is served; then scores the served models on
# the offline split (same users, same evaluation negatives) and sets them beside the offline batch
# models of the same recipe on the same data: FOREC on the seven-market trunk and single-market NMF,
# with the paired test of live against each. Also freshness (promotion and publish to the first
# served model that trained on an interaction), bytes published per interaction, trunks, CPU per
# part, peak memory, and the time until every interaction is served. Writes bench/results/continual.md.
#
#   bench/continual.sh [--data DIR] [--markets "ca de ..."] [--speeds "10 max"] [--summarise-only]
#                      [--epochs E] [--maml-max-steps S] [--bootstrap-epochs B] [--tag T] [--settle-max SECONDS]
#
# --speeds runs only those replays (e.g. --speeds max to redo one); the summary takes every speed of
# "10 max" with a run, and the offline models are trained only where bench/runs/continual/offline
# lacks them (delete that directory to retrain them). Each replay records the commit it ran.
# --epochs and --maml-max-steps set the training of both sides alike (the updater's trunks, the fork's
# fine-tuning included, and the offline batch models; default: the recipe's own), --bootstrap-epochs
# the updater's first trunk; --tag T keeps the runs in bench/runs/continual-T and writes
# bench/results/continual-T.md (for another data set, e.g. --tag 10x with --data of the 10x synthetic files).
#
# Runs alone: the replay is paced in wall time and the freshness figures are wall-clock latencies.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
speeds="10 max"
epochs=""
maml_steps=""
bootstrap_epochs=""
tag=""
settle_max=""
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --speeds) speeds="$2"; shift 2 ;;
    --maml-max-steps) maml_steps="$2"; shift 2 ;;
    --bootstrap-epochs) bootstrap_epochs="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --settle-max) settle_max="$2"; shift 2 ;;
    *) echo "continual.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work="$root/bench/runs/continual${tag:+-$tag}"
results="bench/results/continual${tag:+-$tag}.md"
# the same training on both sides, where the defaults are not taken (and the replay's own settle time)
live_train=() offline_train=()
if [ -n "$epochs" ]; then live_train+=(--epochs "$epochs"); offline_train+=(--epochs "$epochs" --forec-epochs "$epochs"); fi
if [ -n "$maml_steps" ]; then live_train+=(--maml-max-steps "$maml_steps"); offline_train+=(--maml-max-steps "$maml_steps"); fi
if [ -n "$bootstrap_epochs" ]; then live_train+=(--bootstrap-epochs "$bootstrap_epochs"); fi
if [ -n "$settle_max" ]; then live_train+=(--settle-max "$settle_max"); fi
mkdir -p "$work" "$root/bench/results"
mlist=$(echo "$markets" | tr ' ' ',')
./xmrec --version >/dev/null
start=$(date +%s)
if [ "$summarise_only" = 0 ]; then
  for s in $speeds; do
    echo "continual: replay at speed $s ($(( ($(date +%s) - start) / 60 )) min so far)" >&2
    rm -rf "$work/live-$s"
    echo "$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)" > "$work/commit-$s"
    # the driver lives with the app's tests (not in the product's CLI): the jar and the test classes
    java ${XMREC_JAVA_OPTS:-} -Dxmrec.home="$root" -cp "$root/app/target/xmrec.jar:$root/app/target/test-classes" \
      io.xmrec.app.ContinualCommand "${data_flag[@]}" --markets "$mlist" --speed "$s" --ranks-dir "$work/live-$s" \
        "${live_train[@]+"${live_train[@]}"}" \
        > "$work/continual-$s.json" 2> "$work/continual-$s.log"
  done
  # the offline batch models of the same recipe on the same files: one seven-market trunk, shared
  mkdir -p "$work/offline"
  for m in $markets; do
    [ -f "$work/offline/$m.json" ] && continue
    echo "continual: offline $m ($(( ($(date +%s) - start) / 60 )) min so far)" >&2
    src=$(echo $markets | tr ' ' '\n' | grep -vx "$m" | paste -sd, -)
    XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" --method pop,auto \
        "${offline_train[@]+"${offline_train[@]}"}" \
        --no-full --trunk-cache "$work/trunk" --out "$work/offline/$m.json" > /dev/null 2> "$work/offline/$m.log"
  done
fi
speeds=$(for s in 10 max; do [ -s "$work/continual-$s.json" ] && printf '%s ' "$s"; done)
for s in $speeds; do
  for m in $markets; do
    [ -f "$work/live-$s/$m.json" ] || continue
    for b in auto forec nmf pop; do
      XMREC_NO_BUILD=1 ./xmrec compare "$work/offline/$m.json" "$work/live-$s/$m.json" --method-a "$b" \
          --method-b live --json > "$work/live-$s/$m.vs-$b.json"
    done
  done
done
commit=$(for s in $speeds; do printf '%s: %s; ' "$s" "$(cat "$work/commit-$s" 2>/dev/null || echo unknown)"; done)
commit="${commit%; }"
cmd="bench/continual.sh${data:+ --data $data} --markets \"$markets\" --speeds \"$speeds\"${epochs:+ --epochs $epochs}"
cmd="$cmd${maml_steps:+ --maml-max-steps $maml_steps}${bootstrap_epochs:+ --bootstrap-epochs $bootstrap_epochs}${tag:+ --tag $tag}${settle_max:+ --settle-max $settle_max}"
python3 "$root/bench/summarise_continual.py" "$work" "$speeds" "$markets" "$commit" "$cmd" \
    "${offline_train[*]+${offline_train[*]}}" > "$root/$results"
echo "wrote $results" >&2
