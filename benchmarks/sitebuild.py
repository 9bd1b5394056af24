#!/usr/bin/env python3
"""`python build.py [build|check]` for synthetic data: the same pipeline, any number of countries.

    python benchmarks/sitebuild.py build --data DIR --out DIR
    python benchmarks/sitebuild.py check --data DIR

The one difference from build.py: the data may use ISO 3166-1's user-assigned codes beyond
the 249 country codes (benchmarks/generate.py explains why), passed to the validator as
`country_codes`. Everything else (validation, scores, Monte Carlo, every page and download,
the atomic write) is the code `python build.py` runs, so the timings carry over.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import accepted_codes  # noqa: E402
from scorecard import pipeline  # noqa: E402
from scorecard.cli import finish  # noqa: E402
from scorecard.config import load_config  # noqa: E402
from scorecard.errors import ScorecardError  # noqa: E402


def main(argv: list[str] | None = None, leave: bool = False) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "site")
    args = parser.parse_args(argv)
    paths = pipeline.Paths.for_project(REPO, args.data, args.out)
    codes = accepted_codes()
    try:
        with pipeline.collector_paused():  # as build.py's build and check commands
            if args.command == "check":
                dataset, _ = pipeline.check(paths, country_codes=codes)
                print(f"ok: {len(dataset.countries)} countries")
                return finish(0, leave)
            results = pipeline.compute(paths, country_codes=codes)
            output, _ = pipeline.publish(results, paths, load_config(REPO))
            countries, files = len(results.dataset.countries), len(output.files)
            print(f"built {args.out}: {countries} countries, {files} files")
            # As build.py does: the process ends here, its objects not freed, and before the
            # collector resumes (it would walk every object the build made: 0.03-0.15 s).
            return finish(0, leave)
    except ScorecardError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(leave=True))
