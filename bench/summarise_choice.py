#!/usr/bin/env python3
"""Turns the runs of bench/choice.sh into bench/results/choice.md."""
import json
import math
import os
import statistics
import sys
from pathlib import Path

from scipy import stats

work, markets, seeds, command, wall = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split(), sys.argv[4], sys.argv[5]
PUBLISHED = {"in": 0.480, "jp": 0.221, "mx": 0.559}  # best published test nDCG@10 on these files (the issue's figures)
CANDIDATES = ["nmf", "gmf", "mlp", "nmf++", "gmf++", "mlp++", "nmf-forec", "forec", "nmf++-ft", "ma-gmf", "ma-mlp",
              "ma-nmf", "nmf+nmf++-ft", "nmf+nmf"]
TRANSFER = ["nmf++", "forec", "nmf++-ft", "ma-gmf", "ma-mlp", "ma-nmf", "nmf+nmf++-ft"]  # the cross-market methods
MEAN, CONTROL = "nmf+nmf++-ft", "nmf+nmf"  # the mean with the trunk's data, and the mean of two own NMFs


def ndcg(rank):
    return 1.0 / math.log2(rank + 1) if rank <= 10 else 0.0


def per_user(run, method, split="test"):
    p = next(x for x in run["per_user"] if x["method"] == method and x["split"] == split)
    return dict(zip(p["users"], (ndcg(r) for r in p["ranks"])))


def res(run, method, split="test"):
    return next(r for r in run["results"] if r["method"] == method and r["split"] == split)


def pooled(rs, a, b):
    """Each user's difference b - a averaged over the seeds, then paired t and Wilcoxon over the users."""
    diffs = {}
    for r in rs:
        ua, ub = per_user(r, a), per_user(r, b)
        for u in set(ua) & set(ub):
            diffs.setdefault(u, []).append(ub[u] - ua[u])
    d = [statistics.mean(v) for v in diffs.values()]
    if all(v == 0 for v in d):
        return statistics.mean(d), 1.0, 1.0
    return statistics.mean(d), stats.ttest_1samp(d, 0).pvalue, stats.wilcoxon([v for v in d if v != 0]).pvalue


def paired(run, a, b):
    ua, ub = per_user(run, a), per_user(run, b)
    users = sorted(set(ua) & set(ub))
    x = [ua[u] for u in users]
    y = [ub[u] for u in users]
    d = [q - p for p, q in zip(x, y)]
    if all(v == 0 for v in d):
        return statistics.mean(d), 1.0, 1.0
    return statistics.mean(d), stats.ttest_rel(y, x).pvalue, stats.wilcoxon(y, x).pvalue


runs = {(m, s): json.loads((work / f"{m}-{s}.json").read_text()) for m in markets for s in seeds
        if (work / f"{m}-{s}.json").exists()}
missing = [f"{m}-{s}" for m in markets for s in seeds if (m, s) not in runs]
prov = next(iter(runs.values()))["provenance"]
mach = prov["machine"]
out = ["# Per-market choice (`--method auto`) against the single-market NMF\n",
       f"- command: `{command}`",
       f"- commit of the runs: `{', '.join(sorted({r['provenance']['git_commit'] for r in runs.values()}))}`",
       f"- commit of this summary: `{os.popen('git rev-parse HEAD').read().strip()}`",
       f"- dates: {min(r['provenance']['date'] for r in runs.values())} .. {max(r['provenance']['date'] for r in runs.values())}",
       f"- machine: {mach.get('cpu', '?')}, {mach['cores']} cores, {mach['java']}; two runs at a time, nothing else ran",
       f"- wall time: {wall} s",
       "- each run: `xmrec offline --target M --source <the six others> --method auto --seed S --trunk-cache DIR` "
       "(the recipes' defaults: up to 50 epochs, early stopping after 4); auto keeps the single-market NMF unless "
       "a candidate's validation nDCG@10 is higher by more than the margin in standard errors of the paired "
       "per-user difference; test items are never looked at by the choice",
       "- test nDCG@10 against 99 sampled negatives; paired tests over the target's users, per seed"
       + (f"; missing runs: {', '.join(missing)}" if missing else ""),
       ""]
out += ["## What each market is served, per seed (validation nDCG@10 of the choice, difference to NMF ± se)\n",
        "| market | " + " | ".join(f"seed {s}" for s in seeds) + " |", "|---" * (len(seeds) + 1) + "|"]
for m in markets:
    cells = []
    for s in seeds:
        r = runs.get((m, s))
        if r is None:
            cells.append("-")
            continue
        c = r["choice"]
        ch = c["candidates"][c["method"]]
        cells.append(f"{c['method']} ({ch['valid_ndcg10']:.4f}, {ch['diff']:+.4f} ± {ch['se'] or 0:.4f})")
    out.append(f"| {m} | " + " | ".join(cells) + " |")

