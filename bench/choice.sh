#!/usr/bin/env bash
# The per-market choice (--method auto) as the product serves it: every target with all six other
# markets as sources in one trunk (as the continual updater trains it), for several seeds; auto trains
# nmf, gmf, mlp, gmf++, mlp++, nmf++, nmf-forec, forec, nmf++-ft, the market-aware ma-gmf, ma-mlp, ma-nmf and
# the means nmf+nmf++-ft (nmf and nmf++-ft) and nmf+nmf (two own NMFs), and serves the one that wins on the target's
# validation by the margin (bench/results/choice.md: what was chosen, test nDCG@10 of auto against the
# single-market NMF with paired t and Wilcoxon tests, and against the best published numbers). nmf+nmf
# (the market's NMF and the same NMF from another seed, averaged) is also the control that tells how much
# of the mean's gain is averaging two models and how much the other markets' data.
#
#   bench/choice.sh [--data DIR] [--markets "ca de ..."] [--seeds "42 7 123"] [--epochs N] [--jobs J]
#                   [--margin SE] [--summarise-only]
#
# Each seed's trunk (gmf++ .. maml on all markets) is trained once by that seed's first target and loaded
# by the others from bench/runs/choice/trunk-SEED. Resumable: a finished run is not run again.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
seeds="42 7 123"
margin=1.0
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --margin) margin="$2"; shift 2 ;;
    *) echo "choice.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work="$root/bench/runs/choice"
command="bench/choice.sh --epochs $epochs --jobs $jobs --markets \"$markets\" --seeds \"$seeds\" --margin $margin"
mkdir -p "$work" "$root/bench/results"
first=${markets%% *}
case " $markets " in *" in "*) first=in ;; esac # the smallest market trains the trunk: it starts soonest

run_one() { # market seed
  local m="$1" s="$2" src
  [ -f "$work/$m-$s.json" ] && return 0
  if [ "$m" != "$first" ]; then # wait for this seed's trunk
    while [ ! -f "$work/$first-$s.json" ]; do sleep 5; done
  fi
  src=$(echo $markets | tr ' ' '\n' | grep -vx "$m" | paste -sd, -)
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" --method auto \
      --choice-margin "$margin" --seed "$s" --epochs "$epochs" --no-epoch-validation --no-full \
      --trunk-cache "$work/trunk-$s" --out "$work/$m-$s.json.part" > "$work/$m-$s.txt" 2> "$work/$m-$s.log"
  mv "$work/$m-$s.json.part" "$work/$m-$s.json"
  echo "$m seed $s done ($(( $(date +%s) - start ))s): $(grep '^auto:' "$work/$m-$s.txt" | cut -c1-80)"
}
if [ "$summarise_only" = 0 ]; then
  ./xmrec --version >/dev/null   # builds the app once, before runs start in parallel
  start=$(date +%s)
  queue=()
  for s in $seeds; do queue+=("$first $s"); done
  for s in $seeds; do for m in $markets; do [ "$m" = "$first" ] || queue+=("$m $s"); done; done
  for q in "${queue[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    run_one $q &
  done
  wait
  echo $(( $(date +%s) - start )) > "$work/wall_seconds"
fi
python3 "$root/bench/summarise_choice.py" "$work" "$markets" "$seeds" "$command" "$(cat "$work/wall_seconds" 2>/dev/null || echo '?')" \
  > "$root/bench/results/choice.md"
echo "wrote bench/results/choice.md"
