#!/usr/bin/env bash
# The paper's analyses (Figure 5): (a) test nDCG@10 of NMF, NMF++, MAML and FOREC in five equal
# user groups of each target, cold to warm by training interactions; (b) the same methods trained
# on 100%, 50%, 25% and 10% of each target user's training interactions (sources untouched).
# Source uk (for target uk: de). Resumable: a run whose JSON exists is not run again. Writes
# bench/results/analyses.md with tables and two SVG plots next to it.
# --equal-steps: what trains on the target alone gets as many steps on a fraction f as on all the
# data: NMF (with its GMF and MLP) and FOREC's fine-tuning run epochs/f epochs. (An epoch of the ++
# stages is as long as the largest market, here the source, so NMF++ and MAML keep their steps and
# stay at the plain number of epochs.) Into bench/runs/analyses-equal-steps and
# bench/results/analyses-equal-steps.md (+ SVGs); its 100% runs are the plain ones (copied from
# bench/runs/analyses when there).
#
#   bench/analyses.sh [--data DIR] [--markets "ca de fr in jp mx uk"] [--epochs 50] [--jobs 2]
#                     [--fractions "1 0.5 0.25 0.1"] [--equal-steps]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
fractions="1 0.5 0.25 0.1"
equal_steps=0
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --fractions) fractions="$2"; shift 2 ;;
    --equal-steps) equal_steps=1; shift ;;
    *) echo "analyses.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
name=analyses
[ "$equal_steps" = 1 ] && name=analyses-equal-steps
work="$root/bench/runs/$name"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null
command="bench/analyses.sh --markets \"$markets\" --epochs $epochs --jobs $jobs --fractions \"$fractions\""
[ "$equal_steps" = 1 ] && command="$command --equal-steps"

runs=()
for m in $markets; do
  for f in $fractions; do runs+=("$m:$f"); done
done
todo=0
for r in "${runs[@]}"; do [ -s "$work/${r/:/-}.json" ] || todo=$((todo + 1)); done
echo "$todo of ${#runs[@]} runs to do (the others are finished)"
start=$(date +%s)
rm -f "$work/.done-now"
run_market() { # "market:fraction"
  local m="${1%%:*}" f="${1##*:}" src=uk
  [ "$m" = uk ] && src=de
  local out="$work/$m-$f.json" e="$epochs"
  [ -s "$out" ] && return 0
  local common=("${data_flag[@]}" --target "$m" --no-epoch-validation --target-fraction "$f" --user-groups 5 --no-full)
  if [ "$equal_steps" = 1 ]; then
    local plain="$root/bench/runs/analyses/$m-$f.json"
    if [ "$f" = 1 ] && [ -s "$plain" ]; then cp "$plain" "$out"; progress_done "$m at $f (plain run)"; return 0; fi
    e=$(python3 -c "print(round($epochs / $f))")
    # NMF alone with e epochs, then the ++ family with the plain epochs and e for FOREC's fine-tuning; one JSON
    XMREC_NO_BUILD=1 ./xmrec offline "${common[@]}" --method nmf --epochs "$e" --out "$out.nmf" \
        > "$work/$m-$f.nmf.table.txt" 2> "$work/$m-$f.nmf.log"
    XMREC_NO_BUILD=1 ./xmrec offline "${common[@]}" --source "$src" --method nmf++,maml,forec --epochs "$epochs" \
        --forec-epochs "$e" --out "$out.pp" > "$work/$m-$f.table.txt" 2> "$work/$m-$f.log"
    python3 - "$out.nmf" "$out.pp" "$out.tmp" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("results", "user_groups", "per_user"):
    if k in a:
        b[k] = a[k] + b.get(k, [])
b["provenance"]["nmf_run"] = a["provenance"]
json.dump(b, open(sys.argv[3], "w"), indent=1)
PY
    rm -f "$out.nmf" "$out.pp"
  else
    XMREC_NO_BUILD=1 ./xmrec offline "${common[@]}" --source "$src" --method nmf,nmf++,maml,forec --epochs "$e" \
        --out "$out.tmp" > "$work/$m-$f.table.txt" 2> "$work/$m-$f.log"
  fi
  mv "$out.tmp" "$out"
  progress_done "$m at $f"
}
export -f run_market progress_done
export work epochs start todo equal_steps root
run_markets "$jobs" "$work" "${runs[@]}"

python3 - "$work" "$command" "$markets" "$fractions" "$name" "$epochs" > "$root/bench/results/$name.md" <<'PY'
import json, sys, os, glob, datetime
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "..", "..", "bench"))
import svgplot
work, command, markets, fractions, name, epochs = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5], int(sys.argv[6])
equal = name.endswith("equal-steps")
methods = ["nmf", "nmf++", "maml", "forec"]
runs = {}
for m in markets:
    for f in fractions:
        p = os.path.join(work, f"{m}-{f}.json")
        if os.path.exists(p):
            runs[(m, f)] = json.load(open(p))