out += ["\n## Test nDCG@10: 3-seed mean of the served (auto) model against single-market NMF\n",
        "| market | users | nmf | forec | auto | auto vs nmf | per seed: auto - nmf (p t / p Wilcoxon) | "
        "significantly below nmf | significantly above nmf | seeds pooled: auto - nmf (p t / p Wilcoxon) | "
        "best candidate on test (oracle) |",
        "|---" * 11 + "|"]
above = below = pooled_above = 0
for m in markets:
    rs = [runs[(m, s)] for s in seeds if (m, s) in runs]
    if not rs:
        continue
    mean = {me: statistics.mean(res(r, me)["ndcg@10"] for r in rs) for me in ["nmf", "forec", "auto"]}
    cells, lo, hi = [], 0, 0
    for s in seeds:
        if (m, s) not in runs:
            continue
        d, pt, pw = paired(runs[(m, s)], "nmf", "auto")
        sig = pt < 0.05 and pw < 0.05
        lo += sig and d < 0
        hi += sig and d > 0
        cells.append(f"{d:+.4f} ({pt:.2g} / {pw:.2g})")
    oracle = {me: statistics.mean(res(r, me)["ndcg@10"] for r in rs) for me in CANDIDATES
              if all(any(x["method"] == me for x in r["results"]) for r in rs)}
    best = max(oracle, key=oracle.get)
    below += lo > 0
    above += hi == len(rs)
    pd, ppt, ppw = pooled(rs, "nmf", "auto")
    pooled_above += pd > 0 and ppt < 0.05 and ppw < 0.05
    out.append(f"| {m} | {res(rs[0], 'nmf')['users']} | {mean['nmf']:.4f} | {mean['forec']:.4f} | {mean['auto']:.4f} | "
               f"{100 * (mean['auto'] - mean['nmf']) / mean['nmf']:+.1f}% | {'; '.join(cells)} | "
               f"{lo} of {len(rs)} seeds | {hi} of {len(rs)} seeds | {pd:+.4f} ({ppt:.2g} / {ppw:.2g}) | "
               f"{best} {oracle[best]:.4f} |")
out.append(f"\nMarkets where auto is significantly below NMF (t and Wilcoxon p < 0.05) on some seed: {below}; "
           f"significantly above on every seed: {above} of {len(markets)}; significantly above with the seeds pooled "
           f"(each user's difference averaged over the seeds): {pooled_above} of {len(markets)}.")

out += ["\n## Against the best published numbers on these files (3-seed mean of auto)\n",
        "| market | published | auto | auto / published | target (x1.03) met |", "|---|---|---|---|---|"]
for m, p in PUBLISHED.items():
    rs = [runs[(m, s)] for s in seeds if (m, s) in runs]
    if not rs:
        continue
    a = statistics.mean(res(r, "auto")["ndcg@10"] for r in rs)
    out.append(f"| {m} | {p:.3f} | {a:.4f} | {a / p:.3f} | {'yes' if a >= 1.03 * p else 'no'} |")

out += ["\n## The cross-market candidates: NMF++, FOREC, NMF++ fine-tuned on the target, the market-aware models "
        "(Bhargav et al., ECIR 2023) (3-seed mean test nDCG@10)\n",
        "| market | nmf | " + " | ".join(TRANSFER) + " | nmf++-ft vs nmf (per seed: diff, p t / p Wilcoxon) "
        "| ma-nmf vs forec (per seed) |",
        "|---" * (len(TRANSFER) + 4) + "|"]
for m in markets:
    rs = [runs[(m, s)] for s in seeds if (m, s) in runs]
    if not rs or any(not all(any(x["method"] == t for x in r["results"]) for t in TRANSFER) for r in rs):
        continue
    mean = {me: statistics.mean(res(r, me)["ndcg@10"] for r in rs) for me in ["nmf"] + TRANSFER}
    cells, ft = [], []
    for s in seeds:
        if (m, s) in runs:
            d, pt, pw = paired(runs[(m, s)], "forec", "ma-nmf")
            cells.append(f"{d:+.4f} ({pt:.2g} / {pw:.2g})")
            d, pt, pw = paired(runs[(m, s)], "nmf", "nmf++-ft")
            ft.append(f"{d:+.4f} ({pt:.2g} / {pw:.2g})")
    out.append(f"| {m} | {mean['nmf']:.4f} | " + " | ".join(f"{mean[t]:.4f}" for t in TRANSFER) + " | "
               + "; ".join(ft) + " | " + "; ".join(cells) + " |")
