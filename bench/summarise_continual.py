#!/usr/bin/env python3
"""Writes bench/results/continual.md from bench/runs/continual (see bench/continual.sh).
Arguments: run dir, speeds, markets, commit, command[, the training flags both sides took]."""
import datetime
import json
import os
import re
import sys
from pathlib import Path

work, speeds, markets, commit, command = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split(), sys.argv[4], sys.argv[5]
train_flags = sys.argv[6] if len(sys.argv) > 6 else ""


def load(p):
    try:
        return json.loads(Path(p).read_text())
    except (OSError, ValueError):
        return None


def offline(m, method):
    r = load(work / "offline" / f"{m}.json")
    if not r:
        return None
    for x in r["results"]:
        if x["method"] == method and x["split"] == "test":
            return x["ndcg@10"]
    return None


def offline_choice(m):
    r = load(work / "offline" / f"{m}.json")
    return (r or {}).get("choice", {}).get("method")


def sec(ms):
    return "–" if ms is None or ms < 0 else f"{ms / 1000:.1f}"


cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Continual models against the batch model (embedded default)\n")
print(f"- command: `{command}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores" + ("" if (work / "notes.md").exists() else "; nothing else ran"))
print("- protocol: honest (training negatives exclude only the user's training items); the served model of each "
      "market at the end is scored on the offline split of the same files (users with at least 7 interactions), "
      "each held-out item against the same 99 evaluation negatives (seed 42) as `xmrec offline`; the paired tests "
      "are `xmrec compare` on those per-user ranks")
if (work / "notes.md").exists():  # what else ran, written by whoever ran the bench
    for line in (work / "notes.md").read_text().splitlines():
        if line.strip():
            print(f"- {line.strip()}")
print(f"- offline batch: `xmrec offline --target M --source <the other markets> --method pop,auto{' ' + train_flags if train_flags else ''}` "
      "(auto trains nmf, forec and the other candidates and chooses on validation) with one trunk of every market "
      "(`--trunk-cache`), the recipe and settings the updater uses"
      + (f" (the updater's trunks, forks included, with the same epochs and MAML cap: `{train_flags}`)" if train_flags else "") + "\n")

