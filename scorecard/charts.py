"""Plotly figures as plain dicts (serialised once; ~100x cheaper than plotly.graph_objects).

Tests validate every figure against plotly's own schema. Titles, source lines and text
alternatives are part of the page around each chart, not of the figure, so that they
are readable without JavaScript and translatable with the templates.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

Figure = dict[str, Any]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
MAP_SCALE = "Cividis"  # sequential, perceptually uniform, colour-blind safe
FONT = {
    "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "size": 13,
    "color": "#1f2328",
}
TRANSPARENT = "rgba(0,0,0,0)"


def text(value: str) -> str:
    """Contributor text placed in a figure: plotly reads a little HTML, so escape it."""
    return html.escape(value, quote=False)


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": FONT,
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def world_map(
    locations: Sequence[str],
    values: Sequence[float],
    names: Sequence[str],
    ranks: Sequence[int | None],
    value_label: str,
    rank_label: str,
) -> Figure:
    """Choropleth of scores 0–100 by ISO-3 code."""
    return {
        "data": [
            {
                "type": "choropleth",
                "locationmode": "ISO-3",
                "locations": list(locations),
                "z": [round(v, 2) for v in values],
                "zmin": 0,
                "zmax": 100,
                "text": [text(n) for n in names],
                "customdata": [[r] for r in ranks],
                "hovertemplate": (
                    f"<b>%{{text}}</b><br>{text(value_label)} %{{z:.1f}}"
                    f"<br>{text(rank_label)} %{{customdata[0]}}<extra></extra>"
                ),
                "colorscale": MAP_SCALE,
                "marker": {"line": {"color": "#ffffff", "width": 0.5}},
                "colorbar": {"thickness": 12, "len": 0.8, "title": {"text": text(value_label)}},
            }
        ],
        "layout": _layout(
            height=420,
            geo={
                "fitbounds": False,
                "projection": {"type": "natural earth"},
                "showframe": False,
                "showcoastlines": False,
                "showland": True,
                "landcolor": "#e8e8e8",
                "showcountries": True,
                "countrycolor": "#ffffff",
                "bgcolor": TRANSPARENT,
                "lataxis": {"range": [-58, 85]},
            },
        ),
    }


def ranking_bars(
    names: Sequence[str], values: Sequence[float], highlight: str | None, value_label: str
) -> Figure:
    """Horizontal bars, best at the top."""
    colours = [COLOURS[1] if n == highlight else COLOURS[0] for n in names]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [text(n) for n in names],
                "x": [round(v, 2) for v in values],
                "marker": {"color": colours},
                "hovertemplate": f"%{{y}}: %{{x:.1f}}<extra>{text(value_label)}</extra>",
            }
        ],
        "layout": _layout(
            height=max(240, 22 * len(names) + 60),
            margin={"l": 150, "r": 16, "t": 8, "b": 40},
            xaxis={
                "range": [0, 100],
                "title": {"text": text(value_label)},
                "fixedrange": True,
                "gridcolor": "#d0d7de",
            },
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
            bargap=0.25,
        ),
    }


def distributions(
    indicators: Sequence[str], points: Sequence[Sequence[tuple[str, float, str]]], value_label: str
) -> Figure:
    """One row per indicator; a dot per country at its score (strip plot)."""
    traces = []
    for index, (name, row) in enumerate(zip(indicators, points, strict=True)):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": text(name),
                "x": [round(score, 2) for _, score, _ in row],
                "y": [text(name)] * len(row),
                "text": [text(country) for country, _, _ in row],
                "customdata": [[text(raw)] for _, _, raw in row],
                "marker": {
                    "size": 9,
                    "opacity": 0.6,
                    "color": COLOURS[index % len(COLOURS)],
                    "line": {"width": 0.5, "color": "#ffffff"},
                },
                "hovertemplate": "<b>%{text}</b><br>%{customdata[0]}<br>"
                + text(value_label)
                + " %{x:.1f}<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            height=max(200, 64 * len(indicators) + 60),
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
            xaxis={
                "range": [-3, 103],
                "title": {"text": text(value_label)},
                "fixedrange": True,
                "gridcolor": "#d0d7de",
                "zeroline": False,
            },
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
            hovermode="closest",
        ),
    }


def rank_intervals(
    names: Sequence[str],
    medians: Sequence[int],
    lows: Sequence[int],
    highs: Sequence[int],
    rank_label: str,
) -> Figure:
    """Median rank with its 5th–95th percentile interval, one row per country."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "y": [text(n) for n in names],
                "x": list(medians),
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [h - m for h, m in zip(highs, medians, strict=True)],
                    "arrayminus": [m - lo for m, lo in zip(medians, lows, strict=True)],
                    "color": COLOURS[0],
                    "thickness": 2,
                    "width": 3,
                },
                "customdata": [[lo, hi] for lo, hi in zip(lows, highs, strict=True)],
                "marker": {"color": COLOURS[1], "size": 7, "symbol": "diamond"},
                "hovertemplate": (
                    "<b>%{y}</b><br>"
                    + text(rank_label)
                    + " %{x} (%{customdata[0]}–%{customdata[1]})<extra></extra>"
                ),
            }
        ],
        "layout": _layout(
            height=max(240, 20 * len(names) + 60),
            margin={"l": 150, "r": 16, "t": 8, "b": 40},
            xaxis={
                "title": {"text": text(rank_label)},
                "range": [0.5, len(names) + 0.5],
                "fixedrange": True,
                "gridcolor": "#d0d7de",
                "dtick": 5,
                "tick0": 1,
            },
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }


