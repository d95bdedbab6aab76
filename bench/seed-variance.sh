#!/usr/bin/env bash
# Seed variance of NMF, NMF++, MAML, NMF-FOREC and FOREC: runs each market with several seeds (source uk,
# for uk: de) and writes bench/results/seed-variance.md with mean and standard deviation of test nDCG@10,
# and per seed the paired test of FOREC against NMF++.
#
#   bench/seed-variance.sh [--data DIR] [--markets "in jp de fr"] [--seeds "42 7 123"] [--jobs 2] [--summarise-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
markets="in jp de fr"
seeds="42 7 123"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    *) echo "seed-variance.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work="$root/bench/runs/seeds"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null

run_one() {
  local m="$1" seed="$2" src=uk
  [ "$m" = uk ] && src=de
  [ -f "$work/$m-$seed.json" ] && return 0   # resumable
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" \
      --method nmf,nmf++,maml,nmf-forec,forec --seed "$seed" --no-epoch-validation \
      --out "$work/$m-$seed.json" > "$work/$m-$seed.txt" 2> "$work/$m-$seed.log"
  echo "$m seed $seed done"
}
if [ "$summarise_only" = 0 ]; then
  for m in $markets; do
    for s in $seeds; do
      while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
      run_one "$m" "$s" &
    done
  done
  wait
fi
for m in $markets; do
  for s in $seeds; do
    XMREC_NO_BUILD=1 ./xmrec compare "$work/$m-$s.json" "$work/$m-$s.json" --method-a nmf++ --method-b forec --json \
        > "$work/$m-$s.forec-vs-nmfpp.json"
  done
done
python3 "$root/bench/summarise_seeds.py" "$work" "$markets" "$seeds" \
    "bench/seed-variance.sh --markets \"$markets\" --seeds \"$seeds\"" > "$root/bench/results/seed-variance.md"
echo "wrote bench/results/seed-variance.md"
