"""Writes bench/results/continual-value.md (and a plot per market) from bench/runs/continual-value: the
scores ContinualValue wrote (value.json) and each run's meta file. Usage: summarise_continual_value.py WORK COMMAND"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402

work, command = sys.argv[1:]
value = json.load(open(os.path.join(work, "value.json")))
results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
runs = [r for r in ("served", "frozen", "no-fast", "no-medium", "no-slow") if os.path.exists(os.path.join(work, r + ".meta"))]
COLOURS = {"served": "#1f77b4", "frozen": "#ff7f0e", "oracle": "#2ca02c", "popularity": "#7f7f7f",
           "no-fast": "#9467bd", "no-medium": "#8c564b", "no-slow": "#e377c2"}


def meta(run):
    commit, date, flags = open(os.path.join(work, run + ".meta")).read().split("\n")[:3]
    return commit, date, flags


def p(x):
    return f"{x:.2g}" if x < 0.001 else f"{x:.3f}"


def plot(market, m):
    slices = m["slices"]
    lines = [k for k in slices[0] if isinstance(slices[0][k], dict)]
    values = [s[l]["ndcg10"] for s in slices for l in lines]
    w, h, left, right, top, bottom = 640, 320, 60, 130, 35, 280
    lo, hi, y = svgplot.value_axis(values, top, bottom)
    out = svgplot.frame(w, h, f"{market}: prequential nDCG@10 per slice of event time", left, top, bottom, lo, hi, y,
                        grid_to=w - right)
    n = len(slices)
    x = lambda k: left + (w - right - left) * (k + 0.5) / n  # noqa: E731
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{w - right}" y2="{bottom}" stroke="black"/>')
    for k in (0, n // 2, n - 1):
        d = datetime.date.fromordinal(datetime.date(1970, 1, 1).toordinal() + slices[k]["from_day"])
        out.append(f'<text x="{x(k):.1f}" y="{bottom + 16}" text-anchor="middle">{d.isoformat()}</text>')
    for j, l in enumerate(lines):
        pts = " ".join(f"{x(k):.1f},{y(s[l]['ndcg10']):.1f}" for k, s in enumerate(slices))
        c = COLOURS.get(l, "black")
        out.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{w - right + 8}" y="{top + 14 + 16 * j}" fill="{c}">{l}</text>')
    out.append("</svg>")
    name = f"continual-value-{market}.svg"
    open(os.path.join(results, name), "w").write("\n".join(out) + "\n")
    return name


print("# Continual value while the stream runs\n")
print(f"- command: `{command}`")
for r in runs:
    commit, date, flags = meta(r)
    print(f"- run `{r}`: commit `{commit}`, {date}, driver flags `{flags.strip() or '(defaults)'}`")
print(f"- machine: {cpu}, {os.cpu_count()} cores, "
      f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; each run alone, nothing else on the machine")
print(f"- {value['slices']} slices of event time per market, of equal counts of interactions; "
      "a prequential interaction is a user's new test item, ranked against 99 evaluation negatives (the market's items "
      "seen so far minus the user's) before any model trained on it; every line ranks the same interaction against the "
      "same negatives")
print("- lines: **served** the model served when the interaction was read (all paths on); **frozen** the model of a run "
      "with every path off after a full first trunk (the first models of the markets' own, then the first trunk, nothing "
      "after); **oracle** the market's own NMF (the choice's baseline, offline defaults, early stopping) trained from "
      "scratch on the training split of every review of the market before the slice; **popularity** the market's counts "
      "before the slice; **no-fast / no-medium / no-slow** runs with that path off. A line with no model for a market yet "
      "ranks by popularity there (the answer a shop gets then), counted in the tables' 'without a model'\n")

notes = os.path.join(work, "notes.md")  # what the run showed, written by whoever ran it
if os.path.exists(notes):
    print(open(notes).read().rstrip() + "\n")

print("## Over the whole replay\n")
others = [l for l in ("frozen", "no-fast", "no-medium", "no-slow") if l in runs]
head = "| market | interactions | served | " + " | ".join(others + ["oracle", "popularity"]) + \
    " | served / oracle | p (t, Wilcoxon) | " + " | ".join(f"served / {o} | p (t, Wilcoxon)" for o in others) + " |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for market, m in value["markets"].items():
    if not m.get("interactions"):
        continue
    wh, pr = m["whole"], m["paired"]
    row = [market, f"{m['interactions']:,}", f"{wh['served']:.4f}"] + [f"{wh[o]:.4f}" for o in others] + \
        [f"{wh['oracle']:.4f}", f"{wh['popularity']:.4f}"]
    o = pr["served_vs_oracle"]
    row += [f"{o['ratio']:.3f}", f"{p(o['t_p'])}, {p(o['wilcoxon_p'])}"]
    for l in others:
        c = pr[f"served_vs_{l}"]
        row += [f"{c['ratio']:.3f}", f"{p(c['t_p'])}, {p(c['wilcoxon_p'])}"]
    print("| " + " | ".join(row) + " |")
print("\nMean prequential nDCG@10 of every interaction of the replay; ratios are served over the other line; "
      "p of the paired t-test and the Wilcoxon signed-rank test over interactions.\n")

print("## Per slice\n")
for market, m in value["markets"].items():
    if not m.get("interactions"):
        continue
    name = plot(market, m)
    print(f"### {market}\n\n![{market}]({name})\n")
    lines = [k for k in m["slices"][0] if isinstance(m["slices"][0][k], dict)]
    print("| slice from | interactions | oracle trained on | " + " | ".join(lines) + " | served without a model |")
    print("|" + "---|" * (len(lines) + 4))
    for s in m["slices"]:
        d = datetime.date.fromordinal(datetime.date(1970, 1, 1).toordinal() + s["from_day"]).isoformat()
        print(f"| {d} | {s['interactions']:,} | {s['oracle_train_interactions']:,} | "
              + " | ".join(f"{s[l]['ndcg10']:.4f}" for l in lines) + f" | {s['served']['without_model']:,} |")
    print()
