"""Rows and the summary of bench/scale.sh.

  summarise_scale.py system-row SCALE FILE.json   one row of scale-system.md from a ContinualCommand run
  summarise_scale.py report                       bench/results/scale.md (+ scale.svg) from the newest section
                                                  of each scale-<part>.md: every measured cost against the data
                                                  size, and its fitted exponent
"""
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svgplot  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
SOURCES = ["scale-holdouts.md", "scale-trunk.md", "scale-serving.md", "delta-apply.md", "scale-system.md"]


def updater_field(text, name):
    m = re.search(name + r"=([\d.NaE-]+)", text)
    return float(m.group(1)) if m else float("nan")


def system_row(scale, path):
    d = json.load(open(path))
    markets = d["markets"]
    events = d["events"]
    inter = sum(m["train_interactions"] for m in markets.values())
    worst = lambda key: max(m[key] for m in markets.values()) / 1000.0
    best = lambda key: min(m[key] for m in markets.values()) / 1000.0
    sent = sum(m["snapshot_bytes"] + m["delta_bytes"] for m in markets.values())
    whole = sum(m["whole_record_bytes_per_interaction"] * m["train_interactions"] for m in markets.values())
    cpu = d["cpu_seconds"]
    per_k = lambda part: cpu.get(part, 0.0) / events * 1000 if events else float("nan")
    lag = d.get("evaluator_lag", {})
    lag50 = max((v["lag_p50_s"] for v in lag.values()), default=float("nan"))
    lagmax = max((v["lag_max_s"] for v in lag.values()), default=float("nan"))
    u = d["updater"]
    print(f"| {scale}x | {events:,} | {d['replay_seconds']:.0f} | {events / d['replay_seconds']:,.0f} | {inter:,} "
          f"| {best('p50_steady_promotion_ms'):.2f}-{worst('p50_steady_promotion_ms'):.2f} / "
          f"{best('p99_steady_promotion_ms'):.2f}-{worst('p99_steady_promotion_ms'):.2f} "
          f"| {updater_field(u, 'visibleP50'):.2f} / {updater_field(u, 'visibleP99'):.2f} "
          f"| {updater_field(u, 'freshnessP50'):.2f} / {updater_field(u, 'freshnessP99'):.2f} "
          f"| {sent / inter:,.0f} ({whole / inter:,.0f}, {whole / max(sent, 1):.1f}x) "
          f"| {per_k('updater'):.2f} / {per_k('evaluator'):.2f} / {per_k('holdout job'):.2f} / {per_k('broker'):.2f} "
          f"| {d['trunks']} ({d['trunk_seconds']:.0f}) | {lag50:.1f} / {lagmax:.1f} "
          f"| {d['peak_heap_mb']:,.0f} / {d['peak_rss_mb']:,.0f} |")


def tables(name):
    """Rows of every table in results/<name>, oldest section first, as dicts by column header."""
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return []
    rows, header = [], None
    for line in open(path):
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(cells[0]) <= set("-"):
            rows.append(dict(zip(header, cells)))
    return rows


def number(text):
    m = re.match(r"^[^\d-]*(-?[\d,]*\.?\d+)", text or "")
    return float(m.group(1).replace(",", "")) if m else None


def newest_by_scale(rows, key, keep=lambda r: True):
    """Per scale (an 'x'-suffixed cell of column key), the newest row that keep accepts."""
    out = {}
    for r in rows:
        if key in r and keep(r):
            out[number(r[key])] = r
    return dict(sorted(out.items()))


def per(column, unit=1e6):
    """A row's cost per unit from a rate column (1e6: microseconds per event or sample); None where it has none."""
    return lambda r: unit / number(r[column]) if number(r.get(column)) else None


def fit(points):
    """Least-squares slope of log(cost) on log(scale): cost proportional to scale^k."""
    pts = [(math.log(x), math.log(y)) for x, y in points if y and y > 0]
    if len(pts) < 2:
        return float("nan")
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else float("nan")


