#!/usr/bin/env bash
# Freshness of the continual system on the embedded default: replay the markets at a fixed speed
# through broker, holdout job, updater and evaluator, and measure per market the p50/p99 time from
# an interaction's publication (and from its promotion to training) to the first published model
# whose recorded offsets include it; plus events/s and the evaluator's final test nDCG@10 next to the
# offline FOREC figure. Writes bench/results/freshness.md.
#
#   bench/freshness.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk] [--speed 10] [--settle 60]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${XMREC_DATA_DIR:-}"
markets="ca,de,fr,in,jp,mx,uk"
speed=10
settle=60
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --markets) markets="$2"; shift 2 ;;
    --speed) speed="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    *) echo "freshness.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
data_flag=()
[ -n "$data" ] && data_flag=(--data "$data")
work=bench/runs/freshness
mkdir -p "$work" bench/results
./xmrec --version >/dev/null
XMREC_NO_BUILD=1 ./xmrec freshness "${data_flag[@]}" --markets "$markets" --speed "$speed" --settle "$settle" \
    > "$work/result.json" 2> "$work/log.txt"
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work/result.json" "$markets" "$speed" "$settle" "$commit" > bench/results/freshness.md <<'PY'
import json, re, sys, subprocess, datetime, os
r = json.load(open(sys.argv[1]))
markets, speed, settle, commit = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
offline = {}
try:
    text = open("bench/results/offline-quality.md").read()
    sec = text.split("## Test nDCG@10 (99 sampled negatives)")[1].split("\n## ")[0]
    rows = [l for l in sec.splitlines() if l.startswith("| ") and not l.startswith("| market") and "**" not in l]
    head = [h.strip() for h in sec.splitlines()[2].strip("|").split("|")]
    fi = head.index("forec")
    for l in rows:
        cells = [c.strip() for c in l.strip("|").split("|")]
        offline[cells[0]] = float(cells[fi])
except Exception:
    pass
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Freshness of the continual system (embedded default)\n")
print(f"- command: `bench/freshness.sh --markets {markets} --speed {speed} --settle {settle}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores")
print(f"- replay: {r['events']:,} events at {speed} days of event time per second in {r['replay_seconds']:.1f} s "
      f"({r['events'] / r['replay_seconds']:,.0f} events/s), {r['wall_seconds']:.0f} s in all")
print(f"- updater: {r['updater']}")
print()
print("Latency to the first published model whose recorded `xmrec.train` offset covers the interaction, in seconds. "
      "'from publish' starts when the review was published and includes the wait for the user's next two "
      "interactions (leave-one-out: an interaction is trained on only once it leaves the holdout); "
      "'from promotion' starts when the holdout job wrote it to `xmrec.train`. Interactions of users or items the "
      "model does not know yet are covered by the offsets; interactions with an item no trunk has seen are "
      "trained at the next trunk, new users are folded in with their micro-batch. 'Steady' counts only interactions "
      "promoted after the market's first model was out (the ones before it wait for the first trunk).\n")
print("| market | interactions | p50 from publish | p99 from publish | p50 from promotion | p99 from promotion | steady interactions | steady p50 | steady p99 | live test nDCG@10 (model) | full-rank test nDCG@10 | NMF reference test nDCG@10 | offline FOREC test nDCG@10 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
ev = r.get("evaluator", {}).get("markets", {})
for m, v in sorted(r["markets"].items()):
    t = ev.get(m, {}).get("holdout-test")
    live = f"{t['ndcg10']:.4f} (v{t['model_version']}, {t['users']} users)" if t else "–"
    tf = ev.get(m, {}).get("holdout-test-full")
    full = f"{tf['ndcg10']:.4f} ({tf['users']} users)" if tf else "–"
    rt = ev.get(m, {}).get("reference-test")
    ref = f"{rt['ndcg10']:.4f}" if rt else "–"
    off = f"{offline[m]:.4f}" if m in offline else "–"
    f = lambda ms: "–" if ms < 0 else f"{ms / 1000:.1f}"
    print(f"| {m} | {v['measured']:,} | {f(v['p50_from_publish_ms'])} | {f(v['p99_from_publish_ms'])} | "
          f"{f(v['p50_from_promotion_ms'])} | {f(v['p99_from_promotion_ms'])} | {v.get('steady_measured', 0):,} | "
          f"{f(v.get('p50_steady_ms', -1))} | {f(v.get('p99_steady_ms', -1))} | {live} | {full} | {ref} | {off} |")
print("\nThe live nDCG@10 ranks against 99 negatives the user never rated (training and held-out items) and is "
      "measured on the model's users at the end of the run; full-rank is the test item against every item of the "
      "market the user has not rated, on a seeded sample of 100 users; the NMF reference is a single-market NMF the "
      "updater trains with each trunk, measured the same way; the offline figure is the single-source FOREC of "
      "`bench/results/offline-quality.md`.")
ups = r.get("evaluator", {}).get("markets", {})
print("\n| market | events | updates published | refused | fine-tuning seconds | dead letters |")
print("|---|---|---|---|---|---|")
for m, v in sorted(ups.items()):
    c = v.get("counters", {})
    print(f"| {m} | {c.get('events', 0):,.0f} | {c.get('updates-published', 0):.0f} | {c.get('updates-refused', 0):.0f} | "
          f"{c.get('seconds-published', 0) + c.get('seconds-refused', 0):.1f} | {c.get('deadletters', 0):.0f} |")
sysc = r.get("evaluator", {}).get("system", {}).get("*", {}).get("counters", {})
print(f"\nTrunks: {sysc.get('updates-trunk', 0):.0f}, {sysc.get('seconds-trunk', 0):.1f} s of trunk training in all.")
PY
cat bench/results/freshness.md
