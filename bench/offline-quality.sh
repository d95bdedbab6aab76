#!/usr/bin/env bash
# Offline quality benchmark: POP, GMF, MLP, NMF on each of the 7 markets alone; GMF++/MLP++/NMF++
# with source uk (target uk: source de); and the FOREC family on that NMF++: MAML, NMF-FOREC, FOREC. Writes bench/results/offline-quality.md (and the raw JSON
# of each run under bench/runs/offline-quality/).
#
#   bench/offline-quality.sh [--data DIR] [--epochs N] [--jobs J] [--markets "ca de ..."] [--summarise-only]
#
# Runs J markets at once (default 2, one per core, each with one native thread).
# --summarise-only re-runs the paired tests and rewrites the results file from the existing runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

data="${XMREC_DATA_DIR:-}"
epochs=25
jobs=2
markets="ca de fr in jp mx uk"
summarise_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --markets) markets="$2"; shift 2 ;;
    --summarise-only) summarise_only=1; shift ;;
    *) echo "offline-quality.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
data_flag=()
[ -n "$data" ] && data_flag=(--data "$data")

work="$root/bench/runs/offline-quality"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null   # builds the app once, before runs start in parallel

start=$(date +%s)
compare_market() {
  XMREC_NO_BUILD=1 ./xmrec compare "$work/$1.json" "$work/$1.json" --method-a nmf --method-b nmf++ --json \
      > "$work/$1.nmfpp-vs-nmf.json"
  if grep -q '"method" : "forec"' "$work/$1.json"; then
    XMREC_NO_BUILD=1 ./xmrec compare "$work/$1.json" "$work/$1.json" --method-a nmf++ --method-b forec --json \
        > "$work/$1.forec-vs-nmfpp.json"
  fi
}
run_market() {
  local m="$1" src=uk
  [ "$m" = uk ] && src=de
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" \
      --method pop,gmf,mlp,nmf,gmf++,mlp++,nmf++,maml,nmf-forec,forec --epochs "$epochs" --no-epoch-validation \
      --out "$work/$m.json" > "$work/$m.table.txt" 2> "$work/$m.log"
  compare_market "$m"
  echo "$m done ($(( $(date +%s) - start ))s)"
}
if [ "$summarise_only" = 1 ]; then
  for m in $markets; do compare_market "$m"; done
  python3 "$root/bench/summarise_offline.py" "$work" "$(cat "$work/wall_seconds" 2>/dev/null || true)" "$jobs" \
    "bench/offline-quality.sh --epochs $epochs --jobs $jobs --markets \"$markets\"" \
    > "$root/bench/results/offline-quality.md"
  echo "rewrote bench/results/offline-quality.md from the runs in $work"
  exit 0
fi
export -f run_market compare_market
export start work epochs
export XMREC_THREADS="${XMREC_THREADS:-1}"
pids=()
for m in $markets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  run_market "$m" &
  pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" = 0 ] || { echo "a market failed: see $work/*.log" >&2; exit 1; }
total=$(( $(date +%s) - start ))
echo "$total" > "$work/wall_seconds"

python3 "$root/bench/summarise_offline.py" "$work" "$total" "$jobs" \
  "bench/offline-quality.sh --epochs $epochs --jobs $jobs --markets \"$markets\"" \
  > "$root/bench/results/offline-quality.md"
echo "wrote bench/results/offline-quality.md (${total}s)"
