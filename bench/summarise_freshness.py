#!/usr/bin/env python3
"""Prints one run's section of bench/results/freshness.md from its run directory (see bench/freshness.sh).
Arguments: run dir, intervals, commit, command."""
import datetime
import json
import os
import re
import sys
from pathlib import Path

work, intervals, commit, command = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3], sys.argv[4]


def load(p):
    try:
        return json.loads(Path(p).read_text())
    except (OSError, ValueError):
        return None


def sec(ms):
    return "–" if ms is None or ms < 0 else f"{ms / 1000:.2f}"


cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
notes = work / "notes.md"
started = datetime.datetime.fromtimestamp((work / "commit").stat().st_mtime, datetime.timezone.utc)
print(f"## Run {started.strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
print(f"- command: `{command}`")
print(f"- commit: `{commit}`")
print(f"- machine: {cpu}, {os.cpu_count()} cores" + ("" if notes.exists() else "; nothing else ran"))
if notes.exists():
    for line in notes.read_text().splitlines():
        if line.strip():
            print(f"- {line.strip()}")
print("- each interval: the holdout job alone on the files (`xmrec holdouts --embedded --checkpoint-interval S`, "
      "exactly-once, in-process broker, parallelism 2), then the whole embedded system (broker, holdout job "
      "checkpointing every S seconds, updater with every path, evaluator) replaying the markets at 10 days/s, "
      "the runs one after another in this order\n")

print("### What a checkpoint interval costs the holdout job\n")
print("| checkpoint interval s | job seconds | events/s | accounted for |")
print("|---|---|---|---|")
for c in intervals:
    if not (work / f"holdouts-{c}.out").exists():
        continue
    txt = (work / f"holdouts-{c}.out").read_text()
    job = re.search(r"holdout job: ([\d.]+)s", txt)
    acc = re.search(r"accounted for: ([\d,]+) of ([\d,]+)", txt)
    n = int(acc.group(2).replace(",", "")) if acc else 0
    rate = f"{n / float(job.group(1)):,.0f}" if job and n else "–"
    print(f"| {c} | {job.group(1) if job else 'failed'} | {rate} | {acc.group(0).split(': ')[1] if acc else '–'} |")
print()

print("### Freshness at 10 days/s, seven markets, slow path running\n")
print("Wall-clock seconds from an interaction's promotion to training (the holdout job's output) to the first served "
      "model (snapshot or delta, read by a client as a shop reads it) whose recorded `xmrec.train` offset covers it; "
      "steady state: interactions promoted after the market's first model. The updater's own count splits it: "
      "promotion -> read by the updater (the commit at the next checkpoint and the poll), promotion -> published.\n")
print("| checkpoint interval s | steady p50 / p99 over all markets | the market with the highest p50: steady p50 / p99 | updater: promotion -> read p50 / p99 | "
      "updater: promotion -> published p50 / p99 | trunks (s of training) |")
print("|---|---|---|---|---|---|")
per_market = {}
for c in intervals:
    r = load(work / f"continual-{c}.json")
    if not r:
        print(f"| {c} | no run | | | | |")
        continue
    st = dict(re.findall(r"(\w+)=([-+.\deE]+|NaN|true|false)\b", r.get("updater", "")))
    ms = r.get("markets", {})
    per_market[c] = ms
    # pooled percentiles are not recorded; the measured counts weight the markets' medians
    tot = sum(v.get("steady_measured", 0) for v in ms.values())
    p50 = sum(v["p50_steady_promotion_ms"] * v.get("steady_measured", 0) for v in ms.values()) / tot if tot else -1
    p99 = max((v["p99_steady_promotion_ms"] for v in ms.values()), default=-1)
    worst = max(ms.items(), key=lambda kv: kv[1]["p50_steady_promotion_ms"]) if ms else None
    print(f"| {c} | {sec(p50)} (weighted mean of the markets' p50) / {sec(p99)} (largest market p99) | "
          f"{worst[0]} {sec(worst[1]['p50_steady_promotion_ms'])} / {sec(worst[1]['p99_steady_promotion_ms'])} | "
          f"{float(st.get('visibleP50', 'nan')):.2f} / {float(st.get('visibleP99', 'nan')):.2f} | "
          f"{float(st.get('freshnessP50', 'nan')):.2f} / {float(st.get('freshnessP99', 'nan')):.2f} | "
          f"{r['trunks']} ({r['trunk_seconds']:.0f}) |")
print()
for c in intervals:
    r = load(work / f"continual-{c}.json")
    if not r:
        continue
    slow = {}
    for v in r.get("markets", {}).values():
        for w, n in v.get("slow_by_window", {}).items():
            slow[int(w)] = slow.get(int(w), 0) + n
    installs = {}
    log = (work / f"continual-{c}.log").read_text() if (work / f"continual-{c}.log").exists() else ""
    for at, trunk in re.findall(r"^\s*([\d.]+) updater: \w+ v\d+ from trunk v(\d+)", log, re.M):
        installs.setdefault(int(trunk), []).append(float(at))
    if slow or installs:
        print(f"Checkpoints every {c} s: steady interactions over 2.4 s by the 10-second window they were promoted in "
              "(seconds since the start, all markets): "
              + (", ".join(f"{w}-{w + 10} s: {n:,}" for w, n in sorted(slow.items())) or "none")
              + "; trunks' models published (installs) at "
              + (", ".join(f"v{t} {min(a):.0f}-{max(a):.0f} s" for t, a in sorted(installs.items())) or "none")
              + ".\n")
markets = sorted({m for ms in per_market.values() for m in ms})
if markets:
    print("Per market, steady p50 / p99 from promotion (seconds):\n")
    print("| checkpoint interval s | " + " | ".join(markets) + " |")
    print("|---|" + "---|" * len(markets))
    for c, ms in per_market.items():
        print(f"| {c} | " + " | ".join(
            f"{sec(ms[m]['p50_steady_promotion_ms'])} / {sec(ms[m]['p99_steady_promotion_ms'])}" if m in ms else "–"
            for m in markets) + " |")
    print()
for c in intervals:
    r = load(work / f"continual-{c}.json")
    st = dict(re.findall(r"(\w+)=([-+.\deE]+|NaN|true|false)\b", (r or {}).get("updater", "")))
    if "fastP50" in st:
        f = lambda k: f"{float(st[k]):.3f}"
        print(f"Checkpoints every {c} s, the updater's jobs (its counters at the end, the last 10,000 of each; "
              f"p50 / p99 seconds): waiting for a worker {f('queuedP50')} / {f('queuedP99')}, a fast-path job "
              f"{f('fastP50')} / {f('fastP99')}, an install {f('installP50')} / {f('installP99')}.\n")
