#!/usr/bin/env bash
# Quality of lazy against dense table updates (Adam on the rows a batch touched only, or on every row at
# every step; --table-updates lazy|dense): test nDCG@10 of NMF and FOREC (source uk) on the real files, seed 42, default settings
# (early stopping), paired by user with xmrec compare.
#   bench/lazy-tables.sh [--data DIR] [--markets "de jp in"]
# Writes bench/results/lazy-tables.md; runs in bench/runs/lazy-tables/.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
markets="de jp in"
jobs=1
parse_common "$@"
no_more_arguments bench/lazy-tables.sh
work=bench/runs/lazy-tables
rm -rf "$work"; mkdir -p "$work"
./mvnw -q -B -DskipTests package -pl app -am >/dev/null
export XMREC_NO_BUILD=1
start=$(date +%s)
for m in $markets; do
  for mode in lazy dense; do
    flags=(--table-updates "$mode")
    ./xmrec offline "${data_flag[@]+"${data_flag[@]}"}" --target "$m" --source uk --method nmf,forec --no-full --seed 42 \
      "${flags[@]+"${flags[@]}"}" --out "$work/$m-$mode.json" > "$work/$m-$mode.txt" 2> "$work/$m-$mode.log"
  done
done
{
  echo "# Lazy against dense table updates"
  echo
  echo "- command: \`bench/lazy-tables.sh${*:+ $*}\`"
  echo "- commit: \`$(git rev-parse HEAD)\`"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; nothing else ran; took $(( $(date +%s) - start )) s"
  echo "- each run: \`xmrec offline --target M --source uk --method nmf,forec --no-full --seed 42 --table-updates lazy|dense\` on the XMarket files (the runs of this file used \`--dense-tables\` for dense, lazy being the default then: the same two modes); the pair compared by \`xmrec compare\` (paired t and Wilcoxon over the target's users)"
  echo
  echo "| market | method | lazy test nDCG@10 | dense test nDCG@10 | lazy - dense | paired t p | Wilcoxon p | lazy samples/s | dense samples/s |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for m in $markets; do
    for meth in nmf forec; do
      l=$(awk -v x="$meth" '$2==x && $3=="test"{print $6, $10}' "$work/$m-lazy.txt")
      d=$(awk -v x="$meth" '$2==x && $3=="test"{print $6, $10}' "$work/$m-dense.txt")
      cmp=$(./xmrec compare "$work/$m-dense.json" "$work/$m-lazy.json" --method-a "$meth" --method-b "$meth" --json 2>/dev/null)
      tp=$(echo "$cmp" | python3 -c 'import json,sys; print("%.3g" % json.load(sys.stdin)["t_test_p"])' || true)
      wp=$(echo "$cmp" | python3 -c 'import json,sys; print("%.3g" % json.load(sys.stdin)["wilcoxon_p"])' || true)
      set -- $l; ln=$1; lt=$2; set -- $d; dn=$1; dt=$2
      echo "| $m | $meth | $ln | $dn | $(awk -v a="$ln" -v b="$dn" 'BEGIN{printf "%+.4f", a-b}') | ${tp:-see log} | ${wp:-see log} | $lt | $dt |"
      echo "$cmp" > "$work/$m-$meth.compare"
    done
  done
} > bench/results/lazy-tables.md
echo "wrote bench/results/lazy-tables.md"