cost = {}
for me in ["nmf++", "forec", "nmf++-ft", "ma-nmf"]:
    vals = [res(r, me)["pipeline_seconds"] for r in runs.values()
            if any(x["method"] == me for x in r["results"])]
    cost[me] = statistics.median(vals) if vals else float("nan")
out.append(f"\nPipeline seconds (median over runs; shared stages once per seed, on all seven markets): nmf++ {cost['nmf++']:.0f} s, "
           f"forec (gmf++, mlp++, nmf++, MAML, fork) {cost['forec']:.0f} s, nmf++-ft (the ++ chain, then the target) "
           f"{cost['nmf++-ft']:.0f} s, ma-nmf (ma-gmf, ma-mlp, ma-nmf) {cost['ma-nmf']:.0f} s.")

out += ["\n## Where the mean's gain comes from: the other markets' data, or averaging two models\n",
        f"`{CONTROL}` is the control: the market's own NMF averaged with the same recipe trained again from the seed + 1, "
        f"so it has everything `{MEAN}` has except the other markets' data. 3-seed mean test nDCG@10; paired tests per "
        "seed and with the seeds pooled.\n",
        f"| market | nmf | nmf++-ft | {CONTROL} | {MEAN} | {MEAN} vs nmf (pooled: diff, p t / p Wilcoxon) | "
        f"{CONTROL} vs nmf (pooled) | {MEAN} vs {CONTROL} (per seed) | {MEAN} vs {CONTROL} (pooled) |",
        "|---" * 9 + "|"]
for m in markets:
    rs = [runs[(m, s)] for s in seeds if (m, s) in runs]
    if not rs or any(not any(x["method"] == CONTROL for x in r["results"]) for r in rs):
        continue
    mean = {me: statistics.mean(res(r, me)["ndcg@10"] for r in rs) for me in ["nmf", "nmf++-ft", CONTROL, MEAN]}
    per = "; ".join("{:+.4f} ({:.2g} / {:.2g})".format(*paired(r, CONTROL, MEAN)) for r in rs)
    out.append(f"| {m} | {mean['nmf']:.4f} | {mean['nmf++-ft']:.4f} | {mean[CONTROL]:.4f} | {mean[MEAN]:.4f} | "
               + "{:+.4f} ({:.2g} / {:.2g})".format(*pooled(rs, "nmf", MEAN)) + " | "
               + "{:+.4f} ({:.2g} / {:.2g})".format(*pooled(rs, "nmf", CONTROL)) + f" | {per} | "
               + "{:+.4f} ({:.2g} / {:.2g})".format(*pooled(rs, CONTROL, MEAN)) + " |")
print("\n".join(out))

# the same runs under other margins: the choice is a function of the recorded validation figures, so
# what each margin would have served is read off them (test figures of the recipe it picks)
def pick(choice, margin):
    """Choice's rule: of the candidates whose lead passes the margin, the highest lower bound diff - margin * se."""
    best, best_bound = choice["baseline"], None
    for k, c in choice["candidates"].items():
        if k == choice["baseline"] or c["se"] is None:
            continue
        bound = c["diff"] - margin * c["se"]
        if bound > 0 and (best_bound is None or bound > best_bound):
            best, best_bound = k, bound
    return best


same = sum(pick(r["choice"], r["choice"]["margin_se"]) == r["choice"]["method"] for r in runs.values())
print(f"\nThe choice's rule of this summary's commit (among candidates that pass, the highest lower bound diff - margin x se) "
      f"picks the recorded choice on {same} of {len(runs)} runs.")

out = ["\n## Other margins, read off the same runs (3-seed mean test nDCG@10 of what each margin serves)\n",
       "| margin (se) | " + " | ".join(markets) + " | mean | markets significantly below nmf on some seed | "
       "choices other than nmf |", "|---" * (len(markets) + 4) + "|"]
for margin in (0.0, 0.5, 1.0, 1.5, 2.0):
    cells, below, switched, means = [], 0, 0, []
    for m in markets:
        rs = [runs[(m, s)] for s in seeds if (m, s) in runs]
        vals, lo = [], False
        for r in rs:
            me = pick(r["choice"], margin)
            switched += me != "nmf"
            vals.append(res(r, me)["ndcg@10"])
            if me != "nmf":
                d, pt, pw = paired(r, "nmf", me)
                lo |= d < 0 and pt < 0.05 and pw < 0.05
        below += lo
        cells.append(f"{statistics.mean(vals):.4f}")
        means.append(statistics.mean(vals))
    out.append(f"| {margin} | " + " | ".join(cells) + f" | {statistics.mean(means):.4f} | {below} | {switched} of {len(runs)} |")
print("\n".join(out))