any_run = next(iter(runs.values()))
prov = any_run["provenance"]
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Analyses: user groups and target data size (the paper's Figure 5)" + (", equal steps" if equal else "") + "\n")
if equal:
    print("What trains on the target alone gets as many steps on a fraction f as on all the data: NMF (with its GMF "
          "and MLP) and FOREC's fine-tuning run round(epochs / f) epochs; NMF++ and MAML keep the plain epochs (an "
          "epoch of the ++ stages is as long as the largest market, the source, so their steps do not shrink with the "
          "target). Epochs: " + ", ".join(f"{float(f) * 100:.0f}%: {round(epochs / float(f))}" for f in fractions)
          + ". Compare with bench/results/analyses.md (same seed and negatives).\n")
print(f"- command: `{command}`")
commits = sorted({r["provenance"]["git_commit"][:7] for r in runs.values()})
print(f"- commit(s) of the runs: {', '.join(f'`{c}`' for c in commits)}; summary written {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores")
print("- protocol: as bench/results/offline-quality.md (leave-one-out, 99 sampled negatives, seed 42); source uk "
      "(target uk: de); NMF on the target alone, NMF++/MAML/FOREC with the source")
print(f"- runs present: {len(runs)} of {len(markets) * len(fractions)}\n")

def test(run, method):
    return next(r["ndcg@10"] for r in run["results"] if r["method"] == method and r["split"] == "test")

print("## (a) Test nDCG@10 by user group, all training data\n")
print("Group 1 has the fewest training interactions, 5 the most (equal numbers of users).\n")
groups_mean = {me: [[] for _ in range(5)] for me in methods}
for m in markets:
    run = runs.get((m, "1"))
    if not run:
        continue
    print(f"**{m}**\n")
    print("| method | " + " | ".join(f"g{g['group']} ({g['min_train']}-{g['max_train']})"
                                      for g in run["user_groups"] if g["method"] == "nmf") + " |")
    print("|---" + "|---:" * 5 + "|")
    for me in methods:
        gs = [g for g in run["user_groups"] if g["method"] == me]
        for g in gs:
            groups_mean[me][g["group"] - 1].append(g["ndcg@10"])
        print(f"| {me} | " + " | ".join(f"{g['ndcg@10']:.4f}" for g in gs) + " |")
    print()
print("**Mean over markets**\n")
print("| method | g1 | g2 | g3 | g4 | g5 |")
print("|---|---:|---:|---:|---:|---:|")
for me in methods:
    print(f"| {me} | " + " | ".join(f"{sum(v) / len(v):.4f}" if v else "-" for v in groups_mean[me]) + " |")

print("\n## (b) Test nDCG@10 by share of each target user's training interactions\n")
print("| market | method | " + " | ".join(f"{float(f) * 100:.0f}%" for f in fractions) + " |")
print("|---|---" + "|---:" * len(fractions) + "|")
size_mean = {me: {f: [] for f in fractions} for me in methods}
for m in markets:
    for me in methods:
        cells = []
        for f in fractions:
            run = runs.get((m, f))
            if run:
                v = test(run, me)
                size_mean[me][f].append(v)
                cells.append(f"{v:.4f}")
            else:
                cells.append("-")
        print(f"| {m} | {me} | " + " | ".join(cells) + " |")
for me in methods:
    print(f"| **mean** | {me} | " + " | ".join(f"{sum(size_mean[me][f]) / len(size_mean[me][f]):.4f}"
                                             if size_mean[me][f] else "-" for f in fractions) + " |")

def svg_lines(path, title, xlabels, series, ylabel):
    w, h, l, r, t, b = 560, 340, 60, 120, 40, 40
    vals = [v for s in series.values() for v in s if v is not None]
    lo, hi, Y = svgplot.value_axis(vals, t, h - b)
    X = lambda i: l + (w - l - r) * (i / max(1, len(xlabels) - 1))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    out = svgplot.frame(w, h, title, l, t, h - b, lo, hi, Y, grid_to=w - r)
    out += [f'<line x1="{l}" y1="{h - b}" x2="{w - r}" y2="{h - b}" stroke="black"/>',
            f'<text x="14" y="{h / 2}" transform="rotate(-90 14 {h / 2})" text-anchor="middle">{ylabel}</text>']
    for i, x in enumerate(xlabels):
        out.append(f'<text x="{X(i):.1f}" y="{h - b + 16}" text-anchor="middle">{x}</text>')
    for n, (name, s) in enumerate(series.items()):
        pts = [(X(i), Y(v)) for i, v in enumerate(s) if v is not None]
        c = colors[n % len(colors)]
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (
            c, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)))
        for x, y in pts:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>')
        out.append(f'<text x="{w - r + 10}" y="{t + 16 * n + 10}" fill="{c}">{name}</text>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")

mean = lambda v: sum(v) / len(v) if v else None
res = os.path.join(os.path.dirname(work), "..", "results")
svg_lines(os.path.join(res, f"{name}-user-groups.svg"), "Test nDCG@10 by user group (mean over markets)",
          ["g1 (cold)", "g2", "g3", "g4", "g5 (warm)"], {me: [mean(v) for v in groups_mean[me]] for me in methods},
          "nDCG@10")
svg_lines(os.path.join(res, f"{name}-data-size.svg"), "Test nDCG@10 by target training data (mean over markets)",
          [f"{float(f) * 100:.0f}%" for f in fractions], {me: [mean(size_mean[me][f]) for f in fractions] for me in methods},
          "nDCG@10")
print(f"\nPlots: `{name}-user-groups.svg`, `{name}-data-size.svg`.")
PY
echo "wrote bench/results/$name.md"
