#!/usr/bin/env bash
# What a reader of the model topics pays per fast-path delta against the model's size (bench/DeltaApply.java):
# each delta alone, in chains of 10, and in one chain (a client catching up). Adds a section to
# bench/results/delta-apply.md. Runs alone: it measures time.
#   bench/delta-apply.sh [--scales "1,10,100"] [--deltas 300]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
scales="1,10,100"
deltas=300
while [ $# -gt 0 ]; do
  case "$1" in
    --scales) scales="$2"; shift 2 ;;
    --deltas) deltas="$2"; shift 2 ;;
    *) echo "delta-apply.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
./xmrec --version >/dev/null # builds once
provenance
out=bench/results/delta-apply.md
json=$(java -Xmx8g -cp app/target/xmrec.jar bench/DeltaApply.java "$scales" "$deltas")
results_file "$out" "Applying model deltas against the model size" bench/delta-apply.sh
section_head "$out" "bench/delta-apply.sh --scales \"$scales\" --deltas $deltas"
python3 - "$json" >> "$out" <<'PY'
import json, sys
lines = sys.argv[1]
print("- each delta as the fast path makes them: 5 users' rows re-fitted and one new user, every third an item new, a "
      "popularity change; NMF at the updater's dimensions; `ModelRecords.apply` in one JVM (no Kafka), the faster of two runs\n")
print("| scale | users | items | model MB | deltas | ms per delta, each alone | in chains of 10 | in one chain |")
print("|---|---|---|---|---|---|---|---|")
for l in lines.strip().splitlines():
    d = json.loads(l)
    print(f"| {d['scale']}x | {d['users']:,} | {d['items']:,} | {d['model_mb']:.1f} | {d['deltas']} | "
          f"{d['ms_per_delta_alone']:.3f} | {d['ms_per_delta_chains_of_10']:.3f} | {d['ms_per_delta_one_chain']:.3f} |")
PY
echo "added a section to $out" >&2