# (part, results file, scale column, row filter, cost name, cost from a row, what bounds it)
CURVES = [
    ("holdout job", "scale-holdouts.md", "scale", lambda r: True,
     "us per event, steady (exactly once)", per("steady events/s"), "flat or falling: per-user state in a hash map, a checkpoint's cost amortised over more events; the 1x run is a few checkpoints long"),
    ("holdout job", "scale-holdouts.md", "scale", lambda r: True,
     "us per event, whole job", per("job events/s"), "start-up (mini-cluster, first checkpoint, 5-7 s) is fixed and amortised with the data"),
    ("holdout job", "scale-holdouts.md", "scale", lambda r: True,
     "peak RSS GiB", lambda r: number(r.get("peak RSS GiB")), "the JVM's heap as it grows under -Xmx16g (lazy collection), not the state: a bound, not a floor"),
    ("trunk", "scale-trunk.md", "scale", lambda r: r.get("table updates") == "lazy",
     "GMF++ us per sample", per("gmf++ samples/s"), "flat since ccad329: ~2 random table rows per sample (430 MB of tables and moments at 100x, far beyond the 32 MB L3), their misses overlapped by a read-ahead pass and huge pages, their update one vectorised loop (docs/design.md, lazy table updates); before, 0.333 -> 0.89 us"),
    ("trunk", "scale-trunk.md", "scale", lambda r: r.get("table updates") == "lazy",
     "MLP++ us per sample", per("mlp++ samples/s"), "flat: the dense layers dominate; the rows' misses overlap as in GMF++"),
    ("trunk", "scale-trunk.md", "scale", lambda r: r.get("table updates") == "lazy",
     "NMF++ us per sample", per("nmf++ samples/s"), "flat: as GMF++ and MLP++, four tables' rows per sample"),
    ("trunk", "scale-trunk.md", "scale", lambda r: r.get("table updates") == "lazy" and number(r.get("maml meta-steps/s")),
     "MAML ms per meta-step", per("maml meta-steps/s", 1e3), "flat: compact gradients of the touched rows only"),
    ("trunk", "scale-trunk.md", "scale", lambda r: r.get("table updates") == "lazy" and number(r.get("forec samples/s")),
     "fork us per sample", per("forec samples/s"), "flat: the tables are frozen, the head is dense"),
    ("serving", "scale-serving.md", "item scale", lambda r: number(r.get("recall@10 of candidates") or "0") >= 0.9,
     "top 10 ms with retrieval (one thread)", lambda r: number(r.get("with retrieval ms")), "exhaustive up to 20,000 items; above, one pass over the item table at dimension 16 (linear, ~20x cheaper than the network); an approximate index would make it sub-linear"),
    ("serving", "scale-serving.md", "item scale", lambda r: number(r.get("recall@10 of candidates") or "0") >= 0.9,
     "top 10 ms exhaustive (one thread)", lambda r: number(r.get("exhaustive ms")), "linear: the full network on every item"),
    ("serving", "scale-serving.md", "item scale", lambda r: number(r.get("recall@10 of candidates") or "0") >= 0.9,
     "HTTP p99 ms, 2 clients", lambda r: number(r.get("p99 ms")), "as retrieval, plus the HTTP exchange (~2 ms)"),
    ("serving", "scale-serving.md", "item scale", lambda r: number(r.get("recall@10 of candidates") or "0") >= 0.9,
     "model load s per MB", lambda r: number(r["load s"]) / number(r["model MB"]) if number(r.get("model MB")) else None, "falls: a fixed cost per load amortised; linear in the model's bytes from 10x on"),
    ("serving", "delta-apply.md", "scale", lambda r: True,
     "a reader's ms per delta, each alone", lambda r: number(r.get("ms per delta, each alone")), "copy-on-write copies every table a delta touches: linear in the model"),
    ("serving", "delta-apply.md", "scale", lambda r: True,
     "a reader's ms per delta, in one chain", lambda r: number(r.get("in one chain")), "each table copied once per chain; what remains grows with the vocabularies and catalogue copied once"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "freshness p99 s (worst market)", lambda r: number(r["freshness p50 / p99 s"].split("/")[1].split("-")[-1]), "at 10x the updater falls behind on 2 cores: 10x the events per second need about 4 cores of its work (scale-system.md); not a cost per event"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "updater CPU s per 1k events", lambda r: number(r["CPU s per 1k events: updater / evaluator / holdout job / broker"].split("/")[0]), "lower at 10x only because the backlog was not worked off by the run's end (scale-system.md); at 1x mostly the fast path's re-fits, a cost per interaction that does not grow"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "evaluator CPU s per 1k events", lambda r: number(r["CPU s per 1k events: updater / evaluator / holdout job / broker"].split("/")[1]), "lower at 10x for the same reason (2,056 versions published against 3,545 at 1x); a version's measurement covers at most a seeded sample of users"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "bytes on the wire per interaction", lambda r: number(r.get("bytes per interaction (whole records)")), "the 10x run published first models and their deltas only (no trunk finished): not comparable; at 1x a snapshot is 38-76 deltas' bytes by market"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "evaluator lag p50 s (worst market)", lambda r: number(r["evaluator lag p50 / max s"].split("/")[0]), "at 10x one market (mx, 15 samples) measured late; the others' p50 0.1-1.3 s"),
    ("system", "scale-system.md", "scale", lambda r: number(r.get("events")),
     "peak RSS MiB of the one JVM", lambda r: number(r["peak heap / RSS MiB"].split("/")[1]), "heap allowed 12 GiB; at 10x a backlog held in memory and 8.8 GB of heap"),
]


