#!/usr/bin/env bash
# Does a market's FOREC head do better when it starts from the head of its most similar market's fork
# (what the continual updater did for a market without a head of its own before its redesign) than from random weights?
# For each target, with the source `--source auto` picks: forec and forec-src-head on the same trunk
# (NMF++ and MAML trained once, shared through a trunk cache), fine-tuned for the offline 25 epochs and
# for the updater's 5; paired tests on the target's test users. Resumable (finished targets are kept
# and skipped). Writes bench/results/source-head.md.
#
#   bench/source-head.sh [--data DIR] [--markets "ca de fr in jp mx uk"] [--epochs 50] [--jobs 2]
#                        [--summarise-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
no_more_arguments source-head.sh
work="$root/bench/runs/source-head"
mkdir -p "$work" "$root/bench/results"
command="bench/source-head.sh --markets \"$markets\" --epochs $epochs --jobs $jobs"
fine_tunes="$epochs 5"

if [ "$summarise_only" = 0 ]; then
  ./xmrec --version >/dev/null
  todo=0
  for t in $markets; do [ -s "$work/$t-5.cmp.json" ] || todo=$((todo + 1)); done
  echo "$todo of $(echo "$markets" | wc -w) targets to do (the others are finished)"
  start=$(date +%s)
  run_market() {
    local t="$1" f
    [ -s "$work/$t-5.cmp.json" ] && return 0
    for f in $fine_tunes; do # the second one loads NMF++ and MAML from the cache
      if [ ! -s "$work/$t-$f.json" ]; then
        XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$t" --source auto --method forec,forec-src-head \
            --epochs "$epochs" --forec-epochs "$f" --no-epoch-validation --no-full --trunk-cache "$work/trunk-$t" \
            --out "$work/$t-$f.json.tmp" > "$work/$t-$f.table.txt" 2> "$work/$t-$f.log"
        mv "$work/$t-$f.json.tmp" "$work/$t-$f.json"
      fi
      XMREC_NO_BUILD=1 ./xmrec compare "$work/$t-$f.json" "$work/$t-$f.json" --method-a forec \
          --method-b forec-src-head --json > "$work/$t-$f.cmp.json"
    done
    rm -rf "$work/trunk-$t"
    progress_done "$t"
  }
  export -f run_market progress_done
  export work epochs fine_tunes start todo
  rm -f "$work/.done-now"
  run_markets "$jobs" "$work" $markets
fi

python3 - "$work" "$command" "$markets" "$fine_tunes" "$root/bench/runs/source-scenarios" \
    > "$root/bench/results/source-head.md" <<'PY'
import json, sys, os, datetime
work, command, markets, fine_tunes, scenarios = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
def load(p):
    return json.load(open(p)) if os.path.exists(p) else None
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
some = next((load(os.path.join(work, f"{t}-{fine_tunes[0]}.json")) for t in markets
             if os.path.exists(os.path.join(work, f"{t}-{fine_tunes[0]}.json"))), None)
print("# FOREC heads started from the most similar market's head\n")
print("What the continual updater did, before its redesign, for a market without a head of its own (it now fine-tunes every market's own fork): its fork's head "
      "starts from the head of the market `--source auto` ranks first, forked on the same trunk, instead of from "
      "random weights. Offline: `forec` (random head) against `forec-src-head` (head of a fork fine-tuned on the "
      "source first), same NMF++ and MAML trunk, target and the source `--source auto` picks.\n")
print(f"- command: `{command}`")
if some:
    print(f"- commit of the runs: `{some['provenance']['git_commit']}`")
print(f"- summary written: {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}; machine: {cpu}, {os.cpu_count()} cores")
print("- test nDCG@10, 99 sampled negatives, seed 42; paired over the target's test users (t-test and Wilcoxon)\n")
print("| target | source | fine-tuning epochs | forec | forec-src-head | difference | 95% CI | p (t) | p (Wilcoxon) |")
print("|---|---|---:|---:|---:|---:|---|---:|---:|")
sums = {f: [] for f in fine_tunes}
check = []
for t in markets:
    for f in fine_tunes:
        run, cmp = load(os.path.join(work, f"{t}-{f}.json")), load(os.path.join(work, f"{t}-{f}.cmp.json"))
        if not run or not cmp:
            continue
        src = ",".join(run["provenance"]["sources"])
        sums[f].append((cmp["mean_a"], cmp["mean_b"], cmp["mean_diff"], cmp["ci95_low"] > 0, cmp["ci95_high"] < 0))
        print(f"| {t} | {src} | {f} | {cmp['mean_a']:.4f} | {cmp['mean_b']:.4f} | {cmp['mean_diff']:+.4f} | "
              f"[{cmp['ci95_low']:+.4f}, {cmp['ci95_high']:+.4f}] | {cmp['t_test_p']:.3g} | {cmp['wilcoxon_p']:.3g} |")
        same = load(os.path.join(scenarios, f"{t}-{src}.json"))
        if same and f == fine_tunes[0]:
            s = next(r["ndcg@10"] for r in same["results"] if r["method"] == "forec" and r["split"] == "test")
            check.append(f"{t}<-{src} {s:.4f} vs {cmp['mean_a']:.4f}")
print()
for f, rows in sums.items():
    if rows:
        n = len(rows)
        print(f"- {f} fine-tuning epochs: mean forec {sum(r[0] for r in rows) / n:.4f}, forec-src-head "
              f"{sum(r[1] for r in rows) / n:.4f} ({sum(r[2] for r in rows) / n:+.4f}); source head better on "
              f"{sum(1 for r in rows if r[2] > 0)} of {n} targets, significantly better (95% CI above 0) on "
              f"{sum(1 for r in rows if r[3])}, significantly worse on {sum(1 for r in rows if r[4])}")
if check:
    print(f"- the forec column at {fine_tunes[0]} epochs against the same pair in bench/runs/source-scenarios "
          f"(same code path, seed and trunk recipe): " + "; ".join(check))
PY
echo "wrote bench/results/source-head.md"
