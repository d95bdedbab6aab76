#!/usr/bin/env bash
# What the medium path's fine-tunes do to a served mean of two networks (bench/MeanFineTune.java): the zero blocks
# held at zero (the updater since this change) against left free (before), per round of fine-tuning: validation and
# test nDCG@10 (99 sampled negatives) and the cost of scoring a user against the market's catalogue. Adds a section
# to bench/results/mean-fine-tune.md. Runs alone: it measures time.
#   bench/mean-fine-tune.sh [--data DIR] [--markets "de jp uk"] [--rounds 10] [--seed 42]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
markets="de jp uk"
rounds=10
seed=42
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "mean-fine-tune.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "mean-fine-tune.sh: give --data DIR (the XMarket files) or set XMREC_DATA_DIR" >&2; exit 2; }
./xmrec --version >/dev/null # builds once
provenance
out=bench/results/mean-fine-tune.md
json=$(java -Xmx8g -cp app/target/xmrec.jar bench/MeanFineTune.java "$data" "$(echo $markets | tr ' ' ',')" "$rounds" "$seed")
results_file "$out" "Fine-tuning a served mean of two networks: zero blocks held or free" bench/mean-fine-tune.sh
section_head "$out" "bench/mean-fine-tune.sh --data $data --markets \"$markets\" --rounds $rounds --seed $seed"
python3 - "$json" >> "$out" <<'PY'
import json, sys
lines = sys.argv[1]
print("- `nmf+nmf` trained per market with the updater's settings; a round = one medium-path job with the updater's "
      "defaults (a seeded sample of 20,000 training interactions, one epoch, the dense tensors copied into the working "
      "model); no rollback guard (every round kept, so the two lines see the same rounds). Scoring: 300 users each "
      "against the whole catalogue, in one JVM, the fastest of three after a warm-up\n")
print("| market | round | dense weights | valid nDCG@10 | test nDCG@10 | zero dense weights | ms per user, whole catalogue (items) |")
print("|---|---:|---|---:|---:|---:|---:|")
for l in lines.strip().splitlines():
    d = json.loads(l)
    print(f"| {d['market']} | {d['round']} | {d['kind']} | {d['valid_ndcg10']:.4f} | {d['test_ndcg10']:.4f} | "
          f"{d['zero_dense_weights']:,} of {d['dense_weights']:,} | {d['ms_per_user_catalogue']:.3f} ({d['catalogue']:,}) |")
PY
echo "added a section to $out" >&2
