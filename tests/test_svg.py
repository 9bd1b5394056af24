"""Charts drawn at build time (scorecard/svg.py): geometry, colours, escaping, pages."""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import plotly.colors
import pytest

from scorecard import pipeline, svg
from scorecard.config import Config
from scorecard.site import fmt_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import world_map  # noqa: E402  (tools/world_map.py)

HOSTILE = "<script>alert(1)</script> & \"quoted\" 'name'"


# -- the map's geometry -------------------------------------------------------------------


def test_the_projected_map_is_up_to_date_with_the_vendored_topology() -> None:
    committed = (ROOT / "scorecard" / "world_map.json").read_text(encoding="utf-8")
    assert world_map.render() == committed, "run python tools/world_map.py"


def test_natural_earth_projection_by_hand() -> None:
    assert world_map.natural_earth(0.0, 0.0) == (0.0, 0.0)
    x, y = world_map.natural_earth(180.0, 0.0)
    assert x == pytest.approx(math.pi * 0.8707) and y == 0.0
    # at 45° N: φ = π/4, the polynomial of Šavrič et al. evaluated term by term
    phi = math.pi / 4
    lam = math.pi / 2  # 90° E
    expected_x = lam * (
        0.8707 - 0.131979 * phi**2 - 0.013791 * phi**4 + 0.003971 * phi**10 - 0.001529 * phi**12
    )
    expected_y = phi * (
        1.007226 + 0.015085 * phi**2 - 0.044475 * phi**6 + 0.028874 * phi**8 - 0.005916 * phi**10
    )
    assert world_map.natural_earth(90.0, 45.0) == pytest.approx((expected_x, expected_y))


def test_a_ring_across_the_antimeridian_becomes_one_ring_per_side() -> None:
    ring = [
        (170.0, 60.0),
        (180.0, 60.0),
        (-180.0, 62.0),
        (-170.0, 62.0),
        (-180.0, 64.0),
        (180.0, 64.0),
        (170.0, 64.0),
        (170.0, 60.0),
    ]
    east, west = world_map.split_at_antimeridian(ring)
    assert east == [(-180.0, 62.0), (-170.0, 62.0), (-180.0, 64.0)]
    assert west == [(180.0, 64.0), (170.0, 64.0), (170.0, 60.0), (170.0, 60.0), (180.0, 60.0)]
    plain = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]
    assert world_map.split_at_antimeridian(plain) == [plain]


def test_the_map_has_the_countries_and_no_line_across_it() -> None:
    width, height, shapes = svg.world_shapes()
    assert (width, height) == (10000, 4395)
    assert {"KOR", "USA", "RUS", "FJI", "FRA"} <= shapes.keys()
    assert "ATA" not in shapes  # below the map's edge
    for code, path in shapes.items():
        x = y = 0
        for command, dx, dy, rest in re.findall(r"([ml])(-?\d+) (-?\d+)((?: -?\d+ -?\d+)*)", path):
            steps = [(int(dx), int(dy))]
            numbers = [int(n) for n in rest.split()]
            steps += list(zip(numbers[::2], numbers[1::2], strict=True))
            if command == "m":
                x, y = x + steps[0][0], y + steps[0][1]
                start = (x, y)
                steps = steps[1:]
            for sx, sy in steps:
                assert abs(sx) < width / 2, f"{code}: a segment crosses half the map"
                x, y = x + sx, y + sy
                assert -1 <= x <= width + 1, code
            x, y = start  # "z" returns to the ring's start


# -- colours ------------------------------------------------------------------------------


def test_the_colour_scale_is_plotlys_cividis_in_code_and_in_the_stylesheet() -> None:
    expected = [
        (stop, tuple(int(c) for c in re.findall(r"\d+", colour)))
        for stop, colour in plotly.colors.PLOTLY_SCALES["Cividis"]
    ]
    assert expected == svg.CIVIDIS
    css = (ROOT / "static" / "style.css").read_text(encoding="utf-8")
    gradient = re.search(r"\.colour-bar \{.*?linear-gradient\(to right, (.*?)\);", css, re.S)
    assert gradient is not None
    stops = re.findall(r"rgb\((\d+),(\d+),(\d+)\) ([\d.]+)%", gradient.group(1))
    assert [(float(p) / 100, (int(r), int(g), int(b))) for r, g, b, p in stops] == [
        (pytest.approx(stop, abs=5e-5), rgb) for stop, rgb in expected
    ]


def test_colour_interpolates_between_stops() -> None:
    assert svg.colour(0) == "#00204c"  # rgb(0, 32, 76)
    assert svg.colour(100) == "#ffe945"  # rgb(255, 233, 69)
    assert svg.colour(-5) == svg.colour(0) and svg.colour(120) == svg.colour(100)
    # 25 is a quarter of the way from stop 0.235294 (60,74,107) to 0.294118 (76,85,107):
    # 60 + 16/4 = 64, 74 + 11/4 = 76.75 -> 77, 107
    assert svg.colour(25) == "#404d6b"


