"""Charts drawn at build time as SVG: the world map and the pillar radars.

The overview's map and the radars of the country, compare and spotlight pages need no
chart library: they are part of the page's HTML, so they show with the text, on a phone,
without JavaScript and from disk. plotly.js (1.4 MB) loads only on the pages whose charts
need it. Styles (series colours, dashes, the colour bar) live in static/style.css, so
`scorecard.js` can restyle a series by setting one attribute (the compare page).

Every text that comes from the data is escaped here; numbers are formatted by the caller's
`fmt`, as in the tables next to each chart.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape

WORLD_MAP = Path(__file__).with_name("world_map.json")  # made by tools/world_map.py

# plotly's "Cividis" scale, the one the former plotly map used: sequential, perceptually
# uniform, readable with the common colour-vision deficiencies (stop, red, green, blue).
# tests/test_svg.py checks it against plotly's own definition.
CIVIDIS = [
    (0.0, (0, 32, 76)),
    (0.058824, (0, 42, 102)),
    (0.117647, (0, 52, 110)),
    (0.176471, (39, 63, 108)),
    (0.235294, (60, 74, 107)),
    (0.294118, (76, 85, 107)),
    (0.352941, (91, 95, 109)),
    (0.411765, (104, 106, 112)),
    (0.470588, (117, 117, 117)),
    (0.529412, (131, 129, 120)),
    (0.588235, (146, 140, 120)),
    (0.647059, (161, 152, 118)),
    (0.705882, (176, 165, 114)),
    (0.764706, (192, 177, 109)),
    (0.823529, (209, 191, 102)),
    (0.882353, (225, 204, 92)),
    (0.941176, (243, 219, 79)),
    (1.0, (255, 233, 69)),
]

SERIES = 5  # series styles in style.css (.series-0 ... .series-4): colour and dash pattern


@dataclass(frozen=True)
class MapArea:
    iso3: str
    name: str
    value: float  # 0-100
    label: str  # what the hover title says after the name, e.g. "Composite 62.1 · Rank 5"
    href: str = ""  # where a click on the country goes ("" for nowhere)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per axis, 0-100; None where there is no score
    key: str = ""  # identifies the series to scorecard.js (an ISO code on the compare page)


@cache
def world_shapes() -> tuple[int, int, dict[str, str]]:
    """(width, height, {ISO3: SVG path}) of the projected world map."""
    data = json.loads(WORLD_MAP.read_text(encoding="utf-8"))
    return data["width"], data["height"], data["shapes"]


def colour(value: float) -> str:
    """A score's colour on the map: Cividis, 0 -> dark blue, 100 -> yellow."""
    t = min(max(value / 100, 0.0), 1.0)
    for (start, low), (end, high) in itertools.pairwise(CIVIDIS):
        if t <= end:
            f = (t - start) / (end - start)
            rgb = (round(a + (b - a) * f) for a, b in zip(low, high, strict=True))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    raise AssertionError("unreachable: t is clamped to [0, 1]")


def world_map(areas: Sequence[MapArea], labelledby: str) -> Markup:
    """Countries coloured by score; the others grey. Areas without a shape are left out
    (the 1:110m map has no Singapore, for one): the table beside the map lists everyone."""
    width, height, shapes = world_shapes()
    scored = {a.iso3: a for a in areas}
    out = [
        f'<svg class="world-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(labelledby)}" preserveAspectRatio="xMidYMid meet">'
    ]
    for code, path in shapes.items():
        area = scored.get(code)
        if area is None:
            out.append(f'<path class="land" d="{path}"/>')
            continue
        href = f' data-href="{escape(area.href)}"' if area.href else ""
        out.append(
            f'<path d="{path}" fill="{colour(area.value)}" data-iso="{code}"{href}>'
            f"<title>{escape(area.name)}: {escape(area.label)}</title></path>"
        )
    out.append("</svg>")
    return Markup("".join(out))


# -- radar --------------------------------------------------------------------------------

WIDTH, HEIGHT = 500, 390  # the drawing, in units the page scales (style.css caps its width)
CX, CY = 250, 195  # the centre
RADIUS = 155  # room around it for the axis labels (and they may overflow the drawing)
RINGS = (25, 50, 75, 100)


def _point(axis: int, axes: int, value: float) -> tuple[float, float]:
    """Where `value` (0-100) lies on axis `axis`: the first axis points up, then clockwise."""
    angle = 2 * math.pi * axis / axes
    r = RADIUS * value / 100
    return CX + r * math.sin(angle), CY - r * math.cos(angle)


def _xy(point: tuple[float, float]) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"