for s in speeds:
    r = load(work / f"continual-{s}.json")
    if not r:
        print(f"## Speed {s}: no run\n")
        continue
    label = "as fast as possible" if s == "max" else f"{s} days of event time per second"
    print(f"## Replay {label}\n")
    rate = r["events"] / r["replay_seconds"] if r["replay_seconds"] > 0 else 0
    print(f"- replay: {r['events']:,} events in {r['replay_seconds']:.1f} s ({rate:,.0f} events/s); "
          f"settled {'yes' if r['settled'] else 'NO (settle time ran out)'} {r['settle_seconds']:.0f} s after it; "
          f"{r['wall_seconds']:.0f} s in all")
    cov = r.get("all_covered_after_s", -1)
    print(f"- every training interaction of every market in a served model: "
          f"{'%.0f s after the start' % cov if cov and cov > 0 else 'not reached'}")
    cov = r.get("user_coverage", [])
    full = next((p["s"] for p in cov if all(v >= 1.0 for k, v in p.items() if k != "s") and len(p) > 1), None)
    print(f"- users with a training interaction that the served model knows: 100% in every market "
          f"{'%.0f s after the start' % full if full is not None else 'not reached'}"
          + ("" if not cov else "; over time: " + ", ".join(
              f"{p['s']:.0f} s {min(v for k, v in p.items() if k != 's'):.0%}" for p in cov[::max(1, len(cov) // 8)]
              if len(p) > 1) + " (the lowest market)"))
    fm = r.get("first_model", {})
    if fm:
        print("- a market's first model of its own, seconds from its first review to its first model being read "
              "(trunk version 0: a first model trained on the market alone; >0: the market waited for a trunk): "
              + ", ".join(f"{m} {v['seconds']:.0f} s (trunk v{v['trunk_version']})" for m, v in fm.items()))
    st = dict(re.findall(r"(\w+)=([-+.\deE]+|NaN|true|false)\b", r.get("updater", "")))
    if "freshnessP50" in st:
        vis = (f"; promotion to being read by the updater (the holdout job's commit and the poll) p50 {float(st['visibleP50']):.1f} s, "
               f"p99 {float(st['visibleP99']):.1f} s, the rest is the updater's own" if "visibleP50" in st else "")
        print(f"- the updater's own count over its last 10,000 interactions: promotion to a published model p50 "
              f"{float(st['freshnessP50']):.1f} s, p99 {float(st['freshnessP99']):.1f} s{vis}; "
              f"{st.get('rowDeltas', '?')} row deltas, {st.get('headDeltas', '?')} head deltas, {st.get('snapshots', '?')} snapshots, "
              f"{st.get('refused', '?')} heads refused by the guard")
    print(f"- trunks trained: {r['trunks']}, {r['trunk_seconds']:.1f} s of trunk training in all")
    for line in r.get("trunk_log", []):
        if " trained in " in line and "[" not in line:
            print(f"  - {line}")
    cpus = r.get("cpu_seconds", {})
    print("- CPU seconds per part (one JVM; threads grouped by name): "
          + ", ".join(f"{k} {v:.0f}" for k, v in cpus.items()))
    print(f"- peak heap {r['peak_heap_mb']:.0f} MB, peak RSS {r['peak_rss_mb']:.0f} MB (the whole JVM: broker, "
          "Flink, updater, evaluator)\n")
    has_auto = any(offline(m, "auto") is not None for m in markets)
    bases = ("auto", "forec", "nmf") if has_auto else ("forec", "nmf")
    print("| market | served recipe (live) | live test nDCG@10 | " + " | ".join(
        f"offline {b.upper() if b != 'auto' else 'choice'} | live / {b.upper() if b != 'auto' else 'choice'} | p (t, Wilcoxon)"
        for b in bases) + " | popularity | served version (trunk) |")
    print("|---" * (5 + 3 * len(bases)) + "|")
    ratios = []
    for m in markets:
        q = r.get("served", {}).get(m)
        if not q:
            print(f"| {m} | – |" + " |" * (3 + 3 * len(bases)))
            continue
        chosen = offline_choice(m)
        cells = [m, q.get("recipe", "?") + (f" (offline: {chosen})" if chosen else ""), f"{q['test_ndcg10']:.4f}"]
        for b in bases:
            off = offline(m, b)
            c = load(work / f"live-{s}" / f"{m}.vs-{b}.json")
            if off is None:
                cells += ["–", "–", "–"]
                continue
            ratio = q["test_ndcg10"] / off if off else float("nan")
            if b == bases[0]:
                ratios.append(ratio)
            p = f"{c['t_test_p']:.3g}, {c['wilcoxon_p']:.3g}" if c else "–"
            cells += [f"{off:.4f}", f"{ratio:.3f}", p]
        pop = offline(m, "pop")
        cells += ["–" if pop is None else f"{pop:.4f}", f"v{q['model_version']} (t{q['trunk_version']})"]
        print("| " + " | ".join(cells) + " |")
    if ratios:
        print(f"\nLive / offline {'choice' if has_auto else 'FOREC'}: min {min(ratios):.3f}, mean {sum(ratios) / len(ratios):.3f}.")
    print("\nFreshness, wall-clock seconds to the first served model (snapshot or delta) whose recorded `xmrec.train` "
          "offset covers the interaction: from its promotion to training (the holdout job's commit included) and from "
          "the review's publication (which includes waiting for the user's next two reviews: leave-one-out keeps the "
          "newest two out of training). Steady state: interactions promoted after the market's first model.\n")
    print("| market | interactions | p50 / p99 from promotion | steady p50 / p99 from promotion | steady p50 / p99 from "
          "publish | snapshots | deltas | bytes per interaction | if every version were a snapshot |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in markets:
        v = r["markets"].get(m)
        if not v:
            continue
        print(f"| {m} | {v['train_interactions']:,} | {sec(v['p50_from_promotion_ms'])} / {sec(v['p99_from_promotion_ms'])} | "
              f"{sec(v['p50_steady_promotion_ms'])} / {sec(v['p99_steady_promotion_ms'])} | "
              f"{sec(v['p50_steady_publish_ms'])} / {sec(v['p99_steady_publish_ms'])} | {v['snapshots']} | {v['deltas']} | "
              f"{v['bytes_per_interaction']:,.0f} | {v['whole_record_bytes_per_interaction']:,.0f} |")
    print()
