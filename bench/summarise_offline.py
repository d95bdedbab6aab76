#!/usr/bin/env python3
"""Turns the JSON files of bench/offline-quality.sh into bench/results/offline-quality.md (or multi-source.md).

Arguments: run directory, total wall seconds (may be empty), parallel jobs, command, title, source description."""
import json
import os
import sys
from pathlib import Path

work, total, jobs, command = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
title = sys.argv[5] if len(sys.argv) > 5 else "Offline quality"
source_desc = sys.argv[6] if len(sys.argv) > 6 else "uk (for target uk: de)"
runs = {}
for f in sorted(work.glob("*.json")):
    if "-vs-" in f.name or f.name == "trunk":
        continue
    runs[f.stem] = json.loads(f.read_text())
tests = {m: json.loads((work / f"{m}.nmfpp-vs-nmf.json").read_text()) for m in runs}
forec_tests = {m: json.loads((work / f"{m}.forec-vs-nmfpp.json").read_text()) for m in runs
               if (work / f"{m}.forec-vs-nmfpp.json").exists()}
all_methods = ["pop", "gmf", "mlp", "nmf", "gmf++", "mlp++", "nmf++", "maml", "nmf-forec", "forec", "nmf++-ft", "ddtcdr",
               "ma-gmf", "ma-mlp", "ma-nmf", "nmf+nmf++-ft", "nmf+nmf"]
present = {r["method"] for run in runs.values() for r in run["results"]}
methods = [m for m in all_methods if all(any(r["method"] == m for r in run["results"]) for run in runs.values())]


def res(run, method, split="test"):
    for r in run["results"]:
        if r["method"] == method and r["split"] == split:
            return r
    return None


any_run = next(iter(runs.values()))
prov = any_run["provenance"]
out = []
out.append(f"# {title}\n")
out.append(f"- command: `{command}`")
commits = sorted({r["provenance"]["git_commit"] for r in runs.values()})
out.append(f"- commit of the training runs: `{', '.join(commits)}`")
summary_commit = os.popen("git rev-parse HEAD 2>/dev/null").read().strip() or "unknown"
out.append(f"- commit of the paired tests and this summary: `{summary_commit}`")
out.append(f"- date: {prov['date']}")
m = prov["machine"]
out.append(f"- machine: {m.get('cpu', '?')}, {m['cores']} cores, {m['os']}, {m['java']}; "
           f"{jobs} markets at a time, one training thread each")
hp = prov["hyper_parameters"]
out.append(f"- protocol: leave-one-out, users with < {hp['min_interactions']} interactions dropped, "
           f"{hp['eval_negatives']} sampled negatives (seed {prov['seed']}), ties pessimistic; "
           f"up to {hp['nmf']['epochs']} epochs (early stopping after {hp['nmf'].get('early_stopping_patience', 0)} "
           f"without improvement, 0 = off), batch {hp['nmf']['batch_size']}, "
           f"lr gmf {hp['gmf']['learning_rate']} / mlp,nmf {hp['nmf']['learning_rate']}, l2 {hp['nmf']['l2']}, "
           f"dimension {hp['nmf'].get('gmf_dim')}, tower {hp['nmf'].get('mlp_layers')}, "
           f"{hp['nmf'].get('negatives')} negatives per positive, item bias {hp['nmf'].get('item_bias')}")
tn = hp.get("training_negatives") or prov.get("training_negatives")
if tn:
    out.append(f"- training negatives: {tn}; evaluation negatives: {hp.get('evaluation_negatives', prov.get('evaluation_negatives', 'everything the user rated excluded'))}")
out.append(f"- source market(s): {source_desc}; ++ = equal sampling per step from target and sources")
if "maml" in hp:
    mm, fo = hp["maml"], hp["forec"]
    out.append(f"- MAML: {mm['shots']}-shot batches, fast lr {mm['fast_lr']}, meta lr {mm['meta_lr']}, {mm['order']}, "
               f"{mm['epochs']} epoch(s); FOREC: head {fo['head_widths']}, lr {fo['learning_rate']}, l2 {fo['l2']}, "
               f"batch {fo['batch_size']}, {fo['epochs']} epochs on the target only")
if (work / "notes.md").exists():  # what else ran, written by whoever ran the bench
    out += [f"- {line.strip()}" for line in (work / "notes.md").read_text().splitlines() if line.strip()]
if total:
    out.append(f"- total wall time: {total} s (markets in parallel)")
else:
    out.append("- total wall time: see the run s column (summary regenerated from earlier runs)")
out.append("")