def radar(
    axes: Sequence[str],
    series: Sequence[Series],
    labelledby: str,
    fmt: Callable[[float | None], str],
    slots: Sequence[int | None] | None = None,
) -> Markup:
    """Scores 0-100 on one axis per pillar; a series per country (or median).

    `slots`: each series' style (0-4, the first filled), in order by default; None hides a
    series until scorecard.js gives it a slot (the compare page draws every country).
    """
    n = len(axes)
    out = [
        f'<svg class="radar" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(labelledby)}">',
        '<g class="radar-grid">',
    ]
    for ring in RINGS:
        out.append(f'<circle cx="{CX}" cy="{CY}" r="{RADIUS * ring / 100:g}"/>')
    for i in range(n):
        x, y = _point(i, n, 100)
        out.append(f'<line x1="{CX}" y1="{CY}" x2="{x:.1f}" y2="{y:.1f}"/>')
    out.append("</g>")
    out.append('<g class="radar-ticks">')
    for ring in RINGS:
        x, y = _point(0, n, ring)
        out.append(f'<text x="{x + 4:.1f}" y="{y - 3:.1f}">{ring}</text>')
    out.append("</g>")
    out.append('<g class="radar-axes">')
    for i, name in enumerate(axes):
        x, y = _point(i, n, 100 + 12)
        dx = x - CX
        anchor = "middle" if abs(dx) < 1 else ("start" if dx > 0 else "end")
        dy = -4 if y < CY - 1 else (14 if y > CY + 1 else 5)
        out.append(
            f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}">{escape(name)}</text>'
        )
    out.append("</g>")
    chosen = list(range(len(series))) if slots is None else list(slots)
    for one, slot in zip(series, chosen, strict=True):
        out.append(_radar_series(axes, one, slot, fmt))
    out.append("</svg>")
    return Markup("".join(out))


def _radar_series(
    axes: Sequence[str], series: Series, slot: int | None, fmt: Callable[[float | None], str]
) -> str:
    n = len(axes)
    points = [None if v is None else _point(i, n, v) for i, v in enumerate(series.values)]
    key = f' data-key="{escape(series.key)}"' if series.key else ""
    style = "" if slot is None else f' data-slot="{slot % SERIES}"'
    parts = [f'<g class="radar-series"{style}{key}><title>{escape(series.name)}</title>']
    if all(p is not None for p in points):
        parts.append(f'<polygon points="{" ".join(_xy(p) for p in points)}"/>')  # type: ignore[arg-type]
    else:  # a pillar without a score breaks the outline there; nothing is filled
        for i, p in enumerate(points):
            q = points[(i + 1) % n]
            if p is not None and q is not None and n > 1:
                parts.append(f'<polyline points="{_xy(p)} {_xy(q)}"/>')
    for name, value, p in zip(axes, series.values, points, strict=True):
        if p is not None:
            parts.append(
                f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="3.5">'
                f"<title>{escape(series.name)}, {escape(name)}: {escape(fmt(value))}</title>"
                "</circle>"
            )
    parts.append("</g>")
    return "".join(parts)


def legend(series: Sequence[Series], slots: Sequence[int | None] | None = None) -> Markup:
    """The series' names with their line styles, in slot order (hidden without a slot)."""
    chosen = list(range(len(series))) if slots is None else list(slots)
    items = []
    for one, slot in zip(series, chosen, strict=True):
        style = "" if slot is None else f' data-slot="{slot % SERIES}"'
        key = f' data-key="{escape(one.key)}"' if one.key else ""
        items.append(
            f"<li{style}{key}>"
            '<svg class="legend-key" viewBox="0 0 32 10" aria-hidden="true">'
            '<line x1="1" y1="5" x2="31" y2="5"/><circle cx="16" cy="5" r="3.5"/></svg>'
            f"{escape(one.name)}</li>"
        )
    return Markup(f'<ul class="chart-legend">{"".join(items)}</ul>')


def map_legend(title: str, not_covered: str) -> Markup:
    """The map's colour scale, 0 to 100 (its gradient is in style.css), and the grey."""
    ticks = "".join(f"<span>{tick}</span>" for tick in RINGS_WITH_ZERO)
    return Markup(
        '<div class="map-legend">'
        f'<span class="map-legend-title">{escape(title)}</span>'
        f'<span class="colour-scale"><span class="colour-bar"></span>'
        f'<span class="colour-ticks">{ticks}</span></span>'
        f'<span class="legend-item"><span class="swatch-land"></span>{escape(not_covered)}</span>'
        "</div>"
    )


RINGS_WITH_ZERO = (0, *RINGS)
