"""Weekly trends as SVG drawn on the server: no script, no library, no CDN. Every chart stands
beside the table it is drawn from (the page shows both), so the numbers are there for those who
prefer them or use a screen reader. Colours come from the site's stylesheet (``.chart .s1`` ...):
the content security policy allows no inline styles, and dark mode follows.

The drawing scales to its box (the viewBox is kept), so its size is chosen for the narrowest box
it is shown in: 400 units drawn in a phone's ~330 px keep 14-unit labels about 11.5 px high (a
640-unit drawing with 11-unit labels came out 5 px high there)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 400, 250
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 14, 46
CHAR_WIDTH = 8  # an average label character at the stylesheet's 14 units


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    css: str = "s1"  # s1..s3: the stylesheet's colours


def nice_max(value: float, *, whole: bool = False) -> float:
    """A round upper bound for the y axis (1, 2, 4 or 8 times a power of ten: its four grid steps
    are then round numbers too). ``whole``: a count, whose four steps must be whole numbers too
    (a bound of 10 would step by 2.5 questions: it becomes 12)."""
    if whole:
        top = max(4.0, nice_max(value))
        return float(math.ceil(top / 4) * 4)
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 4, 8, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _text(x: float, y: float, content: str, anchor: str = "start") -> str:
    return f'<text class="axis" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(content)}</text>'


def _tip(what: str) -> str:
    return f"<title>{escape(what)}</title>"


def chart(
    chart_id: str,
    title: str,
    labels: list[str],
    series: list[Series],
    *,
    unit: str = "",
    y_max: float | None = None,
    bars: bool = False,
    whole: bool = False,
    ticks: list[str] | None = None,
) -> Markup:
    """One chart: lines (or bars for a single series) over the weeks in ``labels`` (read in each
    point's tooltip; ``ticks``, shorter, under the axis when given). ``whole``: counts, with
    whole-number grid steps."""
    values = [v for s in series for v in s.values if v is not None]
    top = y_max if y_max is not None else nice_max(max(values, default=0.0), whole=whole)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    step = plot_w / n

    def x(i: int) -> float:
        return LEFT + step * (i + 0.5)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(v, top) / top)

    cid = escape(chart_id)
    out = [
        f'<svg class="chart" id="{cid}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{cid}-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title>',
    ]
    for k in range(5):
        v = top * k / 4
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>')
        out.append(_text(LEFT - 6, y(v) + 5, f"{_number(v)}{unit}", "end"))
    every = max(1, math.ceil(n / 5))
    out += [
        _text(x(i), HEIGHT - BOTTOM + 18, label, "middle")
        for i, label in enumerate(ticks or labels)
        if i % every == 0
    ]
    for s in series:
        if bars:
            width = step * 0.6
            for i, v in enumerate(s.values):
                if v is not None:
                    box = f'x="{x(i) - width / 2:.1f}" y="{y(v):.1f}" width="{width:.1f}" '
                    box += f'height="{TOP + plot_h - y(v):.1f}"'
                    out.append(
                        f'<rect class="{s.css}" {box}>{_tip(f"{labels[i]}: {_number(v)}{unit}")}</rect>'
                    )
            continue
        run: list[str] = []
        for i, v in enumerate([*s.values, None]):
            if v is None:
                if len(run) > 1:
                    out.append(f'<polyline class="{s.css}" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            tip = _tip(f"{s.name}, {labels[i]}: {_number(v)}{unit}")
            out.append(f'<circle class="{s.css}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3">{tip}</circle>')
    legend_x = LEFT
    for s in series:
        out.append(f'<rect class="{s.css} key" x="{legend_x}" y="{HEIGHT - 15}" width="12" height="12"/>')
        out.append(_text(legend_x + 16, HEIGHT - 4, s.name))
        legend_x += 16 + CHAR_WIDTH * len(s.name) + 16
    out.append("</svg>")
    return Markup("\n".join(out))
