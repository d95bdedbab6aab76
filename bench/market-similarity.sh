#!/usr/bin/env bash
# Market similarity and ratings (the FOREC paper's Figure 2 and its rating distributions): per
# market sizes and ratings, the cosine similarity of every pair's item purchase-count vectors and
# how much of each target's catalogue each source sells. Writes bench/results/market-similarity.md
# and bench/results/market-similarity.svg (heat map).
#
#   bench/market-similarity.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk]
set -euo pipefail
cd "$(dirname "$0")/.."
markets="ca,de,fr,in,jp,mx,uk"
# shellcheck source=bench/lib.sh
. bench/lib.sh
parse_common "$@"
no_more_arguments market-similarity.sh
work=bench/runs/market-similarity
mkdir -p "$work" bench/results
./xmrec --version >/dev/null
XMREC_NO_BUILD=1 ./xmrec markets "${data_flag[@]}" --markets "$markets" --json "$work/markets.json" \
    --svg bench/results/market-similarity.svg > "$work/tables.txt" 2> "$work/log.txt"
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work/markets.json" "$markets" "$commit" > bench/results/market-similarity.md <<'PY'
import json, sys, datetime, os
r = json.load(open(sys.argv[1]))
markets, commit = sys.argv[2], sys.argv[3]
names = list(r["markets"])
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Market similarity and ratings\n")
print(f"- command: `bench/market-similarity.sh --markets {markets}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores")
print("- data: XMarket Electronics 5-core files (every interaction counts as a purchase)\n")
print("## Markets and their ratings\n")
print("| market | users | items | interactions | 1 | 2 | 3 | 4 | 5 | mean rating |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for m, v in r["markets"].items():
    n = sum(v["ratings"]) + v["other_ratings"]
    shares = " | ".join(f"{100 * c / n:.1f}%" for c in v["ratings"])
    print(f"| {m} | {v['users']:,} | {v['items']:,} | {v['interactions']:,} | {shares} | {v['mean_rating']:.2f} |")
def matrix(title, key, note):
    print(f"\n## {title}\n")
    print(note + "\n")
    print("| target \\ source | " + " | ".join(names) + " |")
    print("|---" + "|---:" * len(names) + "|")
    for t in names:
        cells = ["1" if s == t else f"{r['pairs'][t][s][key]:.3f}" for s in names]
        print(f"| {t} | " + " | ".join(cells) + " |")
matrix("Cosine similarity of item purchase counts", "cosine",
       "Symmetric; heat map in `market-similarity.svg`.")
matrix("Share of the target's items the source sells", "item_coverage", "Row: target; column: source.")
matrix("Share of the target's interactions with items the source sells", "interaction_coverage",
       "Row: target; column: source.")
print("\n## Sources `--source auto` would pick\n")
print("Every other market ranked for each target by `SourceSelector` (cosine, then interaction coverage), best "
      "first; `--source auto` takes the first, `auto:N` the first N.\n")
print("| target | ranking |")
print("|---|---|")
for t, ranked in r["auto_sources"].items():
    print(f"| {t} | " + ", ".join(f"{s} ({r['pairs'][t][s]['cosine']:.3f})" for s in ranked) + " |")
PY
