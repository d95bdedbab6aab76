#!/usr/bin/env bash
# Hyper-parameter tuning on VALIDATION only: runs `xmrec offline` for every variant of a list, on
# every market and seed, and writes bench/results/tuning-NAME.md: per variant its flags, the command,
# and the validation nDCG@10 (sampled 1+99, honest protocol) per market, mean over the seeds; the test
# column is shown only for the variant chosen by mean validation nDCG@10 (the choice never looks at test).
#
#   bench/tune.sh --name NAME --variants FILE [--methods pop,nmf] [--seeds "42 7 123"] [--source M|auto|all]
#                 [--data DIR] [--markets "ca de ..."] [--jobs J] [--summarise-only]
#
# FILE has one variant per line: `label<TAB>flags` (lines starting with # are ignored). The first
# method of --methods other than pop is the one tuned (its validation is tabulated). With --source all
# the targets of a variant share one seven-market trunk (--trunk-cache) and run one at a time. Runs are kept
# under bench/runs/tune-NAME/ and skipped when present, so a stopped tuning resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
name="" variants="" methods="pop,nmf" seeds="42" source=""
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --variants) variants="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --source) source="$2"; shift 2 ;;
    *) echo "tune.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$variants" ] || [ ! -f "$variants" ]; then
  echo "tune.sh: needs --name NAME and --variants FILE (see the header of this script)" >&2; exit 2
fi
work="$root/bench/runs/tune-$name"
mkdir -p "$work" "$root/bench/results"
cp "$variants" "$work/variants.tsv"
command="bench/tune.sh --name $name --variants $variants --methods $methods --seeds \"$seeds\" --markets \"$markets\""
[ -n "$source" ] && command="$command --source $source"
./xmrec --version >/dev/null

sources_for() { # market -> --source value
  case "$source" in
    "") echo "" ;;
    all) echo ca de fr in jp mx uk | tr ' ' '\n' | grep -vx "$1" | paste -sd, - ;;
    *) if [ "$source" = "$1" ]; then echo uk; else echo "$source"; fi ;;
  esac
}
run_one() { # label flags market seed
  local label="$1" flags="$2" m="$3" seed="$4" out="$work/$1.$3.$4.json" src
  [ -s "$out" ] && return 0
  src=$(sources_for "$m")
  local extra=()
  [ -n "$src" ] && extra=(--source "$src")
  # all six sources: the seven-market trunks in one cache (keyed by their settings), trained by the first target
  # of a variant that needs one, loaded by the rest
  [ "$source" = all ] && extra+=(--trunk-cache "$work/trunks")
  # shellcheck disable=SC2086
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" "${extra[@]}" --method "$methods" --seed "$seed" \
      --no-full --no-epoch-validation $flags --out "$out.tmp" > /dev/null 2> "$work/$label.$m.$seed.log"
  mv "$out.tmp" "$out"
}
start=$(date +%s)
if [ "$summarise_only" = 0 ]; then
  tasks=()
  while IFS=$'\t' read -r label flags; do
    [ -z "$label" ] || [ "${label:0:1}" = "#" ] && continue
    for seed in $seeds; do for m in $markets; do tasks+=("$label|$flags|$m|$seed"); done; done
  done < "$variants"
  todo=${#tasks[@]}
  [ "$source" = all ] && jobs=1 # the targets of a variant share its trunk: one at a time
  n=0
  for t in "${tasks[@]}"; do
    IFS='|' read -r label flags m seed <<< "$t"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    ( run_one "$label" "$flags" "$m" "$seed" || echo "$label $m $seed failed (see $work/$label.$m.$seed.log)" >&2 ) &
    n=$((n + 1))
    el=$(( $(date +%s) - start ))
    echo "started $n of $todo ($label $m seed $seed), $(( el / 60 )) min so far" >&2
  done
  wait
fi
python3 "$root/bench/summarise_tuning.py" "$work" "$command" "$methods" "$markets" "$seeds" \
  > "$root/bench/results/tuning-$name.md"
echo "wrote bench/results/tuning-$name.md"