def report():
    lines, series = [], []
    scales = set()
    measured = []
    for part, name, key, keep, cost, value, flat in CURVES:
        by = newest_by_scale(tables(name), key, keep)
        pts = []
        for sc, r in by.items():
            try:
                v = value(r)
            except (KeyError, IndexError, TypeError, ZeroDivisionError):
                v = None
            if v is not None and sc:
                pts.append((sc, v))
                scales.add(sc)
        if pts:
            measured.append((part, name, cost, pts, flat))
    cols = sorted(scales)
    lines.append("| part | cost | " + " | ".join(f"{c:g}x" for c in cols) + " | k (cost ~ N^k) | what bounds it |")
    lines.append("|---|---|" + "---|" * len(cols) + "---|---|")
    for part, name, cost, pts, flat in measured:
        byc = dict(pts)
        cells = [(f"{byc[c]:,.3g}" if c in byc else "") for c in cols]
        k = fit(pts)
        lines.append(f"| {part} | {cost} | " + " | ".join(cells) + f" | {k:+.2f} | {flat} |")
        if len(pts) >= 2:
            series.append((f"{part}: {cost}", [(x, y / pts[0][1]) for x, y in pts]))
    return lines, series


def svg(series, path):
    w, h, left, top, bottom, right = 900, 520, 70, 40, 470, 330
    xs = sorted({x for _, pts in series for x, _ in pts})
    ys = [math.log10(y) for _, pts in series for _, y in pts if y > 0]
    lo, hi, Y = svgplot.value_axis(ys, top, bottom)
    out = svgplot.frame(w, h, "cost relative to the smallest scale (log10) against the data scale (log10)",
                        left, top, bottom, lo, hi, Y, fmt="{:+.2f}", grid_to=w - right)
    lx0, lx1 = math.log10(xs[0]), math.log10(xs[-1]) or 1
    X = lambda x: left + (w - right - left) * ((math.log10(x) - lx0) / ((lx1 - lx0) or 1))
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{w - right}" y2="{bottom}" stroke="black"/>')
    for x in xs:
        out.append(f'<text x="{X(x):.1f}" y="{bottom + 16}" text-anchor="middle">{x:g}x</text>')
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354"]
    for i, (label, pts) in enumerate(series):
        c = colours[i % len(colours)]
        path_d = " ".join(f"{'M' if j == 0 else 'L'}{X(x):.1f},{Y(math.log10(y)):.1f}" for j, (x, y) in enumerate(pts))
        out.append(f'<path d="{path_d}" fill="none" stroke="{c}" stroke-width="2"/>')
        out.append(f'<rect x="{w - right + 10}" y="{top + i * 16 - 9}" width="10" height="10" fill="{c}"/>')
        out.append(f'<text x="{w - right + 24}" y="{top + i * 16}" font-size="10">{label}</text>')
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "report":
        lines, series = report()
        print("# Cost curves: every part against the data size\n")
        print("Written by `bench/summarise_scale.py report` (run at the end of `bench/scale.sh`) from the newest row per "
              "scale of `scale-holdouts.md`, `scale-trunk.md` (lazy table updates), `scale-serving.md` (rows whose "
              "candidates' recall is at least 0.9), `delta-apply.md` and `scale-system.md`; each of those files says per "
              "section which command, commit, date and machine measured it. Scale N: the synthetic data of `xmrec synth "
              "--scale N` (1x is XMarket Electronics' shape, 132k reviews); for serving, the catalogue's item scale "
              "(the model's users and items for a reader's deltas). k: the "
              "least-squares slope of log(cost) on log(N), cost ~ N^k; a cost per unit of work with k = 0 grows "
              "linearly in total. `scale.svg`: every curve relative to its smallest scale, log-log.\n")
        machines = sorted({l.split("machine:", 1)[1].strip().split(";")[0]
                           for name in SOURCES for l in open(os.path.join(RESULTS, name))
                           if l.startswith("- machine:")})
        print("Machines of the runs these rows come from: " + "; ".join(machines) + ".\n")
        print("\n".join(lines))
        print()
        print("![cost curves](scale.svg)")
        if series:
            svg(series, os.path.join(RESULTS, "scale.svg"))
        sys.exit(0)
    elif sys.argv[1] == "system-row":
        system_row(sys.argv[2], sys.argv[3])
    else:
        sys.exit("summarise_scale.py: unknown mode " + sys.argv[1])
