#!/usr/bin/env python3
"""Project the vendored world map once, for the SVG maps the build draws.

    python tools/world_map.py            # writes scorecard/world_map.json
    python tools/world_map.py --check    # exit 1 if that file is out of date

Reads the 1:110m country shapes shipped with plotly.js (`static/vendor/world_110m.js`, a
TopoJSON topology; provenance in static/vendor/LICENSES.md), projects them with the Natural
Earth projection (Šavrič, Patterson and Jenny's polynomial, "The Natural Earth II world map
projection", International Journal of Cartography, 2015; the same projection plotly's
"natural earth" uses), keeps latitudes 58° S to 85° N as the former plotly map did, and
writes one SVG path per ISO 3166-1 alpha-3 code. The build only reads the result
(scorecard/svg.py); projecting ~19,000 points on every build would cost ~30 ms for a
result that never changes. The output is deterministic: run it again after updating
world_110m.js, and tests/test_svg.py fails when the two disagree.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "static" / "vendor" / "world_110m.js"
TARGET = REPO / "scorecard" / "world_map.json"

WIDTH = 10000  # drawing units (whole numbers); the page scales the drawing to its width
NORTH, SOUTH = 85.0, -58.0  # degrees; Antarctica is left out, as on the former map
LEFT_OUT = {"ATA"}  # Antarctica: below the map's southern edge

Point = tuple[float, float]


def natural_earth(lon: float, lat: float) -> Point:
    """Natural Earth projection, degrees to the unit plane (x east, y north)."""
    lam, phi = math.radians(lon), math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))
    )
    y = phi * (
        1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, y


def read_topology(path: Path) -> dict:
    """The topology object inside world_110m.js (a script that assigns one JSON value)."""
    text = path.read_text(encoding="utf-8")
    start = text.index("{", text.index("world_110m ="))
    return json.loads(text[start : text.rindex("}") + 1])


def decode_arcs(topology: dict) -> list[list[Point]]:
    """TopoJSON's quantised, delta-encoded arcs as longitude-latitude points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A closed ring from its arcs (a negative index ~i is arc i reversed)."""
    points: list[Point] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def split_at_antimeridian(ring: list[Point]) -> list[list[Point]]:
    """A ring that crosses 180° as one ring per side (Russia's Chukotka, for one).

    The source cuts such shapes at ±180° but keeps both sides in one ring; drawn as it is,
    the ring would cross the whole map. Runs of points on the same side are joined in
    order, closing along the map's edge.
    """
    runs: list[list[Point]] = [[ring[0]]]
    for before, point in itertools.pairwise(ring):
        if abs(point[0] - before[0]) > 180:
            runs.append([])
        runs[-1].append(point)
    if len(runs) == 1:
        return [ring]
    runs[0] = runs.pop() + runs[0]  # the ring is closed: its last run continues the first
    sides: dict[bool, list[Point]] = {}
    for run in runs:
        sides.setdefault(run[0][0] > 0, []).extend(run)
    return [side for _, side in sorted(sides.items())]


def svg_path(rings: list[list[Point]], scale: float, top: float) -> str:
    """Rings as SVG path data: whole units relative to the last point, repeats dropped."""
    parts = []
    last = (0, 0)
    for ring in rings:
        ints = []
        for lon, lat in ring:
            x, y = natural_earth(lon, lat)
            point = (round(x * scale + WIDTH / 2), round((top - y) * scale))
            if not ints or point != ints[-1]:
                ints.append(point)
        if len(ints) > 1 and ints[0] == ints[-1]:
            ints.pop()
        if len(ints) < 3:
            continue  # an island smaller than a unit: invisible
        (x0, y0), rest = ints[0], ints[1:]
        steps = [f"{x - px} {y - py}" for (px, py), (x, y) in zip(ints, rest, strict=False)]
        parts.append(f"m{x0 - last[0]} {y0 - last[1]}l{' '.join(steps)}z")
        last = (x0, y0)  # after "z" the current point is the ring's start
    return "".join(parts)


def project(topology: dict) -> dict:
    """{"width", "height", "shapes": {ISO3: path}}: the map's frame and its countries."""
    arcs = decode_arcs(topology)
    east, _ = natural_earth(180.0, 0.0)
    scale = WIDTH / (2 * east)
    top = natural_earth(0.0, NORTH)[1]
    height = (top - natural_earth(0.0, SOUTH)[1]) * scale
    rings_by_code: dict[str, list[list[Point]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        if not code or code in LEFT_OUT:
            continue
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        rings = rings_by_code.setdefault(code, [])  # some codes come in two pieces
        for polygon in polygons:
            for ring in polygon:
                rings.extend(split_at_antimeridian(ring_points(ring, arcs)))
    shapes = {code: svg_path(rings, scale, top) for code, rings in sorted(rings_by_code.items())}
    return {
        "width": WIDTH,
        "height": round(height),
        "shapes": {code: path for code, path in shapes.items() if path},
    }


def render(source: Path = SOURCE) -> str:
    """The file's text: one shape per line, so that a change shows as a readable diff."""
    data = project(read_topology(source))
    return json.dumps(data, indent=0, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET.relative_to(REPO)} is out of date: run python tools/world_map.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
