#!/usr/bin/env bash
# How like the real files 1x synthetic data is: the statistics the generator fits (xmrec synth --compare)
# and test nDCG@10 of popularity and single-market NMF on both, and of FOREC (source uk) on the markets of
# --forec (FOREC's five stages take minutes per market), seed 42.
#   bench/synth-fidelity.sh [--data DIR] [--markets "ca de fr in jp mx uk"] [--forec "de jp"] [--epochs 50] [--jobs 1]
#                           [--summarise-only]
# Writes bench/results/synth-fidelity.md; runs in bench/runs/synth-fidelity/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
jobs=1
forec="de jp"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --forec) forec="$2"; shift 2 ;;
    *) echo "bench/synth-fidelity.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "bench/synth-fidelity.sh: --data DIR or XMREC_DATA_DIR is needed (the real files)" >&2; exit 2; }
work=bench/runs/synth-fidelity
export XMREC_NO_BUILD=1
if [ "$summarise_only" = 0 ]; then
  rm -rf "$work"; mkdir -p "$work"
  ./mvnw -q -B -DskipTests package -pl app -am >/dev/null
  ./xmrec synth --out "$work/synth" --scale 1 --seed 42 > /dev/null 2> "$work/synth.log"
fi
run_market() {
  local m="$1" src=uk kind dir methods=pop,nmf
  [ "$m" = uk ] && src=de
  case " $forec " in *" $m "*) methods=pop,nmf,forec ;; esac
  for kind in real synth; do
    dir="$data"; [ "$kind" = synth ] && dir="$work/synth"
    ./xmrec offline --data "$dir" --target "$m" --source "$src" --method "$methods" --epochs "$epochs" --no-full \
      --seed 42 > "$work/$kind-$m.txt" 2> "$work/$kind-$m.log"
  done
}
start=$(date +%s)
if [ "$summarise_only" = 0 ]; then
  run_markets "$jobs" "$work" $markets
  echo $(( $(date +%s) - start )) > "$work/.seconds"
fi
{
  echo "# Synthetic data against the real XMarket Electronics files"
  echo
  echo "- command: \`bench/synth-fidelity.sh${*:+ $*}\`"
  echo "- commit: \`$(git rev-parse HEAD)\`"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; nothing else ran"
  echo "- synthetic: \`xmrec synth --scale 1 --seed 42\` (the shipped profile, fitted by \`xmrec synth --fit\` to the real files)"
  echo "- took $(cat "$work/.seconds") s"
  echo
  echo "## The statistics the generator is fitted to"
  echo
  ./xmrec synth --compare "$data" "$work/synth" 2>/dev/null | sed "s/| $(basename "$data") |/| real |/g; s/| synth |/| synthetic |/g"
  echo
  echo "## What models learn from it (test nDCG@10, 99 sampled negatives, seed 42; FOREC with source uk on $forec)"
  echo
  echo "| market | real: popularity | real: NMF | real: FOREC | synthetic: popularity | synthetic: NMF | synthetic: FOREC | NMF / popularity, real | synthetic |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for m in $markets; do
    r=$(awk '$3=="test"{print $2"="$6}' "$work/real-$m.txt" | tr '\n' ' ')
    s=$(awk '$3=="test"{print $2"="$6}' "$work/synth-$m.txt" | tr '\n' ' ')
    get() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2 || true; }
    rp=$(get "$r" pop); rn=$(get "$r" nmf); rf=$(get "$r" forec)
    sp=$(get "$s" pop); sn=$(get "$s" nmf); sf=$(get "$s" forec)
    echo "| $m | $rp | $rn | ${rf:--} | $sp | $sn | ${sf:--} | $(awk -v a="$rn" -v b="$rp" 'BEGIN{printf "%.3f", a/b}') | $(awk -v a="$sn" -v b="$sp" 'BEGIN{printf "%.3f", a/b}') |"
  done
} > bench/results/synth-fidelity.md
echo "wrote bench/results/synth-fidelity.md"
