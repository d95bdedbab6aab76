#!/usr/bin/env bash
# Source-market scenarios (the paper's Table 4 and Figure 4): for each target, every other market as
# the single source, with NMF++, MAML and FOREC (and NMF on the target alone, once per target).
# Reports per target and method Best-Src (the source with the best validation nDCG@10; its test
# nDCG@10), Ave-Src (mean test over sources) and a fixed source (uk; for uk: de); how many sources
# FOREC beats MAML on, with the mean relative improvement; and a box plot per target of FOREC's test
# nDCG@10 improvement over NMF across sources (bench/results/source-scenarios.svg).
# The most expensive bench (7 x 6 pairs): resumable (finished runs are kept and skipped), with
# progress and ETA. Writes bench/results/source-scenarios.md.
#
#   bench/source-scenarios.sh [--data DIR] [--markets "ca de fr in jp mx uk"] [--epochs 50] [--jobs 2]
#                             [--summarise-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
no_more_arguments source-scenarios.sh
work="$root/bench/runs/source-scenarios"
mkdir -p "$work" "$root/bench/results"
command="bench/source-scenarios.sh --markets \"$markets\" --epochs $epochs --jobs $jobs"

if [ "$summarise_only" = 0 ]; then
  ./xmrec --version >/dev/null
  runs=()
  for t in $markets; do
    runs+=("$t:")
    for s in $markets; do [ "$s" != "$t" ] && runs+=("$t:$s"); done
  done
  todo=0
  for r in "${runs[@]}"; do [ -s "$work/${r/:/-}.json" ] || todo=$((todo + 1)); done
  echo "$todo of ${#runs[@]} runs to do (the others are finished)"
  start=$(date +%s)
  run_market() { # "target:source" (no source: NMF on the target alone)
    local t="${1%%:*}" s="${1##*:}" name="${1/:/-}"
    local out="$work/$name.json"
    [ -s "$out" ] && return 0
    if [ -z "$s" ]; then
      XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$t" --method nmf --epochs "$epochs" \
          --no-epoch-validation --no-full --out "$out.tmp" > "$work/$name.table.txt" 2> "$work/$name.log"
    else
      XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$t" --source "$s" --method nmf++,maml,forec \
          --epochs "$epochs" --no-epoch-validation --no-full --out "$out.tmp" > "$work/$name.table.txt" 2> "$work/$name.log"
    fi
    mv "$out.tmp" "$out"
    progress_done "$t <- ${s:-(alone)}"
  }
  export -f run_market progress_done
  export work epochs start todo
  rm -f "$work/.done-now"
  run_markets "$jobs" "$work" "${runs[@]}"
fi

# the sources --source auto would pick (cheap: statistics of the data files, no training)
XMREC_NO_BUILD=1 ./xmrec markets "${data_flag[@]}" --markets "${markets// /,}" --json "$work/markets.json" > /dev/null

python3 - "$work" "$command" "$markets" "$root/bench/results/multi-source.md" \
    > "$root/bench/results/source-scenarios.md" <<'PY'