def to_json(figure: Figure) -> str:
    """Compact, deterministic JSON, safe inside a <script type="application/json">."""
    return script_json(figure)


def script_json(data: Any) -> str:
    """JSON that cannot close its <script> element or open a comment."""
    raw = json.dumps(
        data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    )
    return (
        raw.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def timeline(tracks: Sequence[str], events: Sequence[tuple[str, str, str, str]]) -> Figure:
    """Events as dots on a date axis, one row per track: (date, track name, title, source)."""
    traces = []
    for index, track in enumerate(tracks):
        rows = [e for e in events if e[1] == track]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": text(track),
                "x": [date for date, _, _, _ in rows],
                "y": [text(track)] * len(rows),
                "text": [text(title) for _, _, title, _ in rows],
                "customdata": [[text(source)] for _, _, _, source in rows],
                "marker": {
                    "size": 13,
                    "color": COLOURS[index % len(COLOURS)],
                    "symbol": ["circle", "square", "diamond", "triangle-up"][index % 4],
                    "line": {"width": 1, "color": "#ffffff"},
                },
                "hovertemplate": (
                    "<b>%{text}</b><br>%{x|%Y-%m-%d}<br>%{customdata[0]}<extra></extra>"
                ),
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            height=max(220, 70 * len(tracks) + 80),
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
            xaxis={"type": "date", "gridcolor": "#d0d7de", "fixedrange": False},
            yaxis={"automargin": True, "fixedrange": True, "autorange": "reversed"},
            hovermode="closest",
        ),
    }


def targets(rows: Sequence[tuple[str, float, str]], unit: str) -> Figure:
    """Horizontal bars: targets and the measured figures set against them: (label, value, kind)."""
    colours = {"target": COLOURS[1], "measure": COLOURS[0]}
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [text(label) for label, _, _ in rows],
                "x": [value for _, value, _ in rows],
                "marker": {"color": [colours[kind] for _, _, kind in rows]},
                "hovertemplate": "%{y}: %{x:,}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(200, 48 * len(rows) + 70),
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
            xaxis={
                "title": {"text": text(unit)},
                "gridcolor": "#d0d7de",
                "fixedrange": True,
                "separatethousands": True,
            },
            yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        ),
    }


def rank_agreement(
    series: Sequence[tuple[str, Sequence[tuple[str, int, int]]]], ours_label: str, theirs_label: str
) -> Figure:
    """Our rank against another index's, one trace per index: (index, [(country, theirs, ours)])."""
    size = max((max(t, o) for _, rows in series for _, t, o in rows), default=1)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": [1, size],
            "y": [1, size],
            "line": {"color": "#8c959f", "dash": "dot", "width": 1},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    for index, (name, rows) in enumerate(series):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": text(name),
                "x": [theirs for _, theirs, _ in rows],
                "y": [ours for _, _, ours in rows],
                "text": [text(country) for country, _, _ in rows],
                "marker": {
                    "size": 8,
                    "opacity": 0.75,
                    "color": COLOURS[index % len(COLOURS)],
                    "symbol": ["circle", "square", "diamond", "triangle-up", "x", "cross", "star"][
                        index % 7
                    ],
                },
                "hovertemplate": (
                    "<b>%{text}</b><br>"
                    + text(theirs_label)
                    + " %{x}, "
                    + text(ours_label)
                    + " %{y}<extra>%{fullData.name}</extra>"
                ),
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            height=520,
            showlegend=True,
            legend={"orientation": "h", "y": -0.15, "x": 0, "xanchor": "left"},
            margin={"l": 56, "r": 16, "t": 8, "b": 24},
            xaxis={
                "title": {"text": text(theirs_label)},
                "range": [size + 1, 0],
                "gridcolor": "#d0d7de",
                "fixedrange": True,
            },
            yaxis={
                "title": {"text": text(ours_label)},
                "range": [size + 1, 0],
                "gridcolor": "#d0d7de",
                "fixedrange": True,
            },
        ),
    }
