"""Plot frames shared by the bench summaries (imported by their embedded Python): an SVG with a
title, a value axis on the left with five labelled ticks, and a mapping from value to y."""


def value_axis(values, top, bottom):
    """The range of the values with 10% room either side, and the function from a value to its y."""
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or 0.01
    lo, hi = lo - pad, hi + pad
    return lo, hi, lambda v: top + (bottom - top) * (1 - (v - lo) / (hi - lo))


def frame(w, h, title, left, top, bottom, lo, hi, y, fmt="{:.3f}", grid_to=None):
    """The opening of the SVG: title, left axis line and five value ticks (with grid lines up to grid_to)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{fmt.format(v)}</text>')
        if grid_to is not None:
            out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{grid_to}" y2="{y(v):.1f}" stroke="#eee"/>')
    return out
