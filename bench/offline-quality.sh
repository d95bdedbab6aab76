#!/usr/bin/env bash
# Offline quality benchmark: POP, GMF, MLP, NMF on each of the 7 markets alone; GMF++/MLP++/NMF++
# with source uk (target uk: source de); and the FOREC family on that NMF++: MAML, NMF-FOREC, FOREC. Writes bench/results/offline-quality.md (and the raw JSON
# of each run under bench/runs/offline-quality/).
#
#   bench/offline-quality.sh [--data DIR] [--epochs N] [--jobs J] [--markets "ca de ..."] [--summarise-only]
#                            [--multi-source] [--methods M,M... --name NAME] [--engine auto|kernel|dl4j]
#
# --multi-source: every target gets all six other markets as sources in one trunk (POP, NMF, NMF++,
# MAML, NMF-FOREC, FOREC); the trunk (gmf++ .. maml on all 7 markets) is trained once by the first
# target and loaded by the others from bench/runs/multi-source/trunk. Writes bench/results/multi-source.md.
#
# --engine trains the network stages on that engine (xmrec offline --engine; default auto).
#
# --methods runs only those methods (one source as above) into bench/runs/NAME and bench/results/NAME.md,
# e.g. --methods nmf,ddtcdr --name ddtcdr to add a baseline without re-running the rest.
#
# Runs J markets at once (default 2, one per core, each with one native thread).
# --summarise-only re-runs the paired tests and rewrites the results file from the existing runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

multi=0
only_methods=""
name=""
engine=auto
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --multi-source) multi=1; shift ;;
    --methods) only_methods="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    *) echo "offline-quality.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done

if [ -n "$only_methods" ] && [ -z "$name" ]; then
  echo "offline-quality.sh: --methods needs --name (the runs and results go under that name)" >&2; exit 2
fi
title="Offline quality: GMF, MLP, NMF single-market; ++, MAML, NMF-FOREC, FOREC, DDTCDR with one source"
[ -n "$only_methods" ] && title="Offline quality of $only_methods with one source"
name=${name:-offline-quality}
sources_desc="uk (for target uk: de)"
if [ "$multi" = 1 ]; then
  name=multi-source
  title="Offline quality with all six other markets as sources in one trunk: NMF++, MAML, NMF-FOREC, FOREC"
  sources_desc="all six other markets"
fi
work="$root/bench/runs/$name"
command="bench/offline-quality.sh --epochs $epochs --jobs $jobs --markets \"$markets\""
[ "$multi" = 1 ] && command="$command --multi-source"
[ -n "$only_methods" ] && command="$command --methods $only_methods --name $name"
[ "$engine" != auto ] && command="$command --engine $engine"
[ "$engine" != auto ] && title="$title, engine $engine"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null   # builds the app once, before runs start in parallel

start=$(date +%s)
compare_market() { # paired test against NMF: NMF++, or else the last method asked for (file name kept for old runs)
  local b=nmf++
  grep -q '"method" : "nmf++"' "$work/$1.json" || b=${only_methods##*,}
  echo "$b" > "$work/paired_method"
  XMREC_NO_BUILD=1 ./xmrec compare "$work/$1.json" "$work/$1.json" --method-a nmf --method-b "$b" --json \
      > "$work/$1.nmfpp-vs-nmf.json"
  if grep -q '"method" : "pop"' "$work/$1.json"; then # every neural method against popularity
    local x
    for x in $(python3 -c "import json,sys; print(' '.join(sorted({r['method'] for r in json.load(open(sys.argv[1]))['results']} - {'pop'})))" "$work/$1.json"); do
      XMREC_NO_BUILD=1 ./xmrec compare "$work/$1.json" "$work/$1.json" --method-a pop --method-b "$x" --json \
          > "$work/$1.pop-vs-$x.json"
    done
  fi
  if grep -q '"method" : "forec"' "$work/$1.json"; then
    XMREC_NO_BUILD=1 ./xmrec compare "$work/$1.json" "$work/$1.json" --method-a nmf++ --method-b forec --json \
        > "$work/$1.forec-vs-nmfpp.json"
  fi
}
run_market() {
  local m="$1" src=uk methods=pop,gmf,mlp,nmf,gmf++,mlp++,nmf++,maml,nmf-forec,forec,ddtcdr extra=()
  [ "$m" = uk ] && src=de
  [ -n "$only_methods" ] && methods="$only_methods"
  if [ "$multi" = 1 ]; then
    src=$(echo ca de fr in jp mx uk | tr ' ' '\n' | grep -vx "$m" | paste -sd, -)
    methods=pop,nmf,nmf++,maml,nmf-forec,forec
    extra=(--trunk-cache "$work/trunk")
  fi
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" \
      --method "$methods" --epochs "$epochs" --no-epoch-validation --engine "$engine" "${extra[@]+"${extra[@]}"}" \
      --out "$work/$m.json" > "$work/$m.table.txt" 2> "$work/$m.log"
  compare_market "$m"
  echo "$m done ($(( $(date +%s) - start ))s)"
}
export only_methods
if [ "$summarise_only" = 1 ]; then
  for m in $markets; do compare_market "$m"; done
  python3 "$root/bench/summarise_offline.py" "$work" "$(cat "$work/wall_seconds" 2>/dev/null || true)" "$jobs" \
    "$command" "$title" "$sources_desc" > "$root/bench/results/$name.md"
  echo "rewrote bench/results/$name.md from the runs in $work"
  exit 0
fi
export -f run_market compare_market
export start work epochs multi only_methods engine
if [ "$multi" = 1 ]; then
  # the first target trains the shared trunk alone; the others then load it from the cache
  # (the smallest market first, so the trunk starts early)
  first=${markets%% *}
  case " $markets " in *" in "*) first=in ;; esac
  run_market "$first"
  markets=$(echo $markets | tr ' ' '\n' | grep -vx "$first" | paste -sd' ' -)
fi
run_markets "$jobs" "$work" $markets
total=$(( $(date +%s) - start ))
echo "$total" > "$work/wall_seconds"

python3 "$root/bench/summarise_offline.py" "$work" "$total" "$jobs" "$command" "$title" "$sources_desc" \
  > "$root/bench/results/$name.md"
echo "wrote bench/results/$name.md (${total}s)"
