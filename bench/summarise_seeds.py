#!/usr/bin/env python3
"""Turns the runs of bench/seed-variance.sh into bench/results/seed-variance.md."""
import json
import os
import statistics
import sys
from pathlib import Path

work, markets, seeds, command = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split(), sys.argv[4]
methods = ["nmf", "nmf++", "maml", "nmf-forec", "forec"]


def res(run, method, split="test"):
    return next(r for r in run["results"] if r["method"] == method and r["split"] == split)


runs = {(m, s): json.loads((work / f"{m}-{s}.json").read_text()) for m in markets for s in seeds}
prov = next(iter(runs.values()))["provenance"]
out = ["# Seed variance: NMF, NMF++, MAML, NMF-FOREC, FOREC (source uk)\n",
       f"- command: `{command}`",
       f"- commit of the runs: `{', '.join(sorted({r['provenance']['git_commit'] for r in runs.values()}))}`",
       f"- commit of this summary: `{os.popen('git rev-parse HEAD').read().strip()}`",
       f"- dates: {min(r['provenance']['date'] for r in runs.values())} .. {max(r['provenance']['date'] for r in runs.values())}",
       f"- machine: {prov['machine'].get('cpu', '?')}, {prov['machine']['cores']} cores, {prov['machine']['java']}",
       f"- seeds: {' '.join(seeds)} (seed drives initialisation, training negatives, MAML batches and the evaluation negatives)\n",
       "## Test nDCG@10 (99 sampled negatives): mean ± standard deviation over seeds\n",
       "| market | " + " | ".join(methods) + " | FOREC vs NMF |",
       "|---" * (len(methods) + 2) + "|"]
for m in markets:
    cells = []
    means = {}
    for me in methods:
        v = [res(runs[(m, s)], me)["ndcg@10"] for s in seeds]
        means[me] = statistics.mean(v)
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        cells.append(f"{means[me]:.4f} ± {sd:.4f}")
    out.append(f"| {m} | " + " | ".join(cells) + f" | {100 * (means['forec'] - means['nmf']) / means['nmf']:+.1f}% |")
out += ["\n## FOREC against NMF++ per seed (paired over users, test nDCG@10)\n",
        "| market | seed | NMF++ | FOREC | FOREC - NMF++ | 95% CI | p (t) | p (Wilcoxon) |",
        "|---" * 8 + "|"]
for m in markets:
    for s in seeds:
        t = json.loads((work / f"{m}-{s}.forec-vs-nmfpp.json").read_text())
        out.append(f"| {m} | {s} | {t['mean_a']:.4f} | {t['mean_b']:.4f} | {t['mean_diff']:+.4f} | "
                   f"[{t['ci95_low']:+.4f}, {t['ci95_high']:+.4f}] | {t['t_test_p']:.3g} | {t['wilcoxon_p']:.3g} |")
print("\n".join(out))