# -- drawings -----------------------------------------------------------------------------


def test_world_map_colours_scored_countries_and_escapes_their_names() -> None:
    areas = [
        svg.MapArea("KOR", HOSTILE, 100.0, "Composite 100.0 · Rank 1", "countries/KOR/index.html"),
        svg.MapArea("SGP", "Singapore", 50.0, "Composite 50.0 · Rank 2"),  # no shape at 1:110m
    ]
    drawing = str(svg.world_map(areas, "map-title"))
    korea = re.search(
        r'<path d="[^"]+" fill="([^"]+)" data-iso="KOR" data-href="([^"]+)">'
        r"<title>(.*?)</title></path>",
        drawing,
    )
    assert korea is not None
    assert korea.groups() == (
        "#ffe945",
        "countries/KOR/index.html",
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34; &#39;name&#39;: "
        "Composite 100.0 · Rank 1",
    )
    assert "SGP" not in drawing and "<script>" not in drawing
    _, _, shapes = svg.world_shapes()
    assert drawing.count('class="land"') == len(shapes) - 1
    assert 'aria-labelledby="map-title"' in drawing


def test_radar_points_by_hand() -> None:
    drawing = str(
        svg.radar(["A", "B", "C", "D", "E"], [svg.Series("X", [100, 50, 0, 0, 0])], "t", fmt_score)
    )
    # axis 0 points up: (250, 195 - 155); axis 1 is 72° clockwise: 77.5 * (sin 72°, -cos 72°)
    polygon = re.search(r'<polygon points="([^"]+)"/>', drawing)
    assert polygon is not None
    assert polygon.group(1).split() == [
        "250.0,40.0",
        "323.7,171.1",
        "250.0,195.0",
        "250.0,195.0",
        "250.0,195.0",
    ]
    assert '<g class="radar-series" data-slot="0"><title>X</title>' in drawing
    assert "<title>X, B: 50.0</title>" in drawing
    assert drawing.count("<circle") == 4 + 5  # four rings, five points


def test_a_pillar_without_score_breaks_the_outline_and_nothing_is_filled() -> None:
    drawing = str(
        svg.radar(list("ABCDE"), [svg.Series("X", [50, None, 50, 50, 50])], "t", fmt_score)
    )
    assert "<polygon" not in drawing
    # the sides touching B are not drawn: C-D, D-E, E-A remain
    assert drawing.count("<polyline") == 3
    assert "<title>X, B:" not in drawing


def test_series_without_a_slot_are_drawn_hidden_and_keyed_for_the_script() -> None:
    series = [svg.Series(HOSTILE, [10, 20, 30], key="KOR"), svg.Series("Y", [1, 2, 3], key="JPN")]
    drawing = str(svg.radar(["a", "b", "c"], series, "t", fmt_score, [None, 3]))
    assert '<g class="radar-series" data-key="KOR"><title>&lt;script&gt;' in drawing
    assert '<g class="radar-series" data-slot="3" data-key="JPN">' in drawing
    legend = str(svg.legend(series, [None, 3]))
    assert '<li data-key="KOR">' in legend and '<li data-slot="3" data-key="JPN">' in legend
    assert "<script>" not in legend


# -- the built site -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("svg") / "site"
    pipeline.build(pipeline.Paths.for_project(ROOT, out=out), Config())
    return out


def test_overview_map_shows_every_ranked_country_that_has_a_shape(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    drawn = set(re.findall(r'data-iso="([A-Z]{3})" data-href="countries/\1/index.html"', html))
    countries = {p.stem for p in (ROOT / "indicators" / "countries").glob("[A-Z]*.yaml")}
    _, _, shapes = svg.world_shapes()
    assert drawn == countries & shapes.keys()
    assert "plotly" not in html and "world_110m" not in html


def test_country_radar_has_the_country_the_median_and_the_leader(site: Path) -> None:
    html = (site / "countries" / "KOR" / "index.html").read_text(encoding="utf-8")
    slots = re.findall(r'<g class="radar-series" data-slot="(\d)"><title>([^<]+)</title>', html)
    assert slots == [("0", "South Korea"), ("1", "Median country"), ("2", "Leader: United States")]
    assert "plotly" not in html


def test_compare_radar_draws_every_country_and_shows_the_default_three(site: Path) -> None:
    html = (site / "compare" / "index.html").read_text(encoding="utf-8")
    keys = re.findall(r'<g class="radar-series"(?: data-slot="(\d)")? data-key="([A-Z]{3})"', html)
    assert len(keys) == 41
    assert sorted((slot, key) for slot, key in keys if slot) == [
        ("0", "KOR"),
        ("1", "JPN"),
        ("2", "FRA"),
    ]
    assert "plotly" not in html
