#!/usr/bin/env python3
"""Compares the holdout job's final state (xmrec holdouts --dump) with the offline leave-one-out split of
the same files: per user, interactions by date (ties: file order), the last is the test item, the one
before it the validation item, the rest train. Prints one line: users compared, mismatches, and the
first few mismatches. Usage: offline_split_check.py DUMP.tsv DATA_DIR MARKET [MARKET ...]"""
import sys
from collections import defaultdict

dump, data, markets = sys.argv[1], sys.argv[2], sys.argv[3:]
want = {}
for m in markets:
    per = defaultdict(list)
    with open(f"{data}/{m}_5core.txt") as f:
        next(f)
        for n, line in enumerate(f):
            u, i, _, d = line.split()
            per[u].append((d, n, i))
    for u, xs in per.items():
        xs.sort()
        want[(m, u)] = (xs[-2][2] if len(xs) > 1 else "", xs[-1][2], max(0, len(xs) - 2))
got = {}
with open(dump) as f:
    next(f)
    for line in f:
        m, u, v, t, n = line.rstrip("\n").split("\t")
        got[(m, u)] = (v, t, int(n))
bad = [k for k in want if got.get(k) != want[k]] + [k for k in got if k not in want]
print(f"users {len(want)}, in the job's state {len(got)}, mismatches {len(bad)}"
      + (f": {[(k, want.get(k), got.get(k)) for k in bad[:3]]}" if bad else ""))
sys.exit(1 if bad else 0)