import json, sys, os, datetime
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "..", "..", "bench"))
import svgplot
work, command, markets, multi_md = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
stats = json.load(open(os.path.join(work, "markets.json")))
auto = stats["auto_sources"]
size = {m: v["interactions"] for m, v in stats["markets"].items()}
methods = ["nmf++", "maml", "forec"]
def load(name):
    p = os.path.join(work, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def val(run, method, split):
    return next(r["ndcg@10"] for r in run["results"] if r["method"] == method and r["split"] == split)
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
pairs = {(t, s): load(f"{t}-{s}") for t in markets for s in markets if s != t}
alone = {t: load(f"{t}-") for t in markets}
present = sum(1 for v in pairs.values() if v)
some = next((v for v in pairs.values() if v), None)
print("# Source-market scenarios (the paper's Table 4 and Figure 4)\n")
print(f"- command: `{command}`")
if some:
    print(f"- commit of the runs: `{some['provenance']['git_commit']}`")
print(f"- summary written: {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}; machine: {cpu}, {os.cpu_count()} cores")
print(f"- pairs present: {present} of {len(pairs)}; test nDCG@10, 99 sampled negatives, seed 42\n")
print("## Best-Src, Ave-Src and a fixed source\n")
print("Best-Src: the source whose run had the best validation nDCG@10 for that method (test reported). "
      "Fixed: uk (for target uk: de).\n")
print("| target | NMF | " + " | ".join(f"{m} best (src) | {m} ave | {m} fixed" for m in methods) + " |")
print("|---|---:" + "|---:" * (3 * len(methods)) + "|")
improvements = {}
wins = {}
for t in markets:
    runs = {s: pairs[(t, s)] for s in markets if s != t and pairs[(t, s)]}
    if not runs:
        continue
    cells = [f"{val(alone[t], 'nmf', 'test'):.4f}" if alone[t] else "-"]
    for m in methods:
        best = max(runs, key=lambda s: val(runs[s], m, "valid"))
        ave = sum(val(r, m, "test") for r in runs.values()) / len(runs)
        fixed = "de" if t == "uk" else "uk"
        cells += [f"{val(runs[best], m, 'test'):.4f} ({best})", f"{ave:.4f}",
                  f"{val(runs[fixed], m, 'test'):.4f}" if fixed in runs else "-"]
    print(f"| {t} | " + " | ".join(cells) + " |")
    if alone[t]:
        base = val(alone[t], "nmf", "test")
        improvements[t] = [val(r, "forec", "test") - base for r in runs.values()]
    better = [s for s, r in runs.items() if val(r, "forec", "test") > val(r, "maml", "test")]
    rel = [(val(r, "forec", "test") - val(r, "maml", "test")) / val(r, "maml", "test") for r in runs.values()]
    wins[t] = (len(better), len(runs), sum(rel) / len(rel))
print("\n## FOREC against MAML per target (Table 4)\n")
print("| target | sources where FOREC > MAML | mean relative change of FOREC over MAML |")
print("|---|---:|---:|")
for t, (b, n, r) in wins.items():
    print(f"| {t} | {b} of {n} | {100 * r:+.1f}% |")

# --source auto: its pick against Best-Src (chosen by validation runs) and the best source in hindsight
print("\n## Choosing the source automatically (`--source auto`)\n")
print("`--source auto` picks, before any training, the market whose item purchase counts are most alike "
      "(cosine; ties by how many of the target's interactions the source's catalogue covers). Best-Src needs a "
      "training run per source and picks by validation; the hindsight column is the best test result of the six.\n")
print("For comparison, the other cheap signal: the largest other market (by interactions) as the source.\n")
print("| target | method | auto pick | auto | largest | Best-Src | best in hindsight | Ave-Src | auto - Best-Src | rank of the pick by test |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
summary = {m: [] for m in methods}
best_single = {}
for t in markets:
    runs = {s: pairs[(t, s)] for s in markets if s != t and pairs[(t, s)]}
    pick = auto[t][0]
    if pick not in runs:
        continue
    for m in methods:
        test = {s: val(r, m, "test") for s, r in runs.items()}
        best = max(runs, key=lambda s: val(runs[s], m, "valid"))
        oracle = max(test, key=test.get)
        ave = sum(test.values()) / len(test)
        rank = 1 + sum(1 for v in test.values() if v > test[pick])
        largest = max(test, key=lambda s: size[s])
        summary[m].append((test[pick], test[largest], test[best], test[oracle], ave, rank))
        best_single[(t, m)] = (test[best], best, test[pick], pick)
        print(f"| {t} | {m} | {pick} | {test[pick]:.4f} | {test[largest]:.4f} ({largest}) | {test[best]:.4f} ({best}) | "
              f"{test[oracle]:.4f} ({oracle}) | {ave:.4f} | {test[pick] - test[best]:+.4f} | {rank} of {len(test)} |")
for m, rows in summary.items():
    if rows:
        n = len(rows)
        mean = [sum(r[k] for r in rows) / n for k in range(5)]
        print(f"| **mean** | {m} | | **{mean[0]:.4f}** | **{mean[1]:.4f}** | **{mean[2]:.4f}** | **{mean[3]:.4f}** | "
              f"**{mean[4]:.4f}** | **{mean[0] - mean[2]:+.4f}** | {sum(r[5] for r in rows) / n:.1f} on average |")

# several sources at once (bench/results/multi-source.md: all six others in one trunk) against one source
multi = {}
if os.path.exists(multi_md):
    lines = open(multi_md).read().split("## Test nDCG@10", 1)[-1].splitlines()
    rows = []
    for l in lines: # the first table after the heading
        if l.startswith("|"):
            rows.append(l)
        elif rows:
            break
    if rows:
        head = [c.strip() for c in rows[0].strip("|").split("|")]
        for l in rows[2:]:
            cells = [c.strip().strip("*") for c in l.strip("|").split("|")]
            if cells[0] in markets:
                multi[cells[0]] = {m: float(cells[head.index(m)]) for m in methods if m in head}
if multi and best_single:
    commit = next((l.split("`")[1] for l in open(multi_md) if "commit of the training runs" in l), "?")
    print("\n## Several sources at once against the best single one\n")
    print(f"All six other markets as sources in one trunk, from `bench/results/multi-source.md` (runs at `{commit[:7]}`, "
          "same protocol, seed and epochs), against the single source chosen by validation (Best-Src) and by "
          "`--source auto`. Test nDCG@10.\n")
    print("| target | method | all six | Best-Src | all six - Best-Src | auto | all six - auto |")
    print("|---|---|---:|---:|---:|---:|---:|")
    wins = {m: 0 for m in methods}
    count = {m: 0 for m in methods}
    for t in markets:
        for m in methods:
            if (t, m) in best_single and m in multi.get(t, {}):
                b, bs, a, ap = best_single[(t, m)]
                v = multi[t][m]
                wins[m] += v > b
                count[m] += 1
                print(f"| {t} | {m} | {v:.4f} | {b:.4f} ({bs}) | {v - b:+.4f} | {a:.4f} ({ap}) | {v - a:+.4f} |")
    print("\n" + "; ".join(f"{m}: all six beat Best-Src on {wins[m]} of {count[m]} targets" for m in methods
                          if count[m]) + ".")

if improvements:
    print("\n## FOREC's improvement over single-market NMF across sources (Figure 4)\n")
    print("| target | min | q1 | median | q3 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    def q(v, p):
        v = sorted(v)
        k = (len(v) - 1) * p
        f = int(k)
        return v[f] + (v[min(f + 1, len(v) - 1)] - v[f]) * (k - f)
    for t, v in improvements.items():
        print(f"| {t} | " + " | ".join(f"{q(v, p):+.4f}" for p in (0, 0.25, 0.5, 0.75, 1)) + " |")
    # box plot
    w, h, l, t0, b = 120 + 70 * len(improvements), 340, 70, 40, 40
    allv = [x for v in improvements.values() for x in v] + [0]
    lo, hi, Y = svgplot.value_axis(allv, t0, h - b)
    out = svgplot.frame(w, h, "FOREC test nDCG@10 minus NMF, across sources", l, t0, h - b, lo, hi, Y, fmt="{:+.3f}")
    out.append(f'<line x1="{l}" y1="{Y(0):.1f}" x2="{w - 20}" y2="{Y(0):.1f}" stroke="#999" stroke-dasharray="4 3"/>')
    for i, (t, v) in enumerate(improvements.items()):
        x = l + 40 + 70 * i
        qs = [q(v, p) for p in (0, 0.25, 0.5, 0.75, 1)]
        out.append(f'<line x1="{x}" y1="{Y(qs[0]):.1f}" x2="{x}" y2="{Y(qs[4]):.1f}" stroke="black"/>')
        out.append(f'<rect x="{x - 15}" y="{Y(qs[3]):.1f}" width="30" height="{max(1, Y(qs[1]) - Y(qs[3])):.1f}" '
                   f'fill="#9ecae1" stroke="black"/>')
        out.append(f'<line x1="{x - 15}" y1="{Y(qs[2]):.1f}" x2="{x + 15}" y2="{Y(qs[2]):.1f}" stroke="black" stroke-width="2"/>')
        out.append(f'<text x="{x}" y="{h - b + 16}" text-anchor="middle">{t}</text>')
    out.append("</svg>")
    open(os.path.join(os.path.dirname(work), "..", "results", "source-scenarios.svg"), "w").write("\n".join(out) + "\n")
    print("\nBox plot: `source-scenarios.svg`.")
PY
echo "wrote bench/results/source-scenarios.md"
