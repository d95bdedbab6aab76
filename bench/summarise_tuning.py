#!/usr/bin/env python3
"""Summarises bench/tune.sh runs: validation nDCG@10 per variant and market (mean over seeds); the variant
with the best mean validation gets its test numbers too. Arguments: run dir, command, methods, markets, seeds."""
import json
import os
import sys
from pathlib import Path

work, command, methods, markets, seeds = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5].split()
tuned = [m for m in methods.split(",") if m != "pop"][-1]
variants = []
for line in (work / "variants.tsv").read_text().splitlines():
    if line.strip() and not line.startswith("#"):
        label, _, flags = line.partition("\t")
        variants.append((label, flags))


def value(label, market, seed, method, split):
    f = work / f"{label}.{market}.{seed}.json"
    if not f.exists():
        return None
    for r in json.loads(f.read_text())["results"]:
        if r["method"] == method and r["split"] == split:
            return r["ndcg@10"]
    return None


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def fmt(x):
    return "-" if x is None else f"{x:.4f}"


rows = []
for label, flags in variants:
    per = {m: mean([value(label, m, s, tuned, "valid") for s in seeds]) for m in markets}
    done = all(per[m] is not None for m in markets)
    rows.append((label, flags, per, mean(list(per.values())) if done else None))
best = max((r for r in rows if r[3] is not None), key=lambda r: r[3], default=None)
commit = os.popen("git rev-parse --short HEAD 2>/dev/null").read().strip()
print(f"# Tuning: {tuned} (validation only)\n")
print(f"- command: `{command}`")
print(f"- summarised at commit `{commit}`; seeds {', '.join(seeds)}; honest protocol (training negatives exclude only"
      " the user's training items); validation nDCG@10 against 99 sampled negatives, mean over the seeds")
print("- the choice is by mean validation nDCG@10 over the markets; test is shown for the chosen variant (and pop) only\n")
print("| variant | flags | " + " | ".join(markets) + " | mean |")
print("|---" * (len(markets) + 3) + "|")
for label, flags, per, m in rows:
    mark = " **(chosen)**" if best and label == best[0] else ""
    print(f"| {label}{mark} | `{flags}` | " + " | ".join(fmt(per[x]) for x in markets) + f" | {fmt(m)} |")
if best:
    print(f"\nTest nDCG@10 of the chosen variant `{best[0]}` (mean over seeds) against popularity:\n")
    print("| | " + " | ".join(markets) + " | mean |")
    print("|---" * (len(markets) + 2) + "|")
    t = {m: mean([value(best[0], m, s, tuned, "test") for s in seeds]) for m in markets}
    p = {m: mean([value(best[0], m, s, "pop", "test") for s in seeds]) for m in markets}
    print(f"| {tuned} ({best[0]}) | " + " | ".join(fmt(t[m]) for m in markets) + f" | {fmt(mean(list(t.values())))} |")
    if any(v is not None for v in p.values()):
        print("| pop | " + " | ".join(fmt(p[m]) for m in markets) + f" | {fmt(mean(list(p.values())))} |")
