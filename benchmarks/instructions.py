#!/usr/bin/env python3
"""Count the instructions one country page takes to render, with valgrind's cachegrind.

    python benchmarks/instructions.py [--countries 200] [--pages 40 160]

Wall-clock figures on a shared machine move by a third from one minute to the next; an
instruction count moves by about one percent, so it tells whether a template or filter
change made a page cheaper. The script computes the results of the synthetic data set once
(benchmarks/generate.py, seed 1), then renders the first A and then the first B country
pages in two runs under cachegrind; (instructions of B - instructions of A) / (B - A) is
the cost of one page, with start-up, imports and template compiling taken out.

Needs valgrind (Debian's `valgrind` package). Instructions are not time: a change that
moves work into C (or out of it) can change the two differently; check with run.py too.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import accepted_codes  # noqa: E402
from benchmarks.run import OUT, dataset  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--pages", type=int, nargs=2, default=[40, 160], metavar=("A", "B"))
    parser.add_argument("--render", type=int, help=argparse.SUPPRESS)  # the measured run
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.render is not None:
        return render(args.results, args.render)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    first, second = args.pages
    if not 0 <= first < second <= args.countries:
        parser.error("--pages: 0 <= A < B <= the number of countries")
    results = prepare(args.countries)
    counts = [instructions(results, pages) for pages in (first, second)]
    per_page = (counts[1] - counts[0]) / (second - first)
    print(f"{per_page / 1e6:.2f} million instructions a country page ({args.countries} countries)")
    return 0


def prepare(countries: int) -> Path:
    """The computed results for the synthetic set, pickled for the measured runs."""
    from scorecard import pipeline

    data = dataset(countries)
    paths = pipeline.Paths.for_project(REPO, data, OUT / "unused")
    results = pipeline.compute(paths, country_codes=accepted_codes())
    path = OUT / f"results-{countries}.pickle"  # written and read by this script only
    path.write_bytes(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    return path


def instructions(results: Path, pages: int) -> int:
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--render",
        str(pages),
        "--results",
        str(results),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "SCORECARD_CACHE_DIR": "off"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr}")
    return int(found.group(1).replace(",", ""))


def render(results_path: Path, pages: int) -> int:
    """Compile the templates and render one page, then `pages` country pages."""
    import gc

    from scorecard import pipeline, site
    from scorecard.config import load_config

    results = pickle.loads(results_path.read_bytes())
    paths = pipeline.Paths.for_project(REPO, results_path.parent, OUT / "unused")
    gc.disable()  # as in a build (pipeline.collector_paused)
    renderer = site._Renderer(results, paths, load_config(REPO), "en")
    countries = renderer.view.countries
    renderer._country_page(countries[-1])  # the first page compiles and imports what it needs
    for country in countries[:pages]:
        renderer._country_page(country)
    return 0


if __name__ == "__main__":
    sys.exit(main())