out.append("## Test nDCG@10 (99 sampled negatives)\n")
paired = (work / "paired_method").read_text().strip() if (work / "paired_method").exists() else "nmf++"
out.append("| market | users | " + " | ".join(methods) + f" | {paired.upper()} vs NMF | 95% CI | p (t) | p (Wilcoxon) |")
out.append("|---" * (len(methods) + 6) + "|")
means = {k: [] for k in methods}
for mk, run in runs.items():
    row = [mk, str(res(run, "nmf")["users"])]
    for me in methods:
        v = res(run, me)["ndcg@10"]
        means[me].append(v)
        row.append(f"{v:.4f}")
    t = tests[mk]
    rel = 100 * t["mean_diff"] / t["mean_a"] if t["mean_a"] else float("nan")
    row += [f"{t['mean_diff']:+.4f} ({rel:+.1f}%)", f"[{t['ci95_low']:+.4f}, {t['ci95_high']:+.4f}]",
            f"{t['t_test_p']:.3g}", f"{t['wilcoxon_p']:.3g}"]
    out.append("| " + " | ".join(row) + " |")
out.append("| **mean** | | " + " | ".join(f"**{sum(v) / len(v):.4f}**" for v in means.values()) + " | | | | |")

if forec_tests and "forec" in methods:
    out.append("\n## FOREC: improvement over single-market NMF, and paired test against NMF++ (test nDCG@10)\n")
    out.append("| market | NMF | NMF++ | FOREC | FOREC vs NMF | FOREC - NMF++ | 95% CI | p (t) | p (Wilcoxon) |")
    out.append("|---" * 9 + "|")
    imps = []
    for mk, run in runs.items():
        t = forec_tests[mk]
        nmf, pp, fo = res(run, "nmf")["ndcg@10"], res(run, "nmf++")["ndcg@10"], res(run, "forec")["ndcg@10"]
        imp = 100 * (fo - nmf) / nmf
        imps.append(imp)
        out.append(f"| {mk} | {nmf:.4f} | {pp:.4f} | {fo:.4f} | {imp:+.1f}% | {t['mean_diff']:+.4f} | "
                   f"[{t['ci95_low']:+.4f}, {t['ci95_high']:+.4f}] | {t['t_test_p']:.3g} | {t['wilcoxon_p']:.3g} |")
    out.append(f"| **mean** | | | | **{sum(imps) / len(imps):+.1f}%** | | | | |")

pop_tests = {(mk, me): json.loads((work / f"{mk}.pop-vs-{me}.json").read_text())
             for mk in runs for me in methods if (work / f"{mk}.pop-vs-{me}.json").exists()}
if pop_tests:
    out.append("\n## Against popularity: each method minus POP, test nDCG@10, paired over users "
               "(*: t-test and Wilcoxon both p < 0.05)\n")
    others = [me for me in methods if me != "pop"]
    out.append("| market | " + " | ".join(others) + " |")
    out.append("|---" * (len(others) + 1) + "|")
    for mk in runs:
        cells = []
        for me in others:
            t = pop_tests.get((mk, me))
            if not t:
                cells.append("–")
                continue
            sig = t["t_test_p"] < 0.05 and t["wilcoxon_p"] < 0.05
            cells.append(f"{t['mean_diff']:+.4f}{'*' if sig else ''}")
        out.append(f"| {mk} | " + " | ".join(cells) + " |")

for title, key in [("Test HR@10 (99 sampled negatives)", "hr@10"),
                   ("Test nDCG@10 against all items (full ranking)", "full_ndcg@10"),
                   ("Test HR@10 against all items (full ranking)", "full_hr@10")]:
    out.append(f"\n## {title}\n")
    out.append("| market | " + " | ".join(methods) + " |")
    out.append("|---" * (len(methods) + 1) + "|")
    means = {k: [] for k in methods}
    for mk, run in runs.items():
        vals = [res(run, me)[key] for me in methods]
        for me, v in zip(methods, vals):
            means[me].append(v)
        out.append(f"| {mk} | " + " | ".join(f"{v:.4f}" for v in vals) + " |")
    out.append("| **mean** | " + " | ".join(f"**{sum(v) / len(v):.4f}**" for v in means.values()) + " |")

out.append("\n## Training cost (own stage only: NMF starts from GMF and MLP, MAML from NMF++, FOREC from MAML)\n")
out.append("Throughput is training samples/s, for MAML meta-steps/s (one meta-step = every market's adapt and"
           " evaluate K-shot batch, second order).\n")
out.append("| market | " + " | ".join(f"{me} s" for me in methods[1:]) + " | " +
           " | ".join(f"{me} /s" for me in methods[1:]) + " | run s |")
out.append("|---" * (2 * len(methods[1:]) + 2) + "|")
for mk, run in runs.items():
    secs = [res(run, me)["train_seconds"] for me in methods[1:]]
    sps = [res(run, me).get("meta_steps_per_second") or res(run, me)["samples_per_second"] for me in methods[1:]]
    out.append(f"| {mk} | " + " | ".join(f"{s:.1f}" for s in secs) + " | " +
               " | ".join(f"{s:,.0f}" for s in sps) + f" | {run['provenance']['total_seconds']:.0f} |")
out.append(f"\nRaw per-run JSON (with per-user ranks) is written to `bench/runs/{work.name}/` (not committed).")
print("\n".join(out))
